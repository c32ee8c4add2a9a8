import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CompressionType, compressionName } from '../../../src/protocol/compression/index.js';
import { batchCrcMatches } from '../../../src/protocol/records/batch-header.js';
import {
  buildRecordBatch,
  buildRecordBatchSync,
  decodeRecordBatches,
  type BuildRecordBatchOptions,
} from '../../../src/protocol/records/record-batch.js';
import { decodeRecordBatchesSync } from '../../../src/protocol/records/decode-batches.js';
import type { KafkaRecord, RecordInput } from '../../../src/protocol/records/types.js';

const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

function buf(d: Buffer | Uint8Array | string | null | undefined): Buffer | null {
  if (d == null) return null;
  return typeof d === 'string' ? Buffer.from(d) : Buffer.from(d);
}

/** What decoding `input` (the i-th record of a batch at baseOffset) must give back. */
function expected(input: RecordInput, i: number, baseOffset: number, now: number): KafkaRecord {
  const headers = Array.isArray(input.headers)
    ? input.headers.map((h) => ({ key: h.key, value: buf(h.value) }))
    : Object.entries(input.headers ?? {}).map(([key, value]) => ({ key, value: buf(value) }));
  return {
    offset: baseOffset + (input.offsetDelta ?? i),
    timestamp: input.timestamp ?? now,
    key: buf(input.key),
    value: buf(input.value),
    headers,
  };
}

async function roundTrip(opts: BuildRecordBatchOptions): Promise<void> {
  const built = await buildRecordBatch(opts);
  assert.ok(batchCrcMatches(built));
  const batches = await decodeRecordBatches(built);
  assert.equal(batches.length, 1);
  const b = batches[0]!;
  const now = opts.now!;
  assert.equal(b.size, built.length);
  assert.equal(b.position, 0);
  assert.equal(b.compression, opts.compression ?? CompressionType.None);
  assert.equal(b.recordsCount, opts.records.length);
  assert.deepEqual(
    b.records,
    opts.records.map((r, i) => expected(r, i, opts.baseOffset ?? 0, now)),
  );
  // The sync paths agree with the async ones.
  assert.deepEqual(decodeRecordBatchesSync(built), batches);
  assert.deepEqual(decodeRecordBatchesSync(buildRecordBatchSync(opts))[0]!.records, b.records);
}

const NOW = 1_700_000_000_000;

const SHAPES: Record<string, RecordInput[]> = {
  'one record': [{ key: 'k', value: 'v' }],
  'null keys and values (tombstones)': [
    { key: null, value: null },
    { value: 'no key' },
    { key: 'tombstone', value: null },
  ],
  'empty key and value are not null': [{ key: '', value: '' }, { key: Buffer.alloc(0), value: Buffer.alloc(0) }],
  'headers as a list, repeated keys, null values, UTF-8 keys': [
    {
      value: 'x',
      headers: [
        { key: 'trace', value: 'abc' },
        { key: 'trace', value: Buffer.from([0, 1, 2]) },
        { key: 'empty', value: null },
        { key: 'ключ-🔑', value: 'значение' },
        { key: '', value: '' },
      ],
    },
  ],
  'headers as a map': [{ key: 'k', value: 'v', headers: { a: '1', b: Buffer.from('2'), c: null } }],
  'UTF-8 strings and Uint8Array data': [
    { key: 'ünïcödé ✓', value: '日本語のテキスト 🎉' },
    { key: new Uint8Array([1, 2, 3]), value: new Uint8Array(new ArrayBuffer(10), 2, 5) },
  ],
  'negative timestamp deltas (out-of-order timestamps)': [
    { value: 'a', timestamp: NOW },
    { value: 'b', timestamp: NOW - 5000 },
    { value: 'c', timestamp: NOW + 10 },
    { value: 'd', timestamp: 0 },
    { value: 'e', timestamp: -1 },
  ],
  'mixed explicit and default timestamps': [{ value: 'a' }, { value: 'b', timestamp: 5 }, { value: 'c' }],
  'offset gaps (compacted batch)': [
    { key: 'a', value: '1', offsetDelta: 0 },
    { key: 'b', value: '2', offsetDelta: 3 },
    { key: 'c', value: '3', offsetDelta: 200 },
  ],
  'many records': Array.from({ length: 5000 }, (_, i) => ({
    key: i % 7 === 0 ? null : `key-${i}`,
    value: i % 11 === 0 ? null : `value ${i} `.repeat(i % 5),
    headers: i % 3 === 0 ? [{ key: 'i', value: String(i) }] : undefined,
    timestamp: NOW + ((i * 7919) % 1000) - 500,
  })),
  'large values': [
    { key: 'big', value: randomBytes(3 * 1024 * 1024) },
    { key: 'compressible', value: Buffer.alloc(2 * 1024 * 1024, 'z') },
    { key: 'small', value: 's' },
  ],
  'values of every varint size boundary': [63, 64, 8191, 8192, 1048575, 1048576].map((n) => ({ value: Buffer.alloc(n, 1) })),
};

