/**
 * Differences from Apache Kafka found by running the same requests against both (the reference
 * Kafka from test/helpers/kafka-reference.ts and a Tributary broker process), asserted on both so
 * the expectation is Kafka's own behaviour, not our reading of it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { CreateTopicsApi, DeleteRecordsApi, DescribeConfigsApi, FetchApi, FindCoordinatorApi, ListOffsetsApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import { ZERO_UUID } from '../../src/protocol/schema/uuid.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js';
import type { DescribeConfigsResponse } from '../../src/protocol/messages/describe-configs.js';
import type { FetchResponse } from '../../src/protocol/messages/fetch.js';
import type { ProduceResponse } from '../../src/protocol/messages/produce.js';
import { buildRecordBatchSync } from '../../src/protocol/records/index.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { startKafka, type KafkaBroker } from '../helpers/kafka-reference.js';

let kafka: KafkaBroker;
let tributary: BrokerProcess;
const targets = (): Array<[string, string, number]> => [
  ['kafka', kafka.host, kafka.port],
  ['tributary', tributary.host, tributary.port],
];

before(async () => {
  [kafka, tributary] = await Promise.all([startKafka(), startBrokerProcess(null)]);
});
after(async () => {
  await Promise.all([kafka?.stop(), tributary?.cleanup()]);
});

async function withConn<T>(host: string, port: number, fn: (c: BrokerConnection) => Promise<T>): Promise<T> {
  const conn = await BrokerConnection.open(host, port, { clientId: 'interop-diff', requestTimeoutMs: 30_000 });
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

async function createTopic(conn: BrokerConnection, name: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const res = await conn.send<CreateTopicsResponse>(CreateTopicsApi, 5, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  assert.equal(res.topics[0]!.errorCode, 0, `create ${name}: ${res.topics[0]!.errorMessage}`);
}

test('Fetch v12: CurrentLeader is not written for partitions without a leader error (as Kafka)', { timeout: 180_000 }, async () => {
  for (const [who, host, port] of targets()) {
    await withConn(host, port, async (conn) => {
      await createTopic(conn, 'leader-hint', 3);
      const batch = buildRecordBatchSync({ records: [{ value: Buffer.from('x') }] });
      for (const index of [0, 1, 2]) {
        for (let attempt = 0; ; attempt++) {
          // Kafka may answer NOT_LEADER_OR_FOLLOWER for a moment right after CreateTopics.
          const res = await conn.send<ProduceResponse>(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ name: 'leader-hint', partitionData: [{ index, records: batch }] }] });
          const code = res.responses[0]!.partitionResponses[0]!.errorCode;
          if (code === 0) break;
          if (attempt > 50) assert.fail(`${who}: produce to partition ${index} kept failing with ${code}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      const res = await conn.send<FetchResponse>(FetchApi, 12, {
        replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: 'leader-hint', partitions: [0, 1, 2].map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 16 })) }],
        forgottenTopicsData: [], rackId: '',
      });
      const parts = res.responses[0]!.partitions;
      assert.equal(parts.length, 3, who);
      for (const p of parts) {
        assert.equal(p.errorCode, 0, `${who} partition ${p.partitionIndex}`);
        assert.equal(p.highWatermark, 1, `${who} partition ${p.partitionIndex}`);
        // An absent tagged field decodes to its defaults (-1, -1).
        assert.deepEqual({ ...p.currentLeader }, { leaderId: -1, leaderEpoch: -1 }, `${who} partition ${p.partitionIndex} carries CurrentLeader`);
      }
    });
  }
});

test('DescribeConfigs include_synonyms: the same synonyms as Kafka for inherited and overridden topic configs', { timeout: 120_000 }, async () => {
  const seen: Record<string, unknown> = {};
  for (const [who, host, port] of targets()) {
    await withConn(host, port, async (conn) => {
      await createTopic(conn, 'synonyms', 1, { 'retention.ms': '3600000' });
      const describe = (): Promise<DescribeConfigsResponse> => conn.send<DescribeConfigsResponse>(DescribeConfigsApi, 4, {
        resources: [{ resourceType: 2, resourceName: 'synonyms', configurationKeys: ['compression.type', 'retention.ms', 'segment.ms', 'segment.bytes', 'cleanup.policy', 'max.message.bytes', 'retention.bytes'] }],
        includeSynonyms: true,
        includeDocumentation: false,
      });
      let res = await describe();
      // Kafka's broker may not have applied the new topic's metadata yet right after CreateTopics
      // answers (UNKNOWN_TOPIC_OR_PARTITION for a moment; seen in CI): ask again for a while.
      for (let attempt = 0; res.results[0]!.errorCode === 3 && attempt < 50; attempt++) {
        await new Promise((r) => setTimeout(r, 200));
        res = await describe();
      }
      const r = res.results[0]!;
      assert.equal(r.errorCode, 0, `${who}: ${r.errorMessage}`);
      seen[who] = Object.fromEntries(r.configs.map((c) => [c.name, { value: c.value, source: c.configSource, synonyms: c.synonyms.map((s) => ({ ...s })) }]));
    });
  }
  assert.deepEqual(seen['tributary'], seen['kafka'], JSON.stringify(seen, null, 1));
  // And what a client (kafkajs's own suite) looks for: the broker default behind an inherited config.
  assert.deepEqual((seen['tributary'] as Record<string, { synonyms: unknown[] }>)['compression.type']!.synonyms, [{ name: 'compression.type', value: 'producer', source: 5 }]);
});

/** Drops what legitimately differs between two brokers (ids, ports, timing, epochs, raw bytes). */
function normalise(o: unknown): unknown {
  const volatile = new Set(['throttleTimeMs', 'topicId', 'nodeId', 'port', 'host', 'leaderId', 'replicaNodes', 'isrNodes', 'clusterId', 'controllerId', 'brokers', 'configs', 'coordinators', 'leaderEpoch', 'records', 'nodeEndpoints']);
  return JSON.parse(JSON.stringify(o, (key, v: unknown) => (volatile.has(key) ? '<varies>' : typeof v === 'bigint' ? String(v) : v)));
}

