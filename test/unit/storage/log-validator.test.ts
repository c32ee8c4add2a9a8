import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { validateBatches } from '../../../src/storage/log-validator.js';
import { buildRecordBatchSync } from '../../../src/protocol/records/record-batch.js';
import { CompressionType } from '../../../src/protocol/compression/types.js';
import { assertRejects, makeBatch, validateAll, valuesBatch } from './helpers.js';

const opts = { maxMessageBytes: 1_000_000 };

function assertCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof KafkaError, `expected KafkaError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${ErrorCode[code]}, got ${ErrorCode[err.code]}: ${err.message}`);
    return true;
  });
}

test('summarizes several valid batches', () => {
  const a = makeBatch({ records: [{ value: Buffer.from('a'), timestamp: 10 }, { value: Buffer.from('b'), timestamp: 30 }] });
  const b = makeBatch({ records: [{ value: Buffer.from('c'), timestamp: 20 }] });
  const r = validateBatches(Buffer.concat([a, b]), opts);
  assert.equal(r.batches, 2);
  assert.equal(r.records, 3);
  assert.equal(r.offsetCount, 3);
  assert.equal(r.maxTimestamp, 30);
  assert.equal(r.sizeBytes, a.length + b.length);
  assert.deepEqual(
    r.batchInfos.map((i) => [i.position, i.sizeBytes, i.lastOffsetDelta]),
    [
      [0, a.length, 1],
      [a.length, b.length, 0],
    ],
  );
});

test('an empty buffer holds no batches', () => {
  assert.equal(validateBatches(Buffer.alloc(0), opts).batches, 0);
});

test('legacy magic 0 and 1 are refused with UNSUPPORTED_FOR_MESSAGE_FORMAT', () => {
  for (const magic of [0, 1]) {
    assertCode(() => validateBatches(makeBatch({ records: [{ value: null }], magic }), opts), ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT);
  }
});

test('unknown magic, truncation, bad lengths and CRC mismatch are CORRUPT_MESSAGE', () => {
  const good = valuesBatch(3);
  assertCode(() => validateBatches(makeBatch({ records: [{ value: null }], magic: 3 }), opts), ErrorCode.CORRUPT_MESSAGE);
  for (const cut of [1, 12, 16, 17, 40, good.length - 1]) {
    assertCode(() => validateBatches(good.subarray(0, cut), opts), ErrorCode.CORRUPT_MESSAGE);
  }
  assertCode(() => validateBatches(Buffer.concat([good, good.subarray(0, 20)]), opts), ErrorCode.CORRUPT_MESSAGE);
  const shortLen = Buffer.from(good);
  shortLen.writeInt32BE(10, 8);
  assertCode(() => validateBatches(shortLen, opts), ErrorCode.CORRUPT_MESSAGE);
  const longLen = Buffer.from(good);
  longLen.writeInt32BE(good.length, 8);
  assertCode(() => validateBatches(longLen, opts), ErrorCode.CORRUPT_MESSAGE);
  for (const pos of [17, 21, 30, 60, good.length - 1]) {
    const flipped = Buffer.from(good);
    flipped[pos] = flipped[pos]! ^ 0x40;
    assertCode(() => validateBatches(flipped, opts), ErrorCode.CORRUPT_MESSAGE);
  }
  assertCode(() => validateBatches(makeBatch({ records: [{ value: null }], attributes: 5 }), opts), ErrorCode.CORRUPT_MESSAGE);
});

test('the base offset and leader epoch are outside the CRC', () => {
  const b = valuesBatch(2);
  b.writeInt32BE(7, 4); // low half of baseOffset
  b.writeInt32BE(9, 12); // partitionLeaderEpoch
  assert.equal(validateBatches(b, opts).batches, 1);
});

test('a batch above max.message.bytes is MESSAGE_TOO_LARGE', () => {
  const b = valuesBatch(10, 'x', 0, 100);
  assertCode(() => validateBatches(b, { maxMessageBytes: b.length - 1 }), ErrorCode.MESSAGE_TOO_LARGE);
  assert.equal(validateBatches(b, { maxMessageBytes: b.length }).batches, 1);
});

test('record counts and offset deltas must agree for client batches', () => {
  const recs = [{ value: Buffer.from('a') }, { value: Buffer.from('b') }];
  assertCode(() => validateBatches(makeBatch({ records: recs, lastOffsetDelta: 5 }), opts), ErrorCode.INVALID_RECORD);
  assertCode(() => validateBatches(makeBatch({ records: recs, lastOffsetDelta: -1 }), opts), ErrorCode.INVALID_RECORD);
  assertCode(() => validateBatches(makeBatch({ records: recs, recordsCount: -1 }), opts), ErrorCode.INVALID_RECORD);
  assertCode(() => validateBatches(makeBatch({ records: [], lastOffsetDelta: 0 }), opts), ErrorCode.INVALID_RECORD);
  // A compacted (replicated) batch may have gaps.
  const gappy = makeBatch({ records: recs, lastOffsetDelta: 5 });
  assert.equal(validateBatches(gappy, { ...opts, origin: 'replication' }).offsetCount, 6);
});

test('clients may not write control batches, nor producer ids without a sequence', () => {
  const control = makeBatch({ records: [{ value: null }], attributes: 0x20 });
  assertCode(() => validateBatches(control, opts), ErrorCode.INVALID_RECORD);
  assert.equal(validateBatches(control, { ...opts, origin: 'coordinator' }).batches, 1);
  const noSeq = makeBatch({ records: [{ value: null }], producerId: 42, producerEpoch: 0, baseSequence: -1 });
  assertCode(() => validateBatches(noSeq, opts), ErrorCode.INVALID_RECORD);
  const idempotent = makeBatch({ records: [{ value: null }], producerId: 42, producerEpoch: 0, baseSequence: 0 });
  assert.equal(validateBatches(idempotent, opts).batches, 1);
});

test('compacted topics (requireKeys): a keyless record is INVALID_RECORD, compressed or not; keyed records pass', async () => {
  const keyed = [{ key: Buffer.from('k1'), value: Buffer.from('v') }, { key: Buffer.from('k2'), value: null }];
  const oneKeyless = [...keyed, { key: null, value: Buffer.from('no key') }];
  for (const compression of [CompressionType.None, CompressionType.Gzip, CompressionType.Lz4, CompressionType.Zstd]) {
    const good = buildRecordBatchSync({ records: keyed, compression });
    assert.equal((await validateAll(good, { ...opts, requireKeys: true })).records, 2, 'keys and a tombstone pass');
    const bad = buildRecordBatchSync({ records: oneKeyless, compression });
    await assertRejects(validateAll(Buffer.concat([good, bad]), { ...opts, requireKeys: true }), ErrorCode.INVALID_RECORD, /record 2: compacted topic/);
    // Not compacted, or not from a client: no key check.
    assert.equal((await validateAll(bad, opts)).records, 3);
    assert.equal((await validateAll(bad, { ...opts, requireKeys: true, origin: 'coordinator' })).records, 3);
  }
});
