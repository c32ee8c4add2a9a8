/**
 * Committed offsets are durable: kcat's balanced consumer (`-G`), confluent-kafka-python and
 * kafka-python each join a group, consume and commit; the broker process is SIGKILLed and
 * restarted on the same port; the committed offsets are still there (OffsetFetch) and each client
 * resumes exactly after them — none of the records it had committed comes back. A second
 * SIGKILL checks the commits made after the first restart as well.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { makeKafka } from '../helpers/kafkajs.js';
import { debianPython } from '../helpers/paths.js';
import { formatRunFailure, runProcess } from '../helpers/proc.js';
import { requireTool } from '../helpers/tools.js';

const PARTITIONS = 3;

/** A group consumer for both Python clients: read COUNT records (and linger for extras), commit synchronously, close. */
const PY_GROUP_CONSUMER = String.raw`
import json, os, sys, time
client = os.environ['CLIENT']; bootstrap = os.environ['BOOTSTRAP']; topic = os.environ['TOPIC']
group = os.environ['GROUP']; count = int(os.environ['COUNT']); deadline = time.time() + float(os.environ['TIMEOUT'])
out = []
def emit(p, o, v):
    out.append((p, o)); print(json.dumps({'p': p, 'o': o, 'v': v}), flush=True)
reached = None
if client == 'confluent':
    from confluent_kafka import Consumer
    c = Consumer({'bootstrap.servers': bootstrap, 'group.id': group, 'auto.offset.reset': 'earliest',
                  'enable.auto.commit': False, 'session.timeout.ms': 10000})
    c.subscribe([topic])
    while time.time() < deadline and (reached is None or time.time() - reached < 1.0):
        m = c.poll(0.2)
        if m is None: continue
        if m.error(): print('error', m.error(), file=sys.stderr); continue
        emit(m.partition(), m.offset(), m.value().decode())
        if len(out) >= count and reached is None: reached = time.time()
    if out: print(json.dumps({'committed': [[tp.partition, tp.offset] for tp in c.commit(asynchronous=False)]}), flush=True)
    c.close()
else:
    from kafka import KafkaConsumer
    c = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset='earliest',
                      enable_auto_commit=False, session_timeout_ms=10000, client_id='e2e-kafka-python-group')
    while time.time() < deadline and (reached is None or time.time() - reached < 1.0):
        for tp, msgs in c.poll(timeout_ms=200).items():
            for m in msgs: emit(m.partition, m.offset, m.value.decode())
        if len(out) >= count and reached is None: reached = time.time()
    if out:
        c.commit()
        print(json.dumps({'committed': 'sync'}), flush=True)
    c.close()
sys.exit(0 if len(out) >= count else 2)
`;

type Client = 'kcat' | 'confluent' | 'kafka-python';
const CLIENTS: readonly Client[] = ['kcat', 'confluent', 'kafka-python'];

interface Consumed {
  values: string[];
  offsets: Array<[number, number]>;
}

async function consume(client: Client, bootstrap: string, topic: string, group: string, count: number): Promise<Consumed> {
  if (client === 'kcat') {
    // Balanced consumer: exits at the end of every assigned partition (-e), committing its
    // consumed offsets on close (librdkafka auto commit).
    const r = await runProcess('kcat', ['-b', bootstrap, '-G', group, topic, '-X', 'auto.offset.reset=earliest', '-X', 'auto.commit.interval.ms=200', '-e', '-q', '-f', '%p %o %s\\n'], { timeoutMs: 30_000 });
    if (r.code !== 0 || r.timedOut) throw new Error(formatRunFailure(r, 'kcat -G'));
    const lines = r.stdout.split('\n').filter((l) => l.length > 0);
    return {
      values: lines.map((l) => l.split(' ')[2]!),
      offsets: lines.map((l) => [Number(l.split(' ')[0]), Number(l.split(' ')[1])] as [number, number]),
    };
  }
  const env = { ...process.env, CLIENT: client, BOOTSTRAP: bootstrap, TOPIC: topic, GROUP: group, COUNT: String(count), TIMEOUT: '30', PYTHONDONTWRITEBYTECODE: '1' };
  const r = await runProcess(debianPython, ['-c', PY_GROUP_CONSUMER], { timeoutMs: 40_000, env });
  if (r.code !== 0 || r.timedOut) throw new Error(formatRunFailure(r, `${client} group consumer`));
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { p?: number; o?: number; v?: string; committed?: unknown });
  const records = lines.filter((l) => l.v !== undefined);
  assert.ok(lines.some((l) => l.committed !== undefined), `${client} committed`);
  return { values: records.map((l) => l.v!), offsets: records.map((l) => [l.p!, l.o!]) };
}

