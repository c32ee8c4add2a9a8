import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import {
  Admin,
  Consumer,
  Producer,
  ProducerFatalError,
  ProducerFencedError,
  stringDeserializer,
  stringSerializer,
  TransactionAbortableError,
  TransactionStateError,
  type ConsumerRecord,
  type ProducerRecord,
  type TopicPartition,
  type Transaction,
} from '../../src/client/index.js';
import { ErrorCode, KafkaError } from '../../src/protocol/errors.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { runProcess } from '../helpers/proc.js';
import { createReplicatedTopic, sleep, startReplicatedCluster, waitIsr } from '../helpers/replication-setup.js';
import { requireTool } from '../helpers/tools.js';

/**
 * Tributary's own transactional producer against real broker processes. One broker: commit and
 * abort across partitions, read back read_committed by our consumer and by kcat (librdkafka), a
 * second producer with the same transactionalId fencing the first, and a transaction the
 * coordinator aborts after transactionTimeoutMs. Three nodes: a consume-transform-produce loop (our
 * consumer in a group, read_committed; txn.send + txn.sendOffsets + commit) during which the
 * transaction coordinator's node is SIGKILLed mid-transaction and restarted, and a later transaction
 * fails in the application (aborted, the consumer rewound to the committed offsets): the output read
 * read_committed holds every input record exactly once, and the group's committed offsets match it.
 */

type Str = string | null;

async function kcatValues(bootstrap: string, topic: string, partitions: number, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const values: string[] = [];
  for (let partition = 0; partition < partitions; partition++) {
    const r = await runProcess('kcat', ['-C', '-b', bootstrap, '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%s\\n', '-X', `isolation.level=${isolation}`], { timeoutMs: 30_000 });
    assert.equal(r.code, 0, r.stderr);
    values.push(...r.stdout.split('\n').filter((l) => l.length > 0));
  }
  return values.sort();
}

/** Waits (bounded) until the coordinator finished the id's last transaction: markers written, Complete* durable. */
async function completed(bootstrap: string, transactionalId: string, state: 'CompleteCommit' | 'CompleteAbort', timeoutMs = 20_000): Promise<void> {
  const admin = new Admin({ bootstrapServers: bootstrap });
  try {
    const deadline = Date.now() + timeoutMs;
    let seen = '';
    while (Date.now() < deadline) {
      seen = (await admin.describeTransactions([transactionalId]).catch(() => []))[0]?.state ?? '';
      if (seen === state) return;
      await sleep(50);
    }
    assert.fail(`${transactionalId} did not reach ${state} within ${timeoutMs} ms (last seen ${seen})`);
  } finally {
    await admin.close();
  }
}

