import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as lz4Lib from 'lz4-napi';
import {
  CompressionType,
  compress,
  compressSync,
  decompress,
  decompressSync,
  lz4HeaderChecksum,
  lz4HeaderChecksumPos,
  xxh32,
} from '../../../src/protocol/compression/index.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';

const MAGIC = [0x04, 0x22, 0x4d, 0x18];
const FLG_VERSION_1 = 0x40;
const FLG_INDEPENDENT = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const BD_64K = 0x40;

const isCorrupt = (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE;

/** An LZ4 block of literals only (frame/block spec): token with literal length, extension bytes, data. */
function literalBlock(data: Buffer): Buffer {
  const n = data.length;
  const head: number[] = [];
  if (n < 15) head.push(n << 4);
  else {
    head.push(0xf0);
    let rest = n - 15;
    while (rest >= 255) {
      head.push(255);
      rest -= 255;
    }
    head.push(rest);
  }
  return Buffer.concat([Buffer.from(head), data]);
}

/** lz4-napi's block API prefixes the uncompressed size (lz4_flex "size prepended"); strip it. */
function compressedBlock(data: Buffer): Buffer {
  return lz4Lib.compressSync(data).subarray(4);
}

interface FrameOpts {
  flg: number;
  contentSize?: number;
  content?: Buffer; // for the content checksum
  blocks: Array<{ data: Buffer; uncompressed?: boolean }>;
  legacyHc?: boolean;
}

function frame(o: FrameOpts): Buffer {
  const header = [...MAGIC, o.flg, BD_64K];
  if (o.flg & FLG_CONTENT_SIZE) {
    const cs = Buffer.alloc(8);
    cs.writeBigUInt64LE(BigInt(o.contentSize ?? 0));
    header.push(...cs);
  }
  const h = Buffer.from(header);
  const hc = (xxh32(o.legacyHc ? h : h.subarray(4)) >>> 8) & 0xff;
  const parts: Buffer[] = [h, Buffer.from([hc])];
  for (const b of o.blocks) {
    const size = Buffer.alloc(4);
    size.writeUInt32LE((b.data.length | (b.uncompressed ? 0x80000000 : 0)) >>> 0);
    parts.push(size, b.data);
    if (o.flg & FLG_BLOCK_CHECKSUM) {
      const c = Buffer.alloc(4);
      c.writeUInt32LE(xxh32(b.data));
      parts.push(c);
    }
  }
  parts.push(Buffer.alloc(4)); // end mark
  if (o.flg & FLG_CONTENT_CHECKSUM) {
    const c = Buffer.alloc(4);
    c.writeUInt32LE(xxh32(o.content ?? Buffer.alloc(0)));
    parts.push(c);
  }
  return Buffer.concat(parts);
}

const HELLO = Buffer.from('hello lz4');
const LONG = Buffer.from('a literal run longer than fifteen bytes, to use length extension bytes. '.repeat(6));

test('compressFrame output is what Java KafkaLZ4BlockInputStream accepts', async () => {
  const data = Buffer.concat([randomBytes(5_000_000), Buffer.alloc(3_000_000, 1)]);
  for (const f of [await compress(CompressionType.Lz4, data), compressSync(CompressionType.Lz4, data)]) {
    assert.deepEqual([...f.subarray(0, 4)], MAGIC);
    const flg = f[4]!;
    const bd = f[5]!;
    assert.equal(flg >> 6, 1, 'version 01');
    assert.ok(flg & FLG_INDEPENDENT, 'independent blocks (Java rejects dependent ones)');
    assert.equal(flg & 0x03, 0, 'reserved bit and dictionary id clear');
    assert.equal(bd & 0x8f, 0, 'BD reserved bits clear');
    const blockSizeId = (bd >> 4) & 7;
    assert.ok(blockSizeId >= 4 && blockSizeId <= 7, 'BD block size id in 4..7');
    const hcPos = lz4HeaderChecksumPos(f);
    assert.equal(f[hcPos], lz4HeaderChecksum(f, hcPos), 'correct HC');
    // Walk the blocks: every one within the declared max size, then the end mark.
    const maxBlock = 1 << (8 + 2 * blockSizeId);
    let p = hcPos + 1;
    let blocks = 0;
    for (;;) {
      const word = f.readUInt32LE(p);
      p += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      assert.ok(size <= maxBlock);
      p += size + (flg & FLG_BLOCK_CHECKSUM ? 4 : 0);
      blocks++;
    }
    p += flg & FLG_CONTENT_CHECKSUM ? 4 : 0;
    assert.equal(p, f.length);
    assert.ok(blocks >= 2);
  }
});

test('decodes a hand-built frame without content size', async () => {
  const f = frame({ flg: FLG_VERSION_1 | FLG_INDEPENDENT, blocks: [{ data: literalBlock(HELLO) }] });
  assert.equal((await decompress(CompressionType.Lz4, f)).toString(), 'hello lz4');
  assert.equal(decompressSync(CompressionType.Lz4, f).toString(), 'hello lz4');
});

test('decodes a hand-built frame with content size and content checksum', async () => {
  const content = Buffer.concat([HELLO, LONG]);
  const f = frame({
    flg: FLG_VERSION_1 | FLG_INDEPENDENT | FLG_CONTENT_SIZE | FLG_CONTENT_CHECKSUM,
    contentSize: content.length,
    content,
    blocks: [{ data: literalBlock(HELLO) }, { data: literalBlock(LONG) }],
  });
  assert.deepEqual(await decompress(CompressionType.Lz4, f), content);
});

test('decodes uncompressed blocks, block checksums, and compressed blocks mixed', async () => {
  const big = Buffer.from('0123456789'.repeat(5000));
  const content = Buffer.concat([HELLO, big, LONG]);
  const f = frame({
    flg: FLG_VERSION_1 | FLG_INDEPENDENT | FLG_BLOCK_CHECKSUM,
    blocks: [{ data: HELLO, uncompressed: true }, { data: compressedBlock(big) }, { data: literalBlock(LONG) }],
  });
  assert.deepEqual(await decompress(CompressionType.Lz4, f), content);
});

test('decodes a frame flagged with dependent blocks (we are lenient; Java is not)', async () => {
  const f = frame({ flg: FLG_VERSION_1, blocks: [{ data: literalBlock(HELLO) }] });
  assert.equal((await decompress(CompressionType.Lz4, f)).toString(), 'hello lz4');
});

test('decodes a frame made by the lz4 command line tool (--content-size, content checksum)', async () => {
  // `printf '%s' 'hello lz4 frame with content size, hello lz4 frame with content size' | lz4 --content-size`
  const f = Buffer.from(
    '04224d186c404400000000000000c22e000000ff1468656c6c6f206c7a34206672616d65207769746820636f6e74656e742073697a652c20230009502073697a650000000088007663',
    'hex',
  );
  assert.equal(f[4]! & FLG_CONTENT_SIZE, FLG_CONTENT_SIZE);
  assert.equal((await decompress(CompressionType.Lz4, f)).toString(), 'hello lz4 frame with content size, hello lz4 frame with content size');
});

test('a wrong content size, a wrong header checksum or a truncated frame is CORRUPT_MESSAGE', async () => {
  const bad = frame({
    flg: FLG_VERSION_1 | FLG_INDEPENDENT | FLG_CONTENT_SIZE,
    contentSize: HELLO.length + 1,
    blocks: [{ data: literalBlock(HELLO) }],
  });
  await assert.rejects(decompress(CompressionType.Lz4, bad), isCorrupt);
  const good = frame({ flg: FLG_VERSION_1 | FLG_INDEPENDENT, blocks: [{ data: literalBlock(HELLO) }] });
  const badHc = Buffer.from(good);
  badHc[6] = badHc[6]! ^ 0xff;
  await assert.rejects(decompress(CompressionType.Lz4, badHc), isCorrupt);
  await assert.rejects(decompress(CompressionType.Lz4, good.subarray(0, 12)), isCorrupt);
});

test('magic 0 quirk: HC over magic+FLG+BD is accepted only for magic-0 payloads', async () => {
  const legacy = frame({ flg: FLG_VERSION_1 | FLG_INDEPENDENT, blocks: [{ data: literalBlock(HELLO) }], legacyHc: true });
  assert.equal((await decompress(CompressionType.Lz4, legacy, 0)).toString(), 'hello lz4');
  assert.equal(decompressSync(CompressionType.Lz4, legacy, 0).toString(), 'hello lz4');
  await assert.rejects(decompress(CompressionType.Lz4, legacy), isCorrupt);
  await assert.rejects(decompress(CompressionType.Lz4, legacy, 1), isCorrupt);
  // Magic-0 readers also take correct-HC frames (some writers got it right).
  const proper = frame({ flg: FLG_VERSION_1 | FLG_INDEPENDENT, blocks: [{ data: literalBlock(HELLO) }] });
  assert.equal((await decompress(CompressionType.Lz4, proper, 0)).toString(), 'hello lz4');
});

test('magic 0 writes the broken HC, and round trips', async () => {
  const data = Buffer.from('legacy '.repeat(1000));
  for (const f of [await compress(CompressionType.Lz4, data, 0), compressSync(CompressionType.Lz4, data, 0)]) {
    const pos = lz4HeaderChecksumPos(f);
    assert.equal(f[pos], lz4HeaderChecksum(f, pos, true));
    assert.notEqual(f[pos], lz4HeaderChecksum(f, pos, false));
    assert.deepEqual(await decompress(CompressionType.Lz4, f, 0), data);
  }
});
