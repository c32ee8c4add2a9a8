import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Admin, Kafka } from 'kafkajs';
import { startBroker, type BrokerHandle } from '../../src/index.js';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { DeleteRecordsApi } from '../../src/protocol/messages/index.js';
import type { DeleteRecordsResponse } from '../../src/protocol/messages/delete-records.js';
import { iterateBatchHeaders } from '../../src/protocol/records/index.js';
import { makeKafka } from '../helpers/kafkajs.js';
import { formatRunFailure, runProcess } from '../helpers/proc.js';
import { fetchStored } from '../helpers/raw-fetch.js';
import { requireTool } from '../helpers/tools.js';

/**
 * Retention with real clients. The broker checks retention every 200 ms and removes `.deleted`
 * files after 100 ms; topics use small segments so that retention has whole segments to delete.
 * Consumers positioned before the new log start get OFFSET_OUT_OF_RANGE and reset per their policy:
 * kcat (librdkafka) `auto.offset.reset`, kafkajs `fromBeginning` (earliest) or not (latest).
 */

const SEGMENT_BYTES = 2048;
/** Five ~100-byte records per send keep each batch well under segment.bytes. */
const PER_SEND = 5;

async function withBroker(t: TestContext): Promise<BrokerHandle> {
  const broker = await startBroker({
    config: {
      'num.partitions': 1,
      'log.retention.check.interval.ms': 200,
      'log.segment.delete.delay.ms': 100,
      'group.initial.rebalance.delay.ms': 0,
    },
  });
  t.after(() => broker.close());
  return broker;
}

async function admin(t: TestContext, kafka: Kafka): Promise<Admin> {
  const a = kafka.admin();
  await a.connect();
  t.after(() => a.disconnect());
  return a;
}

function value(i: number): string {
  return `record ${String(i).padStart(5, '0')} `.padEnd(100, '.');
}

/** Produces `count` records numbered from `first`, PER_SEND to a batch, all stamped `timestamp`. */
async function produce(kafka: Kafka, topic: string, first: number, count: number, timestamp: number): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = first; i < first + count; i += PER_SEND) {
      const messages = [];
      for (let j = i; j < Math.min(i + PER_SEND, first + count); j++) messages.push({ key: `k${j}`, value: value(j), timestamp: String(timestamp) });
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

async function offsets(a: Admin, topic: string): Promise<{ low: number; high: number }> {
  const [p] = await a.fetchTopicOffsets(topic);
  return { low: Number(p!.low), high: Number(p!.high) };
}

async function waitFor<T>(what: string, fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await fn();
  while (!ok(last)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await fn();
  }
  return last;
}

/**
 * Retention deletes a pass's segments one by one, so a first look can catch it half way: wait until the
 * log start has stopped moving for several retention check intervals.
 */
async function settledOffsets(a: Admin, topic: string, quietMs = 1000): Promise<{ low: number; high: number }> {
  let last = await waitFor('retention to delete the expired segments', () => offsets(a, topic), (o) => o.low > 0);
  let since = Date.now();
  while (Date.now() - since < quietMs) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await offsets(a, topic);
    if (now.low !== last.low || now.high !== last.high) since = Date.now();
    last = now;
  }
  return last;
}

/** kcat assigned to partition 0 at absolute offset 0 (before the log start), exiting at the end. */
async function kcatFromZero(bootstrap: string, topic: string, reset: string, timeoutMs: number) {
  return runProcess('kcat', ['-C', '-b', bootstrap, '-t', topic, '-p', '0', '-o', '0', '-e', '-f', '%o %k\\n', '-X', `auto.offset.reset=${reset}`], { timeoutMs });
}

/** A kafkajs group consumer whose group has offset 0 committed (before the log start). */
async function kafkajsFromCommittedZero(a: Admin, kafka: Kafka, topic: string, groupId: string, fromBeginning: boolean, until: (offsets: number[]) => boolean, afterStart?: () => Promise<void>) {
  await a.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '0' }] });
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  const seen: number[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(Number(message.offset));
        if (until(seen)) done();
      },
    });
    await afterStart?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(`kafkajs ${groupId} saw offsets ${JSON.stringify(seen)}`)), 20_000)))]);
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

