import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { startCluster, type LocalCluster } from '../../src/index.js';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { MetadataApi } from '../../src/protocol/messages/index.js';
import type { MetadataResponse } from '../../src/protocol/messages/metadata.js';
import { makeKafka } from '../helpers/kafkajs.js';
import { eventually } from '../helpers/eventually.js';

/**
 * `startCluster()`: three KRaft nodes in this process, driven by kafkajs — a 6-partition topic
 * produced and consumed; the active controller killed (another is elected, topics are still created)
 * and restarted (it catches up); a non-controller isolated (the others fence it) and healed, then
 * stopped cleanly; close() removes the temporary data dir.
 */

async function metadataFrom(port: number): Promise<MetadataResponse> {
  const conn = await BrokerConnection.open('127.0.0.1', port, { requestTimeoutMs: 3000, connectTimeoutMs: 2000 });
  try {
    return await conn.send<MetadataResponse>(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  } finally {
    conn.close();
  }
}


const liveBrokers = async (port: number): Promise<number[]> => (await metadataFrom(port)).brokers.map((b) => b.nodeId).sort();
const portOf = (c: LocalCluster, id: number): number => c.nodes.get(id)!.port;

test('startCluster: produce/consume, kill and restart the controller, isolate and heal a node, close', { timeout: 60_000 }, async (t) => {
  const cluster = await startCluster({
    nodes: 3,
    config: { 'broker.session.timeout.ms': 3000, 'broker.heartbeat.interval.ms': 500, 'group.initial.rebalance.delay.ms': 0, 'auto.create.topics.enable': false },
  });
  t.after(() => cluster.close());
  assert.equal(cluster.nodes.size, 3);
  assert.equal(cluster.bootstrap.split(',').length, 3);
  assert.ok([...cluster.nodes.values()].every((n) => n.running));
  for (const id of [0, 1, 2]) await eventually(`node ${id} lists 3 brokers`, 15_000, async () => ((await liveBrokers(portOf(cluster, id))).length === 3 ? true : undefined));

  const { kafka, logTail } = makeKafka(cluster.bootstrap, 'start-cluster-test');
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 6 }], waitForLeaders: true }), true);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'orders', messages: Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    await producer.disconnect();
    const md = await metadataFrom(portOf(cluster, 0));
    const leaders = new Set(md.topics.find((x) => x.name === 'orders')!.partitions.map((p) => p.leaderId));
    assert.ok(leaders.size > 1, `partitions spread over brokers (leaders ${[...leaders]})`);

    const consumer = kafka.consumer({ groupId: 'start-cluster-group' });
    await consumer.connect();
    const seen = new Set<string>();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
    await eventually('60 records consumed', 30_000, async () => (seen.size === 60 ? true : undefined));
    await consumer.disconnect();

    // The active controller killed: another is elected and creates topics.
    const controller = (await metadataFrom(portOf(cluster, 0))).controllerId;
    assert.ok(cluster.nodes.has(controller), `controllerId ${controller}`);
    await cluster.kill(controller);
    assert.equal(cluster.nodes.get(controller)!.running, false);
    const survivor = [0, 1, 2].find((id) => id !== controller)!;
    const newController = await eventually('a new controller', 15_000, async () => {
      const c = (await metadataFrom(portOf(cluster, survivor))).controllerId;
      return c >= 0 && c !== controller ? c : undefined;
    });
    assert.notEqual(newController, controller);
    const survivors = makeKafka(`127.0.0.1:${portOf(cluster, survivor)}`, 'survivor-admin').kafka.admin();
    await survivors.connect();
    try {
      await eventually('topic created after the kill', 15_000, async () => ((await survivors.createTopics({ topics: [{ topic: 'after-kill', numPartitions: 2 }] })) ? true : undefined));
    } finally {
      await survivors.disconnect();
    }

    // Restarted on its data dir and ports, it catches up.
    await cluster.restart(controller);
    assert.equal(cluster.nodes.get(controller)!.running, true);
    await eventually('the restarted node sees the new topic and 3 brokers', 15_000, async () => {
      const m = await metadataFrom(portOf(cluster, controller));
      return m.topics.some((x) => x.name === 'after-kill') && m.brokers.length === 3 ? true : undefined;
    });

    // A non-controller isolated: fenced by the others after its session timeout; healed, back.
    const active = (await metadataFrom(portOf(cluster, survivor))).controllerId;
    const victim = [0, 1, 2].find((id) => id !== active)!;
    const observer = [0, 1, 2].find((id) => id !== victim)!;
    cluster.isolate(victim);
    await eventually(`node ${victim} no longer listed`, 20_000, async () => (!(await liveBrokers(portOf(cluster, observer))).includes(victim) ? true : undefined));
    cluster.heal();
    await eventually(`node ${victim} listed again`, 20_000, async () => ((await liveBrokers(portOf(cluster, observer))).includes(victim) ? true : undefined));

    // Stopped cleanly: no longer running, and no longer listed (close() copes with a stopped node).
    await cluster.stop(victim);
    assert.equal(cluster.nodes.get(victim)!.running, false);
    await eventually(`stopped node ${victim} no longer listed`, 10_000, async () => (!(await liveBrokers(portOf(cluster, observer))).includes(victim) ? true : undefined));
  } catch (err) {
    if (err instanceof Error) err.message += `\n--- kafkajs ---\n${logTail()}`;
    throw err;
  }

  await admin.disconnect();
  const dir = cluster.dataDir;
  assert.ok(existsSync(dir));
  await cluster.close();
  assert.equal(existsSync(dir), false, 'the temporary data dir is removed');
});
