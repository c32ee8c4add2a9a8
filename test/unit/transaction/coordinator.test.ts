import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode as E } from '../../../src/protocol/errors.js';
import { TransactionState as S } from '../../../src/cluster/transaction/transaction-state.js';
import { errorCodeForVersion } from '../../../src/cluster/transaction/transaction-errors.js';
import { bench, errorOf, flush, TEST_CONFIG, type Bench } from './harness.js';

const tp = (topic: string, partition: number) => ({ topic, partition });

async function initialised(b: Bench, id = 'tx'): Promise<{ producerId: number; producerEpoch: number }> {
  return b.coordinator.initProducerId(id, 10_000);
}

function meta(b: Bench, id = 'tx') {
  return b.coordinator.state.get(id)!.metadata;
}

test('InitProducerId: a new id gets a producer id at epoch 0, written before the answer', async () => {
  const b = bench();
  const r = await initialised(b);
  assert.deepEqual(r, { producerId: 1000, producerEpoch: 0 });
  assert.equal(b.log.appended.length, 1);
  assert.equal(b.log.appended[0]!.record.value!.state, S.Empty);
  // Again (a restarted producer): the next epoch, same id.
  assert.deepEqual(await initialised(b), { producerId: 1000, producerEpoch: 1 });
  // Idempotent producers: a fresh id, nothing stored.
  assert.deepEqual(await b.coordinator.initProducerId(null, 0), { producerId: 1001, producerEpoch: 0 });
  assert.equal(b.log.appended.length, 2);
});

test('InitProducerId errors: empty id, timeouts, fencing, concurrent, write failures', async () => {
  const b = bench();
  assert.equal(await errorOf(b.coordinator.initProducerId('', 1000)), E.INVALID_REQUEST);
  assert.equal(await errorOf(b.coordinator.initProducerId('tx', TEST_CONFIG.transactionMaxTimeoutMs + 1)), E.INVALID_TRANSACTION_TIMEOUT);
  assert.equal(await errorOf(b.coordinator.initProducerId('tx', 0)), E.INVALID_TRANSACTION_TIMEOUT);
  const { producerId } = await initialised(b);
  // KIP-360: another producer id is fenced; a stale epoch of this one too.
  assert.equal(await errorOf(b.coordinator.initProducerId('tx', 1000, { producerId: 5, producerEpoch: 0 })), E.PRODUCER_FENCED);
  await initialised(b); // epoch 1
  await initialised(b); // epoch 2, last -1
  assert.equal(await errorOf(b.coordinator.initProducerId('tx', 1000, { producerId, producerEpoch: 0 })), E.PRODUCER_FENCED);
  assert.deepEqual(await b.coordinator.initProducerId('tx', 1000, { producerId, producerEpoch: 2 }), { producerId, producerEpoch: 3 });
  // One in flight at a time.
  b.log.holdAcks = true;
  const first = b.coordinator.initProducerId('tx', 1000);
  await flush();
  assert.equal(await errorOf(b.coordinator.initProducerId('tx', 1000)), E.CONCURRENT_TRANSACTIONS);
  b.log.releaseAcks();
  assert.equal((await first).producerEpoch, 4);
  b.log.holdAcks = false;
  // Storage errors become coordinator errors, and nothing is applied.
  for (const [storage, client] of [
    [E.NOT_ENOUGH_REPLICAS, E.COORDINATOR_NOT_AVAILABLE],
    [E.REQUEST_TIMED_OUT, E.COORDINATOR_NOT_AVAILABLE],
    [E.NOT_LEADER_OR_FOLLOWER, E.NOT_COORDINATOR],
    [E.KAFKA_STORAGE_ERROR, E.NOT_COORDINATOR],
    [E.MESSAGE_TOO_LARGE, E.UNKNOWN_SERVER_ERROR],
  ] as const) {
    b.log.failures.push({ mode: 'before-append', error: storage });
    assert.equal(await errorOf(initialised(b)), client);
    assert.equal(meta(b).producerEpoch, 4);
    assert.equal(meta(b).hasPendingTransition, false);
  }
  // No producer id available.
  b.producerIds.failNext = 1;
  assert.equal(await errorOf(b.coordinator.initProducerId('other', 1000)), E.COORDINATOR_LOAD_IN_PROGRESS);
});

