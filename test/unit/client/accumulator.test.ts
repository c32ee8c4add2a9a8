import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Accumulator } from '../../../src/client/producer/accumulator.js';
import { SendOp } from '../../../src/client/producer/batch.js';
import { resolveProducerOptions } from '../../../src/client/producer/options.js';
import { CompressionType } from '../../../src/protocol/compression/types.js';
import { decodeRecordBatchesSync } from '../../../src/protocol/records/decode-batches.js';

const VALUE = Buffer.alloc(1000, 0x61);
const REC = 1041; // estimated size of a 1000-byte record (record-size.ts)

function fill(acc: Accumulator, n: number, op = new SendOp(n)): { op: SendOp; full: number } {
  let full = 0;
  for (let i = 0; i < n; i++) {
    const r = acc.append('t', 0, null, VALUE, undefined, 1_700_000_000_000 + i, REC, op, i, 0);
    if (r.batchFull || r.closedPrevious) full++;
  }
  return { op, full };
}

test('accumulator: with batchMaxSize = batchSize, batches close at batchSize (the Java client)', () => {
  const acc = new Accumulator(16_384, 16_384, 120_000);
  fill(acc, 100);
  const batches = acc.queue('t', 0).batches;
  const sizes = batches.map((b) => b.count);
  assert.ok(sizes[0]! > 1);
  assert.deepEqual(sizes.slice(0, -1), Array(sizes.length - 1).fill(sizes[0]));
  assert.equal(sizes.reduce((a, b) => a + b, 0), 100);
  // Closed when the next record's estimate would not fit.
  for (const b of batches.slice(0, -1)) assert.ok(b.sizeBytes <= 16_384 && b.sizeBytes + REC > 16_384, `batch of ${b.sizeBytes} B`);
});

test('accumulator: a ready batch keeps growing up to batchMaxSize while it waits to be sent', () => {
  const acc = new Accumulator(16_384, 65_536, 120_000);
  const { full } = fill(acc, 200);
  const batches = acc.queue('t', 0).batches;
  // Each batch: ready once past batchSize, closed at the record that would pass batchMaxSize.
  assert.ok(batches.length >= 2);
  for (const b of batches.slice(0, -1)) assert.ok(b.sizeBytes <= 65_536 && b.sizeBytes + REC > 65_536, `batch of ${b.sizeBytes} B`);
  assert.ok(batches[0]!.count > 16_384 / REC + 1, 'grew well past batchSize');
  assert.ok(batches.slice(0, -1).every((b) => b.ready && b.closed));
  // The partitioner hears of each batch once (sticky partitioning moves on at batchSize).
  assert.equal(full, batches.filter((b) => b.ready).length);
});

test('accumulator: a batch taken by the sender stops growing; the next record opens a new one', () => {
  const acc = new Accumulator(16_384, 262_144, 120_000);
  const q = acc.queue('t', 0);
  fill(acc, 20);
  assert.equal(q.batches.length, 1);
  const sent = acc.takeHead(q);
  fill(acc, 3);
  assert.equal(sent.count, 20);
  assert.equal(q.batches.length, 1);
  assert.equal(q.batches[0]!.count, 3);
  assert.ok(!q.batches[0]!.ready, 'a new batch lingers until batchSize');
});

