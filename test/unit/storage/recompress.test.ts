import assert from 'node:assert/strict';
import { test } from 'node:test';
import { topicCodec } from '../../../src/cluster/recompress.js';
import { prepareBatches } from '../../../src/storage/deferred-validation.js';
import { ByteBudget } from '../../../src/storage/byte-budget.js';
import { validateBatches, type AppendOrigin } from '../../../src/storage/log-validator.js';
import { CompressionType } from '../../../src/protocol/compression/types.js';
import { buildRecordBatch, decodeRecordBatches, iterateBatchHeaders } from '../../../src/protocol/records/index.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';

/** What the log does on append to a topic whose compression.type is `target`: validate, then prepare. */
async function recompressBatches(batches: Buffer, target: CompressionType, maxMessageBytes: number, origin: AppendOrigin = 'client'): Promise<Buffer> {
  const validate = { maxMessageBytes, origin };
  return prepareBatches(batches, validateBatches(batches, validate), { validate, recompressTo: target, budget: new ByteBudget(64 << 20) });
}

const records = Array.from({ length: 50 }, (_, i) => ({
  key: i % 7 === 0 ? null : `key-${i}`,
  value: i % 11 === 0 ? null : `value ${i} `.repeat(10),
  headers: [
    { key: 'a', value: `h${i}` },
    { key: 'a', value: null },
  ],
  timestamp: 1_700_000_000_000 + ((i * 37) % 13) * 1000, // not monotonic
}));

test('topicCodec maps compression.type names', () => {
  assert.equal(topicCodec('producer'), null);
  assert.equal(topicCodec('uncompressed'), CompressionType.None);
  assert.equal(topicCodec('gzip'), CompressionType.Gzip);
  assert.equal(topicCodec('snappy'), CompressionType.Snappy);
  assert.equal(topicCodec('lz4'), CompressionType.Lz4);
  assert.equal(topicCodec('zstd'), CompressionType.Zstd);
});

test('a batch in another codec is rebuilt with the topic codec, keeping records and producer fields', async () => {
  for (const [from, to] of [
    [CompressionType.Gzip, CompressionType.Zstd],
    [CompressionType.None, CompressionType.Lz4],
    [CompressionType.Snappy, CompressionType.None],
    [CompressionType.Zstd, CompressionType.Gzip],
  ] as const) {
    const original = await buildRecordBatch({
      records,
      compression: from,
      producerId: 4242,
      producerEpoch: 3,
      baseSequence: 17,
      transactional: true,
      partitionLeaderEpoch: 5,
    });
    const out = await recompressBatches(original, to, 1 << 20);
    const [info] = Array.from(iterateBatchHeaders(out));
    const [before] = Array.from(iterateBatchHeaders(original));
    assert.equal(info!.compression, to);
    for (const f of ['producerId', 'producerEpoch', 'baseSequence', 'isTransactional', 'partitionLeaderEpoch', 'lastOffsetDelta', 'recordsCount', 'maxTimestamp', 'baseTimestamp', 'timestampType'] as const) {
      assert.equal(info![f], before![f], `${f} kept (${from} -> ${to})`);
    }
    const [a] = await decodeRecordBatches(original);
    const [b] = await decodeRecordBatches(out); // also checks the CRC
    assert.deepEqual(
      b!.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null, r.headers.map((h) => [h.key, h.value?.toString() ?? null])]),
      a!.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null, r.headers.map((h) => [h.key, h.value?.toString() ?? null])]),
    );
  }
});

test('fast path: a batch already in the topic codec is returned as the same buffer', async () => {
  const batch = await buildRecordBatch({ records, compression: CompressionType.Zstd });
  assert.equal(await recompressBatches(batch, CompressionType.Zstd, 1 << 20), batch);
  const plain = await buildRecordBatch({ records });
  assert.equal(await recompressBatches(plain, CompressionType.None, 1 << 20), plain);
});

test('several batches: only those in another codec are rebuilt; control batches are left alone', async () => {
  const a = await buildRecordBatch({ records: records.slice(0, 10), compression: CompressionType.Gzip, baseOffset: 0 });
  const b = await buildRecordBatch({ records: records.slice(10, 20), compression: CompressionType.Zstd, baseOffset: 10 });
  const c = await buildRecordBatch({ records: [{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0]) }], control: true, transactional: true, producerId: 1, baseOffset: 20 });
  const out = await recompressBatches(Buffer.concat([a, b, c]), CompressionType.Zstd, 1 << 20, 'coordinator');
  const infos = Array.from(iterateBatchHeaders(out));
  assert.deepEqual(infos.map((i) => i.compression), [CompressionType.Zstd, CompressionType.Zstd, CompressionType.None]);
  assert.deepEqual(out.subarray(infos[1]!.position, infos[1]!.position + infos[1]!.size), b);
  assert.deepEqual(out.subarray(infos[2]!.position), c);
  assert.equal((await decodeRecordBatches(out)).flatMap((x) => x.records).length, 21);
});

test('a corrupt batch is refused before anything is rebuilt; one too large is MESSAGE_TOO_LARGE', async () => {
  const batch = await buildRecordBatch({ records, compression: CompressionType.Gzip });
  const code = (err: unknown): number => (err instanceof KafkaError ? err.code : -1);
  await assert.rejects(recompressBatches(batch.subarray(0, batch.length - 3), CompressionType.Zstd, 1 << 20), (e) => code(e) === ErrorCode.CORRUPT_MESSAGE);
  await assert.rejects(recompressBatches(batch, CompressionType.Zstd, batch.length - 1), (e) => code(e) === ErrorCode.MESSAGE_TOO_LARGE);
  const corrupt = Buffer.from(batch);
  corrupt[corrupt.length - 5]! ^= 0xff;
  await assert.rejects(recompressBatches(corrupt, CompressionType.Zstd, 1 << 20), (e) => code(e) === ErrorCode.CORRUPT_MESSAGE);
});
