import { test } from 'node:test';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { FindCoordinatorApi } from '../../src/protocol/messages/index.js';
import { makeKafka } from '../helpers/kafkajs.js';
import { Checks, readPartition, statesFromAny } from '../helpers/replica-check.js';
import { createReplicatedTopic, describeStates, sleep, startReplicatedCluster } from '../helpers/replication-setup.js';
import type { ProcessCluster } from '../helpers/cluster-process.js';

/**
 * Replication, the consumer-group case: with offsets.topic.replication.factor=3 the
 * group's committed offsets live in a replicated __consumer_offsets partition, so SIGKILLing the
 * broker that coordinates the group (the leader of that partition) loses nothing: another replica
 * becomes coordinator with the same offsets, the consumer rebalances onto it and carries on where
 * it left off, without reading again what it had committed.
 */

const TOPIC = 'orders';
const PARTITIONS = 3;
const GROUP = 'replicated-offsets';

async function findCoordinator(cluster: ProcessCluster, via: number): Promise<{ nodeId: number; errorCode: number }> {
  const [host, port] = cluster.bootstrapOf(via).split(':');
  const conn = await BrokerConnection.open(host!, Number(port), { requestTimeoutMs: 5000, connectTimeoutMs: 2000 });
  try {
    const res = await conn.send<{ coordinators: Array<{ nodeId: number; errorCode: number }> }>(FindCoordinatorApi, 4, { keyType: 0, coordinatorKeys: [GROUP] });
    return res.coordinators[0]!;
  } finally {
    conn.close();
  }
}

