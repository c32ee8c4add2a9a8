import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { CompressionTypes } from 'kafkajs';
import { Admin, Producer, murmur2Partition, type RecordMetadata } from '../../src/index.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { consumeAll, makeKafka } from '../helpers/kafkajs.js';
import { runChecked } from '../helpers/proc.js';
import { makeRecords, verifyRoundTrip, type ConsumedRecord, type TestRecord } from '../helpers/records.js';
import { KCAT_RECORD_FORMAT, parseKcatLine, requireTool } from '../helpers/tools.js';
import { checkStoredBatches, COMPRESSION_NAMES, readAllBatches } from '../helpers/wire.js';

/**
 * Our producer against the broker process, read back by other clients: kcat (librdkafka 2.0.2)
 * for every codec, kafkajs for none and gzip (the codecs it decodes without plugins). Then
 * retries across a broker restart, backpressure with a small bufferMemory, and acks=0.
 */

const PARTITIONS = 3;
const COUNT = 3000;
type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

async function produceRecords(bootstrap: string, topic: string, records: readonly TestRecord[], compression: Codec): Promise<RecordMetadata[]> {
  const producer = new Producer<string, string>({
    bootstrapServers: bootstrap,
    compression,
    keySerializer: { serialize: (k) => Buffer.from(k) },
    valueSerializer: { serialize: (v) => Buffer.from(v) },
  });
  try {
    // Several concurrent sends of 500, like an application would issue them.
    const sends: Array<Promise<RecordMetadata[]>> = [];
    for (let i = 0; i < records.length; i += 500) {
      sends.push(
        producer.send({
          topic,
          messages: records.slice(i, i + 500).map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp ?? undefined })),
        }),
      );
    }
    return (await Promise.all(sends)).flat();
  } finally {
    await producer.close();
  }
}

async function kcatRead(bootstrap: string, topic: string): Promise<ConsumedRecord[]> {
  const r = await runChecked(
    'kcat',
    ['-C', '-b', bootstrap, '-t', topic, '-e', '-o', 'beginning', '-X', 'check.crcs=true', '-f', KCAT_RECORD_FORMAT],
    { timeoutMs: 40_000 },
    'kcat consumer',
  );
  return r.stdout.split('\n').filter((l) => l.length > 0).map(parseKcatLine);
}

function checkPlacement(records: readonly TestRecord[], meta: readonly RecordMetadata[]): void {
  assert.equal(meta.length, records.length);
  meta.forEach((m, i) => {
    assert.equal(m.partition, murmur2Partition(Buffer.from(records[i]!.key), PARTITIONS), `record ${i} placed by murmur2`);
    assert.ok(m.offset >= 0);
  });
}

async function setup(t: TestContext, name: string): Promise<{ bootstrap: string; host: string; port: number; topic: string }> {
  const broker = await startBrokerProcess(t, { name, overrides: { 'num.partitions': PARTITIONS } });
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  await admin.createTopics([{ name: `${name}-topic`, numPartitions: PARTITIONS }]);
  await admin.close();
  return { bootstrap: broker.bootstrap, host: broker.host, port: broker.port, topic: `${name}-topic` };
}

for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
  test(`kcat reads what our producer writes: ${COUNT} keyed records with headers, ${codec}`, { timeout: 90_000 }, async (t) => {
    requireTool('kcat');
    const { bootstrap, host, port, topic } = await setup(t, `ours-kcat-${codec}`);
    const records = makeRecords({ count: COUNT, withHeaders: true, baseTimestamp: 1_700_000_000_000, keyPrefix: `c-${codec}` });
    const meta = await produceRecords(bootstrap, topic, records, codec);
    checkPlacement(records, meta);
    const got = await kcatRead(bootstrap, topic);
    verifyRoundTrip(records, got, { partitions: PARTITIONS, timestamps: { kind: 'exact' }, checkHeaders: true, label: `ours → kcat (${codec})` });
    // Offsets reported by send() are where kcat found the records.
    const byValue = new Map(got.map((r) => [r.value, r]));
    meta.forEach((m, i) => {
      const c = byValue.get(records[i]!.value)!;
      assert.deepEqual([c.partition, c.offset], [m.partition, m.offset], `record ${i} offset`);
    });
    const stored = await checkStoredBatches(host, port, topic, { partitions: PARTITIONS, compression: COMPRESSION_NAMES.indexOf(codec), expectedRecords: COUNT, label: codec });
    t.diagnostic(`${codec}: ${stored.batches} batches`);
  });
}

