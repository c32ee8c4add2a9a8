/**
 * kafkajs consumer-group failover against a real broker: three members (each its own process, so
 * SIGKILL is real) share a 6-partition topic two partitions each; one is SIGKILLed while records
 * keep coming; its partitions move to the others once its session times out. Every record is
 * consumed at least once, and a record is consumed twice only if its earlier consumer never
 * committed past it (the killed member's tail after its last commit, or a commit a rebalance
 * refused). Then DescribeGroups shows the two members with their decoded assignments, and the lag
 * computed from committed offsets and high watermarks is zero everywhere.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { startBroker } from '../../src/index.js';
import { computeGroupLag, decodeConsumerAssignment } from '../../src/cluster/group/lag.js';
import { makeKafka } from '../helpers/kafkajs.js';
import { startProcess, type RunningProcess } from '../helpers/proc.js';

const TOPIC = 'failover';
const GROUP = 'g-failover';
const PARTITIONS = 6;
const SESSION_TIMEOUT_MS = 6000;
const memberScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'groups-member.js');

interface MemberEvent {
  ev: 'assign' | 'msg' | 'commit' | 'commit-failed';
  partitions?: number[];
  p?: number;
  o?: number;
  v?: string;
  err?: string;
}

interface Member {
  name: string;
  proc: RunningProcess;
  events: MemberEvent[];
  assignment(): number[];
}

/** Every consumption of a record, in the order the test saw them. */
const consumptions: Array<{ member: string; p: number; o: number; v: string }> = [];

function spawnMember(name: string, bootstrap: string): Member {
  const events: MemberEvent[] = [];
  let assigned: number[] = [];
  const proc = startProcess(process.execPath, [memberScript], {
    timeoutMs: 85_000,
    env: { ...process.env, TRIBUTARY_GROUP_MEMBER: name, BOOTSTRAP: bootstrap, TOPIC, GROUP, SESSION_TIMEOUT_MS: String(SESSION_TIMEOUT_MS) },
    onStdoutLine: (line) => {
      if (!line.startsWith('{')) return;
      const e = JSON.parse(line) as MemberEvent;
      events.push(e);
      if (e.ev === 'assign') assigned = e.partitions ?? [];
      if (e.ev === 'msg') consumptions.push({ member: name, p: e.p!, o: e.o!, v: e.v! });
    },
  });
  return { name, proc, events, assignment: () => assigned };
}

