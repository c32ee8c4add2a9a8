import assert from 'node:assert/strict';
import { after, before, test, type TestContext } from 'node:test';
import { z } from 'zod';
import { Admin, Consumer, Producer, startBroker, type BrokerHandle } from '../../src/index.js';
import {
  CompactedTopicDedupeStore,
  EventBus,
  MemoryDedupeStore,
  createEnvelope,
  decodeEnvelope,
  defineEvent,
  readFailureInfo,
  type EventContext,
  type EventEnvelope,
  type Subscription,
} from '../../src/events/index.js';
import { eventually } from '../helpers/eventually.js';

/**
 * The events toolkit against the embedded broker (127.0.0.1, a port chosen at run time): a poison
 * event reaches the dead-letter topic after the configured retries while the events behind it keep
 * flowing; per-key order holds with concurrency > 1; malformed and invalid records are
 * dead-lettered at once; close() finishes in-flight events and commits exactly what finished;
 * duplicates are skipped by the memory and compacted-topic stores; an exactly-once processor emits
 * one output per input.
 */

let broker: BrokerHandle;
let admin: Admin;
let topicSeq = 0;

before(async () => {
  broker = await startBroker({ config: { 'num.partitions': 3, 'group.initial.rebalance.delay.ms': 0, 'offsets.topic.num.partitions': 3, 'transaction.state.log.num.partitions': 3, 'transaction.state.log.replication.factor': 1, 'transaction.state.log.min.isr': 1 } });
  admin = new Admin({ bootstrapServers: broker.bootstrap });
});

after(async () => {
  await admin?.close();
  await broker?.close();
});

/** A fresh topic (and group name) of `partitions`, its order event, and a bus closed after the test. */
async function setup(t: TestContext, prefix: string, partitions: number) {
  topicSeq++;
  const topic = `${prefix}-${topicSeq}-${process.pid}`;
  await admin.createTopics([{ name: topic, numPartitions: partitions }]);
  const bus = new EventBus({ bootstrapServers: broker.bootstrap, source: `/test/${prefix}` });
  t.after(() => bus.close());
  return { topic, group: `${prefix}-group-${topicSeq}-${process.pid}`, Order: orderEvent(topic), bus };
}

const tick = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function orderEvent(topic: string) {
  return defineEvent({
    type: 'order.placed',
    topic,
    schema: z.object({ customer: z.string(), seq: z.number().int().nonnegative(), poison: z.boolean().optional() }),
    key: (d) => d.customer,
  });
}

interface ReadRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<{ key: string; value: Buffer | null }>;
  partition: number;
  offset: number;
}

/** Every record of a topic as it is now (read_committed), read without a group. */
async function readAll(topic: string, expected: number, timeoutMs = 15_000): Promise<ReadRecord[]> {
  const [d] = await admin.describeTopics([topic]);
  const consumer = new Consumer({ bootstrapServers: broker.bootstrap, autoOffsetReset: 'earliest', isolationLevel: 'read_committed', fetchMaxWaitMs: 50 });
  consumer.assign(d!.partitions.map((p) => ({ topic, partition: p.partition })));
  const out: ReadRecord[] = [];
  const deadline = setTimeout(() => void consumer.close(), timeoutMs);
  try {
    for await (const r of consumer) {
      out.push({ key: r.key && Buffer.from(r.key), value: r.value && Buffer.from(r.value), headers: r.headers.map((h) => ({ key: h.key, value: h.value && Buffer.from(h.value) })), partition: r.partition, offset: r.offset });
      if (out.length >= expected) break;
    }
  } finally {
    clearTimeout(deadline);
    await consumer.close();
  }
  return out;
}

