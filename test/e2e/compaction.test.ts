import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Admin, Kafka } from 'kafkajs';
import { startBroker, type BrokerHandle } from '../../src/index.js';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { decodeRecordBatches } from '../../src/protocol/records/index.js';
import { makeKafka } from '../helpers/kafkajs.js';
import { fetchStored } from '../helpers/raw-fetch.js';

/**
 * Log compaction observed by a kafkajs consumer reading from the beginning: after the cleaner has
 * run, one value per key (the latest) is left, and tombstones disappear once delete.retention.ms has
 * passed and the cleaner runs again. Small segments, segment.ms=100 (so the segment holding the
 * updates rolls at the next append), min.cleanable.dirty.ratio=0.01 and a 100 ms cleaner backoff
 * keep it fast.
 */

const KEYS = 10;
const TOMBSTONED = ['k8', 'k9'];
const DELETE_RETENTION_MS = 4000;

interface Seen {
  offset: number;
  key: string;
  value: string | null;
}

async function withBroker(t: TestContext): Promise<BrokerHandle> {
  const broker = await startBroker({ config: { 'num.partitions': 1, 'log.cleaner.backoff.ms': 100, 'group.initial.rebalance.delay.ms': 0 } });
  t.after(() => broker.close());
  return broker;
}

async function send(kafka: Kafka, topic: string, messages: Array<{ key: string; value: string | null }>): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    // One batch per send, ten records at most, to stay under segment.bytes.
    for (let i = 0; i < messages.length; i += 10) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 10) });
  } finally {
    await producer.disconnect();
  }
}

/** What a raw fetch from offset 0 returns (the log start is 0 on a compacted topic). */
async function stored(conn: BrokerConnection, topic: string): Promise<Seen[]> {
  const p = await fetchStored(conn, topic, 0, 0);
  assert.equal(p.errorCode, 0);
  const batches = await decodeRecordBatches(p.bytes);
  return batches.flatMap((b) => b.records.map((r) => ({ offset: r.offset, key: r.key?.toString() ?? '', value: r.value?.toString() ?? null })));
}

async function waitFor(what: string, conn: BrokerConnection, topic: string, ok: (records: Seen[]) => boolean, timeoutMs = 20_000): Promise<Seen[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = await stored(conn, topic);
    if (ok(records)) return records;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the log holds ${JSON.stringify(records.map((r) => `${r.offset}:${r.key}=${r.value}`))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A kafkajs consumer in a new group reading the topic from the beginning up to `endOffset`. */
async function consumeFromBeginning(kafka: Kafka, topic: string, groupId: string, endOffset: number): Promise<Seen[]> {
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 });
  await consumer.connect();
  const seen: Seen[] = [];
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push({ offset: Number(message.offset), key: message.key?.toString() ?? '', value: message.value === null ? null : message.value.toString() });
        if (Number(message.offset) >= endOffset - 1) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([finished, new Promise<void>((_, reject) => (timer = setTimeout(() => reject(new Error(`kafkajs ${groupId} saw ${JSON.stringify(seen)}`)), 20_000)))]);
    clearTimeout(timer);
  } finally {
    await consumer.disconnect();
  }
  return seen;
}

function perKey(records: Seen[]): Map<string, Seen[]> {
  const out = new Map<string, Seen[]>();
  for (const r of records) out.set(r.key, [...(out.get(r.key) ?? []), r]);
  return out;
}

/** The key 'roll' only exists to roll segments (segment.ms): its records are not under test. */
const underTest = (records: Seen[]): Seen[] => records.filter((r) => r.key !== 'roll');

async function roll(kafka: Kafka, topic: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 150)); // > segment.ms
  await send(kafka, topic, [{ key: 'roll', value: 'roll' }]);
}

async function highWatermark(a: Admin, topic: string): Promise<number> {
  const [p] = await a.fetchTopicOffsets(topic);
  return Number(p!.high);
}