async function waitFor(what: string, condition: () => boolean, timeoutMs: number, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('kafkajs: a SIGKILLed member\'s partitions move to the others; every record consumed, duplicates only after the last commit', { timeout: 88_000 }, async (t) => {
  const broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': 0, 'auto.create.topics.enable': false } });
  t.after(() => broker.close());
  const { kafka, logTail } = makeKafka(broker.bootstrap, 'failover-test');
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true });

  const members = ['a', 'b', 'c'].map((n) => spawnMember(n, broker.bootstrap));
  t.after(() => members.forEach((m) => m.proc.kill('SIGKILL')));
  const detail = (): string =>
    members.map((m) => `${m.name}: assignment ${JSON.stringify(m.assignment())}, ${m.events.length} events\n${m.proc.stderrSoFar().slice(-1500)}`).join('\n') + `\n--- test kafkajs log ---\n${logTail()}`;
  const union = (ms: readonly Member[]): string => ms.flatMap((m) => m.assignment()).sort((x, y) => x - y).join(',');
  await waitFor('three members with two partitions each', () => members.every((m) => m.assignment().length === 2) && union(members) === '0,1,2,3,4,5', 40_000, detail);

  // Produce throughout: one record every 15 ms, round robin over the partitions.
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.after(() => producer.disconnect());
  const produced: string[] = [];
  let producing = true;
  const production = (async () => {
    for (let seq = 0; producing; seq += 1) {
      const value = `r-${seq}`;
      await producer.send({ topic: TOPIC, acks: -1, messages: [{ partition: seq % PARTITIONS, value }] });
      produced.push(value);
      await new Promise((r) => setTimeout(r, 15));
    }
  })();

  await new Promise((r) => setTimeout(r, 2500));
  const [a, b, c] = members as [Member, Member, Member];
  const killedPartitions = c.assignment();
  c.proc.kill('SIGKILL');
  const killedAt = Date.now();
  await waitFor('the survivors to own all six partitions', () => a.assignment().length === 3 && b.assignment().length === 3 && union([a, b]) === '0,1,2,3,4,5', SESSION_TIMEOUT_MS + 15_000, detail);
  const movedAfterMs = Date.now() - killedAt;
  t.diagnostic(`partitions ${killedPartitions} of the killed member moved after ${movedAfterMs} ms (session timeout ${SESSION_TIMEOUT_MS} ms)`);
  assert.ok(movedAfterMs < SESSION_TIMEOUT_MS + 4000, `partitions moved ${movedAfterMs} ms after the kill`);

  await new Promise((r) => setTimeout(r, 2500));
  producing = false;
  await production;
  const expected = new Set(produced);
  const seen = (): Set<string> => new Set(consumptions.map((x) => x.v));
  await waitFor(`all ${expected.size} records consumed`, () => [...expected].every((v) => seen().has(v)), 20_000, () => `missing ${[...expected].filter((v) => !seen().has(v)).slice(0, 20)}\n${detail()}`);
  // Let in-flight commits land, then look for duplicates.
  await new Promise((r) => setTimeout(r, 500));

  const lastCommit = (m: Member, p: number): number => Math.max(-1, ...m.events.filter((e) => e.ev === 'commit' && e.p === p).map((e) => e.o!));
  const failedCommit = (m: Member, p: number, next: number): boolean => m.events.some((e) => e.ev === 'commit-failed' && e.p === p && e.o === next);
  const byName = new Map(members.map((m) => [m.name, m]));
  const firstBy = new Map<string, string>();
  const unexplained: string[] = [];
  let allowedDuplicates = 0;
  for (const x of consumptions) {
    const k = `${x.p}:${x.o}`;
    const first = firstBy.get(k);
    if (first === undefined) {
      firstBy.set(k, x.member);
      continue;
    }
    const earlier = byName.get(first)!;
    // The earlier consumer never got a commit past this record acknowledged.
    if (x.o >= lastCommit(earlier, x.p) || failedCommit(earlier, x.p, x.o + 1)) allowedDuplicates += 1;
    else unexplained.push(`${k} (${x.v}) consumed by ${first} (last commit ${lastCommit(earlier, x.p)}) and again by ${x.member}`);
  }
  t.diagnostic(`${produced.length} produced, ${consumptions.length} consumptions, ${allowedDuplicates} re-deliveries after a missing commit`);
  assert.deepEqual(unexplained, [], 'records consumed twice although their first consumer had committed past them');
  assert.ok(consumptions.filter((x) => x.member === 'c').length > 0, 'the killed member consumed before it died');

  // DescribeGroups: two members, their decoded assignments cover the topic; lag is zero.
  const described = (await admin.describeGroups([GROUP])).groups[0]!;
  assert.equal(described.state, 'Stable');
  assert.equal(described.protocol, 'RoundRobinAssigner');
  assert.equal(described.members.length, 2);
  const decoded = described.members.map((m) => decodeConsumerAssignment(m.memberAssignment)!.assignedPartitions.flatMap((tp) => tp.partitions.map((p) => `${tp.topic}-${p}`)));
  assert.deepEqual(decoded.flat().sort(), [...Array(PARTITIONS).keys()].map((p) => `${TOPIC}-${p}`).sort());
  const committed = (await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] }))[0]!.partitions.map((p) => ({ topic: TOPIC, partition: p.partition, offset: Number(p.offset) }));
  const highWatermarks = new Map((await admin.fetchTopicOffsets(TOPIC)).map((p) => [p.partition, Number(p.high)]));
  const lag = computeGroupLag(
    described.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, assignment: m.memberAssignment })),
    committed,
    (_topic, partition) => highWatermarks.get(partition),
  );
  assert.equal(lag.length, PARTITIONS);
  for (const l of lag) {
    assert.equal(l.lag, 0, `partition ${l.partition}: committed ${l.committedOffset}, high watermark ${l.highWatermark}`);
    assert.ok(l.memberId !== null && l.clientId !== null && ['a', 'b'].includes(l.clientId), `partition ${l.partition} owned by a survivor`);
  }
  assert.equal(lag.reduce((s, l) => s + (l.highWatermark ?? 0), 0), produced.length);

  await Promise.all([a, b].map(async (m) => {
    m.proc.kill('SIGTERM');
    await m.proc.done;
  }));
});