test('a poison event ends in the dead-letter topic after the configured retries while the events behind it flow; per-key order holds with concurrency 8', async (t) => {
  const { topic, group, Order, bus } = await setup(t, 'events-poison', 3);

  const customers = Array.from({ length: 10 }, (_, i) => `c${i}`);
  const perCustomer = 30;
  const poison = { customer: 'c3', seq: 5 };
  const published = new Map<string, { partition: number; offset: number }>();
  for (let seq = 0; seq < perCustomer; seq++) {
    await Promise.all(
      customers.map(async (customer) => {
        const isPoison = customer === poison.customer && seq === poison.seq;
        const p = await bus.publish(Order, { customer, seq, ...(isPoison && { poison: true }) });
        published.set(`${customer}/${seq}`, { partition: p.partition, offset: p.offset });
      }),
    );
  }
  // A record that is no envelope at all, and an envelope whose data the schema refuses.
  const raw = new Producer({ bootstrapServers: broker.bootstrap });
  await raw.send({ topic, messages: [{ key: Buffer.from('c0'), value: Buffer.from('not an event') }] });
  await bus.publishEnvelope(topic, createEnvelope({ type: 'order.placed', source: '/test', key: 'c1', data: { customer: 'c1', seq: 'seven' } }));
  await raw.close();

  const handled = new Map<string, number[]>();
  let poisonCalls = 0;
  let poisonDeadAfter = -1;
  let running = 0;
  let maxRunning = 0;
  let handledTotal = 0;
  const RETRIES = 2;
  const sub = await bus.subscribe(
    Order,
    async (event, ctx) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      try {
        await tick((event.data.seq * 7 + Number(event.data.customer.slice(1))) % 4);
        if (event.data.poison) {
          poisonCalls++;
          if (poisonCalls === (RETRIES + 1) * 2) poisonDeadAfter = handledTotal;
          assert.equal(ctx.attempt, poisonCalls, 'attempt counts every call, across the retry topic');
          throw new Error(`cannot handle order ${event.data.customer}/${event.data.seq}`);
        }
        handled.set(event.data.customer, [...(handled.get(event.data.customer) ?? []), event.data.seq]);
        handledTotal++;
      } finally {
        running--;
      }
    },
    { group, concurrency: 8, retries: RETRIES, backoff: { initialMs: 20, maxMs: 100 }, retryTopics: [300], commitIntervalMs: 200 },
  );

  const dead = await readAll(`${group}.dlq`, 3, 30_000);
  assert.equal(dead.length, 3);
  const byReason = new Map(dead.map((r) => [readFailureInfo(r)!.reason, r]));
  assert.deepEqual([...byReason.keys()].sort(), ['invalid-data', 'malformed-envelope', 'retries-exhausted']);

  const poisoned = byReason.get('retries-exhausted')!;
  const info = readFailureInfo(poisoned)!;
  const expectedAttempts = (RETRIES + 1) * 2; // the source topic's stage and one retry topic
  assert.equal(info.attempts, expectedAttempts);
  assert.equal(poisonCalls, expectedAttempts);
  assert.match(info.error, /cannot handle order c3\/5/);
  assert.equal(info.group, group);
  assert.equal(info.originalTopic, topic);
  assert.deepEqual([info.originalPartition, info.originalOffset], [published.get('c3/5')!.partition, published.get('c3/5')!.offset]);
  const poisonEnvelope = decodeEnvelope(poisoned);
  assert.deepEqual(poisonEnvelope.data, { customer: 'c3', seq: 5, poison: true }, 'the dead letter carries the event unchanged');
  assert.equal(poisoned.key?.toString(), 'c3');
  assert.equal(readFailureInfo(byReason.get('invalid-data')!)!.attempts, 0, 'invalid data is not retried');

  await eventually('every good event handled', 20_000, async () => (handledTotal === customers.length * perCustomer - 1 ? true : undefined));
  assert.ok(poisonDeadAfter > 200, `the events behind the poison kept flowing while it was retried (${poisonDeadAfter} handled before it was dead-lettered)`);
  for (const customer of customers) {
    const expected = Array.from({ length: perCustomer }, (_, i) => i).filter((s) => !(customer === poison.customer && s === poison.seq));
    assert.deepEqual(handled.get(customer), expected, `events of ${customer} handled once each, in order`);
  }
  assert.ok(maxRunning > 1, `handlers ran in parallel (max ${maxRunning})`);
  assert.ok(maxRunning <= 8, `at most concurrency handlers at once (max ${maxRunning})`);

  const stats = sub.stats();
  assert.equal(stats.handled, customers.length * perCustomer - 1);
  assert.equal(stats.failed, expectedAttempts);
  assert.equal(stats.retried, expectedAttempts - 1);
  assert.equal(stats.deadLettered, 3);
  assert.equal(stats.received, customers.length * perCustomer + 2 + 1, 'the source topic and the retry topic');
  await sub.close();
  assert.equal(sub.stats().inFlight, 0);
  assert.equal(sub.error, null);
  const committed = await admin.fetchOffsets(group, [topic]);
  const ends = await admin.listOffsets(topic, 'latest');
  assert.deepEqual(
    committed.map((c) => [c.partition, c.offset]).sort(),
    ends.map((e) => [e.partition, e.offset]).sort(),
    'close() committed everything',
  );
});