test('retention by time: old segments go, consumers before the log start reset per their policy', async (t) => {
  requireTool('kcat');
  const broker = await withBroker(t);
  const { kafka } = makeKafka(broker.bootstrap, 'retention-time');
  const a = await admin(t, kafka);
  const topic = 'retention-time';
  await a.createTopics({ topics: [{ topic, configEntries: [{ name: 'segment.bytes', value: String(SEGMENT_BYTES) }, { name: 'retention.ms', value: '60000' }] }] });
  // 100 records stamped ten minutes ago (past retention.ms), then 10 fresh ones.
  await produce(kafka, topic, 0, 100, Date.now() - 600_000);
  await produce(kafka, topic, 100, 10, Date.now());
  const { low, high } = await settledOffsets(a, topic);
  assert.equal(high, 110);
  assert.ok(low <= 100, `the segments holding fresh records are kept (log start ${low})`);

  // The broker answers OFFSET_OUT_OF_RANGE below the log start, and reports the new log start.
  const conn = await BrokerConnection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());
  const below = await fetchStored(conn, topic, 0, 0);
  assert.equal(below.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
  const atStart = await fetchStored(conn, topic, 0, low);
  assert.equal(atStart.errorCode, 0);
  assert.equal(atStart.logStartOffset, low);
  assert.equal(atStart.highWatermark, 110);
  assert.equal(Array.from(iterateBatchHeaders(atStart.bytes))[0]!.baseOffset, low);

  // kcat at offset 0 with auto.offset.reset=earliest: reset to the log start, reads everything left.
  const earliest = await kcatFromZero(broker.bootstrap, topic, 'earliest', 20_000);
  if (earliest.code !== 0 || earliest.timedOut) throw new Error(formatRunFailure(earliest, 'kcat -o 0 auto.offset.reset=earliest'));
  const kcatOffsets = earliest.stdout.split('\n').filter((l) => l !== '').map((l) => Number(l.split(' ')[0]));
  assert.deepEqual(kcatOffsets, range(low, 110));
  // With auto.offset.reset=error librdkafka reports the broker's answer instead of resetting.
  const error = await kcatFromZero(broker.bootstrap, topic, 'error', 4000);
  assert.equal(error.stdout.trim(), '', 'nothing is consumed');
  assert.match(error.stderr, /Offset out of range/i);

  // kafkajs, committed offset 0: fromBeginning resets to the log start...
  const fromStart = await kafkajsFromCommittedZero(a, kafka, topic, 'retention-earliest', true, (s) => s.length >= 110 - low);
  assert.deepEqual(fromStart, range(low, 110));
  // ...and without it to the end: only records produced afterwards arrive.
  const fromEnd = await kafkajsFromCommittedZero(
    a,
    kafka,
    topic,
    'retention-latest',
    false,
    (s) => s.includes(114),
    async () => {
      await new Promise((r) => setTimeout(r, 1500)); // let the consumer hit OFFSET_OUT_OF_RANGE and reset first
      await produce(kafka, topic, 110, 5, Date.now());
    },
  );
  assert.deepEqual(fromEnd, range(110, 115));
});

test('retention by size: the log is kept under retention.bytes plus one segment', async (t) => {
  requireTool('kcat');
  const broker = await withBroker(t);
  const { kafka } = makeKafka(broker.bootstrap, 'retention-size');
  const a = await admin(t, kafka);
  const topic = 'retention-size';
  const retentionBytes = 4 * SEGMENT_BYTES;
  await a.createTopics({ topics: [{ topic, configEntries: [{ name: 'segment.bytes', value: String(SEGMENT_BYTES) }, { name: 'retention.bytes', value: String(retentionBytes) }] }] });
  await produce(kafka, topic, 0, 200, Date.now());
  const conn = await BrokerConnection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());
  // Retention runs again until nothing more breaches; measure once the log start has stopped moving.
  const { low } = await settledOffsets(a, topic);
  const stored = { low, bytes: (await fetchStored(conn, topic, 0, low)).bytes.length };
  assert.ok(stored.bytes < retentionBytes + SEGMENT_BYTES, `the log settles under retention.bytes + segment.bytes (${stored.bytes} bytes left)`);
  assert.ok(stored.bytes >= retentionBytes - SEGMENT_BYTES, `no more than needed is deleted (${stored.bytes} bytes left)`);

  const earliest = await kcatFromZero(broker.bootstrap, topic, 'earliest', 20_000);
  if (earliest.code !== 0 || earliest.timedOut) throw new Error(formatRunFailure(earliest, 'kcat -o 0 auto.offset.reset=earliest'));
  const first = Number(earliest.stdout.split('\n')[0]!.split(' ')[0]);
  assert.ok(first >= stored.low && first > 0, `kcat restarted at the log start (${first})`);
  const fromStart = await kafkajsFromCommittedZero(a, kafka, topic, 'size-earliest', true, (s) => s.includes(199));
  assert.ok(fromStart[0]! > 0);
  assert.deepEqual(fromStart, range(fromStart[0]!, 200));
});

