import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { logLevel, type Kafka, type Transaction } from 'kafkajs';
import { Admin } from '../../src/client/index.js';
import { TRANSACTION_STATE_TOPIC } from '../../src/cluster/internal-topics.js';
import { makeTempDir, removeTempDir } from '../helpers/cleanup.js';
import type { ProcessCluster } from '../helpers/cluster-process.js';
import { makeKafka } from '../helpers/kafkajs.js';
import { runProcess, formatRunFailure } from '../helpers/proc.js';
import { startPython } from '../helpers/python.js';
import { createReplicatedTopic, describeStates, sleep, startReplicatedCluster, waitIsr } from '../helpers/replication-setup.js';
import { requireTool } from '../helpers/tools.js';

/**
 * Exactly-once consume-transform-produce across a coordinator failure (issue "Idempotent producers and
 * transactions"): on 3 broker processes (RF 3, min.insync.replicas 2), a transformer reads an input
 * topic read_committed in a consumer group and, per poll, writes one output per input record and the
 * group's next offsets in one transaction (kafkajs `sendOffsets`; confluent-kafka-python
 * `send_offsets_to_transaction`). Twice during the run the broker coordinating its transactional id is
 * SIGKILLed in the middle of an open transaction (once with records sent, once with offsets sent too)
 * and restarted. Every few transactions a decoy transaction writes the same outputs and aborts.
 *
 * Then, read_committed: every input record has exactly one output, in input order per partition (no
 * loss, no duplicate: input offsets and outputs committed atomically); no output of an aborted
 * transaction is visible (while read_uncommitted shows them all); no transaction is torn (all of its
 * outputs visible or none); the group's committed offsets are the input's end offsets.
 */

const PARTITIONS = 4;
const PER_PARTITION = 60;
const PROPERTIES = {
  'transaction.state.log.num.partitions': 3,
  'transaction.state.log.replication.factor': 3,
  'transaction.state.log.min.isr': 2,
  'group.initial.rebalance.delay.ms': 0,
};

type Outcome = 'committed' | 'aborted' | 'decoy-aborted' | 'failed' | 'fatal';
interface TxnEntry {
  tag: string;
  outcome: Outcome;
  records: number;
  error?: string;
}

/** SIGKILLs the broker coordinating a transactional id while a transaction is open, then restarts it. */
class CoordinatorKiller {
  readonly kills: string[] = [];
  private restarting: Promise<void> = Promise.resolve();

  constructor(
    private readonly cluster: ProcessCluster,
    private readonly transactionalId: string,
    private readonly topics: readonly string[],
  ) {}

  async killCoordinator(during: string): Promise<void> {
    // One broker down at a time: the previous victim is back and every replica in sync again.
    await this.restarting;
    for (const topic of [TRANSACTION_STATE_TOPIC, ...this.topics]) {
      const isr = await waitIsr(this.cluster, topic, 3, 60_000);
      assert.ok(isr.ok, `${topic} back to a full ISR before the next kill: ${describeStates(isr.states)}`);
    }
    const admin = new Admin({ bootstrapServers: this.cluster.bootstrap });
    let node: number;
    try {
      node = (await admin.describeTransactions([this.transactionalId]))[0]!.coordinatorId;
    } finally {
      await admin.close();
    }
    await this.cluster.kill(node);
    this.kills.push(`node ${node} (coordinator of ${this.transactionalId}) SIGKILLed ${during}`);
    this.restarting = (async () => {
      await sleep(4000);
      await this.cluster.restart(node);
    })();
  }

  async settle(): Promise<void> {
    await this.restarting;
  }
}

/** Writes the input: PER_PARTITION records per partition, values in-<p>-<i>, five to a batch. */
async function writeInput(kafka: Kafka, topic: string): Promise<Map<number, string[]>> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const inputs = new Map<number, string[]>();
  try {
    for (let p = 0; p < PARTITIONS; p++) inputs.set(p, []);
    for (let i = 0; i < PER_PARTITION; i += 5) {
      for (let p = 0; p < PARTITIONS; p++) {
        const values = Array.from({ length: 5 }, (_, k) => `in-${p}-${i + k}`);
        await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value, partition: p })) });
        inputs.get(p)!.push(...values);
      }
    }
  } finally {
    await producer.disconnect();
  }
  return inputs;
}

