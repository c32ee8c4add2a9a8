import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Chunk, ChunkFailure } from '../../../../src/client/consumer/chunk.js';
import { Assignment, type PartitionState } from '../../../../src/client/consumer/partition-state.js';
import { bufferDeserializer, stringDeserializer, type Deserializer } from '../../../../src/client/serializers.js';
import type { AbortedTransaction } from '../../../../src/protocol/messages/fetch.js';
import { CompressionType } from '../../../../src/protocol/compression/types.js';
import { buildLegacyMessageSet, buildRecordBatchSync, ControlRecordType, encodeControlKey, encodeEndTxnMarker, iterateBatchHeaders, type RecordInput } from '../../../../src/protocol/records/index.js';
import { ErrorCode, KafkaError } from '../../../../src/protocol/errors.js';

/**
 * Chunks decode batches lazily into ConsumerRecords: fetch-offset skipping, control and aborted
 * batches, compressed and legacy entries, and how corruption and deserializer errors end a chunk
 * after the records before them.
 */

function partition(offset: number): PartitionState {
  const [s] = new Assignment().add([{ topic: 't', partition: 3 }]);
  s!.moveTo(offset);
  return s!;
}

const buffers = { key: bufferDeserializer, value: bufferDeserializer };

function chunkOf<K = Buffer | null, V = Buffer | null>(
  s: PartitionState,
  fetchOffset: number,
  buf: Buffer,
  opts: { aborted?: AbortedTransaction[] | null; key?: Deserializer<K>; value?: Deserializer<V>; verifyCrc?: boolean } = {},
): Chunk<K, V> {
  const infos = Array.from(iterateBatchHeaders(buf));
  const next = infos[infos.length - 1]!.lastOffset + 1;
  const deserializers = { key: opts.key ?? buffers.key, value: opts.value ?? buffers.value } as { key: Deserializer<K>; value: Deserializer<V> };
  return new Chunk<K, V>(s, s.epoch, fetchOffset, buf, infos, next, 100, { verifyCrc: opts.verifyCrc ?? true, aborted: opts.aborted ?? null, deserializers });
}

function batch(baseOffset: number, values: string[], extra: { producerId?: number; transactional?: boolean; compression?: CompressionType; timestamp?: number } = {}): Buffer {
  const records: RecordInput[] = values.map((v, i) => ({ key: `k${i}`, value: v, headers: i === 0 ? [{ key: 'h', value: 'x' }] : [], timestamp: (extra.timestamp ?? 1000) + i }));
  return buildRecordBatchSync({ baseOffset, records, producerId: extra.producerId ?? -1, producerEpoch: 0, baseSequence: 0, transactional: extra.transactional ?? false, compression: extra.compression ?? CompressionType.None });
}

function marker(offset: number, producerId: number, commit: boolean): Buffer {
  const key = encodeControlKey(commit ? ControlRecordType.Commit : ControlRecordType.Abort);
  return buildRecordBatchSync({ baseOffset: offset, producerId, producerEpoch: 0, transactional: true, control: true, records: [{ key, value: encodeEndTxnMarker(0) }] });
}

const all = <K, V>(c: Chunk<K, V>): Array<{ offset: number; value: V }> => {
  const out: Array<{ offset: number; value: V }> = [];
  for (let r = c.next(); r; r = c.next()) out.push({ offset: r.offset, value: r.value });
  return out;
};

test('chunk: records are fully decoded — topic, partition, offset, timestamp, key, value, headers', () => {
  const s = partition(0);
  const c = chunkOf(s, 0, Buffer.concat([batch(0, ['a', 'b']), batch(2, ['c'], { timestamp: 5000 })]));
  const r = c.next()!;
  assert.deepEqual(
    { topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, timestampType: r.timestampType, key: r.key?.toString(), value: r.value?.toString() },
    { topic: 't', partition: 3, offset: 0, timestamp: 1000, timestampType: 'create', key: 'k0', value: 'a' },
  );
  assert.deepEqual(r.headers.map((h) => [h.key, h.value?.toString()]), [['h', 'x']]);
  const r2 = c.next()!;
  assert.deepEqual([r2.offset, r2.timestamp, r2.headers], [1, 1001, []]);
  assert.ok(!c.done);
  const r3 = c.next()!;
  assert.deepEqual([r3.offset, r3.timestamp, r3.value?.toString()], [2, 5000, 'c']);
  assert.equal(c.next(), null);
  assert.ok(c.done);
});

test('chunk: skips records before the fetch offset (also in rest()); invalid after a seek or revocation', () => {
  const s = partition(12);
  const buf = batch(10, ['a', 'b', 'c', 'd']);
  const c = chunkOf(s, 12, buf);
  assert.deepEqual(all(c).map((r) => r.offset), [12, 13]);
  assert.ok(c.valid);
  assert.deepEqual(chunkOf(s, 13, buf).rest().map((r) => r.offset), [13]);
  s.moveTo(0);
  assert.ok(!c.valid, 'a seek invalidates fetched data');
  const assignment = new Assignment();
  const [s2] = assignment.add([{ topic: 't', partition: 0 }]);
  s2!.moveTo(0);
  const c2 = chunkOf(s2!, 0, buf);
  assignment.remove([{ topic: 't', partition: 0 }]);
  assert.ok(!c2.valid, 'revocation invalidates fetched data');
});

