import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { AddPartitionsToTxnApi, CreateTopicsApi, EndTxnApi, FindCoordinatorApi, InitProducerIdApi, ListOffsetsApi, ProduceApi } from '../../src/protocol/messages/index.js';
import type { AddPartitionsToTxnResponse } from '../../src/protocol/messages/add-partitions-to-txn.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js';
import type { EndTxnResponse } from '../../src/protocol/messages/end-txn.js';
import type { InitProducerIdResponse } from '../../src/protocol/messages/init-producer-id.js';
import type { ListOffsetsResponse } from '../../src/protocol/messages/list-offsets.js';
import type { ProduceResponse } from '../../src/protocol/messages/produce.js';
import { buildRecordBatch } from '../../src/protocol/records/record-batch.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { cliEnv, cliOk, runCli, runProcess } from '../helpers/proc.js';
import { requireTool } from '../helpers/tools.js';

/**
 * KIP-890 part 1 and hanging transactions (issue "Idempotent producers and transactions"), on real
 * broker processes with a raw client that does what a buggy or racing producer does: it writes a
 * transactional batch to a partition it never added to its transaction.
 * - Verification on (the default): the leader asks the coordinator, which does not know the
 *   partition: the batch is refused (INVALID_TXN_STATE below Produce v11) and nothing is written; after
 *   AddPartitionsToTxn the same batch is taken, and its commit makes it readable read_committed.
 * - Verification off (`transaction.partition.verification.enable=false`, as a pre-3.6 Kafka): the batch
 *   opens a transaction no coordinator will end — the last stable offset stays at it and read_committed
 *   consumers see nothing after it. `tributary transactions find-hanging` reports it and
 *   `tributary transactions abort --start-offset` ends it: the later record becomes readable.
 */
const TOPIC = 'txn-verify';
const READ_COMMITTED = 1;
const retriable = new Set<number>([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR, ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.NOT_ENOUGH_REPLICAS, ErrorCode.LEADER_NOT_AVAILABLE]);

async function retry<T>(what: string, fn: () => Promise<T>, codeOf: (r: T) => number): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await fn();
    const code = codeOf(r);
    if (!retriable.has(code) || Date.now() > deadline) return r;
    await new Promise((res) => setTimeout(res, 100));
  }
}

async function open(broker: BrokerProcess): Promise<BrokerConnection> {
  const [host, port] = broker.bootstrap.split(':');
  return BrokerConnection.open(host!, Number(port), { requestTimeoutMs: 15_000, connectTimeoutMs: 5000 });
}

/** The topic, a transactional id's coordinator (creating __transaction_state) and a producer id for it. */
async function setUp(conn: BrokerConnection, transactionalId: string): Promise<{ producerId: number; producerEpoch: number }> {
  const created = await conn.send<CreateTopicsResponse>(CreateTopicsApi, 5, { topics: [{ name: TOPIC, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 10_000, validateOnly: false });
  assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE);
  const found = await retry('FindCoordinator', () => conn.send<{ coordinators: Array<{ errorCode: number }> }>(FindCoordinatorApi, 4, { keyType: 1, coordinatorKeys: [transactionalId] }), (r) => r.coordinators[0]!.errorCode);
  assert.equal(found.coordinators[0]!.errorCode, ErrorCode.NONE);
  const init = await retry('InitProducerId', () => conn.send<InitProducerIdResponse>(InitProducerIdApi, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 }), (r) => r.errorCode);
  assert.equal(init.errorCode, ErrorCode.NONE, `InitProducerId: ${ErrorCode[init.errorCode]}`);
  return { producerId: Number(init.producerId), producerEpoch: init.producerEpoch };
}

async function produce(conn: BrokerConnection, transactionalId: string | null, batch: Buffer): Promise<{ errorCode: number; baseOffset: number }> {
  const res = await conn.send<ProduceResponse>(ProduceApi, 9, { transactionalId, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch }] }] });
  const p = res.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: Number(p.baseOffset) };
}

async function latest(conn: BrokerConnection, isolationLevel: number): Promise<number> {
  const res = await conn.send<ListOffsetsResponse>(ListOffsetsApi, 5, { replicaId: -1, isolationLevel, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] });
  return Number(res.topics[0]!.partitions[0]!.offset);
}

