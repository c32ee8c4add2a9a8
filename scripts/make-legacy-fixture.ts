/**
 * Generates test/fixtures/single-node-v0.1/: a data dir written by the single-node release
 * (commit 949af01, topics in `tributary-topics.json`, no metadata log), so the cluster code can
 * prove it migrates such a dir without losing a topic, a record or a committed offset.
 *
 * It must run against THAT release, not the current tree:
 *   git -C /work/main worktree add /work/wt-legacy 949af01
 *   cp scripts/make-legacy-fixture.ts /work/wt-legacy/scripts/ && cd /work/wt-legacy
 *   ln -s /work/main/node_modules node_modules && npx tsc -p .
 *   node dist/scripts/make-legacy-fixture.js <out-dir>
 * then copy <out-dir>/data and <out-dir>/manifest.json into test/fixtures/single-node-v0.1/.
 *
 * Deterministic content (keys, values, timestamps) so the manifest describes every record; only
 * ids (cluster id, topic ids) are random, and the manifest records them.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker } from '../src/index.js';

interface TopicPlan {
  name: string;
  partitions: number;
  configs: Record<string, string>;
  recordsPerPartition: number;
}

const TOPICS: readonly TopicPlan[] = [
  { name: 'orders', partitions: 1, configs: { 'retention.ms': '604800001', 'cleanup.policy': 'delete' }, recordsPerPartition: 40 },
  { name: 'clicks', partitions: 3, configs: {}, recordsPerPartition: 25 },
];
const GROUP = 'legacy-group';
/** Offsets the group commits per topic/partition (some partitions fully consumed, some half). */
const COMMITS: Record<string, number[]> = { orders: [40], clicks: [25, 10, 0] };
const BASE_TIMESTAMP_MS = 1_764_000_000_000;

function keyOf(topic: string, partition: number, i: number): string {
  return `${topic}-${partition}-k${String(i).padStart(3, '0')}`;
}

async function main(): Promise<void> {
  const outDir = path.resolve(process.argv[2] ?? 'legacy-fixture-out');
  const dataDir = path.join(outDir, 'data');
  await rm(outDir, { recursive: true, force: true });
  await mkdir(dataDir, { recursive: true });

  const broker = await startBroker({
    dataDir,
    // Small internal topic and segments keep the fixture small; a second segment per partition of
    // 'orders' exercises segment rolling in the migrated dir.
    config: { 'offsets.topic.num.partitions': 3, 'offsets.topic.replication.factor': 1, 'log.segment.bytes': 2048, 'auto.create.topics.enable': false },
  });
  const kafka = new Kafka({ clientId: 'make-legacy-fixture', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: TOPICS.map((t) => ({
      topic: t.name,
      numPartitions: t.partitions,
      replicationFactor: 1,
      configEntries: Object.entries(t.configs).map(([name, value]) => ({ name, value })),
    })),
  });

  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  for (const t of TOPICS) {
    for (let p = 0; p < t.partitions; p++) {
      // Several batches per partition (10 records each), as a real producer would send.
      for (let start = 0; start < t.recordsPerPartition; start += 10) {
        const messages = [];
        for (let i = start; i < Math.min(start + 10, t.recordsPerPartition); i++) {
          messages.push({
            key: keyOf(t.name, p, i),
            value: `value of ${keyOf(t.name, p, i)}`,
            partition: p,
            timestamp: String(BASE_TIMESTAMP_MS + i * 1000),
            headers: { seq: String(i) },
          });
        }
        await producer.send({ topic: t.name, acks: -1, messages });
      }
    }
  }
  await producer.disconnect();

  for (const [topic, offsets] of Object.entries(COMMITS)) {
    await admin.setOffsets({ groupId: GROUP, topic, partitions: offsets.map((offset, partition) => ({ partition, offset: String(offset) })) });
  }
  const committed = await admin.fetchOffsets({ groupId: GROUP, topics: Object.keys(COMMITS) });
  const described = await admin.fetchTopicMetadata({ topics: TOPICS.map((t) => t.name) });
  await admin.disconnect();
  await broker.close();

  const manifest = {
    description: 'A data dir written by the single-node release (commit 949af01): topics in tributary-topics.json, no metadata log.',
    generatedBy: 'scripts/make-legacy-fixture.ts',
    sourceCommit: '949af01',
    brokerConfigUsed: { 'node.id': 0, 'offsets.topic.num.partitions': 3, 'log.segment.bytes': 2048 },
    dataDir: 'data',
    clusterId: broker.clusterId,
    topics: TOPICS.map((t) => ({
      name: t.name,
      partitions: t.partitions,
      configs: t.configs,
      partitionRecords: Array.from({ length: t.partitions }, (_, p) => ({
        partition: p,
        records: t.recordsPerPartition,
        firstOffset: 0,
        lastOffset: t.recordsPerPartition - 1,
        firstKey: keyOf(t.name, p, 0),
        lastKey: keyOf(t.name, p, t.recordsPerPartition - 1),
      })),
    })),
    record: {
      key: '<topic>-<partition>-k<index, 3 digits>',
      value: 'value of <key>',
      timestampMs: `${BASE_TIMESTAMP_MS} + index * 1000`,
      headers: { seq: '<index>' },
    },
    consumerGroups: [
      {
        groupId: GROUP,
        offsets: committed.map((c) => ({ topic: c.topic, partitions: c.partitions.map((p) => ({ partition: p.partition, offset: Number(p.offset) })) })),
      },
    ],
    internalTopics: [{ name: '__consumer_offsets', partitions: 3, note: 'registered in tributary-topics.json like any topic' }],
    files: {
      'data/tributary-topics.json': 'the topic registry of the single-node release (name, topicId, partitions, configs)',
      'data/meta.properties': 'version=1, cluster.id, node.id=0 (no directory.id: written before Kafka 3.7 semantics)',
    },
    topicMetadataAtGeneration: described.topics.map((t) => ({ name: t.name, partitions: t.partitions.length })),
  };
  await writeFile(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  process.stdout.write(`fixture written to ${outDir}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