for (const [codec, kjs] of [['none', CompressionTypes.None], ['gzip', CompressionTypes.GZIP]] as const) {
  test(`kafkajs reads what our producer writes (${codec})`, { timeout: 90_000 }, async (t) => {
    void kjs;
    const { bootstrap, topic } = await setup(t, `ours-kafkajs-${codec}`);
    const records = makeRecords({ count: 2000, withHeaders: true, baseTimestamp: 1_700_000_000_000, keyPrefix: `k-${codec}` });
    const meta = await produceRecords(bootstrap, topic, records, codec);
    checkPlacement(records, meta);
    const { kafka, logTail } = makeKafka(bootstrap, `kafkajs-reader-${codec}`);
    const res = await consumeAll(kafka, topic, `g-${codec}`, records.length);
    assert.equal(res.timedOut, false, `kafkajs timed out: ${res.crashes.join('; ')}\n${logTail()}`);
    verifyRoundTrip(records, res.records, { partitions: PARTITIONS, timestamps: { kind: 'exact' }, checkHeaders: true, label: `ours → kafkajs (${codec})` });
  });
}

test('retries across a broker restart: every send resolves and no acknowledged record is lost', { timeout: 120_000 }, async (t) => {
  requireTool('kcat');
  const broker = await startBrokerProcess(t, { name: 'client-restart', overrides: { 'num.partitions': PARTITIONS } });
  const topic = 'restart-topic';
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  await admin.createTopics([{ name: topic, numPartitions: PARTITIONS }]);
  await admin.close();
  const producer = new Producer({ bootstrapServers: broker.bootstrap, lingerMs: 2, retryBackoffMs: 50, retryBackoffMaxMs: 500, requestTimeoutMs: 5000, deliveryTimeoutMs: 60_000 });
  const acked = new Set<string>();
  const sends: Array<Promise<void>> = [];
  let n = 0;
  const sendRound = (): void => {
    const values = Array.from({ length: 50 }, () => `v-${n++}`);
    sends.push(
      producer.send({ topic, messages: values.map((v) => ({ key: Buffer.from(`k${n % 17}`), value: Buffer.from(v) })) }).then(() => {
        for (const v of values) acked.add(v);
      }),
    );
  };
  for (let i = 0; i < 20; i++) sendRound();
  await Promise.all(sends);
  const restart = broker.restart({ samePort: true });
  const during = setInterval(sendRound, 20);
  await restart;
  await new Promise((r) => setTimeout(r, 500));
  clearInterval(during);
  for (let i = 0; i < 20; i++) sendRound();
  await Promise.all(sends); // all resolve: failures during the restart were retried
  await producer.close();
  assert.equal(acked.size, n);
  const got = await kcatRead(broker.bootstrap, topic);
  const values = new Set(got.map((r) => r.value));
  const lost = [...acked].filter((v) => !values.has(v));
  assert.deepEqual(lost.slice(0, 10), [], `${lost.length} acknowledged records missing after the restart`);
  // Idempotent by default: the retries across the restart wrote nothing twice.
  assert.equal(got.length, n, `${got.length - n} duplicates`);
  t.diagnostic(`${n} records acknowledged, ${got.length} stored`);
});