test('a scripted request sequence gets the same answers from Tributary as from Kafka (after normalising)', { timeout: 180_000 }, async () => {
  const answers: Record<string, Record<string, unknown>> = {};
  const topic = 'scripted';
  for (const [who, host, port] of targets()) {
    answers[who] = await withConn(host, port, async (c) => {
      const out: Record<string, unknown> = {};
      const create = { topics: [{ name: topic, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false };
      out['CreateTopics'] = await c.send(CreateTopicsApi, 5, create);
      out['CreateTopics again (TOPIC_ALREADY_EXISTS)'] = await c.send(CreateTopicsApi, 5, create);
      const batch = buildRecordBatchSync({ records: [0, 1, 2].map((i) => ({ value: Buffer.from(`v${i}`), timestamp: 1000 + i })) });
      for (let attempt = 0; ; attempt++) {
        const res = await c.send<ProduceResponse>(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
        out['Produce'] = res;
        if (res.responses[0]!.partitionResponses[0]!.errorCode === 0 || attempt > 50) break;
        await new Promise((r) => setTimeout(r, 200)); // Kafka: NOT_LEADER_OR_FOLLOWER just after CreateTopics
      }
      const listOffsets = (timestamp: number) => c.send(ListOffsetsApi, 7, { replicaId: -1, isolationLevel: 0, timeoutMs: 5000, topics: [{ name: topic, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }] });
      out['ListOffsets earliest'] = await listOffsets(-2);
      out['ListOffsets latest'] = await listOffsets(-1);
      out['ListOffsets max timestamp'] = await listOffsets(-3);
      out['ListOffsets timestamp 1001'] = await listOffsets(1001);
      out['ListOffsets timestamp after the last'] = await listOffsets(99_999);
      out['DeleteRecords to 1'] = await c.send(DeleteRecordsApi, 2, { topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 1 }] }], timeoutMs: 5000 });
      out['DeleteRecords beyond the high watermark'] = await c.send(DeleteRecordsApi, 2, { topics: [{ name: topic, partitions: [{ partitionIndex: 0, offset: 10 }] }], timeoutMs: 5000 });
      out['ListOffsets earliest after DeleteRecords'] = await listOffsets(-2);
      const fetch = (fetchOffset: number) => c.send(FetchApi, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 65536 }] }], forgottenTopicsData: [], rackId: '' });
      out['Fetch below the log start'] = await fetch(0);
      out['Fetch above the high watermark'] = await fetch(50);
      out['Metadata of an unknown topic'] = await c.send(MetadataApi, 12, { topics: [{ topicId: ZERO_UUID, name: 'no-such-topic' }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
      out['FindCoordinator v4'] = await c.send(FindCoordinatorApi, 4, { key: '', keyType: 0, coordinatorKeys: ['scripted-group'] });
      return normalise(out) as Record<string, unknown>;
    });
  }
  for (const step of Object.keys(answers['kafka']!)) assert.deepEqual(answers['tributary']![step], answers['kafka']![step], step);
});