test('close() lets running handlers finish and commits each partition up to its lowest unfinished event; the next member goes on from there', async (t) => {
  const { topic, group, Order, bus } = await setup(t, 'events-close', 2);
  const total = 80;
  for (let seq = 0; seq < total; seq++) await bus.publish(Order, { customer: `c${seq % 8}`, seq });

  let started = 0;
  let finished = 0;
  const runs: Array<Map<number, Set<number>>> = [];
  const handlerFor = (run: Map<number, Set<number>>) => async (event: EventEnvelope<{ customer: string; seq: number }>, ctx: EventContext): Promise<void> => {
    started++;
    await tick(40);
    const set = run.get(ctx.partition) ?? new Set<number>();
    set.add(ctx.offset);
    run.set(ctx.partition, set);
    finished++;
  };
  runs.push(new Map());
  const first = await bus.subscribe(Order, handlerFor(runs[0]!), { group, concurrency: 4, commitIntervalMs: 60_000 });
  await eventually('some events handled', 20_000, async () => (finished >= 10 ? true : undefined));
  await first.close();
  assert.equal(started, finished, 'every started handler finished before close() resolved');
  assert.ok(finished < total, `closed mid-stream (${finished} handled)`);
  const committed = new Map((await admin.fetchOffsets(group, [topic])).map((c) => [c.partition, c.offset]));
  for (const [partition, offsets] of runs[0]!) {
    let lowestUnfinished = 0;
    while (offsets.has(lowestUnfinished)) lowestUnfinished++;
    assert.equal(committed.get(partition), lowestUnfinished, `partition ${partition}: committed up to its lowest unhandled event`);
  }

  runs.push(new Map());
  const second = await bus.subscribe(Order, handlerFor(runs[1]!), { group, concurrency: 4 });
  const ends = await admin.listOffsets(topic, 'latest');
  await eventually('the rest handled', 20_000, async () => (ends.every((e) => e.offset === 0 || runs[1]!.get(e.partition)?.has(e.offset - 1) || (committed.get(e.partition) ?? 0) >= e.offset) ? true : undefined));
  await tick(200);
  await second.close();
  for (const e of ends) {
    const from = Math.max(committed.get(e.partition) ?? 0, 0);
    const again = [...(runs[1]!.get(e.partition) ?? [])].sort((a, b) => a - b);
    assert.deepEqual(again, Array.from({ length: e.offset - from }, (_, i) => from + i), `partition ${e.partition}: the second member handled exactly what was not committed`);
    for (let o = 0; o < from; o++) assert.ok(runs[0]!.get(e.partition)?.has(o), `partition ${e.partition} offset ${o} handled before its commit`);
  }
});