test('backpressure: with a small bufferMemory send() waits for room and memory stays bounded', { timeout: 60_000 }, async (t) => {
  const { bootstrap, topic } = await setup(t, 'client-backpressure');
  const bufferMemory = 64 * 1024;
  const producer = new Producer({ bootstrapServers: bootstrap, bufferMemory, batchSize: 8192, lingerMs: 0, acks: 1 });
  const value = Buffer.alloc(1000, 0x62);
  let maxUsed = 0;
  let resolvedEarly = 0;
  const sends: Array<Promise<RecordMetadata[]>> = [];
  const total = 2000;
  const sampler = setInterval(() => (maxUsed = Math.max(maxUsed, producer.bufferedBytes)), 1);
  for (let i = 0; i < total; i++) {
    sends.push(producer.send({ topic, messages: [{ value, key: Buffer.from(String(i)) }] }));
    maxUsed = Math.max(maxUsed, producer.bufferedBytes);
  }
  // Far more than bufferMemory was offered at once: most sends are waiting for room.
  assert.ok(producer.bufferedBytes <= bufferMemory);
  void Promise.race(sends).then(() => resolvedEarly++);
  const meta = (await Promise.all(sends)).flat();
  clearInterval(sampler);
  assert.equal(meta.length, total);
  assert.ok(maxUsed <= bufferMemory, `buffer use ${maxUsed} exceeded bufferMemory ${bufferMemory}`);
  assert.ok(maxUsed > bufferMemory / 2, `the buffer filled up (${maxUsed})`);
  assert.equal(producer.bufferedBytes, 0);
  await producer.close();
  const admin = new Admin({ bootstrapServers: bootstrap });
  const ends = await admin.listOffsets(topic, 'latest');
  await admin.close();
  assert.equal(ends.reduce((s, e) => s + e.offset, 0), total);
  t.diagnostic(`max buffered ${maxUsed} of ${bufferMemory} bytes`);
});

test('acks=0 and acks=1: records arrive; acks=0 reports offset -1', { timeout: 60_000 }, async (t) => {
  const { bootstrap, topic } = await setup(t, 'client-acks');
  const p0 = new Producer({ bootstrapServers: bootstrap, acks: 0 });
  const m0 = await p0.send({ topic, messages: Array.from({ length: 100 }, (_, i) => ({ value: Buffer.from(`a0-${i}`), partition: 0 })) });
  assert.ok(m0.every((m) => m.offset === -1 && m.partition === 0));
  await p0.close();
  const p1 = new Producer({ bootstrapServers: bootstrap, acks: 1 });
  const m1 = await p1.send({ topic, messages: Array.from({ length: 100 }, (_, i) => ({ value: Buffer.from(`a1-${i}`), partition: 0 })) });
  assert.deepEqual(m1.map((m) => m.offset), Array.from({ length: 100 }, (_, i) => 100 + i), 'acks=0 records were stored first, in order');
  await p1.close();
});

test('batches grow past batchSize while they wait (up to batchMaxSize) and split when the topic refuses them', { timeout: 60_000 }, async (t) => {
  const { bootstrap, host, port, topic } = await setup(t, 'client-batch-growth');
  const admin = new Admin({ bootstrapServers: bootstrap });
  const small = `${topic}-small-max`;
  await admin.createTopics([{ name: small, numPartitions: 1, configs: { 'max.message.bytes': '20000' } }]);
  await admin.close();
  const producer = new Producer({ bootstrapServers: bootstrap, acks: 1 });
  const value = Buffer.alloc(1000, 0x63);
  const messages = Array.from({ length: 1500 }, (_, i) => ({ value, key: Buffer.from(`k${i}`), partition: 0 }));
  try {
    // One send of 1.5 MB to one partition: batches fill to batchMaxSize (256 KiB), not batchSize (16 KiB).
    const grown = await producer.send({ topic, messages });
    assert.deepEqual(grown.map((m) => m.offset), messages.map((_, i) => i));
    const stored = await readAllBatches(host, port, topic, 0);
    const sizes = stored.batches.map((b) => b.batchLength + 12);
    assert.ok(stored.batches.every((b) => b.crcOk && b.magic === 2));
    assert.ok(sizes.every((s) => s <= 262_144), `no batch above batchMaxSize: ${sizes.join(',')}`);
    assert.ok(sizes.some((s) => s > 200_000), `batches grew past batchSize: ${sizes.join(',')}`);
    // The same send to a topic with max.message.bytes=20000: refused batches are halved until they fit.
    const split = await producer.send({ topic: small, messages });
    assert.deepEqual(split.map((m) => m.offset), messages.map((_, i) => i), 'every record stored once, in order');
    const smallStored = await readAllBatches(host, port, small, 0);
    assert.ok(smallStored.batches.every((b) => b.crcOk && b.batchLength + 12 <= 20_000));
    assert.equal(smallStored.batches.reduce((n, b) => n + b.recordsCount, 0), 1500);
    t.diagnostic(`grown batches ${sizes.length}, split batches ${smallStored.batches.length}`);
  } finally {
    await producer.close();
  }
});