/** Our consumer, assigned every partition from the start, until it has `count` records (or the timeout). */
async function ourValues(bootstrap: string, topic: string, partitions: number, count: number, isolationLevel: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const c = new Consumer<Str, Str>({ bootstrapServers: bootstrap, keyDeserializer: stringDeserializer, valueDeserializer: stringDeserializer, autoOffsetReset: 'earliest', isolationLevel, fetchMaxWaitMs: 100 });
  c.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })));
  const out: string[] = [];
  const timer = setTimeout(() => void c.close(), 20_000);
  try {
    for await (const r of c) {
      out.push(r.value ?? '');
      if (out.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
    await c.close();
  }
  return out.sort();
}

async function createTopics(bootstrap: string, topics: Array<{ topic: string; numPartitions: number }>): Promise<void> {
  const admin = new Kafka({ brokers: [bootstrap], clientId: 'client-txn-setup', logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

function txnProducer(bootstrap: string, transactionalId: string, extra: { transactionTimeoutMs?: number } = {}): Producer<Str, string> {
  return new Producer<Str, string>({ bootstrapServers: bootstrap, transactionalId, keySerializer: stringSerializer, valueSerializer: stringSerializer, retryBackoffMs: 50, ...extra });
}

test('Tributary transactions on one broker: commit and abort across partitions, read_committed (ours, kcat) sees the committed only, fencing, a coordinator timeout', { timeout: 180_000 }, async (t) => {
  requireTool('kcat');
  const TOPIC = 'client-txn';
  const broker = await startBrokerProcess(t, { name: 'client-transactions', overrides: { 'transaction.abort.timed.out.transaction.cleanup.interval.ms': 200 } });
  await createTopics(broker.bootstrap, [{ topic: TOPIC, numPartitions: 2 }]);
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  t.after(() => admin.close());

  const producer = txnProducer(broker.bootstrap, 'client-txn-producer');
  t.after(() => producer.close({ timeoutMs: 1000 }));
  await assert.rejects(producer.send({ topic: TOPIC, messages: [{ value: 'outside' }] }), TransactionStateError, 'a transactional producer sends inside a transaction only');

  const committed = await producer.transaction();
  await committed.send({ topic: TOPIC, messages: [{ value: 'c-0', partition: 0 }, { value: 'c-1', partition: 1 }] });
  await committed.send({ topic: TOPIC, messages: [{ value: 'c-2', partition: 0 }] });
  await assert.rejects(producer.transaction(), TransactionStateError, 'one open transaction at a time');
  await committed.commit();
  await assert.rejects(committed.send({ topic: TOPIC, messages: [{ value: 'late' }] }), TransactionStateError, 'the handle ended with its transaction');

  const aborted = await producer.transaction();
  const [meta] = await aborted.send({ topic: TOPIC, messages: [{ value: 'a-0', partition: 0 }, { value: 'a-1', partition: 1 }] });
  assert.ok(meta!.offset >= 0, 'sends in a transaction resolve with their offsets');
  await aborted.abort();

  const again = await producer.transaction();
  await again.send({ topic: TOPIC, messages: [{ value: 'c-3', partition: 1 }] });
  await again.commit();
  // Commit answers once PrepareCommit is durable; the markers that open the records to read_committed follow.
  await completed(broker.bootstrap, 'client-txn-producer', 'CompleteCommit');

  assert.deepEqual(await kcatValues(broker.bootstrap, TOPIC, 2, 'read_committed'), ['c-0', 'c-1', 'c-2', 'c-3']);
  assert.deepEqual(await kcatValues(broker.bootstrap, TOPIC, 2, 'read_uncommitted'), ['a-0', 'a-1', 'c-0', 'c-1', 'c-2', 'c-3']);
  assert.deepEqual(await ourValues(broker.bootstrap, TOPIC, 2, 4, 'read_committed'), ['c-0', 'c-1', 'c-2', 'c-3']);
  assert.deepEqual(await ourValues(broker.bootstrap, TOPIC, 2, 6, 'read_uncommitted'), ['a-0', 'a-1', 'c-0', 'c-1', 'c-2', 'c-3']);

  // An abort drops what is still queued (a long linger holds it back): its send rejects, nothing of
  // the transaction is visible, and the next transaction of the producer commits normally.
  const lingering = new Producer<Str, string>({ bootstrapServers: broker.bootstrap, transactionalId: 'client-txn-linger', valueSerializer: stringSerializer, keySerializer: stringSerializer, lingerMs: 2000 });
  t.after(() => lingering.close({ timeoutMs: 1000 }));
  const dropped = await lingering.transaction();
  const queued = dropped.send({ topic: TOPIC, messages: [{ value: 'never-sent', partition: 1 }] }).then(
    () => null,
    (err: unknown) => err,
  );
  await sleep(200); // its partition is added meanwhile; the batch lingers
  await dropped.abort();
  const dropError = await queued;
  assert.ok(dropError instanceof TransactionStateError && /aborted before these records were sent/.test(dropError.message), String(dropError));
  const afterAbort = await lingering.transaction();
  const sent = afterAbort.send({ topic: TOPIC, messages: [{ value: 'after-abort', partition: 1 }] });
  await afterAbort.commit(); // flushes: no waiting for the linger
  await sent;
  await completed(broker.bootstrap, 'client-txn-linger', 'CompleteCommit');
  assert.deepEqual(await kcatValues(broker.bootstrap, TOPIC, 2, 'read_committed'), ['after-abort', 'c-0', 'c-1', 'c-2', 'c-3']);
  assert.ok(!(await kcatValues(broker.bootstrap, TOPIC, 2, 'read_uncommitted')).includes('never-sent'), 'the dropped record never reached the broker');

  // A batch the broker refuses (one record above the topic's max.message.bytes) had its sequence: the
  // transaction is abortable, and the abort bumps the epoch so the partition's sequences start again
  // (without the bump the next batch would be OUT_OF_ORDER_SEQUENCE_NUMBER).
  const SMALL = 'client-txn-small';
  const kafkaAdmin = new Kafka({ brokers: [broker.bootstrap], clientId: 'client-txn-setup', logLevel: logLevel.NOTHING }).admin();
  await kafkaAdmin.connect();
  await kafkaAdmin.createTopics({ topics: [{ topic: SMALL, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1000' }] }], waitForLeaders: true });
  await kafkaAdmin.disconnect();
  const bumping = txnProducer(broker.bootstrap, 'client-txn-bump');
  t.after(() => bumping.close({ timeoutMs: 1000 }));
  const first = await bumping.transaction();
  await first.send({ topic: SMALL, messages: [{ value: 'fits-0' }] });
  await assert.rejects(first.send({ topic: SMALL, messages: [{ value: 'x'.repeat(2000) }] }), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.MESSAGE_TOO_LARGE);
  await assert.rejects(first.commit(), (err: unknown) => err instanceof TransactionAbortableError && err.code === ErrorCode.TRANSACTION_ABORTABLE && /MESSAGE_TOO_LARGE/.test(err.message));
  await assert.rejects(first.send({ topic: SMALL, messages: [{ value: 'refused' }] }), TransactionAbortableError, 'an abortable transaction takes no more sends');
  const epochBefore = (await admin.describeTransactions(['client-txn-bump']))[0]!.producerEpoch;
  await first.abort();
  const epochAfter = (await admin.describeTransactions(['client-txn-bump']))[0]!.producerEpoch;
  assert.ok(epochAfter > epochBefore, `the abort bumped the epoch (${epochBefore} → ${epochAfter})`);
  const second = await bumping.transaction();
  await second.send({ topic: SMALL, messages: [{ value: 'fits-1' }] });
  await second.commit();
  await completed(broker.bootstrap, 'client-txn-bump', 'CompleteCommit');
  assert.deepEqual(await kcatValues(broker.bootstrap, SMALL, 1, 'read_committed'), ['fits-1']);

  // A second producer with the same transactionalId: its InitProducerId bumps the epoch and aborts
  // the first one's open transaction; the first is fenced for good.
  const open = await producer.transaction();
  await open.send({ topic: TOPIC, messages: [{ value: 'zombie', partition: 0 }] });
  const successor = txnProducer(broker.bootstrap, 'client-txn-producer');
  t.after(() => successor.close({ timeoutMs: 1000 }));
  const next = await successor.transaction();
  await assert.rejects(open.commit(), (err: unknown) => err instanceof ProducerFencedError && (err.code === ErrorCode.PRODUCER_FENCED || err.code === ErrorCode.INVALID_PRODUCER_EPOCH), 'the fenced producer cannot commit');
  await assert.rejects(producer.transaction(), ProducerFencedError, 'a fenced producer stays fenced');
  await next.send({ topic: TOPIC, messages: [{ value: 'c-4', partition: 0 }] });
  await next.commit();
  await completed(broker.bootstrap, 'client-txn-producer', 'CompleteCommit');
  assert.deepEqual(await kcatValues(broker.bootstrap, TOPIC, 2, 'read_committed'), ['after-abort', 'c-0', 'c-1', 'c-2', 'c-3', 'c-4']);

  // The coordinator aborts a transaction open longer than transactionTimeoutMs (and bumps the epoch):
  // the commit then learns it is fenced.
  const slow = txnProducer(broker.bootstrap, 'client-txn-slow', { transactionTimeoutMs: 1000 });
  t.after(() => slow.close({ timeoutMs: 1000 }));
  const stale = await slow.transaction();
  await stale.send({ topic: TOPIC, messages: [{ value: 'timed-out', partition: 1 }] });
  await completed(broker.bootstrap, 'client-txn-slow', 'CompleteAbort');
  await assert.rejects(stale.commit(), (err: unknown) => err instanceof ProducerFencedError && /transactionTimeoutMs 1000/.test(err.message));
  assert.deepEqual(await kcatValues(broker.bootstrap, TOPIC, 2, 'read_committed'), ['after-abort', 'c-0', 'c-1', 'c-2', 'c-3', 'c-4']);
});

test('consume-transform-produce with our client on 3 nodes, the transaction coordinator SIGKILLed mid-transaction: every input exactly once, offsets match', { timeout: 300_000 }, async (t) => {
  requireTool('kcat');
  const IN = 'ctp-in';
  const OUT = 'ctp-out';
  const PARTITIONS = 3;
  const PER_PARTITION = 80;
  const PER_TXN = 10;
  const KILL_AT_TXN = 6;
  /** This transaction fails in the application after its sends: aborted, the consumer rewound. */
  const FAIL_AT_TXN = 12;
  const TXN_ID = 'ctp-client';
  const GROUP = 'ctp-client-group';
  const cluster = await startReplicatedCluster(t, { properties: { 'transaction.state.log.num.partitions': 3, 'group.initial.rebalance.delay.ms': 0 } });
  await createReplicatedTopic(cluster, IN, PARTITIONS);
  await createReplicatedTopic(cluster, OUT, PARTITIONS);

  // Input: plain (idempotent) records, PER_PARTITION per partition; offsets 0..PER_PARTITION-1.
  const seed = new Producer<Str, string>({ bootstrapServers: cluster.bootstrap, keySerializer: stringSerializer, valueSerializer: stringSerializer });
  for (let p = 0; p < PARTITIONS; p++) {
    await seed.send({ topic: IN, messages: Array.from({ length: PER_PARTITION }, (_, i) => ({ key: `k-${p}-${i}`, value: `in-${p}-${i}`, partition: p })) });
  }
  await seed.close();
  const total = PARTITIONS * PER_PARTITION;

  const consumer = new Consumer<Str, Str>({
    bootstrapServers: cluster.bootstrap,
    groupId: GROUP,
    isolationLevel: 'read_committed',
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
    fetchMaxWaitMs: 100,
    keyDeserializer: stringDeserializer,
    valueDeserializer: stringDeserializer,
  });
  const producer = new Producer<Str, string>({ bootstrapServers: cluster.bootstrap, transactionalId: TXN_ID, keySerializer: stringSerializer, valueSerializer: stringSerializer, retryBackoffMs: 50, lingerMs: 1 });
  t.after(async () => {
    await producer.close({ timeoutMs: 1000 }).catch(() => undefined);
    await consumer.close().catch(() => undefined);
  });
  consumer.subscribe([IN]);

  const admin = new Admin({ bootstrapServers: cluster.bootstrap });
  t.after(() => admin.close());
  let done = 0;
  let txns = 0;
  let aborts = 0;
  let killed = -1;
  let restarting: Promise<void> | null = null;

  /** Back to the group's committed offsets (what the aborted transaction did is undone). */
  const rewind = async (tps: TopicPartition[]): Promise<void> => {
    for (const c of await consumer.committed(tps)) consumer.seek(c, c.offset >= 0 ? c.offset : 0);
  };

  /** Runs `fn` again while it fails with a retriable error (a commit or abort that timed out is resumed). */
  const resumed = async (fn: () => Promise<void>): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof KafkaError) || !err.retriable || err instanceof ProducerFatalError || attempt >= 3) throw err;
        t.diagnostic(`retrying after ${err.message}`);
      }
    }
  };

  /** One transaction over `records` of one partition; false if it was aborted. */
  const processInTransaction = async (tp: TopicPartition, records: ReadonlyArray<ConsumerRecord<Str, Str>>): Promise<boolean> => {
    const txn: Transaction<ProducerRecord<Str, string>> = await producer.transaction();
    txns++;
    try {
      // Transform: the output names the input partition and offset, so duplicates and gaps show.
      await txn.send({ topic: OUT, messages: records.map((r) => ({ key: r.key, value: `out:${r.partition}:${r.offset}:${r.value ?? ''}` })) });
      if (txns === KILL_AT_TXN) {
        const [open] = await admin.describeTransactions([TXN_ID]);
        assert.equal(open!.state, 'Ongoing', 'the transaction is open at its coordinator');
        killed = open!.coordinatorId;
        t.diagnostic(`transaction ${txns}: SIGKILL of node ${killed}, the transaction coordinator, after its sends and before sendOffsets and commit`);
        await cluster.kill(killed);
        const victim = killed;
        restarting = sleep(4000).then(() => cluster.restart(victim));
      }
      if (txns === FAIL_AT_TXN) throw new Error('simulated processing failure');
      await txn.sendOffsets({ consumer, offsets: [{ ...tp, offset: records[records.length - 1]!.offset + 1 }] });
      await resumed(() => txn.commit());
      return true;
    } catch (err) {
      if (err instanceof ProducerFatalError || err instanceof assert.AssertionError) throw err;
      aborts++;
      t.diagnostic(`transaction ${txns} failed (${(err as Error).name}: ${(err as Error).message}); aborting and rewinding`);
      if (!(err instanceof TransactionAbortableError)) t.diagnostic('(not an abortable error: aborting anyway)');
      await resumed(() => txn.abort());
      return false;
    }
  };

  // A loop that stalls ends the iterator (close), and the counts below tell what was missing.
  const watchdog = setTimeout(() => void consumer.close(), 200_000);
  const deadline = Date.now() + 200_000;
  await producer.initTransactions();
  for await (const batch of consumer.batches()) {
    const tp = { topic: batch.topic, partition: batch.partition };
    for (let i = 0; i < batch.records.length; i += PER_TXN) {
      const records = batch.records.slice(i, i + PER_TXN);
      if (await processInTransaction(tp, records)) {
        done += records.length;
        continue;
      }
      await rewind([tp]);
      break; // the rest of this batch was dropped by the seek: it is fetched again
    }
    if (done >= total || Date.now() >= deadline) break;
  }
  clearTimeout(watchdog);
  assert.ok(killed >= 0, 'the coordinator was killed mid-transaction');
  await restarting;
  await cluster.waitFormed(60_000);
  assert.ok((await waitIsr(cluster, OUT, 3, 60_000)).ok, 'the killed node is back in the ISRs');
  t.diagnostic(`${txns} transactions, ${aborts} aborted, ${done} of ${total} inputs committed`);
  assert.equal(done, total, 'every input was processed in a committed transaction');
  await completed(cluster.bootstrap, TXN_ID, 'CompleteCommit', 30_000);

  // The output, read_committed: every input exactly once.
  const outputs = await kcatValues(cluster.bootstrap, OUT, PARTITIONS, 'read_committed');
  const seen = new Map<string, number>();
  for (const v of outputs) {
    const [, p, o] = v.split(':');
    seen.set(`${p}:${o}`, (seen.get(`${p}:${o}`) ?? 0) + 1);
  }
  const dup = [...seen].filter(([, n]) => n > 1).map(([k]) => k);
  const missing: string[] = [];
  for (let p = 0; p < PARTITIONS; p++) for (let o = 0; o < PER_PARTITION; o++) if (!seen.has(`${p}:${o}`)) missing.push(`${p}:${o}`);
  assert.deepEqual({ duplicated: dup, missing, count: outputs.length }, { duplicated: [], missing: [], count: total });
  assert.equal((await ourValues(cluster.bootstrap, OUT, PARTITIONS, total, 'read_committed')).length, total, 'our read_committed consumer reads the same');
  const uncommitted = await kcatValues(cluster.bootstrap, OUT, PARTITIONS, 'read_uncommitted');
  t.diagnostic(`read_uncommitted holds ${uncommitted.length} records (aborted ones included)`);
  assert.ok(aborts >= 1 && uncommitted.length > total, 'the aborted transaction wrote records that read_committed does not show');

  // The group's committed offsets match the outputs: every input partition consumed to its end.
  const offsets = await admin.fetchOffsets(GROUP, [IN]);
  assert.deepEqual(
    offsets.map((o) => [o.partition, o.offset]).sort((a, b) => a[0]! - b[0]!),
    Array.from({ length: PARTITIONS }, (_, p) => [p, PER_PARTITION]),
  );
});