async function kcatPartition(bootstrap: string, topic: string, partition: number, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const r = await runProcess('kcat', ['-C', '-b', bootstrap, '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%s\\n', '-X', `isolation.level=${isolation}`], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, formatRunFailure(r, 'kcat'));
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

/** Waits (bounded) until the id's last transaction is complete: markers written, Complete* durable. */
async function transactionSettled(bootstrap: string, transactionalId: string): Promise<void> {
  const admin = new Admin({ bootstrapServers: bootstrap });
  try {
    const deadline = Date.now() + 60_000;
    let seen = '';
    while (Date.now() < deadline) {
      try {
        seen = (await admin.describeTransactions([transactionalId]))[0]?.state ?? '';
        if (seen === 'CompleteCommit' || seen === 'CompleteAbort' || seen === 'Empty') return;
      } catch (err) {
        seen = (err as Error).message;
      }
      await sleep(100);
    }
    assert.fail(`${transactionalId}'s last transaction did not complete within 60 s (last seen ${seen})`);
  } finally {
    await admin.close();
  }
}

/** The read_committed proofs over the output topic; `log` is what the transformer says it did. */
async function verifyExactlyOnce(t: TestContext, cluster: ProcessCluster, kafka: Kafka, opts: { input: string; output: string; group: string; transactionalId: string; inputs: Map<number, string[]>; log: readonly TxnEntry[] }): Promise<void> {
  await transactionSettled(cluster.bootstrap, opts.transactionalId);
  const byTag = new Map(opts.log.map((e) => [e.tag, e]));
  const visiblePerTag = new Map<string, number>();
  const problems: string[] = [];
  let committedCount = 0;
  let uncommittedCount = 0;
  const inLog = new Set<string>();
  for (let p = 0; p < PARTITIONS; p++) {
    const committed = await kcatPartition(cluster.bootstrap, opts.output, p, 'read_committed');
    const uncommitted = await kcatPartition(cluster.bootstrap, opts.output, p, 'read_uncommitted');
    committedCount += committed.length;
    uncommittedCount += uncommitted.length;
    const sources: string[] = [];
    for (const value of committed) {
      const at = value.lastIndexOf('@');
      const tag = value.slice(at + 1);
      sources.push(value.slice(0, at));
      visiblePerTag.set(tag, (visiblePerTag.get(tag) ?? 0) + 1);
    }
    const expected = opts.inputs.get(p)!;
    if (JSON.stringify(sources) !== JSON.stringify(expected)) {
      const seen = new Map<string, number>();
      for (const s of sources) seen.set(s, (seen.get(s) ?? 0) + 1);
      const missing = expected.filter((v) => !seen.has(v));
      const twice = [...seen].filter(([, n]) => n > 1).map(([v, n]) => `${v}×${n}`);
      problems.push(`partition ${p}: ${sources.length} outputs for ${expected.length} inputs; missing [${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}] (${missing.length}); more than once [${twice.slice(0, 5).join(', ')}] (${twice.length})${missing.length + twice.length === 0 ? '; out of input order' : ''}`);
    }
    for (const v of uncommitted) inLog.add(v.slice(v.lastIndexOf('@') + 1));
  }
  // Every decoy wrote its records: the log has them (read_uncommitted), read_committed hides them.
  for (const e of opts.log) if (e.outcome === 'decoy-aborted' && !inLog.has(e.tag)) problems.push(`decoy ${e.tag} is not in the log at all`);
  for (const [tag, n] of visiblePerTag) {
    const e = byTag.get(tag);
    if (!e) problems.push(`visible outputs of transaction ${tag}, which the transformer never reported`);
    else if (e.outcome === 'decoy-aborted' || e.outcome === 'aborted') problems.push(`aborted read: ${n} outputs of ${e.outcome} transaction ${tag} are visible`);
    else if (n !== e.records) problems.push(`torn transaction ${tag} (${e.outcome}): ${n} of its ${e.records} outputs visible`);
  }
  for (const e of opts.log) if (e.outcome === 'committed' && !visiblePerTag.has(e.tag)) problems.push(`lost: committed transaction ${e.tag} has no visible output`);

  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = (await admin.fetchOffsets({ groupId: opts.group, topics: [opts.input] }))[0]!.partitions;
    for (let p = 0; p < PARTITIONS; p++) {
      const committedOffset = offsets.find((x) => x.partition === p)?.offset;
      if (committedOffset !== String(PER_PARTITION)) problems.push(`group ${opts.group} committed ${committedOffset} on ${opts.input}-${p}, want ${PER_PARTITION}`);
    }
  } finally {
    await admin.disconnect();
  }
  const counts = new Map<Outcome, number>();
  for (const e of opts.log) counts.set(e.outcome, (counts.get(e.outcome) ?? 0) + 1);
  t.diagnostic(`transactions: ${[...counts].map(([k, n]) => `${k} ${n}`).join(', ')}; outputs read_committed ${committedCount}, read_uncommitted ${uncommittedCount}`);
  assert.deepEqual(problems, [], 'exactly once');
  assert.ok((counts.get('committed') ?? 0) >= 10, 'enough transactions committed to mean something');
  assert.ok((counts.get('decoy-aborted') ?? 0) >= 2, 'aborted transactions were part of the run');
  assert.ok(uncommittedCount > committedCount, 'the aborted outputs are in the log (read_uncommitted sees them)');
}

