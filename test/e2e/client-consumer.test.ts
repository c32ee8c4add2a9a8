import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { CompressionTypes } from 'kafkajs';
import { Admin, Consumer, Producer, jsonDeserializer, stringDeserializer, startBroker, KafkaError, ErrorCode, type ConsumerOptions, type ConsumerRecord } from '../../src/index.js';
import { makeTempDir, removeTempDir } from '../helpers/cleanup.js';
import { makeKafka, produceAll } from '../helpers/kafkajs.js';
import { runChecked } from '../helpers/proc.js';
import { makeRecords, verifyRoundTrip, type ConsumedRecord } from '../helpers/records.js';
import { KCAT_RECORD_FORMAT, parseKcatLine, requireTool } from '../helpers/tools.js';

/**
 * Our consumer against an in-process broker: it reads what kcat (librdkafka 2.0.2, every codec)
 * and kafkajs (none, gzip; per-record headers and timestamps) wrote, field for field the same as
 * kcat's own consumer reads it; then committed offsets across a restart, seek, pause/resume,
 * autoOffsetReset, batches / run(), deserializers and pattern subscriptions.
 */

const PARTITIONS = 3;
type Broker = Awaited<ReturnType<typeof startBroker>>;

async function broker(t: TestContext): Promise<Broker> {
  const b = await startBroker({ config: { 'group.initial.rebalance.delay.ms': 0, 'num.partitions': PARTITIONS } });
  t.after(() => b.close());
  return b;
}

async function createTopics(bootstrap: string, names: string[], numPartitions = PARTITIONS): Promise<void> {
  const admin = new Admin({ bootstrapServers: bootstrap });
  try {
    await admin.createTopics(names.map((name) => ({ name, numPartitions })));
  } finally {
    await admin.close();
  }
}

function consumer(bootstrap: string, extra: Partial<ConsumerOptions<string | null, string | null>> = {}): Consumer<string | null, string | null> {
  return new Consumer<string | null, string | null>({
    bootstrapServers: bootstrap,
    keyDeserializer: stringDeserializer,
    valueDeserializer: stringDeserializer,
    autoOffsetReset: 'earliest',
    heartbeatIntervalMs: 500,
    sessionTimeoutMs: 6000,
    fetchMaxWaitMs: 100,
    ...extra,
  });
}

function toConsumed(r: ConsumerRecord<string | null, string | null>): ConsumedRecord {
  const headers: Record<string, string> = {};
  for (const h of r.headers) headers[h.key] = h.value === null ? '<null>' : h.value.toString();
  return { partition: r.partition, offset: r.offset, key: r.key, value: r.value, headers, timestamp: r.timestamp, timestampType: r.timestampType === 'create' ? 0 : 1 };
}

