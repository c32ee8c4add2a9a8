import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode as E } from '../../../src/protocol/errors.js';
import { TransactionState as S } from '../../../src/cluster/transaction/transaction-state.js';
import { bench, errorOf, flush } from './harness.js';

const tp = (topic: string, partition: number) => ({ topic, partition });

test('a new coordinator finishes a PrepareCommit by resending its markers', async () => {
  const b = bench();
  const old = b.coordinator;
  const { producerId, producerEpoch } = await old.initProducerId('tx', 10_000);
  await old.addPartitions('tx', producerId, producerEpoch, [tp('a', 0), tp('b', 3)]);
  // The first marker send is lost; the coordinator dies before its retry.
  b.markers.script.push('reject');
  await old.endTransaction('tx', producerId, producerEpoch, true);
  await flush();
  assert.equal(b.markers.sent.length, 1);

  const fresh = b.failover();
  await flush();
  assert.equal(b.markers.sent.length, 2);
  const resent = b.markers.sent[1]!.request;
  assert.deepEqual(resent, { transactionalId: 'tx', producerId, producerEpoch, result: 'commit', coordinatorEpoch: 1, partitions: [tp('a', 0), tp('b', 3)] });
  const m = fresh.state.get('tx')!.metadata;
  assert.equal(m.state, S.CompleteCommit);
  assert.equal(b.log.appended.at(-1)!.record.value!.state, S.CompleteCommit);
  assert.equal(b.log.appended.at(-1)!.coordinatorEpoch, 1);
  // The old coordinator's retry timer does nothing: it is closed and unloaded.
  await b.time.advance(1000);
  assert.equal(b.markers.sent.length, 2);
  // The producer carries on with the new coordinator.
  await fresh.addPartitions('tx', producerId, producerEpoch, [tp('a', 0)]);
  assert.equal(fresh.state.get('tx')!.metadata.state, S.Ongoing);
});

test('a reloaded coordinator serves exactly the latest record per id (tombstones delete), without lastProducerEpoch', async () => {
  const b = bench();
  const c = b.coordinator;
  const a = await c.initProducerId('a', 10_000);
  await c.initProducerId('a', 10_000, a); // epoch 1, last 0
  const z = await c.initProducerId('z', 10_000);
  await c.addPartitions('z', z.producerId, z.producerEpoch, [tp('t', 0)]);
  const fresh = b.failover();
  const ma = fresh.state.get('a')!.metadata;
  assert.equal(ma.producerEpoch, 1);
  assert.equal(ma.lastProducerEpoch, -1, 'not persisted, as in Kafka');
  assert.equal(fresh.state.get('z')!.metadata.state, S.Ongoing);
  // A retry of the bump with the old epoch is now fenced (lastProducerEpoch was lost), exactly as Kafka after a fail-over.
  assert.equal(await errorOf(fresh.initProducerId('a', 10_000, a)), E.PRODUCER_FENCED);
});

test('an old coordinator cannot write after the partition moved: its appends are refused', async () => {
  const b = bench();
  const old = b.coordinator;
  const { producerId, producerEpoch } = await old.initProducerId('tx', 10_000);
  const p = old.partitionFor('tx');
  // The partition's leadership moved, but the old coordinator has not heard yet.
  b.log.leaderEpoch.set(p, 5);
  assert.equal(await errorOf(old.addPartitions('tx', producerId, producerEpoch, [tp('a', 0)])), E.NOT_COORDINATOR);
  assert.equal(old.state.get('tx')!.metadata.state, S.Empty);
});

test('a timed-out transaction is aborted by the coordinator that loads it', async () => {
  const b = bench();
  const { producerId, producerEpoch } = await b.coordinator.initProducerId('tx', 2000);
  await b.coordinator.addPartitions('tx', producerId, producerEpoch, [tp('a', 0)]);
  const fresh = b.failover();
  await b.time.advance(3000);
  const m = fresh.state.get('tx')!.metadata;
  assert.equal(m.state, S.CompleteAbort);
  assert.equal(m.producerEpoch, producerEpoch + 1);
});

test('loading refuses states Kafka never writes, and records of another partition', () => {
  const b = bench();
  const c = b.coordinator;
  const p = c.partitionFor('tx');
  c.beginLoad(p, 3);
  const value = { producerId: 1, previousProducerId: -1, nextProducerId: -1, producerEpoch: 0, txnTimeoutMs: 1000, state: S.Dead, topicPartitions: [], txnLastUpdateTimestampMs: 0, txnStartTimestampMs: -1, clientTransactionVersion: 0 };
  assert.throws(() => c.replay(p, { transactionalId: 'tx', value }), /Dead record/);
  assert.throws(() => c.replay(p, { transactionalId: 'tx', value: { ...value, state: S.PrepareEpochFence } }), /PrepareEpochFence record/);
  let other = 'a';
  while (c.partitionFor(other) === p) other += 'a';
  assert.throws(() => c.replay(p, { transactionalId: other, value: { ...value, state: S.Empty } }), /does not belong/);
  assert.throws(() => c.beginLoad(p, 2), /older/);
});