test('InitProducerId on an Ongoing transaction aborts it with a bumped epoch and answers CONCURRENT_TRANSACTIONS until done', async () => {
  const b = bench();
  const { producerId, producerEpoch } = await initialised(b);
  await b.coordinator.addPartitions('tx', producerId, producerEpoch, [tp('a', 0), tp('b', 1)]);
  assert.equal(await errorOf(initialised(b)), E.CONCURRENT_TRANSACTIONS);
  const prepare = b.log.appended.at(-2)!.record.value!;
  assert.equal(prepare.state, S.PrepareAbort);
  assert.equal(prepare.producerEpoch, producerEpoch + 1);
  await flush();
  assert.equal(b.markers.sent.length, 1);
  assert.deepEqual(b.markers.sent[0]!.request, { transactionalId: 'tx', producerId, producerEpoch: producerEpoch + 1, result: 'abort', coordinatorEpoch: 0, partitions: [tp('a', 0), tp('b', 1)] });
  assert.equal(meta(b).state, S.CompleteAbort);
  // The retry gets the epoch after the fence's.
  assert.deepEqual(await initialised(b), { producerId, producerEpoch: producerEpoch + 2 });
  // The old producer is fenced everywhere.
  assert.equal(await errorOf(b.coordinator.addPartitions('tx', producerId, producerEpoch, [tp('a', 0)])), E.PRODUCER_FENCED);
});

test('epoch exhaustion rotates to a new producer id', async () => {
  const b = bench();
  b.log.stored.set(b.coordinator.partitionFor('tx'), []);
  const { producerId } = await initialised(b);
  const m = meta(b);
  m.producerEpoch = 32765; // as if bumped for years
  assert.deepEqual(await initialised(b), { producerId, producerEpoch: 32766 });
  const rotated = await b.coordinator.initProducerId('tx', 10_000, { producerId, producerEpoch: 32766 });
  assert.deepEqual(rotated, { producerId: 1001, producerEpoch: 0 });
  assert.equal(meta(b).previousProducerId, producerId);
  assert.equal(meta(b).lastProducerEpoch, 32766);
  // A stale producer of an exhausted id is fenced, not an internal error (found by the simulation).
  const m2 = meta(b);
  m2.producerEpoch = 32766;
  assert.equal(await errorOf(b.coordinator.initProducerId('tx', 10_000, { producerId: 1001, producerEpoch: 3 })), E.PRODUCER_FENCED);
  m2.producerEpoch = 0;
  // A retry of that rotation with the old id and its exhausted epoch is not fenced (KIP-360); it gets the same answer.
  assert.deepEqual(await b.coordinator.initProducerId('tx', 10_000, { producerId, producerEpoch: 32766 }), { producerId: 1001, producerEpoch: 0 });
});

