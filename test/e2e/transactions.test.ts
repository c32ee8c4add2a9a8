import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { cliEnv, cliOk, runCli, runProcess } from '../helpers/proc.js';
import { runPythonChecked } from '../helpers/python.js';
import { requireTool } from '../helpers/tools.js';
import { Admin } from '../../src/client/index.js';
import { consumeAll } from '../helpers/kafkajs.js';

/**
 * Transactions end to end on one broker process (issue "Idempotent producers and transactions"): a
 * kafkajs transactional producer commits one transaction and aborts the next, across two partitions;
 * read_committed consumers (kcat / librdkafka, kafkajs) see the committed records only, read_uncommitted
 * sees both; a second producer with the same transactional.id fences the first (its epoch is bumped,
 * the old one's next EndTxn is refused). confluent-kafka-python (librdkafka) does the same.
 */
const TOPIC = 'txn-e2e';

async function kcatValues(bootstrap: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const values: string[] = [];
  for (const partition of [0, 1]) {
    const r = await runProcess('kcat', ['-C', '-b', bootstrap, '-t', TOPIC, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%s\\n', '-X', `isolation.level=${isolation}`], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    values.push(...r.stdout.split('\n').filter((l) => l.length > 0));
  }
  return values.sort();
}

/** Waits (bounded) until the coordinator has finished the id's last transaction: markers written, Complete* durable. */
async function completed(bootstrap: string, transactionalId: string, state: 'CompleteCommit' | 'CompleteAbort'): Promise<void> {
  const admin = new Admin({ bootstrapServers: bootstrap });
  try {
    const deadline = Date.now() + 15_000;
    let seen = '';
    while (Date.now() < deadline) {
      seen = (await admin.describeTransactions([transactionalId]))[0]?.state ?? '';
      if (seen === state) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.fail(`${transactionalId} did not reach ${state} within 15 s (last seen ${seen})`);
  } finally {
    await admin.close();
  }
}

test('kafkajs transactions: commit and abort across partitions, read_committed sees only the committed, a new producer with the same id fences the old', { timeout: 120_000 }, async (t) => {
  requireTool('kcat');
  const broker = await startBrokerProcess(t, { name: 'transactions' });
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'txn-e2e', logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();

  const producer = kafka.producer({ transactionalId: 'txn-e2e-producer', idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    const committed = await producer.transaction();
    await committed.send({ topic: TOPIC, messages: [{ value: 'c-0', partition: 0 }, { value: 'c-1', partition: 1 }] });
    await committed.send({ topic: TOPIC, messages: [{ value: 'c-2', partition: 0 }] });
    await committed.commit();
    const aborted = await producer.transaction();
    await aborted.send({ topic: TOPIC, messages: [{ value: 'a-0', partition: 0 }, { value: 'a-1', partition: 1 }] });
    await aborted.abort();
    const committedAgain = await producer.transaction();
    await committedAgain.send({ topic: TOPIC, messages: [{ value: 'c-3', partition: 1 }] });
    await committedAgain.commit();
    // Commit answers once PrepareCommit is durable; the markers that open the records to read_committed follow.
    await completed(broker.bootstrap, 'txn-e2e-producer', 'CompleteCommit');

    assert.deepEqual(await kcatValues(broker.bootstrap, 'read_committed'), ['c-0', 'c-1', 'c-2', 'c-3']);
    assert.deepEqual(await kcatValues(broker.bootstrap, 'read_uncommitted'), ['a-0', 'a-1', 'c-0', 'c-1', 'c-2', 'c-3']);

    // kafkajs consumers are read_committed by default (readUncommitted false).
    const seen = (await consumeAll(kafka, TOPIC, 'txn-e2e-reader', 4, { timeoutMs: 20_000 })).records.map((r) => r.value ?? '');
    assert.deepEqual(seen.sort(), ['c-0', 'c-1', 'c-2', 'c-3']);

    // A second producer with the same transactional.id bumps the epoch: the first is fenced.
    const open = await producer.transaction();
    await open.send({ topic: TOPIC, messages: [{ value: 'zombie', partition: 0 }] });
    const successor = kafka.producer({ transactionalId: 'txn-e2e-producer', idempotent: true, maxInFlightRequests: 1 });
    await successor.connect();
    try {
      // kafkajs asks InitProducerId when the first transaction begins.
      const next = await successor.transaction();
      await assert.rejects(open.commit(), (err: Error & { type?: string }) => /PRODUCER_FENCED|INVALID_PRODUCER_EPOCH/.test(`${err.type ?? ''} ${err.message}`), 'the fenced producer cannot commit');
      await next.send({ topic: TOPIC, messages: [{ value: 'c-4', partition: 0 }] });
      await next.commit();
      await completed(broker.bootstrap, 'txn-e2e-producer', 'CompleteCommit');
    } finally {
      await successor.disconnect();
    }
    // The successor's InitProducerId aborted the zombie's open transaction.
    assert.deepEqual(await kcatValues(broker.bootstrap, 'read_committed'), ['c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
    // tributary transactions list / describe (ListTransactions, DescribeTransactions).
    const listed = JSON.parse(cliOk(await runCli(['-b', broker.bootstrap, 'transactions', 'list', '--json'], { timeoutMs: 30_000, env: cliEnv(null) })).stdout) as Array<{ transactionalId: string; state: string }>;
    assert.deepEqual(listed.map((x) => [x.transactionalId, x.state]), [['txn-e2e-producer', 'CompleteCommit']]);
    const described = JSON.parse(cliOk(await runCli(['-b', broker.bootstrap, 'transactions', 'describe', 'txn-e2e-producer', '--json'], { timeoutMs: 30_000, env: cliEnv(null) })).stdout) as Array<{ producerEpoch: number; state: string; partitions: unknown[] }>;
    assert.equal(described[0]!.state, 'CompleteCommit');
    assert.ok(described[0]!.producerEpoch >= 1, 'the successor bumped the epoch');
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
});

test('confluent-kafka-python transactions: commit, abort, commit; read_committed sees the committed ones only', { timeout: 120_000 }, async (t) => {
  requireTool('confluent-kafka-python');
  requireTool('kcat');
  const broker = await startBrokerProcess(t, { name: 'transactions-librdkafka' });
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'txn-e2e', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();
  await runPythonChecked('txn_producer.py', ['--bootstrap', broker.bootstrap, '--topic', TOPIC, '--transactional-id', 'txn-rdkafka', '--plan', 'cac', '--partitions', '2', '--per-txn', '3'], 90_000, 'confluent-kafka-python transactions');
  await completed(broker.bootstrap, 'txn-rdkafka', 'CompleteCommit');
  assert.deepEqual(await kcatValues(broker.bootstrap, 'read_committed'), ['0c-0', '0c-1', '0c-2', '2c-0', '2c-1', '2c-2']);
  assert.equal((await kcatValues(broker.bootstrap, 'read_uncommitted')).length, 9);
});

test('kafkajs sendOffsets: offsets committed in a transaction become visible with its commit, not with an abort', { timeout: 120_000 }, async (t) => {
  const broker = await startBrokerProcess(t, { name: 'transactions-offsets' });
  const kafka = new Kafka({ brokers: [broker.bootstrap], clientId: 'txn-offsets', logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'ctp-in', numPartitions: 1 }, { topic: 'ctp-out', numPartitions: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ transactionalId: 'ctp', idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const committed = await producer.transaction();
      await committed.send({ topic: 'ctp-out', messages: [{ value: 'out-0' }] });
      await committed.sendOffsets({ consumerGroupId: 'ctp-group', topics: [{ topic: 'ctp-in', partitions: [{ partition: 0, offset: '10' }] }] });
      await committed.commit();
      const offsets = async (): Promise<string | undefined> => (await admin.fetchOffsets({ groupId: 'ctp-group', topics: ['ctp-in'] }))[0]?.partitions[0]?.offset;
      // EndTxn answers once PrepareCommit is durable; the markers (which make the offsets visible) follow.
      await completed(broker.bootstrap, 'ctp', 'CompleteCommit');
      assert.equal(await offsets(), '10', 'the committed transaction committed its offsets');
      const aborted = await producer.transaction();
      await aborted.send({ topic: 'ctp-out', messages: [{ value: 'out-1' }] });
      await aborted.sendOffsets({ consumerGroupId: 'ctp-group', topics: [{ topic: 'ctp-in', partitions: [{ partition: 0, offset: '20' }] }] });
      assert.equal(await offsets(), '10', 'offsets of an open transaction are not visible');
      await aborted.abort();
      await completed(broker.bootstrap, 'ctp', 'CompleteAbort');
      assert.equal(await offsets(), '10', 'the aborted transaction left the offsets as they were');
      const again = await producer.transaction();
      await again.sendOffsets({ consumerGroupId: 'ctp-group', topics: [{ topic: 'ctp-in', partitions: [{ partition: 0, offset: '30' }] }] });
      await again.commit();
      await completed(broker.bootstrap, 'ctp', 'CompleteCommit');
      assert.equal(await offsets(), '30');
    } finally {
      await producer.disconnect();
    }
  } finally {
    await admin.disconnect();
  }
  // The committed offsets survive a restart: __consumer_offsets is read back, markers included.
  await broker.restart();
  const admin2 = new Kafka({ brokers: [broker.bootstrap], clientId: 'txn-offsets-2', logLevel: logLevel.NOTHING, retry: { retries: 10 } }).admin();
  await admin2.connect();
  try {
    assert.equal((await admin2.fetchOffsets({ groupId: 'ctp-group', topics: ['ctp-in'] }))[0]?.partitions[0]?.offset, '30');
  } finally {
    await admin2.disconnect();
  }
});
