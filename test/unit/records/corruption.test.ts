import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionType } from '../../../src/protocol/compression/index.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import {
  ATTRIBUTES,
  BATCH_LENGTH,
  computeBatchCrc,
  CRC,
  MAGIC,
  PARTITION_LEADER_EPOCH,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT,
} from '../../../src/protocol/records/batch-header.js';
import { buildRecordBatch, decodeRecordBatches } from '../../../src/protocol/records/record-batch.js';
import { decodeRecordBatchesSync } from '../../../src/protocol/records/decode-batches.js';
import { isCorrupt } from './helpers.js';

const RECORDS = [
  { key: 'a', value: 'first value', headers: [{ key: 'h', value: 'hv' }] },
  { key: null, value: 'second' },
  { key: 'c', value: null },
];

function batch(compression = CompressionType.None, baseOffset = 0): Promise<Buffer> {
  return buildRecordBatch({ baseOffset, compression, records: RECORDS, now: 1000 });
}

/** Rewrites the CRC so that a deliberately malformed body gets past the CRC check. */
function fixCrc(b: Buffer): Buffer {
  b.writeUInt32BE(computeBatchCrc(b), CRC);
  return b;
}

test('flipping any CRC-covered byte is CORRUPT_MESSAGE', async () => {
  for (const codec of [CompressionType.None, CompressionType.Gzip, CompressionType.Zstd]) {
    const good = await batch(codec);
    for (let pos = ATTRIBUTES; pos < good.length; pos++) {
      const bad = Buffer.from(good);
      bad[pos] = bad[pos]! ^ 0x01;
      await assert.rejects(decodeRecordBatches(bad), isCorrupt, `byte ${pos} of codec ${codec}`);
    }
  }
});

test('a flipped CRC byte itself is CORRUPT_MESSAGE', async () => {
  const bad = await batch();
  bad[CRC + 2] = bad[CRC + 2]! ^ 0x80;
  await assert.rejects(decodeRecordBatches(bad), isCorrupt);
  assert.throws(() => decodeRecordBatchesSync(bad), isCorrupt);
});

test('partitionLeaderEpoch is outside the CRC: the leader may patch it', async () => {
  const b = await batch();
  b.writeInt32BE(77, PARTITION_LEADER_EPOCH);
  const [d] = await decodeRecordBatches(b);
  assert.equal(d!.partitionLeaderEpoch, 77);
});

test('verifyCrc: false skips the check', async () => {
  const b = await batch();
  b.writeUInt32BE(0, CRC);
  assert.equal((await decodeRecordBatches(b, { verifyCrc: false })).length, 1);
});

test('a trailing partial batch is ignored at every cut point', async () => {
  const first = await batch(CompressionType.None, 0);
  const second = await batch(CompressionType.Snappy, 3);
  const third = await batch(CompressionType.None, 6);
  const whole = Buffer.concat([first, second]);
  for (let cut = 0; cut < third.length; cut++) {
    const buf = Buffer.concat([whole, third.subarray(0, cut)]);
    const got = await decodeRecordBatches(buf);
    assert.deepEqual(
      got.map((b) => b.baseOffset),
      [0, 3],
      `cut ${cut}`,
    );
  }
  assert.equal((await decodeRecordBatches(Buffer.concat([whole, third]))).length, 3);
});

test('a lone truncated batch decodes to nothing', async () => {
  const b = await batch();
  for (const cut of [0, 5, 12, 16, 17, 60, b.length - 1]) {
    assert.deepEqual(await decodeRecordBatches(b.subarray(0, cut)), []);
  }
});

test('a batch length too small for any format is CORRUPT_MESSAGE', async () => {
  const b = await batch();
  b.writeInt32BE(13, BATCH_LENGTH);
  await assert.rejects(decodeRecordBatches(b), isCorrupt);
  b.writeInt32BE(-1, BATCH_LENGTH);
  await assert.rejects(decodeRecordBatches(b), isCorrupt);
  // Big enough for a legacy message but not for a v2 header.
  const c = Buffer.concat([await batch()]).subarray(0, 12 + 40);
  c.writeInt32BE(40, BATCH_LENGTH);
  await assert.rejects(decodeRecordBatches(c), isCorrupt);
});

test('an unknown magic is CORRUPT_MESSAGE', async () => {
  const b = await batch();
  b.writeInt8(3, MAGIC);
  await assert.rejects(decodeRecordBatches(b), isCorrupt);
});

test('a records count that disagrees with the records is CORRUPT_MESSAGE (even with a valid CRC)', async () => {
  for (const codec of [CompressionType.None, CompressionType.Lz4]) {
    const more = fixCrc(Buffer.from(await batch(codec)));
    more.writeInt32BE(RECORDS.length + 1, RECORDS_COUNT);
    await assert.rejects(decodeRecordBatches(fixCrc(more)), isCorrupt);
    const fewer = Buffer.from(await batch(codec));
    fewer.writeInt32BE(RECORDS.length - 1, RECORDS_COUNT);
    await assert.rejects(decodeRecordBatches(fixCrc(fewer)), isCorrupt); // bytes left over
    const negative = Buffer.from(await batch(codec));
    negative.writeInt32BE(-1, RECORDS_COUNT);
    await assert.rejects(decodeRecordBatches(fixCrc(negative)), isCorrupt);
  }
});

test('a record length that disagrees with its fields is CORRUPT_MESSAGE', async () => {
  const b = Buffer.from(await batch());
  // First record's length varint sits right after the header; shrink it by one.
  const zigzagLen = b[RECORD_BATCH_OVERHEAD]!;
  b[RECORD_BATCH_OVERHEAD] = zigzagLen - 2;
  await assert.rejects(decodeRecordBatches(fixCrc(b)), isCorrupt);
});

test('an undecodable compressed payload is CORRUPT_MESSAGE', async () => {
  const b = Buffer.from(await batch(CompressionType.Gzip));
  b.fill(0x55, RECORD_BATCH_OVERHEAD + 10);
  await assert.rejects(decodeRecordBatches(fixCrc(b)), isCorrupt);
});

test('an unknown codec id is UNSUPPORTED_COMPRESSION_TYPE', async () => {
  const b = Buffer.from(await batch());
  b.writeInt16BE(6, ATTRIBUTES);
  await assert.rejects(decodeRecordBatches(fixCrc(b)), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
});

test('a corrupt batch after good ones fails the whole call before any decompression', async () => {
  const good = await batch(CompressionType.Zstd);
  const bad = await batch();
  bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
  await assert.rejects(decodeRecordBatches(Buffer.concat([good, good, bad])), isCorrupt);
});