/**
 * The kafkajs transformer: a session is one transactional producer and one group consumer; a failed
 * transaction ends the session, and the next one starts with InitProducerId (which fences the old
 * producer and completes its transaction) before its consumer reads the group's committed offsets.
 */
class KafkajsTransformer {
  readonly log: TxnEntry[] = [];
  readonly sessions: string[] = [];
  private seq = 0;
  private readonly next = new Map<number, number>();

  constructor(
    private readonly kafka: Kafka,
    private readonly o: { input: string; output: string; group: string; transactionalId: string; pauseAt: Map<number, 'records' | 'offsets'>; onPause: (seq: number) => Promise<void>; decoyEvery: number },
  ) {}

  private done(): boolean {
    for (let p = 0; p < PARTITIONS; p++) if ((this.next.get(p) ?? 0) < PER_PARTITION) return false;
    return true;
  }

  async run(deadline: number): Promise<void> {
    while (!this.done()) {
      assert.ok(Date.now() < deadline, `kafkajs transformer not done in time; sessions: ${this.sessions.join(' | ')}`);
      this.sessions.push(await this.session());
    }
  }

  private async session(): Promise<string> {
    const producer = this.kafka.producer({ transactionalId: this.o.transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000 });
    await producer.connect();
    // kafkajs sends InitProducerId for the first transaction: it waits out the previous session's.
    let first: Transaction | null = await producer.transaction();
    const consumer = this.kafka.consumer({ groupId: this.o.group, readUncommitted: false, maxBytesPerPartition: 256, sessionTimeout: 30_000, heartbeatInterval: 1000 });
    let end: (why: string) => void = () => undefined;
    const ended = new Promise<string>((resolve) => (end = resolve));
    let over = false;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.o.input, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: async ({ batch, resolveOffset, isStale }) => {
          if (over || batch.messages.length === 0 || isStale()) return;
          const seq = ++this.seq;
          const messages = batch.messages.map((m) => ({ partition: batch.partition, key: m.key, value: `${m.value?.toString() ?? ''}@js-${seq}` }));
          const lastOffset = batch.messages[batch.messages.length - 1]!.offset;
          let txn: Transaction | null = null;
          try {
            if (seq % this.o.decoyEvery === 0) {
              const decoy = first ?? (await producer.transaction());
              first = null;
              await decoy.send({ topic: this.o.output, messages: messages.map((m) => ({ ...m, value: `${m.value}a` })) });
              await decoy.abort();
              this.log.push({ tag: `js-${seq}a`, outcome: 'decoy-aborted', records: messages.length });
            }
            txn = first ?? (await producer.transaction());
            first = null;
            await txn.send({ topic: this.o.output, messages });
            if (this.o.pauseAt.get(seq) === 'records') await this.o.onPause(seq);
            const nextOffset = Number(lastOffset) + 1;
            await txn.sendOffsets({ consumerGroupId: this.o.group, topics: [{ topic: this.o.input, partitions: [{ partition: batch.partition, offset: String(nextOffset) }] }] });
            if (this.o.pauseAt.get(seq) === 'offsets') await this.o.onPause(seq);
            await txn.commit();
            this.log.push({ tag: `js-${seq}`, outcome: 'committed', records: messages.length });
            this.next.set(batch.partition, nextOffset);
            resolveOffset(lastOffset);
            if (this.done()) {
              over = true;
              end('done');
            }
          } catch (err) {
            // The outcome is unknown to us (the commit may have landed): the next session's
            // InitProducerId settles it, and its consumer starts from what the group committed.
            this.log.push({ tag: `js-${seq}`, outcome: 'failed', records: messages.length, error: String(err) });
            await txn?.abort().catch(() => undefined);
            over = true;
            end(`js-${seq} failed: ${(err as Error).message}`);
          }
        },
      });
      const why = await ended;
      return why;
    } finally {
      over = true;
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      // What the group committed is the truth: a failed commit may have landed.
      await this.refreshFromGroup();
    }
  }

  private async refreshFromGroup(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const offsets = (await admin.fetchOffsets({ groupId: this.o.group, topics: [this.o.input] }))[0]!.partitions;
      for (const x of offsets) if (Number(x.offset) >= 0) this.next.set(x.partition, Number(x.offset));
    } finally {
      await admin.disconnect();
    }
  }
}

