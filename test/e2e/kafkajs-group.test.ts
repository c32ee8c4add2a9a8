import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Consumer, EachMessagePayload, Kafka } from 'kafkajs';
import { startBroker, type BrokerHandle } from '../../src/index.js';
import { makeKafka } from '../helpers/kafkajs.js';

/**
 * kafkajs 2.2.4 consumer groups against an in-process broker (group.initial.rebalance.delay.ms=0 so
 * the first rebalance does not wait 3 s): one consumer reads everything; two consumers split a
 * 4-partition topic; committed offsets carry over to the next consumer of the group.
 */

const TIMEOUT_MS = 60_000;

interface Running {
  consumer: Consumer;
  received: Array<{ partition: number; offset: number; value: string }>;
  /** The latest assignment this member got (topic → partitions), from GROUP_JOIN. */
  assignment: () => number[];
  crashes: string[];
}

async function setup(t: TestContext, topic: string, partitions: number): Promise<{ broker: BrokerHandle; kafka: Kafka; logTail: () => string }> {
  const broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': 0, 'auto.create.topics.enable': false } });
  t.after(() => broker.close());
  const { kafka, logTail } = makeKafka(broker.bootstrap, `e2e-${topic}`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true }), true);
  } finally {
    await admin.disconnect();
  }
  return { broker, kafka, logTail };
}

async function produce(kafka: Kafka, topic: string, perPartition: number, partitions: number, tag: string): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const messages = [];
    for (let p = 0; p < partitions; p += 1) {
      for (let i = 0; i < perPartition; i += 1) messages.push({ partition: p, key: `k${p}`, value: `${tag}-${p}-${i}` });
    }
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect();
  }
}

async function startConsumer(kafka: Kafka, topic: string, groupId: string): Promise<Running> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100 });
  const running: Running = { consumer, received: [], assignment: () => [], crashes: [] };
  let assigned: number[] = [];
  running.assignment = () => assigned;
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    assigned = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
  });
  consumer.on(consumer.events.CRASH, (e) => running.crashes.push(String((e.payload as { error?: unknown }).error)));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }: EachMessagePayload) => {
      running.received.push({ partition, offset: Number(message.offset), value: message.value?.toString() ?? '' });
    },
  });
  return running;
}

async function waitFor(what: string, condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('kafkajs: a consumer group member reads every record of every partition', { timeout: TIMEOUT_MS }, async (t) => {
  const topic = 'group-one';
  const { kafka, logTail } = await setup(t, topic, 3);
  await produce(kafka, topic, 100, 3, 'a');
  const c = await startConsumer(kafka, topic, 'g-one');
  try {
    await waitFor('300 records', () => c.received.length >= 300);
    await new Promise((r) => setTimeout(r, 300)); // catch duplicates
    assert.equal(c.received.length, 300);
    assert.deepEqual(c.assignment(), [0, 1, 2]);
    for (let p = 0; p < 3; p += 1) {
      assert.deepEqual(c.received.filter((r) => r.partition === p).map((r) => r.offset), [...Array(100).keys()], `partition ${p} in order, no gaps`);
    }
    assert.deepEqual(c.crashes, []);
  } catch (err) {
    if (err instanceof Error) err.message += `\n--- kafkajs log ---\n${logTail()}`;
    throw err;
  } finally {
    await c.consumer.disconnect();
  }
});

test('kafkajs: two consumers in one group split a 4-partition topic', { timeout: TIMEOUT_MS }, async (t) => {
  const topic = 'group-two';
  const { kafka, logTail } = await setup(t, topic, 4);
  const a = await startConsumer(kafka, topic, 'g-two');
  const b = await startConsumer(kafka, topic, 'g-two');
  try {
    await waitFor('both members assigned', () => {
      const pa = a.assignment();
      const pb = b.assignment();
      return pa.length > 0 && pb.length > 0 && [...pa, ...pb].sort().join() === '0,1,2,3';
    });
    assert.equal(a.assignment().length, 2, 'the round-robin assignor splits 4 partitions evenly');
    await produce(kafka, topic, 50, 4, 'b');
    await waitFor('200 records', () => a.received.length + b.received.length >= 200);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(a.received.length + b.received.length, 200, 'each record once');
    for (const [member, other] of [[a, b], [b, a]] as const) {
      assert.ok(member.received.every((r) => member.assignment().includes(r.partition)), 'members read only their own partitions');
      assert.ok(member.received.length > 0 && other.received.length > 0);
    }
    assert.deepEqual([...a.crashes, ...b.crashes], []);
  } catch (err) {
    if (err instanceof Error) err.message += `\n--- kafkajs log ---\n${logTail()}`;
    throw err;
  } finally {
    await Promise.all([a.consumer.disconnect(), b.consumer.disconnect()]);
  }
});

test('kafkajs: a new consumer of the group resumes from the committed offsets', { timeout: TIMEOUT_MS }, async (t) => {
  const topic = 'group-resume';
  const { kafka, logTail } = await setup(t, topic, 2);
  try {
    await produce(kafka, topic, 30, 2, 'first');
    const first = await startConsumer(kafka, topic, 'g-resume');
    await waitFor('the first 60 records', () => first.received.length >= 60);
    await first.consumer.disconnect(); // commits what it processed, then leaves the group

    const admin = kafka.admin();
    await admin.connect();
    try {
      const committed = await admin.fetchOffsets({ groupId: 'g-resume', topics: [topic] });
      assert.deepEqual(committed[0]!.partitions.map((p) => [p.partition, p.offset]).sort(), [[0, '30'], [1, '30']]);
      const described = await admin.describeGroups(['g-resume']);
      assert.equal(described.groups[0]!.state, 'Empty');
    } finally {
      await admin.disconnect();
    }

    await produce(kafka, topic, 5, 2, 'second');
    const second = await startConsumer(kafka, topic, 'g-resume');
    try {
      await waitFor('the 10 new records', () => second.received.length >= 10);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(second.received.map((r) => r.value.split('-')[0]), Array(10).fill('second'), 'nothing before the committed offsets is read again');
      assert.ok(second.received.every((r) => r.offset >= 30));
    } finally {
      await second.consumer.disconnect();
    }
  } catch (err) {
    if (err instanceof Error) err.message += `\n--- kafkajs log ---\n${logTail()}`;
    throw err;
  }
});
