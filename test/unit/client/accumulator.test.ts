import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Accumulator } from '../../../src/client/producer/accumulator.js';
import { SendOp } from '../../../src/client/producer/batch.js';
import { resolveProducerOptions } from '../../../src/client/producer/options.js';
import { RECORD_BATCH_OVERHEAD } from '../../../src/protocol/records/batch-header.js';

const REC = 1065; // estimated size of a 1 KiB record

function fill(acc: Accumulator, n: number, op = new SendOp(n)): { op: SendOp; full: number } {
  let full = 0;
  for (let i = 0; i < n; i++) {
    const r = acc.append('t', 0, { value: Buffer.alloc(1) }, REC, op, i, 0);
    if (r.batchFull || r.closedPrevious) full++;
  }
  return { op, full };
}

test('accumulator: with batchMaxSize = batchSize, batches close at batchSize (the Java client)', () => {
  const acc = new Accumulator(16_384, 16_384, 120_000);
  fill(acc, 100);
  const sizes = acc.queue('t', 0).batches.map((b) => b.records.length);
  assert.deepEqual(sizes.slice(0, -1), Array(sizes.length - 1).fill(15));
  assert.equal(sizes.reduce((a, b) => a + b, 0), 100);
});

test('accumulator: a ready batch keeps growing up to batchMaxSize while it waits to be sent', () => {
  const acc = new Accumulator(16_384, 65_536, 120_000);
  const { full } = fill(acc, 200);
  const batches = acc.queue('t', 0).batches;
  // Each batch: ready once past batchSize, closed at the record that would pass batchMaxSize.
  const perBatch = Math.floor((65_536 - RECORD_BATCH_OVERHEAD) / REC);
  assert.deepEqual(batches.map((b) => b.records.length).slice(0, -1), Array(batches.length - 1).fill(perBatch));
  assert.ok(batches.every((b) => b.sizeBytes <= 65_536));
  assert.ok(batches.slice(0, -1).every((b) => b.ready && b.closed));
  // The partitioner hears of each batch once (sticky partitioning moves on at batchSize).
  assert.equal(full, batches.length);
});

test('accumulator: a batch taken by the sender stops growing; the next record opens a new one', () => {
  const acc = new Accumulator(16_384, 262_144, 120_000);
  const q = acc.queue('t', 0);
  fill(acc, 20);
  assert.equal(q.batches.length, 1);
  const sent = acc.takeHead(q);
  fill(acc, 3);
  assert.equal(sent.records.length, 20);
  assert.equal(q.batches.length, 1);
  assert.equal(q.batches[0]!.records.length, 3);
  assert.ok(!q.batches[0]!.ready, 'a new batch lingers until batchSize');
});

test('accumulator: a refused batch splits into halves in its place, records and memory exactly shared', () => {
  const acc = new Accumulator(16_384, 262_144, 120_000);
  const q = acc.queue('t', 0);
  const { op } = fill(acc, 101);
  const first = acc.takeHead(q);
  fill(acc, 4, new SendOp(4)); // a later batch, queued behind
  const later = q.batches[0]!;
  const pendingBefore = acc.pendingBatches;
  const [a, b] = acc.requeueSplit(first);
  assert.deepEqual(q.batches, [a, b, later], 'halves go back before later batches, in order');
  assert.equal(acc.pendingBatches, pendingBefore + 1);
  assert.equal(a.records.length + b.records.length, 101);
  assert.equal(a.records.length, 50);
  assert.deepEqual([...a.opIndexes, ...b.opIndexes], first.opIndexes);
  assert.equal(a.memoryBytes + b.memoryBytes, first.memoryBytes);
  assert.ok(a.seq < b.seq && b.seq < later.seq);
  // Split again (both halves): every piece keeps the order.
  const a1 = acc.takeHead(q);
  const [aa, ab] = acc.requeueSplit(a1);
  assert.deepEqual(q.batches, [aa, ab, b, later]);
  assert.ok(aa.seq < ab.seq && ab.seq < b.seq);
  // Completing the pieces resolves the op with consecutive offsets per piece.
  let base = 0;
  for (const piece of [aa, ab, b]) {
    acc.takeHead(q);
    piece.complete(base, -1);
    acc.finishInFlight(piece);
    base += piece.records.length;
  }
  return op.promise.then((md) => assert.deepEqual(md.map((m) => m.offset), Array.from({ length: 101 }, (_, i) => i)));
});

test('producer options: batchMaxSize defaults to 256 KiB within maxRequestSize, and is at least batchSize', () => {
  assert.equal(resolveProducerOptions({ bootstrapServers: 'a:1' }).batchMaxSize, 262_144);
  assert.equal(resolveProducerOptions({ bootstrapServers: 'a:1', maxRequestSize: 100_000 }).batchMaxSize, 100_000);
  assert.equal(resolveProducerOptions({ bootstrapServers: 'a:1', batchSize: 500_000 }).batchMaxSize, 500_000);
  assert.throws(() => resolveProducerOptions({ bootstrapServers: 'a:1', batchSize: 1000, batchMaxSize: 999 }), /batchMaxSize/);
});