test('a second member joins mid-stream: nothing lost, each member handles every key in order, the handed-over partitions go on from their commits', async (t) => {
  const { group, Order, bus } = await setup(t, 'events-rebalance', 4);
  const perKey = 30;
  const keys = Array.from({ length: 12 }, (_, i) => `c${i}`);
  const publish = async (from: number, to: number): Promise<void> => {
    for (let seq = from; seq < to; seq++) await Promise.all(keys.map((customer) => bus.publish(Order, { customer, seq })));
  };
  await publish(0, perKey / 2);
  const total = perKey * keys.length;
  const byMember = new Map<string, Map<string, number[]>>();
  const firstSeen = new Map<string, number[]>();
  let handled = 0;
  const handlerFor = (member: string) => async (event: EventEnvelope<{ customer: string; seq: number }>): Promise<void> => {
    await tick(40);
    const mine = byMember.get(member) ?? new Map<string, number[]>();
    byMember.set(member, mine);
    mine.set(event.data.customer, [...(mine.get(event.data.customer) ?? []), event.data.seq]);
    const seen = firstSeen.get(event.data.customer) ?? [];
    if (!seen.includes(event.data.seq)) seen.push(event.data.seq);
    firstSeen.set(event.data.customer, seen);
    handled++;
  };
  const a = await bus.subscribe(Order, handlerFor('a'), { group, concurrency: 4, maxInFlight: 50, consumer: { assignors: ['range'], heartbeatIntervalMs: 200 } });
  await eventually('member a under way', 20_000, async () => (handled >= 40 ? true : undefined));
  const second = new EventBus({ bootstrapServers: broker.bootstrap, source: '/test/rebalance-b' });
  t.after(() => second.close());
  const joinedAtMs = Date.now();
  const b = await second.subscribe(Order, handlerFor('b'), { group, concurrency: 4, maxInFlight: 50, consumer: { assignors: ['range'], heartbeatIntervalMs: 200 } });
  await b.waitForAssignment();
  t.diagnostic(`member b assigned ${Date.now() - joinedAtMs} ms after joining, ${handled} events handled by then`);
  await publish(perKey / 2, perKey);
  await eventually('every event handled', 30_000, async () => ([...firstSeen.values()].reduce((n, l) => n + l.length, 0) === total ? true : undefined));
  await Promise.all([a.close(), b.close()]);
  assert.ok(byMember.has('b'), 'the second member got partitions');
  // Within a member a key only goes back where the rebalance handed its partition back from the last commit (once at most).
  for (const [member, seqs] of byMember) {
    for (const [customer, list] of seqs) {
      const descents = list.filter((seq, i) => i > 0 && seq <= list[i - 1]!).length;
      assert.ok(descents <= 1, `${member}: ${customer} out of order: ${list.join(',')}`);
    }
  }
  for (const customer of keys) {
    assert.deepEqual(firstSeen.get(customer), Array.from({ length: perKey }, (_, i) => i), `${customer}: every event, first seen in order`);
  }
  assert.equal(a.error ?? b.error, null);
});