test('accumulator: a refused batch splits into halves in its place, records and memory exactly shared', async () => {
  const acc = new Accumulator(16_384, 262_144, 120_000);
  const q = acc.queue('t', 0);
  const { op } = fill(acc, 101);
  const first = acc.takeHead(q);
  await first.seal(CompressionType.None, { producerId: -1, producerEpoch: -1 });
  fill(acc, 4, new SendOp(4)); // a later batch, queued behind
  const later = q.batches[0]!;
  const pendingBefore = acc.pendingBatches;
  const [a, b] = acc.requeueSplit(first);
  assert.deepEqual(q.batches, [a, b, later], 'halves go back before later batches, in order');
  assert.equal(acc.pendingBatches, pendingBefore + 1);
  assert.equal(a.count + b.count, 101);
  assert.equal(a.count, 50);
  assert.deepEqual([...a.opIndexes, ...b.opIndexes], first.opIndexes);
  assert.equal(a.memoryBytes + b.memoryBytes, first.memoryBytes);
  assert.ok(a.seq < b.seq && b.seq < later.seq);
  // Split again (both halves): every piece keeps the order.
  const a1 = acc.takeHead(q);
  await a1.seal(CompressionType.None, { producerId: -1, producerEpoch: -1 });
  const [aa, ab] = acc.requeueSplit(a1);
  assert.deepEqual(q.batches, [aa, ab, b, later]);
  assert.ok(aa.seq < ab.seq && ab.seq < b.seq);
  // Completing the pieces resolves the op with consecutive offsets per piece.
  let base = 0;
  for (const piece of [aa, ab, b]) {
    acc.takeHead(q);
    piece.complete(base, -1);
    acc.finishInFlight(piece);
    base += piece.count;
  }
  const md = await op.promise;
  assert.deepEqual(md.map((m) => m.offset), Array.from({ length: 101 }, (_, i) => i));
  assert.deepEqual(md.map((m) => m.timestamp), Array.from({ length: 101 }, (_, i) => 1_700_000_000_000 + i), 'each record keeps its timestamp');
});

test('producer options: batchMaxSize defaults to 256 KiB within maxRequestSize, and is at least batchSize', () => {
  assert.equal(resolveProducerOptions({ bootstrapServers: 'a:1' }).batchMaxSize, 262_144);
  assert.equal(resolveProducerOptions({ bootstrapServers: 'a:1', maxRequestSize: 100_000 }).batchMaxSize, 100_000);
  assert.equal(resolveProducerOptions({ bootstrapServers: 'a:1', batchSize: 500_000 }).batchMaxSize, 500_000);
  assert.throws(() => resolveProducerOptions({ bootstrapServers: 'a:1', batchSize: 1000, batchMaxSize: 999 }), /batchMaxSize/);
});

test('producer batch: records are encoded as they are added; sealed bytes decode to them, buffer regrown as needed', async () => {
  const acc = new Accumulator(100, 1_000_000, 120_000);
  const op = new SendOp(3);
  const headers = [{ key: 'h', value: Buffer.from('v') }, { key: 'n', value: null }];
  acc.append('t', 0, Buffer.from('k1'), Buffer.alloc(300, 1), headers, 1_700_000_000_005, 400, op, 0, 0);
  acc.append('t', 0, null, null, undefined, 1_700_000_000_001, 100, op, 1, 0);
  acc.append('t', 0, Buffer.from('k3'), Buffer.alloc(5000, 3), undefined, 1_700_000_000_009, 5100, op, 2, 0);
  const q = acc.queue('t', 0);
  assert.equal(q.batches.length, 1);
  const b = acc.takeHead(q);
  for (const type of [CompressionType.None, CompressionType.Gzip]) {
    b.bytes = null;
    const sealed = await b.seal(type, { producerId: -1, producerEpoch: -1 });
    const [batch] = decodeRecordBatchesSync(sealed);
    assert.equal(batch!.records.length, 3);
    assert.deepEqual(batch!.records.map((r) => r.timestamp), [1_700_000_000_005, 1_700_000_000_001, 1_700_000_000_009]);
    assert.deepEqual(batch!.records[0]!.key, Buffer.from('k1'));
    assert.deepEqual(batch!.records[0]!.value, Buffer.alloc(300, 1));
    assert.deepEqual(batch!.records[0]!.headers, [{ key: 'h', value: Buffer.from('v') }, { key: 'n', value: null }]);
    assert.equal(batch!.records[1]!.key, null);
    assert.equal(batch!.records[1]!.value, null);
    assert.deepEqual(batch!.records[2]!.value, Buffer.alloc(5000, 3));
    assert.equal(batch!.maxTimestamp, 1_700_000_000_009);
  }
});
