import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { MetadataApi, OffsetForLeaderEpochApi } from '../../src/protocol/messages/index.js';
import type { MetadataResponse } from '../../src/protocol/messages/metadata.js';
import type { EpochEndOffset, OffsetForLeaderEpochResponse } from '../../src/protocol/messages/offset-for-leader-epoch.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { makeKafka } from '../helpers/kafkajs.js';

/**
 * OffsetForLeaderEpoch against a real broker process, spoken raw with our codec: the leader answers from
 * its partition's leader epoch cache (leader-epoch-checkpoint in the partition directory), which survives
 * a restart, and checks currentLeaderEpoch (FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH).
 */

const TOPIC = 'epochs';

async function leaderEpochOf(conn: BrokerConnection, topic: string): Promise<number> {
  const res = await conn.send<MetadataResponse>(MetadataApi, 12, {
    topics: [{ topicId: 'AAAAAAAAAAAAAAAAAAAAAA', name: topic }],
    allowAutoTopicCreation: false,
    includeClusterAuthorizedOperations: false,
    includeTopicAuthorizedOperations: false,
  });
  const p = res.topics[0]!.partitions[0]!;
  assert.equal(p.errorCode, 0);
  return p.leaderEpoch;
}

type Query = { topic: string; partition: number; currentLeaderEpoch: number; leaderEpoch: number };

async function offsetsForLeaderEpoch(conn: BrokerConnection, version: number, queries: Query[]): Promise<EpochEndOffset[]> {
  const topics = [...new Set(queries.map((q) => q.topic))].map((topic) => ({
    topic,
    partitions: queries.filter((q) => q.topic === topic).map((q) => ({ partition: q.partition, currentLeaderEpoch: q.currentLeaderEpoch, leaderEpoch: q.leaderEpoch })),
  }));
  const res = await conn.send<OffsetForLeaderEpochResponse>(OffsetForLeaderEpochApi, version, { replicaId: -1, topics });
  assert.deepEqual(res.topics.map((t) => t.topic), topics.map((t) => t.topic));
  return res.topics.flatMap((t) => t.partitions);
}

async function produce(broker: BrokerProcess, n: number): Promise<void> {
  const { kafka } = makeKafka(broker.bootstrap, 'ofle-producer');
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ value: `v${i}` })) });
  } finally {
    await producer.disconnect();
  }
}

test('OffsetForLeaderEpoch: end offsets from the leader epoch cache, across a restart; epoch fencing and unknown partitions', { timeout: 90_000 }, async (t) => {
  const broker = await startBrokerProcess(t);
  const { kafka } = makeKafka(broker.bootstrap, 'ofle-admin');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  await admin.disconnect();
  await produce(broker, 3);

  let conn = await BrokerConnection.open(broker.host, broker.port);
  const first = await leaderEpochOf(conn, TOPIC);
  assert.deepEqual(await offsetsForLeaderEpoch(conn, 4, [{ topic: TOPIC, partition: 0, currentLeaderEpoch: first, leaderEpoch: first }]), [
    { partition: 0, errorCode: ErrorCode.NONE, leaderEpoch: first, endOffset: 3 },
  ], 'the latest epoch ends at the log end');
  conn.close();

  // A restart gives the partition a new leader epoch (it goes leaderless and is led again).
  await broker.restart();
  conn = await BrokerConnection.open(broker.host, broker.port);
  t.after(() => conn.close());
  const second = await leaderEpochOf(conn, TOPIC);
  assert.ok(second > first, `leader epoch ${first} → ${second} after a restart`);
  await produce(broker, 2);
  const checkpoint = await readFile(path.join(broker.logDir, `${TOPIC}-0`, 'leader-epoch-checkpoint'), 'utf8');
  assert.equal(checkpoint, `0\n2\n${first} 0\n${second} 3\n`);

  const answers = await offsetsForLeaderEpoch(conn, 4, [
    { topic: TOPIC, partition: 0, currentLeaderEpoch: second, leaderEpoch: first },
    { topic: TOPIC, partition: 0, currentLeaderEpoch: -1, leaderEpoch: second },
    { topic: TOPIC, partition: 0, currentLeaderEpoch: second, leaderEpoch: second - 1 > first ? second - 1 : first },
    { topic: TOPIC, partition: 0, currentLeaderEpoch: second, leaderEpoch: second + 5 },
    { topic: TOPIC, partition: 0, currentLeaderEpoch: second, leaderEpoch: -1 },
    { topic: TOPIC, partition: 0, currentLeaderEpoch: first, leaderEpoch: first },
    { topic: TOPIC, partition: 0, currentLeaderEpoch: second + 1, leaderEpoch: first },
    { topic: TOPIC, partition: 7, currentLeaderEpoch: -1, leaderEpoch: first },
    { topic: 'no-such-topic', partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 },
  ]);
  assert.deepEqual(answers, [
    { partition: 0, errorCode: ErrorCode.NONE, leaderEpoch: first, endOffset: 3 },
    { partition: 0, errorCode: ErrorCode.NONE, leaderEpoch: second, endOffset: 5 },
    { partition: 0, errorCode: ErrorCode.NONE, leaderEpoch: first, endOffset: 3 },
    { partition: 0, errorCode: ErrorCode.NONE, leaderEpoch: -1, endOffset: -1 },
    { partition: 0, errorCode: ErrorCode.NONE, leaderEpoch: -1, endOffset: -1 },
    { partition: 0, errorCode: ErrorCode.FENCED_LEADER_EPOCH, leaderEpoch: -1, endOffset: -1 },
    { partition: 0, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, leaderEpoch: -1, endOffset: -1 },
    { partition: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderEpoch: -1, endOffset: -1 },
    { partition: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderEpoch: -1, endOffset: -1 },
  ]);

  // v2 (what librdkafka-based consumers send, KIP-320) answers the same.
  assert.deepEqual(await offsetsForLeaderEpoch(conn, 2, [{ topic: TOPIC, partition: 0, currentLeaderEpoch: second, leaderEpoch: first }]), [
    { partition: 0, errorCode: ErrorCode.NONE, leaderEpoch: first, endOffset: 3 },
  ]);
});