async function readCommitted(bootstrap: string): Promise<string[]> {
  const r = await runProcess('kcat', ['-C', '-b', bootstrap, '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\\n', '-X', 'isolation.level=read_committed'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

const txnBatch = (p: { producerId: number; producerEpoch: number }, value: string, baseSequence = 0): Promise<Buffer> =>
  buildRecordBatch({ producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence, transactional: true, records: [{ value: Buffer.from(value) }] });

test('verification on: a transactional batch for a partition not in the transaction is refused and not written; once added it is taken', { timeout: 90_000 }, async (t) => {
  requireTool('kcat');
  const broker = await startBrokerProcess(t, { name: 'txn-verify-on' });
  const conn = await open(broker);
  try {
    const id = 'verify-me';
    const producer = await setUp(conn, id);
    const refused = await produce(conn, id, await txnBatch(producer, 'unadded'));
    assert.equal(refused.errorCode, ErrorCode.INVALID_TXN_STATE, `got ${ErrorCode[refused.errorCode]}`);
    assert.equal(await latest(conn, 0), 0, 'nothing was written');
    // The same without a transactional id in the request cannot be verified at all.
    const anonymous = await produce(conn, null, await txnBatch(producer, 'anonymous'));
    assert.equal(anonymous.errorCode, ErrorCode.INVALID_TXN_STATE, `got ${ErrorCode[anonymous.errorCode]}`);

    const added = await retry('AddPartitionsToTxn', () => conn.send<AddPartitionsToTxnResponse>(AddPartitionsToTxnApi, 3, { v3AndBelowTransactionalId: id, v3AndBelowProducerId: producer.producerId, v3AndBelowProducerEpoch: producer.producerEpoch, v3AndBelowTopics: [{ name: TOPIC, partitions: [0] }] }), (r) => r.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode);
    assert.equal(added.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode, ErrorCode.NONE);
    const taken = await produce(conn, id, await txnBatch(producer, 'added'));
    assert.equal(taken.errorCode, ErrorCode.NONE, `got ${ErrorCode[taken.errorCode]}`);
    assert.equal(taken.baseOffset, 0);
    // The transaction is open here now: its next batch goes straight in.
    assert.equal((await produce(conn, id, await txnBatch(producer, 'added-2', 1))).errorCode, ErrorCode.NONE);
    assert.equal(await latest(conn, READ_COMMITTED), 0, 'open: the last stable offset is at its first batch');
    const ended = await retry('EndTxn', () => conn.send<EndTxnResponse>(EndTxnApi, 3, { transactionalId: id, producerId: producer.producerId, producerEpoch: producer.producerEpoch, committed: true }), (r) => r.errorCode);
    assert.equal(ended.errorCode, ErrorCode.NONE);
    const deadline = Date.now() + 15_000;
    while ((await latest(conn, READ_COMMITTED)) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await readCommitted(broker.bootstrap), ['added', 'added-2']);
  } finally {
    conn.close();
  }
});

test('verification off: a hanging transaction holds read_committed back until `tributary transactions abort` ends it; find-hanging reports it', { timeout: 90_000 }, async (t) => {
  requireTool('kcat');
  const broker = await startBrokerProcess(t, { name: 'txn-verify-off', overrides: { 'transaction.partition.verification.enable': false } });
  const conn = await open(broker);
  try {
    const id = 'left-hanging';
    const producer = await setUp(conn, id);
    assert.equal((await produce(conn, null, await buildRecordBatch({ records: [{ value: Buffer.from('before') }] }))).errorCode, ErrorCode.NONE);
    const hanging = await produce(conn, id, await txnBatch(producer, 'hanging'));
    assert.equal(hanging.errorCode, ErrorCode.NONE, 'without verification the batch is taken');
    assert.equal(hanging.baseOffset, 1);
    assert.equal((await produce(conn, null, await buildRecordBatch({ records: [{ value: Buffer.from('after') }] }))).errorCode, ErrorCode.NONE);
    assert.equal(await latest(conn, READ_COMMITTED), 1, 'the last stable offset is stuck at the hanging transaction');
    assert.deepEqual(await readCommitted(broker.bootstrap), ['before']);

    // A transaction younger than --max-transaction-timeout is not reported (it may still be live).
    const young = JSON.parse(cliOk(await runCli(['-b', broker.bootstrap, 'transactions', 'find-hanging', '--topic', TOPIC, '--json'], { timeoutMs: 30_000, env: cliEnv(null) })).stdout) as unknown[];
    assert.deepEqual(young, []);
    const found = JSON.parse(cliOk(await runCli(['-b', broker.bootstrap, 'transactions', 'find-hanging', '--topic', TOPIC, '--max-transaction-timeout', '0', '--json'], { timeoutMs: 30_000, env: cliEnv(null) })).stdout) as Array<{ topic: string; partition: number; producerId: number; startOffset: number; reason: string }>;
    assert.equal(found.length, 1, JSON.stringify(found));
    assert.deepEqual([found[0]!.topic, found[0]!.partition, found[0]!.producerId, found[0]!.startOffset], [TOPIC, 0, producer.producerId, 1]);
    assert.match(found[0]!.reason, /does not include txn-verify-0/);
    const byBroker = JSON.parse(cliOk(await runCli(['-b', broker.bootstrap, 'transactions', 'find-hanging', '--broker-id', '0', '--max-transaction-timeout', '0', '--json'], { timeoutMs: 30_000, env: cliEnv(null) })).stdout) as unknown[];
    assert.equal(byBroker.length, 1, 'found by broker id too');

    const wrong = await runCli(['-b', broker.bootstrap, 'transactions', 'abort', '--topic', TOPIC, '--partition', '0', '--start-offset', '2'], { timeoutMs: 30_000, env: cliEnv(null) });
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /No open transaction starts at offset 2/);
    const aborted = cliOk(await runCli(['-b', broker.bootstrap, 'transactions', 'abort', '--topic', TOPIC, '--partition', '0', '--start-offset', '1'], { timeoutMs: 30_000, env: cliEnv(null) }));
    assert.match(aborted.stdout, new RegExp(`Aborted the transaction of producer ${producer.producerId}`));
    assert.equal(await latest(conn, READ_COMMITTED), 4, 'the marker at 3 ended it: the LSO is the log end');
    assert.deepEqual(await readCommitted(broker.bootstrap), ['before', 'after'], 'the aborted record stays hidden, the later one is readable');
    const none = cliOk(await runCli(['-b', broker.bootstrap, 'transactions', 'find-hanging', '--topic', TOPIC, '--max-transaction-timeout', '0'], { timeoutMs: 30_000, env: cliEnv(null) }));
    assert.match(none.stdout, /No hanging transactions/);
  } finally {
    conn.close();
  }
});