test('a consumer group keeps its committed offsets and rebalances through the loss of its coordinator (__consumer_offsets RF 3)', { timeout: 150_000 }, async (t) => {
  const cluster = await startReplicatedCluster(t);
  const checks = new Checks();
  await createReplicatedTopic(cluster, TOPIC, PARTITIONS);
  const { kafka, logs } = makeKafka(cluster.bootstrap, 'group-failover', { requestTimeout: 5000 });
  // The client's log without its (many) refused reconnects to the dead broker.
  const logTail = (n: number): string => logs.filter((l) => !l.includes('ECONNREFUSED')).slice(-n).join('\n');
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.after(() => producer.disconnect());
  const first = Array.from({ length: 300 }, (_, i) => ({ partition: i % PARTITIONS, value: `first-${i}` }));
  await producer.send({ topic: TOPIC, acks: -1, messages: first });

  const seen = new Map<string, number>();
  let joins = 0;
  // kafkajs keeps heartbeating its cached coordinator through connection errors until its retries run out; it
  // then restarts the consumer, which looks the coordinator up again. Few retries make that seconds, not a minute.
  const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 6000, heartbeatInterval: 500, retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 1000 } });
  consumer.on(consumer.events.GROUP_JOIN, () => void joins++);
  await consumer.connect();
  t.after(() => consumer.disconnect());
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({ autoCommitInterval: 100, eachMessage: async ({ message }) => void seen.set(message.value!.toString(), (seen.get(message.value!.toString()) ?? 0) + 1) });

  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  const committedTotal = async (): Promise<number> => (await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] }))[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  const deadline = Date.now() + 60_000;
  let committed = 0;
  while (Date.now() < deadline && (committed = await committedTotal().catch(() => 0)) < first.length) await sleep(200);
  checks.check(committed === first.length, 'the group consumed and committed the first 300 records', `committed ${committed}`);
  const before = (await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] }))[0]!.partitions.map((p) => `${p.partition}:${p.offset}`).sort();

  const coordinator = (await findCoordinator(cluster, 0)).nodeId;
  const offsetsStates = await statesFromAny(cluster, '__consumer_offsets');
  t.diagnostic(`group ${GROUP}: coordinator ${coordinator}, committed ${before.join(', ')}; __consumer_offsets ${describeStates(offsetsStates)}`);
  checks.check(offsetsStates.every((s) => s.replicas.length === 3), '__consumer_offsets has three replicas per partition', describeStates(offsetsStates));
  await cluster.kill(coordinator);
  const killedAt = Date.now();
  const survivors = [0, 1, 2].filter((id) => id !== coordinator);

  let moved: { nodeId: number; errorCode: number } | null = null;
  while (Date.now() < killedAt + 20_000) {
    moved = await findCoordinator(cluster, survivors[0]!).catch(() => null);
    if (moved && moved.errorCode === 0 && moved.nodeId !== coordinator) break;
    await sleep(100);
  }
  t.diagnostic(`coordinator ${coordinator} SIGKILLed: node ${moved?.nodeId} coordinates after ${Date.now() - killedAt} ms`);
  checks.check(moved !== null && moved.errorCode === 0 && moved.nodeId !== coordinator, 'another broker becomes the coordinator', JSON.stringify(moved));
  const { kafka: k2 } = makeKafka(survivors.map((id) => cluster.bootstrapOf(id)).join(','), 'group-failover-probe');
  const admin2 = k2.admin();
  await admin2.connect();
  t.after(() => admin2.disconnect());
  const afterOffsets = (await admin2.fetchOffsets({ groupId: GROUP, topics: [TOPIC] }).catch(() => [{ partitions: [] as Array<{ partition: number; offset: string }> }]))[0]!.partitions.map((p) => `${p.partition}:${p.offset}`).sort();
  t.diagnostic(`committed offsets at the new coordinator: ${afterOffsets.join(', ')}`);
  checks.check(JSON.stringify(afterOffsets) === JSON.stringify(before), 'the new coordinator has the committed offsets', `before ${before.join(', ')}, after ${afterOffsets.join(', ')}`);

  // New records reach the same group, which rebalanced onto the new coordinator; nothing committed is read twice.
  const second = Array.from({ length: 150 }, (_, i) => ({ partition: i % PARTITIONS, value: `second-${i}` }));
  const { kafka: k3 } = makeKafka(survivors.map((id) => cluster.bootstrapOf(id)).join(','), 'group-failover-producer');
  const producer2 = k3.producer({ allowAutoTopicCreation: false });
  await producer2.connect();
  t.after(() => producer2.disconnect());
  let sentSecond = false;
  for (let attempt = 0; attempt < 20 && !sentSecond; attempt++) {
    sentSecond = await producer2.send({ topic: TOPIC, acks: -1, messages: second }).then(() => true, () => false);
    if (!sentSecond) await sleep(500);
  }
  checks.check(sentSecond, '150 more records produced with the coordinator down');
  const gotSecond = (): number => second.filter((m) => seen.has(m.value)).length;
  const until = Date.now() + 45_000;
  while (Date.now() < until && gotSecond() < second.length) await sleep(200);
  const rereads = first.filter((m) => (seen.get(m.value) ?? 0) > 1).length;
  const missingFirst = first.filter((m) => !seen.has(m.value)).length;
  t.diagnostic(`after the failover: ${gotSecond()}/${second.length} new records consumed, ${rereads} committed records read again, ${joins} group joins`);
  checks.check(gotSecond() === second.length, "the group consumes the new records after the coordinator failover", `${gotSecond()}/${second.length}\n${logTail(40)}`);
  checks.check(rereads === 0 && missingFirst === 0, 'no committed record read again (the group resumed from its committed offsets)', `${rereads} re-read, ${missingFirst} never read`);
  checks.check(joins >= 2, 'the consumer rejoined (rebalanced) at the new coordinator', `${joins} joins`);
  for (let p = 0; p < PARTITIONS; p++) {
    const c = await readPartition(cluster, TOPIC, p).catch(() => null);
    const firstHere = first.filter((m) => m.partition === p).length;
    checks.check(c !== null && c.records.filter((r) => r.value.startsWith('first-')).length === firstHere, `${TOPIC}-${p} still holds its ${firstHere} first records`, c ? `${c.records.filter((r) => r.value.startsWith('first-')).length} found` : 'unreadable');
  }
  await consumer.disconnect();
  const desc = await admin2.describeGroups([GROUP]).catch(() => null);
  t.diagnostic(`group after the consumer left: ${desc?.groups[0]?.state}`);
  checks.assertAll(cluster.logs(1500));
});
