import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { Admin, Consumer, Producer, startBroker, type AssignorName, type TopicPartition } from '../../src/index.js';
import { startProcess, type RunningProcess } from '../helpers/proc.js';

/**
 * Our consumer in groups (mirroring the consumer-group issue): three members on a 6-partition
 * topic get two partitions each; one member process is SIGKILLed and its partitions move to the
 * others within the session timeout with no record lost and duplicates only at or after the
 * killed member's last commit; a cooperative rebalance keeps the partitions that stay put
 * flowing while it runs; a static member restarted within its session timeout causes no
 * rebalance.
 *
 * This file is also the member process: with TRIBUTARY_CONSUMER_MEMBER set it runs one consumer
 * and reports on stdout, one JSON object per line:
 *   {"ev":"assign","partitions":[..]}   the assignment after each change
 *   {"ev":"msg","p":P,"o":O,"v":V}      a processed record (before its commit)
 *   {"ev":"commit","p":P,"o":NEXT}      the coordinator acknowledged NEXT
 */

const SESSION_TIMEOUT_MS = 6000;
const PARTITIONS = 6;
const memberName = process.env['TRIBUTARY_CONSUMER_MEMBER'];

async function runMember(name: string): Promise<void> {
  const env = (k: string): string => process.env[k] ?? '';
  const topic = env('TOPIC');
  const out = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
  const consumer = new Consumer({
    bootstrapServers: env('BOOTSTRAP'),
    clientId: name,
    groupId: env('GROUP'),
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    heartbeatIntervalMs: 500,
    enableAutoCommit: false,
    autoOffsetReset: 'earliest',
    fetchMaxWaitMs: 100,
    assignors: [env('ASSIGNOR') as AssignorName],
  });
  const report = (without: TopicPartition[] = []): void =>
    out({ ev: 'assign', partitions: consumer.assignment().filter((tp) => !without.some((w) => w.partition === tp.partition)).map((tp) => tp.partition) });
  consumer.subscribe([topic], { onPartitionsAssigned: () => report(), onPartitionsRevoked: (parts) => report(parts), onPartitionsLost: (parts) => report(parts) });
  process.on('SIGTERM', () => void consumer.close().then(() => process.exit(0)));
  for await (const batch of consumer.batches()) {
    for (const r of batch.records) out({ ev: 'msg', p: r.partition, o: r.offset, v: r.value?.toString() ?? '' });
    try {
      await consumer.commit([{ topic, partition: batch.partition, offset: batch.nextOffset }]);
      out({ ev: 'commit', p: batch.partition, o: batch.nextOffset });
    } catch (err) {
      out({ ev: 'commit-failed', p: batch.partition, o: batch.nextOffset, err: String(err) });
    }
  }
}

interface Msg {
  member: string;
  p: number;
  o: number;
  v: string;
}

class Member {
  assignment: number[] = [];
  assignedAt = 0;
  readonly commits = new Map<number, number>();
  readonly proc: RunningProcess;

  constructor(readonly name: string, bootstrap: string, topic: string, group: string, assignor: AssignorName, sink: Msg[]) {
    const env: NodeJS.ProcessEnv = { ...process.env, TRIBUTARY_CONSUMER_MEMBER: name, BOOTSTRAP: bootstrap, TOPIC: topic, GROUP: group, ASSIGNOR: assignor };
    delete env['NODE_TEST_CONTEXT'];
    this.proc = startProcess(process.execPath, [fileURLToPath(import.meta.url)], {
      timeoutMs: 85_000,
      env,
      onStdoutLine: (line) => {
        if (!line.startsWith('{')) return;
        const e = JSON.parse(line) as { ev: string; partitions?: number[]; p?: number; o?: number; v?: string };
        if (e.ev === 'assign') {
          this.assignment = [...e.partitions!].sort((a, b) => a - b);
          this.assignedAt = Date.now();
        } else if (e.ev === 'msg') sink.push({ member: name, p: e.p!, o: e.o!, v: e.v! });
        else if (e.ev === 'commit') this.commits.set(e.p!, e.o!);
      },
    });
  }
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number, detail: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${detail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Produces `v<i>` to partition i % 6, 60 records every 50 ms, until stopped. */
function startProducing(bootstrap: string, topic: string): { stop(): Promise<number> } {
  const producer = new Producer({ bootstrapServers: bootstrap, lingerMs: 1 });
  let next = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const messages = Array.from({ length: 60 }, () => {
        const i = next++;
        return { value: Buffer.from(`v${i}`), partition: i % PARTITIONS };
      });
      await producer.send({ topic, messages });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      await producer.close();
      return next;
    },
  };
}

async function setup(t: TestContext, topic: string): Promise<string> {
  const broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': 0, 'num.partitions': 3 } });
  t.after(() => broker.close());
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  await admin.createTopics([{ name: topic, numPartitions: PARTITIONS }]);
  await admin.close();
  return broker.bootstrap;
}