test('chunk: records below the fetch offset are not deserialized (a poison record there cannot block the partition)', () => {
  const s = partition(2);
  const value: Deserializer<string | null> = {
    deserialize: (d) => {
      if (d?.toString() === 'poison') throw new Error('bad value');
      return stringDeserializer.deserialize(d, 't');
    },
  };
  const c = chunkOf(s, 2, batch(0, ['x', 'poison', 'ok', 'fine']), { value });
  assert.deepEqual(c.rest().map((r) => r.value), ['ok', 'fine']);
});

test('read_committed: aborted transactions and control batches are dropped; read_uncommitted drops only control batches', () => {
  const buf = Buffer.concat([
    batch(0, ['p1-a', 'p1-b'], { producerId: 1, transactional: true }), // aborted
    batch(2, ['p2-a'], { producerId: 2, transactional: true }), // committed
    marker(3, 1, false),
    marker(4, 2, true),
    batch(5, ['p1-c'], { producerId: 1, transactional: true }), // a new transaction of producer 1, committed
    marker(6, 1, true),
  ]);
  const values = (c: Chunk): string[] => c.rest().map((r) => r.value!.toString());
  assert.deepEqual(values(chunkOf(partition(0), 0, buf, { aborted: [{ producerId: 1, firstOffset: 0 }] })), ['p2-a', 'p1-c']);
  assert.deepEqual(values(chunkOf(partition(0), 0, buf)), ['p1-a', 'p1-b', 'p2-a', 'p1-c']);
  // Fetched from offset 5: the abort marker at 3 is below the fetch offset but still ends producer 1's aborted transaction.
  assert.deepEqual(values(chunkOf(partition(5), 5, buf, { aborted: [{ producerId: 1, firstOffset: 0 }] })), ['p1-c']);
});

test('chunk: compressed batches are decompressed before reading, legacy message sets are read too', async () => {
  const s = partition(0);
  const c = chunkOf(s, 0, Buffer.concat([batch(0, ['a', 'b'], { compression: CompressionType.Gzip }), batch(2, ['c'], { compression: CompressionType.Zstd })]));
  assert.ok(c.ready, 'compressed entries are decompressed on the thread pool');
  await c.ready;
  assert.deepEqual(all(c).map((r) => `${r.offset}:${r.value?.toString()}`), ['0:a', '1:b', '2:c']);
  const legacy = await buildLegacyMessageSet({ magic: 1, baseOffset: 7, compression: CompressionType.Gzip, records: [{ value: 'x', timestamp: 5 }, { value: 'y', timestamp: 6 }] });
  const lc = chunkOf(partition(8), 8, legacy);
  await lc.ready;
  assert.deepEqual(lc.rest().map((r) => `${r.offset}:${r.value?.toString()}:${r.timestamp}`), ['8:y:6']);
});

test('chunk: a corrupt batch ends the chunk after the records before it; the failure names its offset', () => {
  const first = batch(0, ['a', 'b']);
  const second = batch(2, ['c', 'd']);
  second[second.lastIndexOf('c')] = 0x43; // 'c' → 'C': breaks the CRC, not the structure
  const c = chunkOf(partition(0), 0, Buffer.concat([first, second, batch(4, ['e'])]));
  assert.deepEqual([c.next()?.offset, c.next()?.offset], [0, 1]);
  assert.throws(
    () => c.next(),
    (f: unknown) => f instanceof ChunkFailure && f.corrupt && f.offset === 2 && f.error instanceof KafkaError && f.error.code === ErrorCode.CORRUPT_MESSAGE && /CRC mismatch/.test(f.error.message),
  );
  assert.equal(c.next(), null, 'nothing after the failure');
  // rest(): the good records first, the failure on the next call.
  const c2 = chunkOf(partition(0), 0, Buffer.concat([first, second]));
  assert.deepEqual(c2.rest().map((r) => r.offset), [0, 1]);
  assert.ok(!c2.done);
  assert.throws(() => c2.rest(), (f: unknown) => f instanceof ChunkFailure && f.offset === 2);
  // Without CRC checks the bytes are read as they are.
  assert.deepEqual(chunkOf(partition(0), 0, Buffer.concat([first, second]), { verifyCrc: false }).rest().map((r) => r.value?.toString()), ['a', 'b', 'C', 'd']);
});

test('chunk: a throwing deserializer fails at its record, after the records before it', () => {
  const value: Deserializer<string | null> = {
    deserialize: (d) => {
      if (d?.toString() === 'poison') throw new Error('bad value');
      return stringDeserializer.deserialize(d, 't');
    },
  };
  const c = chunkOf(partition(0), 0, Buffer.concat([batch(0, ['a', 'poison', 'b']), batch(3, ['c'])]), { value });
  assert.equal(c.next()?.value, 'a');
  assert.throws(() => c.next(), (f: unknown) => f instanceof ChunkFailure && !f.corrupt && f.offset === 1 && f.error.message === 'bad value');
});
