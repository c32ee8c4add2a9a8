/**
 * The reference Kafka itself (test/helpers/kafka-reference.ts): it formats, starts, serves a
 * Kafka tool, and stops by PID with its temp dir removed. Benchmarks (`--vs kafka`) rely on it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { KAFKA_VERSION, runKafkaToolChecked, startKafka } from '../helpers/kafka-reference.js';

test(`reference Apache Kafka ${KAFKA_VERSION} starts as a KRaft combined node, serves kafka-topics, stops by PID`, { timeout: 180_000 }, async () => {
  const kafka = await startKafka();
  let stopped = false;
  try {
    assert.ok(kafka.readyMs > 0);
    assert.ok(kafka.rssBytes() > 0);
    await runKafkaToolChecked('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', kafka.bootstrap, '--create', '--topic', 'ref-check', '--partitions', '3']);
    const list = await runKafkaToolChecked('org.apache.kafka.tools.TopicCommand', ['--bootstrap-server', kafka.bootstrap, '--describe', '--topic', 'ref-check']);
    assert.match(list.stdout, /PartitionCount: 3/);
    assert.ok(fs.existsSync(kafka.dataDir));
    const { pid, dataDir } = kafka;
    await kafka.stop();
    stopped = true;
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
    assert.equal(fs.existsSync(dataDir), false);
  } finally {
    if (!stopped) await kafka.stop();
  }
});