/** The broker's error for one partition of kafkajs' deleteTopicRecords (kafkajs wraps it after its retrier gives up). */
async function deleteRecordsError(a: Admin, topic: string, offset: string): Promise<string | null> {
  type PartitionsError = { partitions?: Array<{ error: { type?: string } }>; cause?: PartitionsError };
  await offsets(a, topic); // see above: the admin must track the topic
  return a.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset }] }).then(
    () => null,
    (err: PartitionsError) => (err.partitions ?? err.cause?.partitions)?.[0]?.error.type ?? `unexpected: ${String(err)} ${JSON.stringify(err)}`,
  );
}

test('DeleteRecords: kafkajs admin deleteTopicRecords moves the low watermark; Kafka refusals', async (t) => {
  requireTool('kcat');
  const broker = await withBroker(t);
  const { kafka } = makeKafka(broker.bootstrap, 'delete-records');
  const a = await admin(t, kafka);
  const topic = 'delete-records';
  await a.createTopics({
    topics: [
      { topic, configEntries: [{ name: 'segment.bytes', value: String(SEGMENT_BYTES) }] },
      { topic: 'delete-records-compacted', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] },
    ],
  });
  await produce(kafka, topic, 0, 50, Date.now());
  // kafkajs' deleteTopicRecords looks the leader up in metadata it does not refresh itself;
  // fetchTopicOffsets makes the admin track the topic.
  await offsets(a, topic);
  await a.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '23' }] });
  assert.deepEqual(await offsets(a, topic), { low: 23, high: 50 });
  // Below the log start nothing changes.
  await a.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: '10' }] });
  assert.deepEqual(await offsets(a, topic), { low: 23, high: 50 });

  const kcat = await runProcess('kcat', ['-C', '-b', broker.bootstrap, '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%o\\n'], { timeoutMs: 20_000 });
  if (kcat.code !== 0 || kcat.timedOut) throw new Error(formatRunFailure(kcat, 'kcat -o beginning'));
  assert.deepEqual(kcat.stdout.split('\n').filter((l) => l !== '').map(Number), range(23, 50));

  // Beyond the high watermark: OFFSET_OUT_OF_RANGE.
  assert.equal(await deleteRecordsError(a, topic, '51'), 'OFFSET_OUT_OF_RANGE');
  // A compacted topic refuses: POLICY_VIOLATION.
  await produce(kafka, 'delete-records-compacted', 0, 5, Date.now());
  assert.equal(await deleteRecordsError(a, 'delete-records-compacted', '2'), 'POLICY_VIOLATION');

  // -1 means the high watermark; the response carries the new low watermark (v0 and v2 on the wire).
  const conn = await BrokerConnection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());
  for (const version of [0, 2]) {
    const res = await conn.send<DeleteRecordsResponse>(DeleteRecordsApi, version, {
      topics: [
        { name: topic, partitions: [{ partitionIndex: 0, offset: version === 0 ? 30 : -1 }, { partitionIndex: 7, offset: 1 }] },
        { name: 'no-such-topic', partitions: [{ partitionIndex: 0, offset: 1 }] },
      ],
      timeoutMs: 5000,
    });
    assert.deepEqual(
      res.topics.map((x) => ({ name: x.name, partitions: x.partitions.map((p) => ({ ...p })) })),
      [
        {
          name: topic,
          partitions: [
            { partitionIndex: 0, lowWatermark: version === 0 ? 30 : 50, errorCode: 0 },
            { partitionIndex: 7, lowWatermark: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION },
          ],
        },
        { name: 'no-such-topic', partitions: [{ partitionIndex: 0, lowWatermark: -1, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
      ],
    );
  }
  assert.deepEqual(await offsets(a, topic), { low: 50, high: 50 });
  const empty = await fetchStored(conn, topic, 0, 50);
  assert.deepEqual({ errorCode: empty.errorCode, logStartOffset: empty.logStartOffset, bytes: empty.bytes.length }, { errorCode: 0, logStartOffset: 50, bytes: 0 });
  // The log goes on from there.
  await produce(kafka, topic, 50, 5, Date.now());
  assert.deepEqual(await offsets(a, topic), { low: 50, high: 55 });
});