if (memberName) {
  runMember(memberName).catch((err: unknown) => {
    process.stderr.write(`${memberName}: ${String((err as Error).stack ?? err)}\n`);
    process.exit(1);
  });
} else {
  test('three members get two partitions each; a SIGKILLed member\'s partitions move within the session timeout, nothing lost', { timeout: 85_000 }, async (t) => {
    const topic = 'group-kill';
    const bootstrap = await setup(t, topic);
    const consumed: Msg[] = [];
    const producing = startProducing(bootstrap, topic);
    const members = ['a', 'b', 'c'].map((n) => new Member(n, bootstrap, topic, 'kill-group', 'range', consumed));
    t.after(() => members.forEach((m) => m.proc.kill('SIGKILL')));
    const detail = (): string => members.map((m) => `${m.name}: [${m.assignment.join(',')}]\n${m.proc.stderrSoFar().slice(-2000)}`).join('\n');
    await waitFor('three members with two partitions each', () => members.every((m) => m.assignment.length === 2) && new Set(members.flatMap((m) => m.assignment)).size === PARTITIONS, 30_000, detail);
    t.diagnostic(`assignment: ${members.map((m) => `${m.name}=[${m.assignment.join(',')}]`).join(' ')}`);
    const [a, b, c] = members as [Member, Member, Member];
    await waitFor('the victim to commit on both its partitions', () => c.assignment.every((p) => c.commits.has(p)), 15_000, detail);
    await new Promise((r) => setTimeout(r, 1000));

    const victimPartitions = [...c.assignment];
    c.proc.kill('SIGKILL');
    await c.proc.done;
    const killedAt = Date.now();
    const lastCommit = new Map(c.commits);
    await waitFor('the survivors to own all six partitions', () => a.assignment.length + b.assignment.length === PARTITIONS && a.assignedAt > killedAt && b.assignedAt > killedAt, SESSION_TIMEOUT_MS + 10_000, detail);
    const movedAfterMs = Math.max(a.assignedAt, b.assignedAt) - killedAt;
    t.diagnostic(`partitions [${victimPartitions.join(',')}] moved ${movedAfterMs} ms after SIGKILL: a=[${a.assignment.join(',')}] b=[${b.assignment.join(',')}]`);
    assert.ok(movedAfterMs < SESSION_TIMEOUT_MS + 3000, `reassigned within the session timeout (+ one heartbeat and rebalance): ${movedAfterMs} ms`);
    assert.deepEqual([...a.assignment, ...b.assignment].sort(), [0, 1, 2, 3, 4, 5]);

    await new Promise((r) => setTimeout(r, 1000));
    const produced = await producing.stop();
    const all = (): Set<string> => new Set(consumed.map((m) => m.v));
    await waitFor(`all ${produced} records consumed`, () => all().size >= produced, 30_000, () => `${all().size} of ${produced}\n${detail()}`);

    for (let i = 0; i < produced; i++) assert.ok(all().has(`v${i}`), `record v${i} lost`);
    const seen = new Map<string, Msg>();
    let duplicates = 0;
    for (const m of consumed) {
      const k = `${m.p}@${m.o}`;
      const prev = seen.get(k);
      if (!prev) {
        seen.set(k, m);
        continue;
      }
      duplicates++;
      assert.ok(victimPartitions.includes(m.p), `duplicate ${k} (${prev.member}, ${m.member}) outside the killed member's partitions`);
      assert.ok(m.o >= (lastCommit.get(m.p) ?? 0), `duplicate ${k} before the killed member's last commit ${lastCommit.get(m.p)}`);
    }
    t.diagnostic(`${produced} records, ${consumed.length} deliveries, ${duplicates} duplicates (all at or after the victim's last commit)`);
    await Promise.all([a, b].map(async (m) => {
      m.proc.kill('SIGTERM');
      await m.proc.done;
    }));
  });

  test('cooperative rebalance: partitions that stay assigned keep being consumed while it runs', { timeout: 60_000 }, async (t) => {
    const topic = 'group-coop';
    const bootstrap = await setup(t, topic);
    const producing = startProducing(bootstrap, topic);
    const events: string[] = [];
    const received = new Map<string, Array<{ p: number; at: number }>>();
    const values = new Map<string, number>();
    const lost: string[] = [];
    const make = (name: string): Consumer => {
      const c: Consumer = new Consumer({
        bootstrapServers: bootstrap,
        clientId: name,
        groupId: 'coop-group',
        assignors: ['cooperative-sticky'],
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: 1000,
        autoOffsetReset: 'earliest',
        autoCommitIntervalMs: 500,
        fetchMaxWaitMs: 50,
        rebalanceListener: {
          onPartitionsAssigned: (parts) => void events.push(`${name} +[${parts.map((p) => p.partition).join(',')}]`),
          onPartitionsRevoked: (parts) => void events.push(`${name} -[${parts.map((p) => p.partition).join(',')}]`),
          onPartitionsLost: (parts) => void lost.push(`${name} lost [${parts.map((p) => p.partition).join(',')}]`),
        },
      });
      c.subscribe([topic]);
      received.set(name, []);
      void (async () => {
        for await (const r of c) {
          received.get(name)!.push({ p: r.partition, at: Date.now() });
          const v = r.value!.toString();
          values.set(v, (values.get(v) ?? 0) + 1);
        }
      })();
      return c;
    };
    const a = make('a');
    await waitFor('a to own every partition', () => a.assignment().length === PARTITIONS, 20_000);
    const b = make('b');
    await waitFor('a and b with three each', () => a.assignment().length === 3 && b.assignment().length === 3, 20_000, () => events.join('\n'));
    await new Promise((r) => setTimeout(r, 1500));
    const before = a.assignment().map((tp) => tp.partition);
    const eventsBefore = events.length;

    const start = Date.now();
    const c = make('c');
    await waitFor('a, b and c with two each', () => a.assignment().length === 2 && b.assignment().length === 2 && c.assignment().length === 2, 20_000, () => events.join('\n'));
    const end = Date.now();
    const kept = a.assignment().map((tp) => tp.partition).filter((p) => before.includes(p));
    const duringA = received.get('a')!.filter((r) => r.at > start && r.at < end);
    const perKept = kept.map((p) => duringA.filter((r) => r.p === p).length);
    t.diagnostic(`rebalance took ${end - start} ms; a kept [${kept.join(',')}] of [${before.join(',')}] and consumed ${perKept.join('/')} records from them meanwhile; events: ${events.slice(eventsBefore).join('; ')}`);
    assert.equal(kept.length, 2, 'a keeps two of its three partitions');
    for (const [i, n] of perKept.entries()) assert.ok(n > 0, `records from kept partition ${kept[i]} arrived during the rebalance`);
    const aRevoked = events.slice(eventsBefore).filter((e) => e.startsWith('a -'));
    assert.deepEqual(aRevoked.length, 1, 'a revoked once');
    assert.ok(!kept.some((p) => aRevoked[0]!.includes(String(p))), `a revoked only the partition that moved: ${aRevoked[0]}`);
    assert.deepEqual(lost, [], 'nothing lost in an orderly rebalance');

    const produced = await producing.stop();
    await waitFor(`all ${produced} records consumed`, () => values.size >= produced, 20_000);
    const dup = [...values].filter(([, n]) => n > 1).length;
    assert.equal(dup, 0, 'no record consumed twice: revoked partitions are committed before they move');
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  test('static membership: a member restarted within the session timeout gets its partitions back without a rebalance', { timeout: 60_000 }, async (t) => {
    const topic = 'group-static';
    const bootstrap = await setup(t, topic);
    const events: string[] = [];
    const make = (name: string, instance: string | undefined): Consumer => {
      const c = new Consumer({
        bootstrapServers: bootstrap,
        groupId: 'static-group',
        groupInstanceId: instance,
        sessionTimeoutMs: SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: 500,
        autoOffsetReset: 'earliest',
        rebalanceListener: {
          onPartitionsAssigned: (parts) => void events.push(`${name} +[${parts.map((p) => p.partition).join(',')}]`),
          onPartitionsRevoked: (parts) => void events.push(`${name} -[${parts.map((p) => p.partition).join(',')}]`),
        },
      });
      c.subscribe([topic]);
      return c;
    };
    const dynamic = make('d', undefined);
    await waitFor('d to join', () => dynamic.assignment().length === PARTITIONS, 20_000);
    let stat = make('s', 'static-1');
    await waitFor('three partitions each', () => dynamic.assignment().length === 3 && stat.assignment().length === 3, 20_000, () => events.join('\n'));
    await new Promise((r) => setTimeout(r, 1000));
    const generation = dynamic.generationId;
    const staticParts = stat.assignment();
    const eventsBefore = events.length;
    await stat.close();
    await new Promise((r) => setTimeout(r, 1000));
    stat = make('s2', 'static-1');
    await waitFor('the restarted static member to get its partitions', () => stat.assignment().length === 3, 15_000, () => events.join('\n'));
    await new Promise((r) => setTimeout(r, 2000));
    t.diagnostic(`events after the restart: ${events.slice(eventsBefore).join('; ')}`);
    assert.deepEqual(stat.assignment(), staticParts, 'same partitions as before the restart');
    assert.equal(dynamic.generationId, generation, 'no new generation: the dynamic member saw no rebalance');
    assert.equal(dynamic.assignment().length, 3);
    assert.deepEqual(events.slice(eventsBefore).filter((e) => e.startsWith('d ')), [], 'the dynamic member was neither revoked nor assigned anything');
    await Promise.all([dynamic.close(), stat.close()]);
  });
}
