import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { startBroker, startCluster } from '../../src/index.js';
import { eventually } from '../helpers/eventually.js';

/**
 * @platformatic/kafka (a pure-JavaScript client, pinned to 1.x for Node 20, ../shared/CLIENTS.md) against
 * a single broker and against a 3-node KRaft cluster in this process: its admin creates a topic, its
 * producer writes keyed records with headers to every partition (following leaders on other nodes in the
 * cluster), and a consumer group reads every one back.
 */

async function roundTrip(bootstrap: string, topic: string, partitions: number): Promise<void> {
  const brokers = bootstrap.split(',');
  const admin = new Admin({ clientId: 'platformatic-admin', bootstrapBrokers: brokers });
  const producer = new Producer({ clientId: 'platformatic-producer', bootstrapBrokers: brokers, serializers: stringSerializers, autocreateTopics: false });
  const consumer = new Consumer({ groupId: `${topic}-group`, clientId: 'platformatic-consumer', bootstrapBrokers: brokers, deserializers: stringDeserializers, sessionTimeout: 10_000, heartbeatInterval: 500 });
  try {
    await admin.createTopics({ topics: [topic], partitions, replicas: 1 });
    const sent = Array.from({ length: 120 }, (_, i) => ({ topic, key: `k${i}`, value: `v${i}`, partition: i % partitions, headers: { n: String(i) } }));
    await eventually('the producer writes every record', 20_000, async () => {
      await producer.send({ messages: sent, acks: -1 });
      return true;
    }, 200);
    const stream = await consumer.consume({ autocommit: true, topics: [topic], mode: 'earliest' });
    const got = new Map<string, { value: string; partition: number; header: string | undefined }>();
    stream.on('data', (m) => {
      const headers = m.headers as Map<string, string> | undefined;
      got.set(String(m.key), { value: String(m.value), partition: m.partition, header: headers?.get('n') });
    });
    await eventually('every record is consumed', 30_000, async () => (got.size >= sent.length ? true : undefined), 100);
    await stream.close();
    for (const s of sent) {
      const r = got.get(s.key);
      assert.ok(r, `record ${s.key} consumed`);
      assert.equal(r.value, s.value);
      assert.equal(r.partition, s.partition);
      assert.equal(r.header, s.headers.n);
    }
    assert.equal(new Set([...got.values()].map((r) => r.partition)).size, partitions, 'every partition was read');
  } finally {
    await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
    await producer.close().catch(() => undefined);
    await admin.close().catch(() => undefined);
  }
}

test('@platformatic/kafka: admin, producer and a consumer group against one broker', { timeout: 90_000 }, async (t) => {
  const broker = await startBroker();
  t.after(() => broker.close());
  await roundTrip(broker.bootstrap, 'platformatic-one', 3);
});

test('@platformatic/kafka against a 3-node cluster: partitions on every node, leaders followed', { timeout: 120_000 }, async (t) => {
  const cluster = await startCluster({ nodes: 3 });
  t.after(() => cluster.close());
  await roundTrip(cluster.bootstrap, 'platformatic-three', 6);
});