test('compaction: a kafkajs consumer from the beginning sees the latest value per key, then no tombstones', async (t) => {
  const broker = await withBroker(t);
  const { kafka } = makeKafka(broker.bootstrap, 'compaction');
  const a = kafka.admin();
  await a.connect();
  t.after(() => a.disconnect());
  const topic = 'compacted';
  await a.createTopics({
    topics: [
      {
        topic,
        configEntries: [
          { name: 'cleanup.policy', value: 'compact' },
          { name: 'segment.bytes', value: '2048' },
          { name: 'segment.ms', value: '100' },
          { name: 'min.cleanable.dirty.ratio', value: '0.01' },
          { name: 'delete.retention.ms', value: String(DELETE_RETENTION_MS) },
        ],
      },
    ],
  });
  const conn = await BrokerConnection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());

  // Five rounds of values for ten keys; the last round deletes k8 and k9.
  for (let round = 0; round < 5; round++) {
    await send(
      kafka,
      topic,
      Array.from({ length: KEYS }, (_, k) => ({ key: `k${k}`, value: round === 4 && TOMBSTONED.includes(`k${k}`) ? null : `k${k}-v${round}` })),
    );
  }
  await roll(kafka, topic);
  const latestValue = new Map<string, string>();
  const expectLatest = (records: Seen[], withTombstones: boolean): void => {
    const keys = perKey(underTest(records));
    for (let k = 0; k < KEYS; k++) {
      const key = `k${k}`;
      const tombstone = TOMBSTONED.includes(key);
      if (tombstone && !withTombstones) {
        assert.equal(keys.get(key), undefined, `${key}'s tombstone is gone after delete.retention.ms`);
        continue;
      }
      const latest = tombstone ? null : latestValue.get(key) ?? `${key}-v4`;
      assert.deepEqual(keys.get(key)?.map((r) => r.value), [latest], `${key}: one record, the latest`);
    }
  };
  const cleaned = await waitFor('the cleaner to keep one record per key', conn, topic, (records) => underTest(records).length === KEYS);
  expectLatest(cleaned, true);
  const cleanedAt = Date.now();
  // Offsets are kept: the survivors are the last round's.
  assert.deepEqual(underTest(cleaned).map((r) => r.offset), Array.from({ length: KEYS }, (_, k) => 40 + k));

  // A cleaning pass within delete.retention.ms keeps the tombstones.
  await send(kafka, topic, [{ key: 'k1', value: 'k1-v5' }]);
  latestValue.set('k1', 'k1-v5');
  await roll(kafka, topic);
  const early = await waitFor('the cleaner to compact k1 again', conn, topic, (records) => perKey(underTest(records)).get('k1')?.length === 1 && perKey(underTest(records)).get('k1')?.[0]?.value === 'k1-v5');
  if (Date.now() - cleanedAt < DELETE_RETENTION_MS) {
    for (const key of TOMBSTONED) assert.deepEqual(perKey(underTest(early)).get(key)?.map((r) => r.value), [null], `${key}'s tombstone survives a pass within delete.retention.ms`);
  }

  let hw = await highWatermark(a, topic);
  const first = await consumeFromBeginning(kafka, topic, 'compaction-reader-1', hw);
  expectLatest(first, true);

  // After delete.retention.ms, more updates make the log dirty again; the next cleaning drops the tombstones.
  await new Promise((r) => setTimeout(r, Math.max(0, cleanedAt + DELETE_RETENTION_MS + 200 - Date.now())));
  await send(kafka, topic, [{ key: 'k0', value: 'k0-v5' }]);
  await roll(kafka, topic);
  const final = await waitFor('the tombstones to be removed', conn, topic, (records) => underTest(records).every((r) => r.value !== null) && perKey(underTest(records)).get('k0')?.length === 1);
  const finalKeys = perKey(underTest(final));
  assert.deepEqual(finalKeys.get('k0')?.map((r) => r.value), ['k0-v5']);
  hw = await highWatermark(a, topic);
  const second = await consumeFromBeginning(kafka, topic, 'compaction-reader-2', hw);
  const keys = perKey(underTest(second));
  assert.deepEqual([...keys.keys()].sort(), ['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7']);
  for (const [key, recs] of keys) assert.deepEqual(recs.map((r) => r.value), [key === 'k0' || key === 'k1' ? `${key}-v5` : `${key}-v4`], key);
});

test('a compacted topic refuses records without a key (INVALID_RECORD), as Kafka does; keyed records and tombstones pass', { timeout: 60_000 }, async (t) => {
  const broker = await withBroker(t);
  const { kafka } = makeKafka(broker.bootstrap, 'keys-required');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'keys-required', numPartitions: 1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
  await admin.disconnect();
  const producer = kafka.producer({ retry: { retries: 0 } });
  await producer.connect();
  try {
    await assert.rejects(producer.send({ topic: 'keys-required', messages: [{ key: 'a', value: '1' }, { value: 'no key' }] }), (err: Error) => {
      assert.match(`${err.message} ${String((err as { type?: string }).type)}`, /INVALID_RECORD|without a key/);
      return true;
    });
    await producer.send({ topic: 'keys-required', messages: [{ key: 'a', value: '1' }, { key: 'b', value: null }] });
  } finally {
    await producer.disconnect();
  }
  const conn = await BrokerConnection.open(broker.host, broker.port);
  try {
    const records = await stored(conn, 'keys-required');
    assert.deepEqual(records, [{ offset: 0, key: 'a', value: '1' }, { offset: 1, key: 'b', value: null }], 'the refused batch left nothing behind');
  } finally {
    conn.close();
  }
});
