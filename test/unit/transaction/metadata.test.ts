import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { TransactionMetadata } from '../../../src/cluster/transaction/transaction-metadata.js';
import { TransactionState as S, VALID_PREVIOUS_STATES, canTransition, isEpochExhausted, transactionStateFromName } from '../../../src/cluster/transaction/transaction-state.js';

const tp = (topic: string, partition: number) => ({ topic, partition });

function at(state: S, epoch = 3): TransactionMetadata {
  return new TransactionMetadata('t', {
    producerId: 10,
    previousProducerId: -1,
    nextProducerId: -1,
    producerEpoch: epoch,
    lastProducerEpoch: -1,
    txnTimeoutMs: 1000,
    state,
    topicPartitions: state === S.Ongoing || state === S.PrepareCommit || state === S.PrepareAbort ? [tp('a', 0)] : [],
    txnStartTimestampMs: state === S.Empty ? -1 : 50,
    txnLastUpdateTimestampMs: 60,
    clientTransactionVersion: 0,
  });
}

test("Kafka's ids, names and valid previous states", () => {
  assert.deepEqual([S.Empty, S.Ongoing, S.PrepareCommit, S.PrepareAbort, S.CompleteCommit, S.CompleteAbort, S.Dead, S.PrepareEpochFence], [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.equal(transactionStateFromName('PrepareEpochFence'), S.PrepareEpochFence);
  assert.equal(transactionStateFromName('Nope'), undefined);
  assert.deepEqual(VALID_PREVIOUS_STATES[S.PrepareAbort], [S.Ongoing, S.PrepareEpochFence]);
  assert.ok(canTransition(S.CompleteAbort, S.Ongoing));
  assert.ok(!canTransition(S.Empty, S.PrepareCommit));
  assert.ok(!canTransition(S.PrepareCommit, S.CompleteAbort));
  assert.ok(!canTransition(S.Ongoing, S.Dead));
  assert.ok(isEpochExhausted(32766) && !isEpochExhausted(32765));
});

test('a transition is applied only by completeTransition; abandoning it leaves the state as it was', () => {
  const m = at(S.Empty);
  const t = m.prepareAddPartitions([tp('b', 1)], 100);
  assert.equal(m.state, S.Empty);
  assert.equal(m.pendingState, S.Ongoing);
  assert.equal(m.topicPartitions.size, 0);
  m.abandonTransition(t);
  assert.equal(m.hasPendingTransition, false);
  const t2 = m.prepareAddPartitions([tp('b', 1)], 200);
  m.completeTransition(t2);
  assert.equal(m.state, S.Ongoing);
  assert.equal(m.txnStartTimestampMs, 200);
  assert.deepEqual(m.partitionList(), [tp('b', 1)]);
  assert.throws(() => m.completeTransition(t), /not the pending one/);
});

test('at most one transition in flight', () => {
  const m = at(S.Ongoing);
  m.prepareAbortOrCommit(S.PrepareCommit, 100);
  assert.throws(() => m.prepareAddPartitions([tp('c', 0)], 100), /pending/);
});

test('invalid transitions throw', () => {
  assert.throws(() => at(S.Empty).prepareAbortOrCommit(S.PrepareCommit, 1), /not a valid transition/);
  assert.throws(() => at(S.PrepareCommit).prepareAddPartitions([tp('a', 1)], 1), /not a valid transition/);
  assert.throws(() => at(S.Ongoing).prepareDead(), /not a valid transition/);
  assert.throws(() => at(S.Ongoing).prepareProducerIdRotation(11, 1000, 1, false), /while a transaction/);
  assert.throws(() => at(S.Empty, 32766).prepareIncrementProducerEpoch(1000, undefined, 1), /no epoch left/);
});

test('adding partitions keeps the start time of an open transaction; a new one starts the clock', () => {
  const m = at(S.Ongoing);
  const t = m.prepareAddPartitions([tp('a', 0), tp('z', 9)], 500);
  assert.equal(t.txnStartTimestampMs, 50);
  m.completeTransition(t);
  assert.deepEqual(m.partitionList(), [tp('a', 0), tp('z', 9)]);
  const c = at(S.CompleteCommit);
  assert.equal(c.prepareAddPartitions([tp('a', 0)], 700).txnStartTimestampMs, 700);
});

test('commit path: Ongoing → PrepareCommit → CompleteCommit clears the partitions, epoch unchanged (v1)', () => {
  const m = at(S.Ongoing);
  const p = m.prepareAbortOrCommit(S.PrepareCommit, 100);
  assert.deepEqual(m.recordFor(p).value!.topicPartitions, [tp('a', 0)]);
  m.completeTransition(p);
  const c = m.prepareComplete(200);
  assert.equal(c.state, S.CompleteCommit);
  m.completeTransition(c);
  assert.equal(m.state, S.CompleteCommit);
  assert.equal(m.topicPartitions.size, 0);
  assert.equal(m.producerEpoch, 3);
});

test('a fence is a PrepareAbort with the next epoch; it is applied only once written', () => {
  const m = at(S.Ongoing, 7);
  const f = m.prepareFenceAndAbort(100);
  assert.equal(f.state, S.PrepareAbort);
  assert.equal(f.producerEpoch, 8);
  assert.equal(m.producerEpoch, 7);
  m.completeTransition(f);
  assert.equal(m.producerEpoch, 8);
  assert.equal(m.lastProducerEpoch, -1);
  assert.throws(() => at(S.Ongoing, 32767).prepareFenceAndAbort(1), /overflow/);
});

test('InitProducerId epoch bumps with KIP-360 expected epochs', () => {
  const m = at(S.CompleteAbort, 3);
  const t = m.prepareIncrementProducerEpoch(2000, 3, 100);
  assert.equal(t.producerEpoch, 4);
  assert.equal(t.lastProducerEpoch, 3);
  m.completeTransition(t);
  assert.equal(m.txnTimeoutMs, 2000);
  // The producer never got epoch 4 and retries with 3: it gets 4 again.
  const retry = m.prepareIncrementProducerEpoch(2000, 3, 101);
  assert.equal(retry.producerEpoch, 4);
  m.abandonTransition(retry);
  try {
    m.prepareIncrementProducerEpoch(2000, 1, 102);
    assert.fail('expected PRODUCER_FENCED');
  } catch (err) {
    assert.ok(err instanceof KafkaError && err.code === ErrorCode.PRODUCER_FENCED);
  }
});

test('rotation: a new producer id at epoch 0, the old one remembered', () => {
  const m = at(S.CompleteCommit, 32766);
  const t = m.prepareProducerIdRotation(11, 1000, 100, true);
  m.completeTransition(t);
  assert.equal(m.producerId, 11);
  assert.equal(m.producerEpoch, 0);
  assert.equal(m.previousProducerId, 10);
  assert.equal(m.lastProducerEpoch, 32766);
});

test('expiry writes a tombstone and is never applied', () => {
  const m = at(S.CompleteCommit);
  const d = m.prepareDead();
  assert.deepEqual(m.recordFor(d), { transactionalId: 't', value: null });
  assert.throws(() => m.completeTransition(d), /never applied/);
});
