import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin, ErrorCode, KafkaError, Producer } from '../../src/index.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { makeKafka } from '../helpers/kafkajs.js';

/** The admin client end to end against the broker process; kafkajs plays an active group member. */

const isCode = (code: ErrorCode) => (e: unknown): boolean => e instanceof KafkaError && e.code === code;

test('admin: topics, partitions, configs, cluster, records, offsets', { timeout: 90_000 }, async (t) => {
  const broker = await startBrokerProcess(t, { name: 'client-admin', overrides: { 'num.partitions': 2 } });
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  t.after(() => admin.close());

  const cluster = await admin.describeCluster();
  assert.equal(cluster.brokers.length, 1);
  assert.equal(cluster.brokers[0]!.port, broker.port);
  assert.ok(cluster.clusterId);

  const created = await admin.createTopics([
    { name: 'orders', numPartitions: 3, configs: { 'retention.ms': '3600000' } },
    { name: 'events' },
  ]);
  assert.deepEqual(created.map((c) => [c.name, c.numPartitions]), [['orders', 3], ['events', 2]]);
  await assert.rejects(admin.createTopics([{ name: 'orders' }]), isCode(ErrorCode.TOPIC_ALREADY_EXISTS));
  assert.deepEqual(await admin.createTopics([{ name: 'orders' }], { ignoreExisting: true }), []);
  await assert.rejects(admin.createTopics([{ name: 'bad name!' }]), isCode(ErrorCode.INVALID_TOPIC_EXCEPTION));
  assert.deepEqual(await admin.listTopics(), ['events', 'orders']);

  await admin.createPartitions([{ topic: 'orders', count: 5 }]);
  const [orders] = await admin.describeTopics(['orders']);
  assert.equal(orders!.partitions.length, 5);
  assert.ok(orders!.partitions.every((p) => p.leader === 0 && p.isr.includes(0)));
  await assert.rejects(admin.createPartitions([{ topic: 'orders', count: 2 }]), isCode(ErrorCode.INVALID_PARTITIONS));
  await assert.rejects(admin.describeTopics(['missing']), isCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));

  const [cfg] = await admin.describeConfigs([{ type: 'topic', name: 'orders', keys: ['retention.ms', 'cleanup.policy'] }]);
  const byName = new Map(cfg!.configs.map((c) => [c.name, c]));
  assert.equal(byName.get('retention.ms')!.value, '3600000');
  assert.equal(byName.get('retention.ms')!.source, 'topic');
  assert.equal(byName.get('cleanup.policy')!.value, 'delete');
  const [brokerCfg] = await admin.describeConfigs([{ type: 'broker', name: '0', keys: ['num.partitions'] }]);
  assert.equal(brokerCfg!.configs[0]!.value, '2');

  // IncrementalAlterConfigs: applied when the broker serves it, otherwise a clear UNSUPPORTED_VERSION.
  try {
    await admin.incrementalAlterConfigs([{ type: 'topic', name: 'orders', ops: [{ op: 'set', name: 'retention.ms', value: '7200000' }, { op: 'delete', name: 'cleanup.policy' }] }]);
    const [after] = await admin.describeConfigs([{ type: 'topic', name: 'orders', keys: ['retention.ms'] }]);
    assert.equal(after!.configs[0]!.value, '7200000');
    t.diagnostic('IncrementalAlterConfigs served and applied');
  } catch (err) {
    assert.ok(isCode(ErrorCode.UNSUPPORTED_VERSION)(err), String(err));
    assert.match((err as Error).message, /IncrementalAlterConfigs/);
    t.diagnostic('IncrementalAlterConfigs not advertised: UNSUPPORTED_VERSION surfaced');
  }

  const producer = new Producer({ bootstrapServers: broker.bootstrap });
  await producer.send({ topic: 'orders', messages: Array.from({ length: 10 }, (_, i) => ({ value: Buffer.from(`o${i}`), partition: 0 })) });
  await producer.close();
  assert.deepEqual((await admin.listOffsets('orders', 'latest', [0, 1])).map((o) => o.offset), [10, 0]);
  assert.deepEqual((await admin.listOffsets('orders', 'earliest', [0])).map((o) => o.offset), [0]);

  try {
    const deleted = await admin.deleteRecords([{ topic: 'orders', partition: 0, offset: 4 }]);
    assert.deepEqual(deleted, [{ topic: 'orders', partition: 0, lowWatermark: 4 }]);
    assert.deepEqual((await admin.listOffsets('orders', 'earliest', [0])).map((o) => o.offset), [4]);
  } catch (err) {
    assert.ok(isCode(ErrorCode.UNSUPPORTED_VERSION)(err), String(err));
    t.diagnostic('DeleteRecords not advertised: UNSUPPORTED_VERSION surfaced');
  }

  await admin.deleteTopics(['events']);
  assert.deepEqual(await admin.listTopics(), ['orders']);
  await assert.rejects(admin.deleteTopics(['events']), isCode(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
});

test('admin: consumer groups — list, describe, offsets (fetch, alter, reset, delete), delete', { timeout: 90_000 }, async (t) => {
  const broker = await startBrokerProcess(t, { name: 'client-admin-groups', overrides: { 'num.partitions': 2 } });
  const admin = new Admin({ bootstrapServers: broker.bootstrap });
  t.after(() => admin.close());
  await admin.createTopics([{ name: 'g-topic', numPartitions: 2 }]);
  const producer = new Producer({ bootstrapServers: broker.bootstrap });
  for (const partition of [0, 1]) {
    await producer.send({ topic: 'g-topic', messages: Array.from({ length: 5 }, (_, i) => ({ value: Buffer.from(`v${i}`), partition })) });
  }
  await producer.close();

  // An inactive group gets offsets by OffsetCommit at generation -1.
  await admin.alterOffsets('offline', [{ topic: 'g-topic', partition: 0, offset: 3 }, { topic: 'g-topic', partition: 1, offset: 1 }]);
  assert.deepEqual((await admin.fetchOffsets('offline')).map((o) => [o.partition, o.offset]), [[0, 3], [1, 1]]);
  assert.deepEqual((await admin.resetOffsets('offline', 'g-topic', 'latest')).map((o) => o.offset), [5, 5]);
  assert.deepEqual((await admin.resetOffsets('offline', 'g-topic', 'earliest')).map((o) => o.offset), [0, 0]);
  assert.deepEqual((await admin.fetchOffsets('offline', ['g-topic'])).map((o) => o.offset), [0, 0]);
  await admin.deleteOffsets('offline', [{ topic: 'g-topic', partition: 1 }]);
  assert.deepEqual((await admin.fetchOffsets('offline', ['g-topic'])).map((o) => o.offset), [0, -1]);

  // An active kafkajs consumer group.
  const { kafka } = makeKafka(broker.bootstrap, 'admin-test-member');
  const consumer = kafka.consumer({ groupId: 'active', sessionTimeout: 10_000, heartbeatInterval: 500 });
  await consumer.connect();
  t.after(() => consumer.disconnect().catch(() => undefined));
  await consumer.subscribe({ topic: 'g-topic', fromBeginning: true });
  let seen = 0;
  await consumer.run({ eachMessage: async () => void seen++ });
  for (let i = 0; i < 100 && seen < 10; i++) await new Promise((r) => setTimeout(r, 100));
  let stable = false;
  for (let i = 0; i < 50 && !stable; i++) {
    const [g] = await admin.describeGroups(['active']);
    stable = g!.state === 'Stable' && g!.members.length === 1;
    if (!stable) await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(stable, 'the kafkajs group reached Stable');
  const [g] = await admin.describeGroups(['active']);
  assert.equal(g!.protocolType, 'consumer');
  assert.match(g!.members[0]!.clientId, /admin-test-member/);
  const listed = await admin.listGroups();
  assert.deepEqual(listed.map((l) => l.groupId), ['active', 'offline']);
  assert.equal(listed.find((l) => l.groupId === 'active')!.state, 'Stable');

  // Kafka's rules for an active group: no offset alteration, no deletion, no deleting subscribed offsets.
  await assert.rejects(admin.alterOffsets('active', [{ topic: 'g-topic', partition: 0, offset: 0 }]), (e: unknown) => e instanceof KafkaError);
  await assert.rejects(admin.deleteGroups(['active']), isCode(ErrorCode.NON_EMPTY_GROUP));
  await assert.rejects(admin.deleteOffsets('active', [{ topic: 'g-topic', partition: 0 }]), isCode(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC));

  await consumer.disconnect();
  await admin.deleteGroups(['offline']);
  assert.deepEqual((await admin.listGroups()).map((l) => l.groupId), ['active']);
  await assert.rejects(admin.deleteGroups(['offline']), isCode(ErrorCode.GROUP_ID_NOT_FOUND));
});
