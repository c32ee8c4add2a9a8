import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompressionType } from '../../../src/protocol/compression/index.js';
import { batchCrcMatches, RECORD_BATCH_OVERHEAD } from '../../../src/protocol/records/batch-header.js';
import { buildLegacyMessageSet } from '../../../src/protocol/records/legacy-build.js';
import { buildRecordBatch, iterateBatchHeaders, readMagic } from '../../../src/protocol/records/record-batch.js';
import { isCorrupt } from './helpers.js';

test('iterateBatchHeaders yields header fields without decoding records', async () => {
  const a = await buildRecordBatch({ baseOffset: 100, records: [{ value: 'x' }, { value: 'y' }], producerId: 9, producerEpoch: 2, baseSequence: 40 });
  const b = await buildRecordBatch({ baseOffset: 102, records: [{ value: 'z' }], compression: CompressionType.Gzip, transactional: true });
  // Garbage records: the iterator must not care (it does not look past the header).
  const junk = Buffer.from(a);
  junk.fill(0xff, RECORD_BATCH_OVERHEAD);
  const buf = Buffer.concat([a, b, junk, b.subarray(0, 30)]);
  const got = [...iterateBatchHeaders(buf)];
  assert.deepEqual(
    got.map((h) => ({ position: h.position, size: h.size, base: h.baseOffset, last: h.lastOffset, magic: h.magic, count: h.recordsCount })),
    [
      { position: 0, size: a.length, base: 100, last: 101, magic: 2, count: 2 },
      { position: a.length, size: b.length, base: 102, last: 102, magic: 2, count: 1 },
      { position: a.length + b.length, size: a.length, base: 100, last: 101, magic: 2, count: 2 },
    ],
  );
  assert.equal(got[0]!.producerId, 9);
  assert.equal(got[0]!.producerEpoch, 2);
  assert.equal(got[0]!.baseSequence, 40);
  assert.equal(got[1]!.compression, CompressionType.Gzip);
  assert.equal(got[1]!.isTransactional, true);
  assert.deepEqual(
    got.map((h) => batchCrcMatches(buf, h.position)),
    [true, true, false],
  );
});

test('iterateBatchHeaders is lazy: it stops where the consumer stops', async () => {
  const a = await buildRecordBatch({ records: [{ value: 'x' }] });
  const bad = Buffer.from(a);
  bad.writeInt32BE(1, 8); // impossible size: would throw if reached
  const it = iterateBatchHeaders(Buffer.concat([a, bad]));
  assert.equal(it.next().value?.position, 0);
  assert.throws(() => it.next(), isCorrupt);
});

test('iterateBatchHeaders starts at an offset', async () => {
  const a = await buildRecordBatch({ records: [{ value: 'x' }] });
  const buf = Buffer.concat([Buffer.alloc(5), a]);
  assert.equal([...iterateBatchHeaders(buf, 5)][0]?.position, 5);
});

test('readMagic tells the formats apart', async () => {
  const v2 = await buildRecordBatch({ records: [{ value: 'x' }] });
  const v1 = await buildLegacyMessageSet({ magic: 1, records: [{ value: 'x' }] });
  const v0 = await buildLegacyMessageSet({ magic: 0, records: [{ value: 'x' }] });
  assert.deepEqual([readMagic(v2), readMagic(v1), readMagic(v0)], [2, 1, 0]);
  const buf = Buffer.concat([v0, v2]);
  assert.equal(readMagic(buf, v0.length), 2);
  assert.deepEqual(
    [...iterateBatchHeaders(buf)].map((h) => h.magic),
    [0, 2],
  );
});

test('attribute bit 6 (KIP-534 delete horizon) is reported', async () => {
  const { ATTRIBUTES, ATTR_DELETE_HORIZON, computeBatchCrc, CRC } = await import('../../../src/protocol/records/batch-header.js');
  const b = await buildRecordBatch({ records: [{ value: 'x' }] });
  b.writeInt16BE(ATTR_DELETE_HORIZON, ATTRIBUTES);
  b.writeUInt32BE(computeBatchCrc(b), CRC);
  const [h] = [...iterateBatchHeaders(b)];
  assert.equal(h!.hasDeleteHorizon, true);
});