test('AddPartitionsToTxn / AddOffsetsToTxn errors and the no-write shortcut', async () => {
  const b = bench();
  assert.equal(await errorOf(b.coordinator.addPartitions('', 1, 0, [tp('a', 0)])), E.INVALID_REQUEST);
  assert.equal(await errorOf(b.coordinator.addPartitions('nobody', 1, 0, [tp('a', 0)])), E.INVALID_PRODUCER_ID_MAPPING);
  const { producerId, producerEpoch } = await initialised(b);
  assert.equal(await errorOf(b.coordinator.addPartitions('tx', producerId + 1, producerEpoch, [tp('a', 0)])), E.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(await errorOf(b.coordinator.addPartitions('tx', producerId, producerEpoch + 1, [tp('a', 0)])), E.PRODUCER_FENCED);
  await b.coordinator.addPartitions('tx', producerId, producerEpoch, [tp('a', 0)]);
  const writes = b.log.appended.length;
  await b.coordinator.addPartitions('tx', producerId, producerEpoch, [tp('a', 0)]);
  assert.equal(b.log.appended.length, writes, 'partitions already in the transaction need no write');
  await b.coordinator.addOffsets('tx', producerId, producerEpoch, 'group-1');
  assert.ok(meta(b).partitionList().some((x) => x.topic === '__consumer_offsets'));
  b.log.holdAcks = true;
  const pending = b.coordinator.addPartitions('tx', producerId, producerEpoch, [tp('c', 0)]);
  await flush();
  assert.equal(await errorOf(b.coordinator.addPartitions('tx', producerId, producerEpoch, [tp('d', 0)])), E.CONCURRENT_TRANSACTIONS);
  b.log.releaseAcks();
  await pending;
  b.log.holdAcks = false;
  // While the transaction completes.
  b.markers.script.push('reject');
  await b.coordinator.endTransaction('tx', producerId, producerEpoch, true);
  assert.equal(await errorOf(b.coordinator.addPartitions('tx', producerId, producerEpoch, [tp('a', 0)])), E.CONCURRENT_TRANSACTIONS);
});

test('EndTxn: state rules, retries of a completed EndTxn answer OK', async () => {
  const b = bench();
  assert.equal(await errorOf(b.coordinator.endTransaction('', 1, 0, true)), E.INVALID_REQUEST);
  assert.equal(await errorOf(b.coordinator.endTransaction('nobody', 1, 0, true)), E.INVALID_PRODUCER_ID_MAPPING);
  const { producerId, producerEpoch } = await initialised(b);
  assert.equal(await errorOf(b.coordinator.endTransaction('tx', producerId, producerEpoch, true)), E.INVALID_TXN_STATE, 'nothing to commit');
  await b.coordinator.addPartitions('tx', producerId, producerEpoch, [tp('a', 0)]);
  assert.equal(await errorOf(b.coordinator.endTransaction('tx', producerId + 1, producerEpoch, true)), E.INVALID_PRODUCER_ID_MAPPING);
  assert.equal(await errorOf(b.coordinator.endTransaction('tx', producerId, producerEpoch - 1, true)), E.PRODUCER_FENCED);
  // Hold the markers: the transaction stays in PrepareCommit.
  b.markers.script.push('reject');
  assert.deepEqual(await b.coordinator.endTransaction('tx', producerId, producerEpoch, true), { producerId, producerEpoch });
  assert.equal(meta(b).state, S.PrepareCommit);
  assert.equal(meta(b).pendingState, S.CompleteCommit);
  assert.equal(await errorOf(b.coordinator.endTransaction('tx', producerId, producerEpoch, true)), E.CONCURRENT_TRANSACTIONS);
  await b.time.advance(TEST_CONFIG.retryBackoffMs);
  assert.equal(meta(b).state, S.CompleteCommit);
  assert.equal(b.markers.sent.length, 2);
  assert.equal(await errorOf(b.coordinator.endTransaction('tx', producerId, producerEpoch, true)), E.NONE, 'a retried commit');
  assert.equal(await errorOf(b.coordinator.endTransaction('tx', producerId, producerEpoch, false)), E.INVALID_TXN_STATE);
  // And the abort side.
  await b.coordinator.addPartitions('tx', producerId, producerEpoch, [tp('a', 0)]);
  await b.coordinator.endTransaction('tx', producerId, producerEpoch, false);
  await flush();
  assert.equal(meta(b).state, S.CompleteAbort);
  assert.equal(await errorOf(b.coordinator.endTransaction('tx', producerId, producerEpoch, false)), E.NONE);
  assert.equal(await errorOf(b.coordinator.endTransaction('tx', producerId, producerEpoch, true)), E.INVALID_TXN_STATE);
});

test('a failed Prepare write leaves the transaction Ongoing; the client may retry', async () => {
  const b = bench();
  const { producerId, producerEpoch } = await initialised(b);
  await b.coordinator.addPartitions('tx', producerId, producerEpoch, [tp('a', 0)]);
  b.log.failures.push({ mode: 'before-append', error: E.NOT_ENOUGH_REPLICAS });
  assert.equal(await errorOf(b.coordinator.endTransaction('tx', producerId, producerEpoch, true)), E.COORDINATOR_NOT_AVAILABLE);
  assert.equal(meta(b).state, S.Ongoing);
  assert.equal(b.markers.sent.length, 0);
  await b.coordinator.endTransaction('tx', producerId, producerEpoch, true);
  await flush();
  assert.equal(meta(b).state, S.CompleteCommit);
});

test('markers: retried per partition, deleted partitions dropped, Complete rewritten until durable', async () => {
  const b = bench();
  const { producerId, producerEpoch } = await initialised(b);
  await b.coordinator.addPartitions('tx', producerId, producerEpoch, [tp('a', 0), tp('b', 0), tp('gone', 0)]);
  b.markers.script.push(new Map([['b:0', E.NOT_LEADER_OR_FOLLOWER], ['gone:0', E.UNKNOWN_TOPIC_OR_PARTITION]]));
  b.markers.script.push(new Map([['b:0', E.NOT_ENOUGH_REPLICAS]]));
  await b.coordinator.endTransaction('tx', producerId, producerEpoch, true);
  await flush();
  b.log.failures.push({ mode: 'before-append', error: E.NOT_ENOUGH_REPLICAS });
  await b.time.advance(100);
  assert.deepEqual(b.markers.sent.map((s) => s.request.partitions), [[tp('a', 0), tp('b', 0), tp('gone', 0)], [tp('b', 0)]]);
  await b.time.advance(100);
  assert.deepEqual(b.markers.sent.at(-1)!.request.partitions, [tp('b', 0)]);
  assert.equal(meta(b).state, S.PrepareCommit, 'the Complete write failed once');
  await b.time.advance(100);
  assert.equal(meta(b).state, S.CompleteCommit);
  assert.equal(b.log.appended.at(-1)!.record.value!.state, S.CompleteCommit);
});

test('markers fenced by a newer coordinator: this one gives up', async () => {
  const b = bench();
  const { producerId, producerEpoch } = await initialised(b);
  await b.coordinator.addPartitions('tx', producerId, producerEpoch, [tp('a', 0)]);
  b.markers.script.push(new Map([['a:0', E.TRANSACTION_COORDINATOR_FENCED]]));
  await b.coordinator.endTransaction('tx', producerId, producerEpoch, false);
  await b.time.advance(1000);
  assert.equal(b.markers.sent.length, 1);
  assert.equal(meta(b).state, S.PrepareAbort);
});

test('timed-out transactions are aborted by the timer with a bumped epoch', async () => {
  const b = bench();
  const { producerId, producerEpoch } = await b.coordinator.initProducerId('tx', 5000);
  await b.coordinator.addPartitions('tx', producerId, producerEpoch, [tp('a', 0)]);
  await b.time.advance(5000);
  assert.equal(meta(b).state, S.Ongoing, 'not yet: start + timeout must be in the past');
  await b.time.advance(1000);
  assert.equal(meta(b).state, S.CompleteAbort);
  assert.equal(meta(b).producerEpoch, producerEpoch + 1);
  assert.equal(b.markers.sent[0]!.request.result, 'abort');
  assert.equal(await errorOf(b.coordinator.endTransaction('tx', producerId, producerEpoch, true)), E.PRODUCER_FENCED);
});

test('idle transactional ids expire with a tombstone; busy ones stay', async () => {
  const config = { ...TEST_CONFIG, transactionalIdExpirationMs: 10_000, removeExpiredTransactionalIdsIntervalMs: 5_000, abortTimedOutTransactionCleanupIntervalMs: 1_000_000 };
  const b = bench(config);
  await b.coordinator.initProducerId('idle', 1000);
  const busy = await b.coordinator.initProducerId('busy', 60_000);
  await b.coordinator.addPartitions('busy', busy.producerId, busy.producerEpoch, [tp('a', 0)]);
  b.log.failures.push({ mode: 'before-append', error: E.NOT_ENOUGH_REPLICAS });
  await b.time.advance(10_000);
  assert.ok(b.coordinator.state.get('idle'), 'the tombstone write failed: still there');
  await b.time.advance(5_000);
  assert.equal(b.coordinator.state.get('idle'), undefined);
  assert.ok(b.coordinator.state.get('busy'));
  assert.deepEqual(b.log.appended.at(-1)!.record, { transactionalId: 'idle', value: null });
  // Coming back gets a new producer id.
  assert.equal((await b.coordinator.initProducerId('idle', 1000)).producerEpoch, 0);
});

test('NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS by partition ownership', async () => {
  const b = bench();
  const p = b.coordinator.partitionFor('tx');
  b.coordinator.unload(p);
  assert.equal(await errorOf(initialised(b)), E.NOT_COORDINATOR);
  b.coordinator.beginLoad(p, 1);
  assert.equal(await errorOf(initialised(b)), E.COORDINATOR_LOAD_IN_PROGRESS);
  assert.equal(b.coordinator.describeTransactions(['tx'])[0]!.error, E.COORDINATOR_LOAD_IN_PROGRESS);
  assert.throws(() => b.coordinator.listTransactions(), (err: { code?: number }) => err.code === E.COORDINATOR_LOAD_IN_PROGRESS);
  b.coordinator.completeLoad(p);
  b.log.leaderEpoch.set(p, 1);
  await initialised(b);
});

test('a write acknowledged after the partition moved is not applied', async () => {
  const b = bench();
  const p = b.coordinator.partitionFor('tx');
  await initialised(b);
  b.log.holdAcks = true;
  const bump = initialised(b);
  await flush();
  b.coordinator.unload(p);
  b.log.releaseAcks();
  assert.equal(await errorOf(bump), E.NOT_COORDINATOR);
});

test('DescribeTransactions and ListTransactions', async () => {
  const b = bench();
  const a = await b.coordinator.initProducerId('a', 1000);
  await b.coordinator.addPartitions('a', a.producerId, a.producerEpoch, [tp('t', 1), tp('t', 0), tp('u', 2)]);
  await b.coordinator.initProducerId('b', 1000);
  const [da, dnone, dempty] = b.coordinator.describeTransactions(['a', 'nope', '']);
  assert.deepEqual(da, {
    transactionalId: 'a',
    error: E.NONE,
    state: 'Ongoing',
    producerId: a.producerId,
    producerEpoch: 0,
    txnTimeoutMs: 1000,
    txnStartTimestampMs: b.time.now(),
    topics: [
      { topic: 't', partitions: [0, 1] },
      { topic: 'u', partitions: [2] },
    ],
  });
  assert.equal(dnone!.error, E.TRANSACTIONAL_ID_NOT_FOUND);
  assert.equal(dempty!.error, E.INVALID_REQUEST);
  assert.deepEqual(b.coordinator.listTransactions().transactionStates.map((s) => s.transactionalId), ['a', 'b']);
  const filtered = b.coordinator.listTransactions({ states: ['Ongoing', 'Bogus'] });
  assert.deepEqual(filtered.unknownStateFilters, ['Bogus']);
  assert.deepEqual(filtered.transactionStates, [{ transactionalId: 'a', producerId: a.producerId, transactionState: 'Ongoing' }]);
  assert.deepEqual(b.coordinator.listTransactions({ producerIds: [a.producerId + 1] }).transactionStates.map((s) => s.transactionalId), ['b']);
  await b.time.advance(500);
  assert.deepEqual(b.coordinator.listTransactions({ durationMs: 100, states: ['Ongoing'] }).transactionStates.length, 1);
  assert.deepEqual(b.coordinator.listTransactions({ durationMs: 1000, states: ['Ongoing'] }).transactionStates.length, 0);
  b.coordinator.close();
  assert.equal(b.coordinator.describeTransactions(['a'])[0]!.error, E.COORDINATOR_NOT_AVAILABLE);
  assert.throws(() => b.coordinator.listTransactions(), (err: { code?: number }) => err.code === E.COORDINATOR_NOT_AVAILABLE);
});

test('PRODUCER_FENCED is INVALID_PRODUCER_EPOCH for clients before KIP-588', () => {
  assert.equal(errorCodeForVersion('InitProducerId', 3, E.PRODUCER_FENCED), E.INVALID_PRODUCER_EPOCH);
  assert.equal(errorCodeForVersion('InitProducerId', 4, E.PRODUCER_FENCED), E.PRODUCER_FENCED);
  assert.equal(errorCodeForVersion('EndTxn', 1, E.PRODUCER_FENCED), E.INVALID_PRODUCER_EPOCH);
  assert.equal(errorCodeForVersion('AddPartitionsToTxn', 1, E.PRODUCER_FENCED), E.INVALID_PRODUCER_EPOCH);
  assert.equal(errorCodeForVersion('AddOffsetsToTxn', 2, E.PRODUCER_FENCED), E.PRODUCER_FENCED);
  assert.equal(errorCodeForVersion('EndTxn', 0, E.CONCURRENT_TRANSACTIONS), E.CONCURRENT_TRANSACTIONS);
});

test('verifyPartitions (AddPartitionsToTxn v4 verifyOnly): per-partition answers, nothing written', async () => {
  const b = bench();
  const { producerId, producerEpoch } = await initialised(b);
  await b.coordinator.addPartitions('tx', producerId, producerEpoch, [tp('a', 0)]);
  const writes = b.log.appended.length;
  assert.deepEqual(b.coordinator.verifyPartitions('tx', producerId, producerEpoch, [tp('a', 0), tp('a', 1)]), new Map([['a:0', E.NONE], ['a:1', E.TRANSACTION_ABORTABLE]]));
  assert.deepEqual(b.coordinator.verifyPartitions('tx', producerId, producerEpoch + 1, [tp('a', 0)]), new Map([['a:0', E.PRODUCER_FENCED]]));
  assert.deepEqual(b.coordinator.verifyPartitions('nope', producerId, producerEpoch, [tp('a', 0)]), new Map([['a:0', E.INVALID_PRODUCER_ID_MAPPING]]));
  assert.deepEqual(b.coordinator.verifyPartitions('', producerId, producerEpoch, [tp('a', 0)]), new Map([['a:0', E.INVALID_REQUEST]]));
  b.markers.script.push('reject');
  await b.coordinator.endTransaction('tx', producerId, producerEpoch, true);
  assert.deepEqual(b.coordinator.verifyPartitions('tx', producerId, producerEpoch, [tp('a', 0)]), new Map([['a:0', E.CONCURRENT_TRANSACTIONS]]));
  assert.equal(b.log.appended.length, writes + 1);
});