async function produce(bootstrap: string, topic: string, tag: string, n: number): Promise<string[]> {
  const { kafka } = makeKafka(bootstrap, 'restart-producer');
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const values = [...Array(n).keys()].map((i) => `${tag}-${i}`);
    await producer.send({ topic, acks: -1, messages: values.map((value, i) => ({ partition: i % PARTITIONS, value })) });
    return values;
  } finally {
    await producer.disconnect();
  }
}

/** Committed offsets of every group, summed per group, read through a fresh kafkajs admin. */
async function committedTotals(bootstrap: string): Promise<Record<Client, number>> {
  const { kafka } = makeKafka(bootstrap, 'restart-admin');
  const admin = kafka.admin();
  await admin.connect();
  try {
    const totals = {} as Record<Client, number>;
    for (const client of CLIENTS) {
      const offsets = await admin.fetchOffsets({ groupId: `g-${client}`, topics: [`restart-${client}`] });
      totals[client] = offsets[0]!.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
    }
    return totals;
  } finally {
    await admin.disconnect();
  }
}

async function restart(t: TestContext, broker: BrokerProcess): Promise<void> {
  const exit = await broker.kill('SIGKILL');
  assert.equal(exit.signal, 'SIGKILL');
  const started = Date.now();
  await broker.restart({ samePort: true });
  t.diagnostic(`broker restarted after SIGKILL in ${Date.now() - started} ms`);
}

test('kcat -G, confluent-kafka-python and kafka-python resume after their committed offsets across broker SIGKILLs', { timeout: 88_000 }, async (t) => {
  requireTool('kcat');
  requireTool('confluent-kafka-python');
  requireTool('kafka-python');
  const broker = await startBrokerProcess(t, { overrides: { 'group.initial.rebalance.delay.ms': 0, 'auto.create.topics.enable': false } });
  const fail = (err: unknown): never => {
    if (err instanceof Error) err.message += `\n--- broker log ---\n${broker.recentLogs(4000)}`;
    throw err;
  };
  try {
    const { kafka } = makeKafka(broker.bootstrap, 'restart-setup');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: CLIENTS.map((c) => ({ topic: `restart-${c}`, numPartitions: PARTITIONS, replicationFactor: 1 })), waitForLeaders: true });
    await admin.disconnect();

    const first: Record<string, string[]> = {};
    for (const client of CLIENTS) {
      first[client] = await produce(broker.bootstrap, `restart-${client}`, 'first', 30);
      const got = await consume(client, broker.bootstrap, `restart-${client}`, `g-${client}`, 30);
      assert.deepEqual([...got.values].sort(), [...first[client]!].sort(), `${client}: the first run reads every record once`);
    }
    assert.deepEqual(await committedTotals(broker.bootstrap), { kcat: 30, confluent: 30, 'kafka-python': 30 });

    await restart(t, broker);
    assert.deepEqual(await committedTotals(broker.bootstrap), { kcat: 30, confluent: 30, 'kafka-python': 30 }, 'commits survive SIGKILL');
    for (const client of CLIENTS) {
      const second = await produce(broker.bootstrap, `restart-${client}`, 'second', 15);
      const got = await consume(client, broker.bootstrap, `restart-${client}`, `g-${client}`, 15);
      assert.deepEqual([...got.values].sort(), [...second].sort(), `${client}: resumes after its committed offsets, nothing it committed comes back`);
      assert.ok(got.offsets.every(([, o]) => o >= 10), `${client}: offsets ${JSON.stringify(got.offsets)}`);
    }

    await restart(t, broker);
    assert.deepEqual(await committedTotals(broker.bootstrap), { kcat: 45, confluent: 45, 'kafka-python': 45 }, 'commits after the first restart survive too');
  } catch (err) {
    fail(err);
  }
});
