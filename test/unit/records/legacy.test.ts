import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionType, compressionName, lz4HeaderChecksum, lz4HeaderChecksumPos } from '../../../src/protocol/compression/index.js';
import { buildLegacyMessageSet } from '../../../src/protocol/records/legacy-build.js';
import { buildRecordBatch, decodeRecordBatches } from '../../../src/protocol/records/record-batch.js';
import { hex, isCorrupt, slowCrc32 } from './helpers.js';

/** One legacy message laid out by hand from the LegacyRecord field table (COMPAT.md section 5). */
function handMessage(offset: number, magic: 0 | 1, timestamp: number, key: string | null, value: string | null): Buffer {
  const field = (s: string | null) => {
    if (s === null) return hex('ffffffff');
    const len = Buffer.alloc(4);
    len.writeInt32BE(Buffer.byteLength(s));
    return Buffer.concat([len, Buffer.from(s)]);
  };
  const ts = Buffer.alloc(8);
  ts.writeBigInt64BE(BigInt(timestamp));
  const afterCrc = Buffer.concat([Buffer.from([magic, 0]), magic === 1 ? ts : Buffer.alloc(0), field(key), field(value)]);
  const head = Buffer.alloc(16);
  head.writeBigInt64BE(BigInt(offset), 0);
  head.writeInt32BE(afterCrc.length + 4, 8);
  head.writeUInt32BE(slowCrc32(afterCrc), 12);
  return Buffer.concat([head, afterCrc]);
}

test('decodes hand-laid magic 0 and magic 1 messages', async () => {
  const buf = Buffer.concat([
    handMessage(5, 0, -1, 'k0', 'v0'),
    handMessage(6, 0, -1, null, null),
    handMessage(7, 1, 123456789, 'k1', 'v1'),
  ]);
  const batches = await decodeRecordBatches(buf);
  assert.deepEqual(
    batches.map((b) => [b.magic, b.baseOffset, b.lastOffset, b.recordsCount, b.producerId]),
    [
      [0, 5, 5, 1, -1],
      [0, 6, 6, 1, -1],
      [1, 7, 7, 1, -1],
    ],
  );
  assert.deepEqual(
    batches.flatMap((b) => b.records),
    [
      { offset: 5, timestamp: -1, key: Buffer.from('k0'), value: Buffer.from('v0'), headers: [] },
      { offset: 6, timestamp: -1, key: null, value: null, headers: [] },
      { offset: 7, timestamp: 123456789, key: Buffer.from('k1'), value: Buffer.from('v1'), headers: [] },
    ],
  );
});

test('the legacy builder writes what the hand layout says', async () => {
  const built = await buildLegacyMessageSet({
    magic: 1,
    baseOffset: 10,
    records: [
      { key: 'a', value: 'b', timestamp: 42 },
      { key: null, value: 'c', timestamp: 43 },
    ],
  });
  assert.deepEqual(built, Buffer.concat([handMessage(10, 1, 42, 'a', 'b'), handMessage(11, 1, 43, null, 'c')]));
});

test('a flipped byte in a legacy message is CORRUPT_MESSAGE (CRC-32 over magic..end)', async () => {
  const m = handMessage(0, 1, 1, 'key', 'value');
  for (let pos = 16; pos < m.length; pos++) {
    const bad = Buffer.from(m);
    bad[pos] = bad[pos]! ^ 0x04;
    await assert.rejects(decodeRecordBatches(bad), isCorrupt, `byte ${pos}`);
  }
});

const LEGACY_CODECS = [CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4];

