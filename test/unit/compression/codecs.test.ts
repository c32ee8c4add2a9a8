import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  CompressionType,
  compress,
  compressSync,
  compressionFromName,
  compressionName,
  decompress,
  decompressSync,
  isCompressionType,
} from '../../../src/protocol/compression/index.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';

const ALL = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

function samples(): Buffer[] {
  const text = Buffer.from('the quick brown fox jumps over the lazy dog. '.repeat(5000));
  return [
    Buffer.alloc(0),
    Buffer.from('x'),
    text,
    randomBytes(200_000), // incompressible: exercises stored/uncompressed blocks
    Buffer.concat([randomBytes(70_000), Buffer.alloc(300_000, 7), text]),
  ];
}

for (const type of ALL) {
  const name = compressionName(type);

  test(`${name}: async round trip`, async () => {
    for (const data of samples()) {
      const packed = await compress(type, data);
      assert.deepEqual(await decompress(type, packed), data);
    }
  });

  test(`${name}: sync round trip, and sync/async interchangeable`, async () => {
    for (const data of samples()) {
      assert.deepEqual(decompressSync(type, compressSync(type, data)), data);
      assert.deepEqual(await decompress(type, compressSync(type, data)), data);
      assert.deepEqual(decompressSync(type, await compress(type, data)), data);
    }
  });

  test(`${name}: many concurrent calls share the codec safely`, async () => {
    const inputs = Array.from({ length: 32 }, (_, i) => Buffer.concat([randomBytes(100 + i * 500), Buffer.alloc(i * 1000, i)]));
    const packed = await Promise.all(inputs.map((d) => compress(type, d)));
    const out = await Promise.all(packed.map((d) => decompress(type, d)));
    out.forEach((d, i) => assert.deepEqual(d, inputs[i]));
  });

  if (type !== CompressionType.None) {
    test(`${name}: garbage input is CORRUPT_MESSAGE`, async () => {
      const garbage = Buffer.from('definitely not a compressed payload, not even close');
      await assert.rejects(decompress(type, garbage), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE);
      assert.throws(() => decompressSync(type, garbage), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE);
    });

    test(`${name}: truncated input is CORRUPT_MESSAGE`, async () => {
      const packed = await compress(type, randomBytes(100_000));
      await assert.rejects(decompress(type, packed.subarray(0, packed.length - 100)), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE);
    });
  }
}

test('unknown codec ids are UNSUPPORTED_COMPRESSION_TYPE', async () => {
  for (const id of [5, 6, 7, -1, 1.5]) {
    assert.equal(isCompressionType(id), false);
    await assert.rejects(decompress(id as CompressionType, Buffer.alloc(1)), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    assert.throws(() => compressSync(id as CompressionType, Buffer.alloc(1)), KafkaError);
  }
  for (const t of ALL) assert.equal(isCompressionType(t), true);
});

test('names map both ways like compression.type', () => {
  assert.equal(compressionFromName('LZ4'), CompressionType.Lz4);
  assert.equal(compressionFromName('zstd'), CompressionType.Zstd);
  assert.equal(compressionName(CompressionType.Snappy), 'snappy');
  assert.throws(() => compressionFromName('brotli'), KafkaError);
});

test('gzip writes a standard RFC 1952 stream', async () => {
  const packed = await compress(CompressionType.Gzip, Buffer.from('hello'));
  assert.deepEqual([...packed.subarray(0, 3)], [0x1f, 0x8b, 0x08]);
});
