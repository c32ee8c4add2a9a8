/**
 * A data dir written by the single-node release (commit 949af01: topics in tributary-topics.json, no
 * metadata log), kept in test/fixtures/single-node-v0.1/ and described by its manifest.json, must
 * come up under the current broker with every topic, partition, config override, record and
 * committed group offset — the cluster metadata migration's contract. Runs the real CLI
 * (`node dist/src/cli/main.js server`) on a copy of the fixture, and again after a restart (the
 * migration must happen once and stick).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { BrokerProcess } from '../helpers/broker-process.js';
import { makeTempDir, removeTempDir } from '../helpers/cleanup.js';
import { consumeAll, makeKafka } from '../helpers/kafkajs.js';
import { repoRoot } from '../helpers/paths.js';
import { readFileSync } from 'node:fs';

interface Manifest {
  dataDir: string;
  brokerConfigUsed: Record<string, number>;
  record: { timestampMs: string };
  topics: {
    name: string;
    partitions: number;
    configs: Record<string, string>;
    partitionRecords: { partition: number; records: number; firstOffset: number; lastOffset: number; firstKey: string; lastKey: string }[];
  }[];
  consumerGroups: { groupId: string; offsets: { topic: string; partitions: { partition: number; offset: number }[] }[] }[];
}

const { ConfigResourceTypes } = kafkajs;
const fixtureDir = path.join(repoRoot, 'test', 'fixtures', 'single-node-v0.1');
const manifest = JSON.parse(readFileSync(path.join(fixtureDir, 'manifest.json'), 'utf8')) as Manifest;
const BASE_TIMESTAMP_MS = Number(/^(\d+)/.exec(manifest.record.timestampMs)![1]);

function keyOf(topic: string, partition: number, i: number): string {
  return `${topic}-${partition}-k${String(i).padStart(3, '0')}`;
}

async function checkMetadataAndOffsets(bootstrap: string, label: string): Promise<void> {
  const { kafka, logTail } = makeKafka(bootstrap, `legacy-check-${label}`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const names = (await admin.listTopics()).filter((t) => !t.startsWith('__')).sort();
    assert.deepEqual(names, manifest.topics.map((t) => t.name).sort(), `${label}: topics`);
    const meta = await admin.fetchTopicMetadata({ topics: manifest.topics.map((t) => t.name) });
    for (const t of manifest.topics) {
      const m = meta.topics.find((x) => x.name === t.name);
      assert.equal(m?.partitions.length, t.partitions, `${label}: partition count of ${t.name}`);
    }
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: manifest.topics.map((t) => ({ type: ConfigResourceTypes.TOPIC, name: t.name })),
    });
    for (const t of manifest.topics) {
      const entries = described.resources.find((r) => r.resourceName === t.name)?.configEntries ?? [];
      for (const [name, value] of Object.entries(t.configs)) {
        const e = entries.find((x) => x.configName === name);
        assert.equal(e?.configValue, value, `${label}: ${t.name} ${name}`);
        assert.equal(e?.isDefault, false, `${label}: ${t.name} ${name} is an override, not a default`);
      }
    }
    for (const g of manifest.consumerGroups) {
      const fetched = await admin.fetchOffsets({ groupId: g.groupId, topics: g.offsets.map((o) => o.topic) });
      for (const o of g.offsets) {
        const got = fetched.find((f) => f.topic === o.topic);
        assert.ok(got, `${label}: group ${g.groupId} has offsets for ${o.topic}`);
        for (const p of o.partitions) {
          assert.equal(Number(got.partitions.find((x) => x.partition === p.partition)?.offset), p.offset, `${label}: ${g.groupId} ${o.topic}-${p.partition}`);
        }
      }
    }
  } catch (err) {
    throw new Error(`${(err as Error).message}\nkafkajs log:\n${logTail()}`);
  } finally {
    await admin.disconnect();
  }
}

async function checkRecords(bootstrap: string): Promise<void> {
  const { kafka } = makeKafka(bootstrap, 'legacy-records');
  for (const t of manifest.topics) {
    const total = t.partitionRecords.reduce((n, p) => n + p.records, 0);
    const { records, timedOut, crashes } = await consumeAll(kafka, t.name, `legacy-check-${t.name}`, total, { lingerMs: 500 });
    assert.equal(timedOut, false, `consuming ${t.name}: got ${records.length}/${total}; crashes: ${crashes.join('; ')}`);
    assert.equal(records.length, total, `${t.name}: no record lost or duplicated`);
    for (const p of t.partitionRecords) {
      const got = records.filter((r) => r.partition === p.partition).sort((a, b) => a.offset - b.offset);
      assert.equal(got.length, p.records, `${t.name}-${p.partition} record count`);
      assert.equal(got[0]?.key, p.firstKey);
      assert.equal(got.at(-1)?.key, p.lastKey);
      got.forEach((r, i) => {
        const key = keyOf(t.name, p.partition, i);
        assert.equal(r.offset, p.firstOffset + i, `${t.name}-${p.partition} offset`);
        assert.equal(r.key, key);
        assert.equal(r.value, `value of ${key}`);
        assert.deepEqual(r.headers, { seq: String(i) });
        assert.equal(r.timestamp, BASE_TIMESTAMP_MS + i * 1000);
      });
    }
  }
}

test('a data dir of the single-node release comes up whole under the current broker', async () => {
  const root = await makeTempDir('legacy');
  const dataDir = path.join(root, 'data');
  await cp(path.join(fixtureDir, manifest.dataDir), dataDir, { recursive: true });
  const broker = await BrokerProcess.start({
    logDir: dataDir,
    name: 'legacy',
    overrides: { 'offsets.topic.num.partitions': manifest.brokerConfigUsed['offsets.topic.num.partitions']!, 'group.initial.rebalance.delay.ms': 0 },
  });
  try {
    await checkMetadataAndOffsets(broker.bootstrap, 'first start');
    await checkRecords(broker.bootstrap);
    await broker.restart();
    await checkMetadataAndOffsets(broker.bootstrap, 'after restart');
  } catch (err) {
    throw new Error(`${(err as Error).message}\nbroker log:\n${broker.recentLogs()}`);
  } finally {
    await broker.cleanup();
    await removeTempDir(root);
  }
});
