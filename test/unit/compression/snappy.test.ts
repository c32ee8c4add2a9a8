import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as snappyLib from 'snappy';
import {
  CompressionType,
  compress,
  compressRawSnappy,
  compressSync,
  decompress,
  decompressSync,
  isXerialFramed,
  XERIAL_BLOCK_SIZE,
  XERIAL_MAGIC,
} from '../../../src/protocol/compression/index.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';

// Raw snappy for "hello", from the format description: varint uncompressed length (5), then one
// literal element whose tag is (len-1)<<2 | 0b00, then the bytes.
const RAW_HELLO = Buffer.from([0x05, 0x10, ...Buffer.from('hello')]);

function xerial(...blocks: Buffer[]): Buffer {
  const parts: Buffer[] = [XERIAL_MAGIC, Buffer.from([0, 0, 0, 1, 0, 0, 0, 1])];
  for (const b of blocks) {
    const len = Buffer.alloc(4);
    len.writeInt32BE(b.length);
    parts.push(len, b);
  }
  return Buffer.concat(parts);
}

const isCorrupt = (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE;

test('decodes a hand-built raw snappy block (librdkafka/kafkajs style)', async () => {
  assert.equal(isXerialFramed(RAW_HELLO), false);
  assert.equal((await decompress(CompressionType.Snappy, RAW_HELLO)).toString(), 'hello');
  assert.equal(decompressSync(CompressionType.Snappy, RAW_HELLO).toString(), 'hello');
});

test('decodes hand-built xerial framing (Java/kafka-python style), one and several blocks', async () => {
  const one = xerial(RAW_HELLO);
  assert.equal(isXerialFramed(one), true);
  assert.equal((await decompress(CompressionType.Snappy, one)).toString(), 'hello');
  const world = Buffer.from([0x06, 0x14, ...Buffer.from(' world')]);
  const two = xerial(RAW_HELLO, world);
  assert.equal((await decompress(CompressionType.Snappy, two)).toString(), 'hello world');
  assert.equal(decompressSync(CompressionType.Snappy, two).toString(), 'hello world');
});

test('a header-only xerial stream is empty', async () => {
  assert.equal((await decompress(CompressionType.Snappy, xerial())).length, 0);
});

test('writes xerial framing with 32 KiB input blocks', async () => {
  const data = Buffer.concat([randomBytes(50_000), Buffer.alloc(60_000, 'k')]); // 110_000 bytes -> 4 blocks
  for (const packed of [await compress(CompressionType.Snappy, data), compressSync(CompressionType.Snappy, data)]) {
    assert.deepEqual(packed.subarray(0, 8), XERIAL_MAGIC);
    assert.equal(packed.readInt32BE(8), 1);
    assert.equal(packed.readInt32BE(12), 1);
    const sizes: number[] = [];
    for (let p = 16; p < packed.length; ) {
      const n = packed.readInt32BE(p);
      sizes.push((snappyLib.uncompressSync(packed.subarray(p + 4, p + 4 + n), { asBuffer: true }) as Buffer).length);
      p += 4 + n;
    }
    assert.deepEqual(sizes, [XERIAL_BLOCK_SIZE, XERIAL_BLOCK_SIZE, XERIAL_BLOCK_SIZE, 110_000 - 3 * XERIAL_BLOCK_SIZE]);
    assert.deepEqual(await decompress(CompressionType.Snappy, packed), data);
  }
});

test('raw and xerial forms of the same data decode identically', async () => {
  const data = Buffer.from('abcdefgh'.repeat(20_000));
  const raw = await compressRawSnappy(data);
  const framed = await compress(CompressionType.Snappy, data);
  assert.equal(isXerialFramed(raw), false);
  assert.deepEqual(await decompress(CompressionType.Snappy, raw), data);
  assert.deepEqual(await decompress(CompressionType.Snappy, framed), data);
});

test('truncated xerial blocks are CORRUPT_MESSAGE', async () => {
  const framed = xerial(RAW_HELLO);
  await assert.rejects(decompress(CompressionType.Snappy, framed.subarray(0, framed.length - 2)), isCorrupt);
  await assert.rejects(decompress(CompressionType.Snappy, framed.subarray(0, 18)), isCorrupt); // half a length
  const negative = Buffer.from(framed);
  negative.writeInt32BE(-5, 16);
  assert.throws(() => decompressSync(CompressionType.Snappy, negative), isCorrupt);
});