test('dedupe: a repeated event id is handled once, with the memory store and across members with the compacted-topic store', async (t) => {
  const { topic, group, Order, bus } = await setup(t, 'events-dedupe', 3);
  const envelopes: Array<EventEnvelope<{ customer: string; seq: number }>> = [];
  for (let seq = 0; seq < 20; seq++) envelopes.push((await bus.publish(Order, { customer: `c${seq % 4}`, seq })).envelope);
  for (const e of envelopes.slice(0, 5)) await bus.publishEnvelope(topic, e); // the same ids again

  const memoryHandled: string[] = [];
  const mem = await bus.subscribe(Order, async (e) => void memoryHandled.push(e.id), { group: `${group}-mem`, concurrency: 4, dedupe: new MemoryDedupeStore() });
  await eventually('memory subscription caught up', 20_000, async () => (mem.stats().received === 25 && mem.stats().inFlight === 0 ? true : undefined));
  assert.equal(memoryHandled.length, 20);
  assert.equal(new Set(memoryHandled).size, 20);
  assert.equal(mem.stats().duplicates, 5);
  await mem.close();

  const storeTopic = `${group}-handled`;
  /** One member of `group` with a fresh store on the store topic, until it has read all 25 records. */
  const member = async (): Promise<{ handled: string[]; duplicates: number }> => {
    const store = new CompactedTopicDedupeStore({ bootstrapServers: broker.bootstrap, topic: storeTopic, partitions: 1 });
    t.after(() => store.close());
    const handled: string[] = [];
    const sub = await bus.subscribe(Order, async (e) => void handled.push(e.id), { group, dedupe: store });
    await eventually('member caught up', 20_000, async () => (sub.stats().received === 25 && sub.stats().inFlight === 0 ? true : undefined));
    await sub.close();
    return { handled, duplicates: sub.stats().duplicates };
  };
  const firstRun = await member();
  assert.equal(firstRun.handled.length, 20);
  assert.equal(firstRun.duplicates, 5);
  // Rewind the group: every event is delivered again, to a member with a fresh store on the same topic.
  await admin.resetOffsets(group, topic, 'earliest');
  const secondRun = await member();
  assert.deepEqual(secondRun.handled, [], 'the store topic remembered every handled id');
  assert.equal(secondRun.duplicates, 25);
});

test('exactly-once processor: each input emits one output (derived id, caused by the input) and a poison input dead-letters, all in transactions', async (t) => {
  const { topic, group, Order, bus } = await setup(t, 'events-eos', 3);
  const outTopic = `${topic}-out`;
  await admin.createTopics([{ name: outTopic, numPartitions: 3 }]);
  const Billed = defineEvent({ type: 'order.billed', topic: outTopic, schema: z.object({ customer: z.string(), seq: z.number() }), key: (d) => d.customer });
  const inputs: string[] = [];
  for (let seq = 0; seq < 60; seq++) inputs.push((await bus.publish(Order, { customer: `c${seq % 6}`, seq, ...(seq === 17 && { poison: true }) })).envelope.id);

  let flaky = 0;
  const sub: Subscription = await bus.subscribe(
    Order,
    async (event, ctx) => {
      if (event.data.poison) throw new Error('poison');
      if (event.data.seq % 10 === 3 && ctx.attempt === 1) {
        flaky++;
        throw new Error('transient'); // retried in place: its output must still appear once
      }
      await ctx.emit(Billed, { customer: event.data.customer, seq: event.data.seq });
    },
    { group, delivery: 'exactly-once', concurrency: 4, retries: 1, backoff: { initialMs: 10 } },
  );
  const outputs = await readAll(outTopic, 59, 30_000);
  const dead = await readAll(`${group}.dlq`, 1, 30_000);
  await tick(500);
  const again = await readAll(outTopic, 1000, 1500);
  await sub.close();

  assert.equal(again.length, 59, 'no output written twice');
  assert.ok(flaky >= 6, `transient failures: ${flaky}`);
  const decoded = outputs.map((r) => decodeEnvelope(r));
  assert.equal(new Set(decoded.map((e) => e.id)).size, 59);
  const causes = new Set(decoded.map((e) => e.causationId));
  assert.equal(causes.size, 59);
  for (const id of inputs.filter((_, seq) => seq !== 17)) assert.ok(causes.has(id), `output for input ${id}`);
  for (const e of decoded) assert.equal(e.correlationId, e.causationId, 'inputs were first events: their id is the correlation id');
  assert.equal(dead.length, 1);
  assert.equal(readFailureInfo(dead[0]!)!.attempts, 2);
  assert.ok(sub.stats().commits > 0);
  assert.equal(sub.error, null);
});
