import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { CompressionTypes } from 'kafkajs';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { consumeAll, makeKafka, produceAll } from '../helpers/kafkajs.js';
import { makeRecords, verifyRoundTrip } from '../helpers/records.js';
import { checkStoredBatches } from '../helpers/wire.js';

/**
 * kafkajs 2.2.4 against the broker process: admin CreateTopics (3 partitions), produce 10,000
 * keyed records with headers and explicit timestamps (acks=-1), check the stored batches with an
 * independent Fetch v4 client (codec, CRC, contiguous offsets, count; before consuming, so a
 * produce problem is reported on its own), consume them with a consumer group and check that keys,
 * values, headers, timestamps and per-partition order survived; finally SIGTERM must exit 0.
 */

const COUNT = 10_000;
const PARTITIONS = 3;

async function roundTrip(t: TestContext, label: string, compression: CompressionTypes, expectedCodec: number): Promise<void> {
  const broker = await startBrokerProcess(t, { name: `${label}-broker`, overrides: { 'auto.create.topics.enable': false } });
  const { kafka, logTail } = makeKafka(broker.bootstrap, `e2e-${label}`);
  const topic = `${label}-topic`;
  const context = (): string => `\n--- kafkajs log (tail) ---\n${logTail()}\n--- broker log (tail) ---\n${broker.recentLogs()}`;
  try {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const created = await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }], waitForLeaders: true, timeout: 10_000 });
      assert.equal(created, true, 'createTopics should report that it created the topic');
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      assert.equal(meta.topics[0]?.partitions.length, PARTITIONS, `metadata of ${topic}: ${JSON.stringify(meta)}`);
    } finally {
      await admin.disconnect();
    }

    const records = makeRecords({ count: COUNT, withHeaders: true, baseTimestamp: Date.now() - 3_600_000, keyPrefix: label });
    await produceAll(kafka, topic, records, { compression, chunk: 1000 });

    const stored = await checkStoredBatches(broker.host, broker.port, topic, { partitions: PARTITIONS, compression: expectedCodec, expectedRecords: COUNT, label });
    t.diagnostic(`${label}: ${stored.batches} stored batches, codecs ${JSON.stringify(stored.codecs)}`);

    const { records: consumed, timedOut, crashes } = await consumeAll(kafka, topic, `${label}-group`, COUNT, { timeoutMs: 40_000 });
    assert.deepEqual(crashes, [], 'the kafkajs consumer crashed');
    assert.ok(!timedOut, `consumer got only ${consumed.length} of ${COUNT} records before the timeout`);
    verifyRoundTrip(records, consumed, { partitions: PARTITIONS, timestamps: { kind: 'exact' }, checkHeaders: true, label });

    const exit = await broker.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, 'SIGTERM should make the broker exit 0');
  } catch (err) {
    if (err instanceof Error) err.message += context();
    throw err;
  }
}

test('kafkajs: 10,000 keyed records with headers and timestamps round-trip (uncompressed)', { timeout: 90_000 }, async (t) => {
  await roundTrip(t, 'kafkajs-plain', CompressionTypes.None, 0);
});

test('kafkajs: 10,000 keyed records round-trip with gzip compression', { timeout: 90_000 }, async (t) => {
  await roundTrip(t, 'kafkajs-gzip', CompressionTypes.GZIP, 1);
});
