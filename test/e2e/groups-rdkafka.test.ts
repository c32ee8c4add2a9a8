/**
 * librdkafka (confluent-kafka-python) group features against a real broker process:
 * - cooperative-sticky (KIP-429): when a second member joins, the first gives up only the
 *   partitions that move (an incremental revoke, never its whole assignment) and the newcomer
 *   receives just those;
 * - static membership (KIP-345): a member with `group.instance.id` that is SIGKILLed and
 *   restarted within its session timeout gets its partitions back, and the other member sees no
 *   rebalance at all (no revoke, no new assignment; its member id is unchanged).
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { makeKafka } from '../helpers/kafkajs.js';
import { debianPython } from '../helpers/paths.js';
import { startProcess, type RunningProcess } from '../helpers/proc.js';
import { requireTool } from '../helpers/tools.js';

/** A member that reports its rebalance callbacks as JSON lines until SIGTERM (or SIGKILL). */
const PY_MEMBER = String.raw`
import json, os, signal, sys, time
from confluent_kafka import Consumer
conf = {'bootstrap.servers': os.environ['BOOTSTRAP'], 'group.id': os.environ['GROUP'], 'auto.offset.reset': 'earliest',
        'session.timeout.ms': int(os.environ.get('SESSION_TIMEOUT_MS', '10000')), 'heartbeat.interval.ms': 500,
        'partition.assignment.strategy': os.environ['STRATEGY'], 'client.id': os.environ['NAME']}
if os.environ.get('INSTANCE_ID'): conf['group.instance.id'] = os.environ['INSTANCE_ID']
c = Consumer(conf)
def emit(obj): print(json.dumps(obj), flush=True)
# confluent-kafka-python 1.7 has no rebalance_protocol(); the strategy decides it.
protocol = 'COOPERATIVE' if os.environ['STRATEGY'] == 'cooperative-sticky' else 'EAGER'
def on_assign(consumer, partitions):
    emit({'ev': 'assign', 'partitions': sorted(tp.partition for tp in partitions), 'protocol': protocol})
    if protocol == 'COOPERATIVE': consumer.incremental_assign(partitions)
    else: consumer.assign(partitions)
def on_revoke(consumer, partitions):
    emit({'ev': 'revoke', 'partitions': sorted(tp.partition for tp in partitions), 'protocol': protocol})
    if protocol == 'COOPERATIVE': consumer.incremental_unassign(partitions)
    else: consumer.unassign()
stop = []
signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
c.subscribe([os.environ['TOPIC']], on_assign=on_assign, on_revoke=on_revoke)
emit({'ev': 'started'})
while not stop:
    m = c.poll(0.1)
    if m is not None and m.error(): print('error', m.error(), file=sys.stderr, flush=True)
c.close()
emit({'ev': 'closed'})
`;

interface Event {
  ev: 'started' | 'assign' | 'revoke' | 'closed';
  partitions?: number[];
  protocol?: string;
}

interface PyMember {
  proc: RunningProcess;
  events: Event[];
  /** Partitions owned now, following the callbacks (incremental under COOPERATIVE, whole sets under EAGER). */
  owned(): number[];
}