for (const magic of [0, 1] as const) {
  for (const compression of LEGACY_CODECS) {
    test(`magic ${magic} ${compressionName(compression)} wrapper: absolute offsets and timestamps`, async () => {
      const records = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: i === 3 ? null : `v${i}`, timestamp: 1000 + i }));
      const built = await buildLegacyMessageSet({ magic, baseOffset: 100, compression, records });
      const [b, ...rest] = await decodeRecordBatches(built);
      assert.equal(rest.length, 0);
      assert.ok(b);
      assert.equal(b.magic, magic);
      assert.equal(b.compression, compression);
      assert.equal(b.baseOffset, 100);
      assert.equal(b.lastOffset, 109);
      assert.equal(b.recordsCount, 10);
      assert.deepEqual(
        b.records.map((r) => [r.offset, r.timestamp, r.key?.toString(), r.value?.toString() ?? null]),
        records.map((r, i) => [100 + i, magic === 1 ? r.timestamp : -1, r.key, r.value]),
      );
    });
  }
}

test('magic 1 compressed: inner offsets are relative to the wrapper (KIP-31)', async () => {
  const built = await buildLegacyMessageSet({
    magic: 1,
    baseOffset: 500,
    compression: CompressionType.Gzip,
    records: [{ value: 'a' }, { value: 'b' }, { value: 'c' }],
  });
  // The wrapper carries the last inner offset.
  assert.equal(Number(built.readBigInt64BE(0)), 502);
  const [b] = await decodeRecordBatches(built);
  assert.deepEqual(
    b!.records.map((r) => r.offset),
    [500, 501, 502],
  );
});

test('magic 1 LogAppendTime wrapper: its timestamp overrides the inner ones', async () => {
  const built = await buildLegacyMessageSet({
    magic: 1,
    compression: CompressionType.Snappy,
    timestampType: 'log-append',
    logAppendTime: 777,
    records: [{ value: 'a', timestamp: 1 }, { value: 'b', timestamp: 2 }],
  });
  const [b] = await decodeRecordBatches(built);
  assert.equal(b!.timestampType, 'log-append');
  assert.deepEqual(
    b!.records.map((r) => r.timestamp),
    [777, 777],
  );
});

test('magic 0 lz4 wrapper carries the broken header checksum, and decodes', async () => {
  const built = await buildLegacyMessageSet({ magic: 0, compression: CompressionType.Lz4, records: [{ value: 'old' }] });
  // Wrapper value: after offset(8) size(4) crc(4) magic(1) attr(1) key(-1: 4) length(4).
  const frame = built.subarray(26);
  const pos = lz4HeaderChecksumPos(frame);
  assert.equal(frame[pos], lz4HeaderChecksum(frame, pos, true));
  const [b] = await decodeRecordBatches(built);
  assert.equal(b!.records[0]!.value!.toString(), 'old');
});

test('legacy sets and v2 batches mix in one buffer (log upgraded mid-way)', async () => {
  const old = await buildLegacyMessageSet({ magic: 1, baseOffset: 0, compression: CompressionType.Gzip, records: [{ value: 'a' }, { value: 'b' }] });
  const v2 = await buildRecordBatch({ baseOffset: 2, records: [{ value: 'c' }] });
  const batches = await decodeRecordBatches(Buffer.concat([old, v2, old.subarray(0, 20)]));
  assert.deepEqual(
    batches.flatMap((b) => b.records.map((r) => [b.magic, r.offset, r.value!.toString()])),
    [
      [1, 0, 'a'],
      [1, 1, 'b'],
      [2, 2, 'c'],
    ],
  );
});

test('nested compression inside a wrapper is CORRUPT_MESSAGE', async () => {
  const inner = await buildLegacyMessageSet({ magic: 1, compression: CompressionType.Gzip, records: [{ value: 'x' }] });
  const { gzipSync } = await import('node:zlib');
  // Wrap an already-compressed wrapper inside another gzip wrapper by hand.
  const value = gzipSync(inner);
  const ts = Buffer.alloc(8);
  const len = Buffer.alloc(4);
  len.writeInt32BE(value.length);
  const afterCrc = Buffer.concat([Buffer.from([1, CompressionType.Gzip]), ts, hex('ffffffff'), len, value]);
  const head = Buffer.alloc(16);
  head.writeInt32BE(afterCrc.length + 4, 8);
  head.writeUInt32BE(slowCrc32(afterCrc), 12);
  await assert.rejects(decodeRecordBatches(Buffer.concat([head, afterCrc])), isCorrupt);
});