for (const codec of CODECS) {
  for (const [name, records] of Object.entries(SHAPES)) {
    test(`${compressionName(codec)}: ${name}`, () => roundTrip({ records, compression: codec, now: NOW, baseOffset: 42 }));
  }
}

test('header fields come back as written', async () => {
  const built = await buildRecordBatch({
    baseOffset: 2 ** 40 + 3,
    records: [{ value: 'a', timestamp: 100 }, { value: 'b', timestamp: 300 }, { value: 'c', timestamp: 200 }],
    compression: CompressionType.Lz4,
    producerId: 2 ** 45 + 1,
    producerEpoch: 7,
    baseSequence: 123456,
    transactional: true,
    partitionLeaderEpoch: 9,
  });
  const [b] = await decodeRecordBatches(built);
  assert.ok(b);
  assert.equal(b.baseOffset, 2 ** 40 + 3);
  assert.equal(b.lastOffsetDelta, 2);
  assert.equal(b.lastOffset, 2 ** 40 + 5);
  assert.equal(b.partitionLeaderEpoch, 9);
  assert.equal(b.magic, 2);
  assert.equal(b.compression, CompressionType.Lz4);
  assert.equal(b.attributes, CompressionType.Lz4 | 0x10);
  assert.equal(b.isTransactional, true);
  assert.equal(b.isControl, false);
  assert.equal(b.hasDeleteHorizon, false);
  assert.equal(b.timestampType, 'create');
  assert.equal(b.baseTimestamp, 100);
  assert.equal(b.maxTimestamp, 300);
  assert.equal(b.producerId, 2 ** 45 + 1);
  assert.equal(b.producerEpoch, 7);
  assert.equal(b.baseSequence, 123456);
  assert.deepEqual(
    b.records.map((r) => [r.offset, r.timestamp]),
    [
      [2 ** 40 + 3, 100],
      [2 ** 40 + 4, 300],
      [2 ** 40 + 5, 200],
    ],
  );
});

test('defaults: not idempotent, no leader epoch, CreateTime, offset 0', async () => {
  const [b] = await decodeRecordBatches(await buildRecordBatch({ records: [{ value: 'a' }] }));
  assert.ok(b);
  assert.deepEqual(
    [b.baseOffset, b.producerId, b.producerEpoch, b.baseSequence, b.partitionLeaderEpoch, b.attributes],
    [0, -1, -1, -1, -1, 0],
  );
  assert.ok(Math.abs(b.records[0]!.timestamp - Date.now()) < 60_000);
});

test('LogAppendTime: maxTimestamp is the append time and every record reports it', async () => {
  const built = await buildRecordBatch({
    records: [{ value: 'a', timestamp: 1 }, { value: 'b', timestamp: 2 }],
    timestampType: 'log-append',
    logAppendTime: 999_999,
    compression: CompressionType.Zstd,
  });
  const [b] = await decodeRecordBatches(built);
  assert.equal(b!.timestampType, 'log-append');
  assert.equal(b!.attributes & 0x08, 0x08);
  assert.equal(b!.maxTimestamp, 999_999);
  assert.equal(b!.baseTimestamp, 1);
  assert.deepEqual(
    b!.records.map((r) => r.timestamp),
    [999_999, 999_999],
  );
});

test('concatenated batches with different codecs decode in order', async () => {
  const parts = await Promise.all(
    CODECS.map((compression, i) =>
      buildRecordBatch({ baseOffset: i * 10, compression, records: [{ value: `batch ${i}` }, { value: `more ${i}` }] }),
    ),
  );
  const all = Buffer.concat(parts);
  const batches = await decodeRecordBatches(all);
  assert.deepEqual(
    batches.map((b) => [b.position, b.compression, b.baseOffset, b.records[1]!.value!.toString()]),
    parts.map((p, i) => [parts.slice(0, i).reduce((n, x) => n + x.length, 0), CODECS[i], i * 10, `more ${i}`]),
  );
});

test('uncompressed decode returns views into the input, not copies', async () => {
  const built = await buildRecordBatch({ records: [{ key: 'k', value: 'value' }] });
  const [b] = await decodeRecordBatches(built);
  assert.equal(b!.records[0]!.value!.buffer, built.buffer);
});

test('sync and async builders give identical bytes', async () => {
  const opts: BuildRecordBatchOptions = { now: NOW, records: SHAPES['many records']!, producerId: 5, producerEpoch: 1, baseSequence: 10 };
  assert.deepEqual(buildRecordBatchSync(opts), await buildRecordBatch(opts));
});

test('rejects inputs that cannot be encoded', async () => {
  await assert.rejects(buildRecordBatch({ records: [] }), RangeError);
  await assert.rejects(buildRecordBatch({ records: [{ value: 'a', timestamp: 1.5 }] }), RangeError);
  await assert.rejects(buildRecordBatch({ records: [{ value: 'a', timestamp: Number.NaN }] }), RangeError);
  await assert.rejects(
    buildRecordBatch({ records: [{ value: 'a', offsetDelta: 2 }, { value: 'b', offsetDelta: 2 }] }),
    RangeError,
  );
  await assert.rejects(buildRecordBatch({ records: [{ value: 'a', offsetDelta: -1 }] }), RangeError);
});