/** Reads until `count` records arrived (or the deadline passes), then stops iterating. */
async function readRecords<K, V>(c: Consumer<K, V>, count: number, timeoutMs = 20_000): Promise<Array<ConsumerRecord<K, V>>> {
  const out: Array<ConsumerRecord<K, V>> = [];
  if (count === 0) return out;
  const timer = setTimeout(() => void c.close(), timeoutMs);
  try {
    for await (const r of c) {
      out.push(r);
      if (out.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return out;
}

const byPosition = (a: ConsumedRecord, b: ConsumedRecord): number => a.partition - b.partition || a.offset - b.offset;

test('reads what kcat wrote with every codec exactly as kcat reads it back', { timeout: 80_000 }, async (t) => {
  requireTool('kcat');
  const b = await broker(t);
  const dir = await makeTempDir('client-consumer-kcat');
  t.after(() => removeTempDir(dir));
  const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
  await createTopics(b.bootstrap, codecs.map((c) => `kcat-${c}`));
  const fixed = { 'h-one': 'first header', source: 'kcat' };
  for (const codec of codecs) {
    const topic = `kcat-${codec}`;
    const records = makeRecords({ count: 3000, keyPrefix: `kcat-${codec}` });
    const input = path.join(dir, `${codec}.txt`);
    await fs.promises.writeFile(input, records.map((r) => `${r.key}\t${r.value}`).join('\n') + '\n');
    const start = Date.now();
    const headerArgs = Object.entries(fixed).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
    await runChecked('kcat', ['-P', '-b', b.bootstrap, '-t', topic, '-K', '\\t', '-z', codec, ...headerArgs, '-X', 'acks=all', '-X', 'linger.ms=5', '-l', input], { timeoutMs: 30_000 }, `kcat -P -z ${codec}`);
    const end = Date.now();
    const kc = await runChecked('kcat', ['-C', '-b', b.bootstrap, '-t', topic, '-e', '-o', 'beginning', '-f', KCAT_RECORD_FORMAT], { timeoutMs: 30_000 }, `kcat -C ${codec}`);
    const theirs = kc.stdout.split('\n').filter((l) => l.length > 0).map(parseKcatLine).sort(byPosition);

    const c = consumer(b.bootstrap);
    c.assign([0, 1, 2].map((partition) => ({ topic, partition })));
    const ours = (await readRecords(c, records.length)).map(toConsumed);
    await c.close();
    verifyRoundTrip(records, ours, { partitions: PARTITIONS, timestamps: { kind: 'window', minMs: start, maxMs: end }, checkHeaders: true, fixedHeaders: fixed, label: `ours after kcat -z ${codec}` });
    const sorted = [...ours].sort(byPosition).map(({ timestampType: _t, ...r }) => r);
    assert.deepEqual(sorted, theirs, `-z ${codec}: our consumer and kcat read the same records`);
    t.diagnostic(`-z ${codec}: ${ours.length} records identical to kcat's read`);
  }
});

test('reads what kafkajs wrote (per-record headers and timestamps, none and gzip) through a group', { timeout: 60_000 }, async (t) => {
  const b = await broker(t);
  const { kafka } = makeKafka(b.bootstrap, 'kjs-writer');
  for (const [name, compression] of [['none', CompressionTypes.None], ['gzip', CompressionTypes.GZIP]] as const) {
    const topic = `kjs-${name}`;
    await createTopics(b.bootstrap, [topic]);
    const records = makeRecords({ count: 3000, withHeaders: true, baseTimestamp: 1_700_000_000_000, keyPrefix: `kjs-${name}` });
    await produceAll(kafka, topic, records, { compression, chunk: 500 });
    const c = consumer(b.bootstrap, { groupId: `kjs-reader-${name}` });
    c.subscribe([topic]);
    const ours = (await readRecords(c, records.length)).map(toConsumed);
    await c.close();
    verifyRoundTrip(records, ours, { partitions: PARTITIONS, timestamps: { kind: 'exact' }, checkHeaders: true, label: `ours after kafkajs ${name}` });
  }
});

test('committed offsets: a restarted consumer resumes where the closed one stopped, no record twice', { timeout: 60_000 }, async (t) => {
  const b = await broker(t);
  const topic = 'resume';
  await createTopics(b.bootstrap, [topic]);
  const producer = new Producer<string, string>({ bootstrapServers: b.bootstrap, keySerializer: { serialize: (k) => Buffer.from(k) }, valueSerializer: { serialize: (v) => Buffer.from(v) } });
  const total = 3000;
  await producer.send({ topic, messages: Array.from({ length: total }, (_, i) => ({ key: `k${i % 17}`, value: `v${i}` })) });
  await producer.close();

  const first = consumer(b.bootstrap, { groupId: 'resume-group', autoCommitIntervalMs: 200 });
  first.subscribe([topic]);
  const part1 = await readRecords(first, 1234);
  const positions = first.assignment().map((tp) => ({ ...tp, offset: first.position(tp) }));
  await first.close();
  const check = consumer(b.bootstrap, { groupId: 'resume-group' });
  const committed = await check.committed([0, 1, 2].map((partition) => ({ topic, partition })));
  await check.close();
  for (const p of positions) {
    const c = committed.find((x) => x.partition === p.partition)!;
    assert.equal(c.offset, p.offset, `partition ${p.partition}: committed offset is the closed consumer's position`);
  }

  const second = consumer(b.bootstrap, { groupId: 'resume-group' });
  second.subscribe([topic]);
  const part2 = await readRecords(second, total - part1.length);
  await second.close();
  const values = [...part1, ...part2].map((r) => r.value);
  assert.equal(new Set(values).size, total, 'every record exactly once across the restart');
  assert.equal(values.length, total);
});

test('assign: seek, pause/resume, batches and run(), autoOffsetReset latest and none, JSON values', { timeout: 60_000 }, async (t) => {
  const b = await broker(t);
  const topic = 'api';
  await createTopics(b.bootstrap, [topic], 1);
  const producer = new Producer<string, string>({ bootstrapServers: b.bootstrap, valueSerializer: { serialize: (v) => Buffer.from(v) } });
  await producer.send({ topic, messages: Array.from({ length: 100 }, (_, i) => ({ value: JSON.stringify({ n: i }), partition: 0 })) });
  const tp = { topic, partition: 0 };

  // JSON deserializer, seek.
  const json = new Consumer<Buffer | null, { n: number } | null>({ bootstrapServers: b.bootstrap, autoOffsetReset: 'earliest', valueDeserializer: jsonDeserializer<{ n: number }>(), fetchMaxWaitMs: 50 });
  json.assign([tp]);
  const firstTen = await readRecords(json, 10);
  assert.deepEqual(firstTen.map((r) => r.value?.n), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  json.seek(tp, 90);
  const afterSeek = await readRecords(json, 3);
  assert.deepEqual(afterSeek.map((r) => r.offset), [90, 91, 92]);
  // Pause: nothing from the partition until resume.
  json.seek(tp, 50);
  json.pause([tp]);
  assert.deepEqual(json.paused(), [tp]);
  const iter = json[Symbol.asyncIterator]();
  const pending = iter.next();
  const raced = await Promise.race([pending.then(() => 'record'), new Promise((r) => setTimeout(() => r('quiet'), 700))]);
  assert.equal(raced, 'quiet', 'a paused partition hands out nothing');
  json.resume([tp]);
  const resumed = await pending;
  assert.equal(resumed.done, false);
  assert.equal(resumed.done === false && resumed.value.offset, 50, 'resumes at its position');
  await iter.return(undefined);
  await json.close();

  // batches(): records of one partition per batch, in order, position = nextOffset.
  const batcher = consumer(b.bootstrap);
  batcher.assign([tp]);
  let seen = 0;
  for await (const batch of batcher.batches()) {
    assert.equal(batch.topic, topic);
    for (const r of batch.records) assert.equal(r.offset, seen++);
    assert.equal(batch.nextOffset, seen);
    if (seen >= 100) break;
  }
  assert.equal(batcher.position(tp), 100);
  await batcher.close();

  // run({ eachBatch }) with a handler that fails once: the batch is read again.
  const runner = consumer(b.bootstrap);
  runner.assign([tp]);
  let failed = false;
  const got: number[] = [];
  await assert.rejects(
    runner.run({
      eachBatch: (batch) => {
        if (!failed) {
          failed = true;
          throw new Error('boom');
        }
        got.push(...batch.records.map((r) => r.offset));
      },
    }),
    /boom/,
  );
  assert.equal(runner.position(tp), 0, 'a failed batch is not counted as processed');
  const done = runner.run({
    eachBatch: (batch) => {
      got.push(...batch.records.map((r) => r.offset));
      if (got.length >= 100) void runner.close();
    },
  });
  await done;
  assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i));

  // latest: only records written after the position was found.
  const latest = consumer(b.bootstrap, { autoOffsetReset: 'latest' });
  latest.assign([tp]);
  await latest.waitForPositions();
  assert.equal(latest.position(tp), 100);
  await producer.send({ topic, messages: [{ value: '"new"', partition: 0 }] });
  const [fresh] = await readRecords(latest, 1);
  assert.equal(fresh?.offset, 100);
  await latest.close();

  // none: no committed offset is an error the iterator throws.
  const none = consumer(b.bootstrap, { autoOffsetReset: 'none', groupId: 'never-committed' });
  none.assign([tp]);
  await assert.rejects(readRecords(none, 1, 5000), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE);
  // ... and so is a seek past the end once fetched (OFFSET_OUT_OF_RANGE with policy none).
  none.seek(tp, 5000);
  await assert.rejects(readRecords(none, 1, 5000), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE);
  none.seek(tp, 99);
  const [last] = await readRecords(none, 1);
  assert.equal(last?.offset, 99);
  await none.close();

  // An out-of-range position with policy earliest resets and goes on.
  const reset = consumer(b.bootstrap, { autoOffsetReset: 'earliest' });
  reset.assign([tp]);
  await reset.waitForPositions();
  reset.seek(tp, 10_000);
  const [again] = await readRecords(reset, 1);
  assert.equal(again?.offset, 0);
  await reset.close();
  await producer.close();
});

test('pattern subscription: every matching topic, internal topics excluded', { timeout: 30_000 }, async (t) => {
  const b = await broker(t);
  await createTopics(b.bootstrap, ['metrics.cpu', 'metrics.mem', 'logs.app'], 2);
  const producer = new Producer({ bootstrapServers: b.bootstrap });
  for (const topic of ['metrics.cpu', 'metrics.mem', 'logs.app']) await producer.send({ topic, messages: Array.from({ length: 10 }, () => ({ value: Buffer.from(topic) })) });
  await producer.close();
  const c = consumer(b.bootstrap, { groupId: 'pattern' });
  c.subscribe(/^metrics\./);
  const got = await readRecords(c, 20);
  assert.deepEqual([...new Set(got.map((r) => r.topic))].sort(), ['metrics.cpu', 'metrics.mem']);
  assert.deepEqual([...new Set(c.assignment().map((tp) => tp.topic))].sort(), ['metrics.cpu', 'metrics.mem']);
  await c.close();
});