function startMember(broker: BrokerProcess, env: Record<string, string>): PyMember {
  const events: Event[] = [];
  let owned = new Set<number>();
  const proc = startProcess(debianPython, ['-c', PY_MEMBER], {
    timeoutMs: 80_000,
    env: { ...process.env, BOOTSTRAP: broker.bootstrap, PYTHONDONTWRITEBYTECODE: '1', ...env },
    onStdoutLine: (line) => {
      if (!line.startsWith('{')) return;
      const e = JSON.parse(line) as Event;
      events.push(e);
      if (e.ev === 'assign') {
        if (e.protocol === 'COOPERATIVE') for (const p of e.partitions!) owned.add(p);
        else owned = new Set(e.partitions);
      } else if (e.ev === 'revoke') {
        if (e.protocol === 'COOPERATIVE') for (const p of e.partitions!) owned.delete(p);
        else owned = new Set();
      }
    },
  });
  return { proc, events, owned: () => [...owned].sort((a, b) => a - b) };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs: number, detail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function setup(t: TestContext, topic: string, partitions: number): Promise<BrokerProcess> {
  requireTool('confluent-kafka-python');
  const broker = await startBrokerProcess(t, { overrides: { 'group.initial.rebalance.delay.ms': 0, 'auto.create.topics.enable': false } });
  const { kafka } = makeKafka(broker.bootstrap, 'rdkafka-groups-setup');
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
  return broker;
}

const show = (broker: BrokerProcess, members: Record<string, PyMember>) => (): string =>
  Object.entries(members)
    .map(([name, m]) => `${name}: owned ${JSON.stringify(m.owned())} events ${JSON.stringify(m.events)}\n${m.proc.stderrSoFar().slice(-1500)}`)
    .join('\n') + `\n--- broker ---\n${broker.recentLogs(3000)}`;

async function stop(m: PyMember): Promise<void> {
  m.proc.kill('SIGTERM');
  await m.proc.done;
}

test('confluent-kafka-python cooperative-sticky: a joining member takes partitions incrementally', { timeout: 85_000 }, async (t) => {
  const topic = 'coop';
  const broker = await setup(t, topic, 4);
  const env = { TOPIC: topic, GROUP: 'g-coop', STRATEGY: 'cooperative-sticky' };
  const first = startMember(broker, { ...env, NAME: 'first' });
  const members: Record<string, PyMember> = { first };
  t.after(() => Object.values(members).forEach((m) => m.proc.kill('SIGKILL')));
  const detail = show(broker, members);
  await waitFor('the first member to own all four partitions', () => first.owned().join() === '0,1,2,3', 30_000, detail);
  assert.equal(first.events.find((e) => e.ev === 'assign')!.protocol, 'COOPERATIVE');

  const second = startMember(broker, { ...env, NAME: 'second' });
  members['second'] = second;
  await waitFor('both members to own two partitions each', () => first.owned().length === 2 && second.owned().length === 2, 30_000, detail);
  await new Promise((r) => setTimeout(r, 1000)); // no further movement
  assert.deepEqual([...first.owned(), ...second.owned()].sort(), [0, 1, 2, 3]);

  // The first member revoked exactly the partitions that moved, and never its whole assignment.
  const revokes = first.events.filter((e) => e.ev === 'revoke' && e.partitions!.length > 0);
  assert.equal(revokes.length, 1, detail());
  assert.deepEqual(revokes[0]!.partitions, second.owned(), 'only the moving partitions are revoked');
  assert.ok(first.events.filter((e) => e.ev === 'assign' || e.ev === 'revoke').every((e) => e.protocol === 'COOPERATIVE'));
  // The newcomer's non-empty assignments add up to just its two partitions.
  const added = second.events.filter((e) => e.ev === 'assign').flatMap((e) => e.partitions!);
  assert.deepEqual(added.sort(), second.owned());
  assert.deepEqual(second.events.filter((e) => e.ev === 'revoke' && e.partitions!.length > 0), []);

  await Promise.all([stop(first), stop(second)]);
});

test('static membership: a member restarted within its session timeout gets its partitions back without a rebalance', { timeout: 85_000 }, async (t) => {
  const topic = 'static';
  const broker = await setup(t, topic, 4);
  const env = { TOPIC: topic, GROUP: 'g-static', STRATEGY: 'range', SESSION_TIMEOUT_MS: '15000' };
  let a = startMember(broker, { ...env, NAME: 'static-a', INSTANCE_ID: 'instance-a' });
  const members: Record<string, PyMember> = { a };
  t.after(() => Object.values(members).forEach((m) => m.proc.kill('SIGKILL')));
  const b = startMember(broker, { ...env, NAME: 'static-b', INSTANCE_ID: 'instance-b' });
  members['b'] = b;
  const detail = show(broker, members);
  await waitFor('two members with two partitions each', () => a.owned().length === 2 && b.owned().length === 2, 30_000, detail);
  await new Promise((r) => setTimeout(r, 1000));
  const partitionsOfA = a.owned();
  const eventsOfB = b.events.length;

  const { kafka } = makeKafka(broker.bootstrap, 'static-admin');
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const before = (await admin.describeGroups(['g-static'])).groups[0]!;
  assert.equal(before.state, 'Stable');
  const idOf = (g: typeof before, instance: string): string | undefined => g.members.find((m) => m.clientId === instance)?.memberId;

  a.proc.kill('SIGKILL');
  await a.proc.done;
  a = startMember(broker, { ...env, NAME: 'static-a', INSTANCE_ID: 'instance-a' });
  members['a'] = a;
  await waitFor('the restarted static member to get its partitions back', () => a.owned().length === 2, 12_000, show(broker, members));
  assert.deepEqual(a.owned(), partitionsOfA, 'the same partitions as before the restart');
  await new Promise((r) => setTimeout(r, 2000));
  assert.deepEqual(b.events.slice(eventsOfB), [], 'the other member saw no rebalance');
  assert.deepEqual(b.owned().length, 2);

  const after = (await admin.describeGroups(['g-static'])).groups[0]!;
  assert.equal(after.state, 'Stable');
  assert.equal(after.members.length, 2);
  assert.equal(idOf(after, 'static-b'), idOf(before, 'static-b'), 'the other member kept its member id');
  assert.notEqual(idOf(after, 'static-a'), idOf(before, 'static-a'), 'the restarted instance has a new member id');
  const sinceRejoin = broker.recentLogs(200_000).split('static member rejoined with a new member id');
  assert.equal(sinceRejoin.length, 2, 'the broker logged the static rejoin once');
  assert.ok(!/g-static[^\n]*preparing to rebalance/.test(sinceRejoin[1]!), 'the broker started no rebalance after the restart');

  await Promise.all([stop(a), stop(b)]);
});
