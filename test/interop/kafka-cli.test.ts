/**
 * Apache Kafka's own command-line tools (from the reference Kafka's jars, run as bin/kafka-*.sh
 * runs them) against a Tributary broker process: topics, console producer and consumer, consumer
 * groups (describe, reset offsets), configs, get-offsets, and kafka-dump-log reading Tributary's
 * segment files, which proves the on-disk format is Kafka's.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { runKafkaToolChecked } from '../helpers/kafka-reference.js';

let broker: BrokerProcess;
before(async () => {
  broker = await startBrokerProcess(null, { name: 'tributary-for-kafka-cli' });
});
after(async () => {
  await broker?.cleanup();
});

const TOPIC = 'cli-topic';
const GROUP = 'cli-group';
const LINES = Array.from({ length: 12 }, (_, i) => `key-${i}:value-${i}`);
const tool = (main: string, args: readonly string[], input?: string) => runKafkaToolChecked(main, ['--bootstrap-server', broker.bootstrap, ...args], { timeoutMs: 90_000, ...(input !== undefined ? { input } : {}) });

const TOPICS = 'org.apache.kafka.tools.TopicCommand';
const GROUPS = 'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand';

/** Sums a numeric column of kafka-consumer-groups --describe's table for the topic's rows. */
function column(describe: string, name: string): number {
  const lines = describe.split('\n').filter((l) => l.trim() !== '');
  const header = lines.find((l) => l.includes('CURRENT-OFFSET'));
  assert.ok(header, describe);
  const idx = header.trim().split(/\s+/).indexOf(name);
  return lines.filter((l) => l.includes(TOPIC)).reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[idx]), 0);
}

test('kafka-topics creates, lists and describes a topic', { timeout: 120_000 }, async () => {
  await tool(TOPICS, ['--create', '--topic', TOPIC, '--partitions', '3', '--replication-factor', '1']);
  const list = await tool(TOPICS, ['--list']);
  assert.ok(list.stdout.split('\n').includes(TOPIC), list.stdout);
  const describe = await tool(TOPICS, ['--describe', '--topic', TOPIC]);
  assert.match(describe.stdout, new RegExp(`Topic: ${TOPIC}\\s+TopicId: \\S+\\s+PartitionCount: 3\\s+ReplicationFactor: 1`));
  assert.equal(describe.stdout.match(/Partition: \d+\s+Leader: 0\s+Replicas: 0\s+Isr: 0/g)?.length, 3, describe.stdout);
});

test('kafka-console-producer writes keyed lines; kafka-console-consumer in a group reads them all back', { timeout: 120_000 }, async () => {
  // Idempotence off: Tributary does not serve InitProducerId yet (java-client.test.ts asserts what the default does).
  await tool('org.apache.kafka.tools.ConsoleProducer', ['--topic', TOPIC, '--property', 'parse.key=true', '--property', 'key.separator=:', '--producer-property', 'enable.idempotence=false', '--producer-property', 'acks=1'], LINES.join('\n') + '\n');
  const consumed = await tool('org.apache.kafka.tools.consumer.ConsoleConsumer', ['--topic', TOPIC, '--group', GROUP, '--from-beginning', '--max-messages', String(LINES.length), '--property', 'print.key=true', '--property', 'key.separator=:', '--timeout-ms', '30000']);
  assert.deepEqual(consumed.stdout.split('\n').filter((l) => l !== '').sort(), [...LINES].sort());
});

test('kafka-consumer-groups describes the group and resets its offsets', { timeout: 120_000 }, async () => {
  const before = await tool(GROUPS, ['--describe', '--group', GROUP]);
  assert.equal(column(before.stdout, 'CURRENT-OFFSET'), LINES.length, before.stdout);
  assert.equal(column(before.stdout, 'LOG-END-OFFSET'), LINES.length, before.stdout);
  assert.equal(column(before.stdout, 'LAG'), 0, before.stdout);
  const list = await tool(GROUPS, ['--list']);
  assert.ok(list.stdout.split('\n').includes(GROUP), list.stdout);
  const reset = await tool(GROUPS, ['--reset-offsets', '--group', GROUP, '--topic', TOPIC, '--to-earliest', '--execute']);
  assert.match(reset.stdout, new RegExp(`${GROUP}\\s+${TOPIC}\\s+\\d+\\s+0`));
  const after = await tool(GROUPS, ['--describe', '--group', GROUP]);
  assert.equal(column(after.stdout, 'CURRENT-OFFSET'), 0, after.stdout);
  assert.equal(column(after.stdout, 'LAG'), LINES.length, after.stdout);
});

test('kafka-configs alters and describes a topic config', { timeout: 120_000 }, async () => {
  await tool('kafka.admin.ConfigCommand', ['--entity-type', 'topics', '--entity-name', TOPIC, '--alter', '--add-config', 'retention.ms=3600000']);
  const d = await tool('kafka.admin.ConfigCommand', ['--entity-type', 'topics', '--entity-name', TOPIC, '--describe']);
  assert.match(d.stdout, /retention\.ms=3600000 sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:retention\.ms=3600000\}/);
});

test('kafka-get-offsets gives the end offsets of every partition', { timeout: 120_000 }, async () => {
  const r = await tool('org.apache.kafka.tools.GetOffsetShell', ['--topic', TOPIC]);
  const rows = r.stdout.split('\n').filter((l) => l.startsWith(`${TOPIC}:`)).map((l) => l.split(':').map((x, i) => (i === 0 ? x : Number(x))));
  assert.deepEqual(rows.map((r) => r[1]).sort(), [0, 1, 2], r.stdout);
  assert.equal(rows.reduce((s, r) => s + (r[2] as number), 0), LINES.length, r.stdout);
});

test("kafka-dump-log reads Tributary's segment files (the on-disk format is Kafka's)", { timeout: 120_000 }, async () => {
  const segments = [0, 1, 2].map((p) => path.join(broker.logDir, `${TOPIC}-${p}`, '00000000000000000000.log'));
  for (const s of segments) assert.ok(fs.existsSync(s), `no segment ${s}: ${fs.readdirSync(broker.logDir).join(', ')}`);
  const r = await runKafkaToolChecked('kafka.tools.DumpLogSegments', ['--files', segments.join(','), '--print-data-log', '--deep-iteration'], { timeoutMs: 60_000 });
  const payloads = [...r.stdout.matchAll(/key: (\S+) payload: (\S+)/g)].map((m) => `${m[1]}:${m[2]}`);
  assert.deepEqual(payloads.sort(), [...LINES].sort(), r.stdout);
  assert.doesNotMatch(r.stdout + r.stderr, /corrupt|Exception/i);
  // The index files too: DumpLogSegments checks each offset index entry against the log.
  const indexes = segments.map((s) => s.replace(/\.log$/, '.index'));
  for (const i of indexes) assert.ok(fs.existsSync(i), `no offset index ${i}`);
  const idx = await runKafkaToolChecked('kafka.tools.DumpLogSegments', ['--files', indexes.join(',')], { timeoutMs: 60_000 });
  assert.doesNotMatch(idx.stdout + idx.stderr, /Mismatches|corrupt|Exception/i);
});