async function setUp(t: TestContext, name: string): Promise<{ cluster: ProcessCluster; kafka: Kafka; input: string; output: string; inputs: Map<number, string[]> }> {
  requireTool('kcat');
  const cluster = await startReplicatedCluster(t, { properties: PROPERTIES });
  const { kafka } = makeKafka(cluster.bootstrap, `ctp-${name}`, { logLevel: logLevel.NOTHING, retry: { retries: 12, initialRetryTime: 100, maxRetryTime: 2000 } });
  const input = `ctp-${name}-in`;
  const output = `ctp-${name}-out`;
  await createReplicatedTopic(cluster, input, PARTITIONS);
  await createReplicatedTopic(cluster, output, PARTITIONS);
  const inputs = await writeInput(kafka, input);
  return { cluster, kafka, input, output, inputs };
}

test('kafkajs consume-transform-produce with sendOffsets: exactly once while the transaction coordinator is SIGKILLed mid-transaction', { timeout: 300_000 }, async (t) => {
  const { cluster, kafka, input, output, inputs } = await setUp(t, 'kafkajs');
  const transactionalId = 'ctp-kafkajs';
  const killer = new CoordinatorKiller(cluster, transactionalId, [input, output]);
  const transformer = new KafkajsTransformer(kafka, {
    input, output, group: 'ctp-kafkajs-group', transactionalId, decoyEvery: 5,
    pauseAt: new Map([[3, 'records'], [9, 'offsets']]),
    onPause: (seq) => killer.killCoordinator(`in transaction js-${seq}`),
  });
  try {
    await transformer.run(Date.now() + 200_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${cluster.logs(3000)}`);
  }
  await killer.settle();
  t.diagnostic(killer.kills.join('; '));
  t.diagnostic(`sessions: ${transformer.sessions.join(' | ')}`);
  assert.equal(killer.kills.length, 2, 'the coordinator was killed twice');
  await verifyExactlyOnce(t, cluster, kafka, { input, output, group: 'ctp-kafkajs-group', transactionalId, inputs, log: transformer.log });
});

test('confluent-kafka-python consume-transform-produce with send_offsets_to_transaction: exactly once while the transaction coordinator is SIGKILLed mid-transaction', { timeout: 300_000 }, async (t) => {
  requireTool('confluent-kafka-python');
  const { cluster, kafka, input, output, inputs } = await setUp(t, 'rdkafka');
  const transactionalId = 'ctp-rdkafka';
  const killer = new CoordinatorKiller(cluster, transactionalId, [input, output]);
  const controlDir = await makeTempDir('ctp-control');
  t.after(() => removeTempDir(controlDir));
  const log: TxnEntry[] = [];
  const pauses: Array<Promise<void>> = [];
  let pauseFailure: unknown = null;
  const args = ['--bootstrap', cluster.bootstrap, '--input', input, '--output', output, '--group', 'ctp-rdkafka-group', '--transactional-id', transactionalId, '--control-dir', controlDir];
  const proc = startPython('ctp_transformer.py', [...args, '--pause-at', '3:records,9:offsets', '--timeout-s', '200'], 220_000, (line) => {
    if (!line.startsWith('{')) return;
    const ev = JSON.parse(line) as { paused?: number; outcome?: Outcome; tag?: string; records?: number; error?: string };
    if (ev.paused !== undefined) {
      const seq = ev.paused;
      pauses.push(
        killer
          .killCoordinator(`in transaction rd-${seq}`)
          .catch((err: unknown) => {
            pauseFailure = err;
          })
          .finally(() => fs.writeFileSync(path.join(controlDir, `go-${seq}`), '')),
      );
    } else if (ev.outcome !== undefined) {
      log.push({ tag: ev.tag!, outcome: ev.outcome, records: ev.records ?? 0, ...(ev.error ? { error: ev.error } : {}) });
    }
  });
  const result = await proc.done;
  await Promise.all(pauses);
  if (pauseFailure) throw pauseFailure;
  assert.equal(result.code, 0, `${formatRunFailure(result, 'ctp_transformer.py')}\n${cluster.logs(3000)}`);
  await killer.settle();
  t.diagnostic(killer.kills.join('; '));
  assert.equal(killer.kills.length, 2, 'the coordinator was killed twice');
  await verifyExactlyOnce(t, cluster, kafka, { input, output, group: 'ctp-rdkafka-group', transactionalId, inputs, log });
});
