import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { MetadataApi } from '../../src/protocol/messages/index.js';
import type { MetadataResponse } from '../../src/protocol/messages/metadata.js';
import { makeTempDir, removeTempDir } from '../helpers/cleanup.js';
import { ProcessCluster } from '../helpers/cluster-process.js';
import { makeKafka } from '../helpers/kafkajs.js';
import { formatRunFailure, runProcess } from '../helpers/proc.js';
import { parseConsumed, runPython, runPythonChecked } from '../helpers/python.js';
import { makeRecords, verifyRoundTrip, writeRecordsJsonl } from '../helpers/records.js';
import { requireTool } from '../helpers/tools.js';
import { eventually } from '../helpers/eventually.js';

/**
 * A 3-node cluster of real processes started with Kafka's KRaft properties (every node a broker and
 * a controller, `controller.quorum.voters` on loopback), driven by real clients: placement of a
 * topic's partitions across brokers, the same metadata from every broker, producers and consumers
 * following leaders on other brokers, and the failures the issue names (the active controller
 * SIGKILLed, every node SIGKILLed at once, a group's coordinator SIGKILLed).
 */

interface ClusterView {
  controllerId: number;
  brokers: number[];
  topics: Map<string, number[]>; // topic -> leader per partition
}

async function metadataFrom(bootstrap: string): Promise<MetadataResponse> {
  const [host, port] = bootstrap.split(':');
  const conn = await BrokerConnection.open(host!, Number(port), { requestTimeoutMs: 5000, connectTimeoutMs: 2000 });
  try {
    return await conn.send<MetadataResponse>(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  } finally {
    conn.close();
  }
}

async function viewFrom(bootstrap: string): Promise<ClusterView> {
  const md = await metadataFrom(bootstrap);
  const topics = new Map<string, number[]>();
  for (const t of md.topics) {
    if (t.name === null || t.name.startsWith('__')) continue;
    const leaders: number[] = [];
    for (const p of t.partitions) leaders[p.partitionIndex] = p.leaderId;
    topics.set(t.name, leaders);
  }
  return { controllerId: md.controllerId, brokers: md.brokers.map((b) => b.nodeId).sort(), topics };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}


function withLogs(cluster: ProcessCluster, err: unknown): never {
  if (err instanceof Error) err.message += `\n${cluster.logs()}`;
  throw err;
}

async function startCluster(t: TestContext): Promise<ProcessCluster> {
  return ProcessCluster.start(t, { nodes: 3, properties: { 'auto.create.topics.enable': false, 'offsets.topic.num.partitions': 6, 'num.partitions': 1 } });
}

test('3-node KRaft cluster: partitions spread, the same metadata from every broker, python clients on every partition', { timeout: 240_000 }, async (t) => {
  requireTool('kcat');
  requireTool('kafka-python');
  requireTool('confluent-kafka-python');
  const cluster = await startCluster(t);
  try {
    const { kafka } = makeKafka(cluster.bootstrapOf(0), 'cluster-admin');
    const admin = kafka.admin();
    await admin.connect();
    t.after(() => admin.disconnect());
    assert.equal(await admin.createTopics({ topics: [{ topic: 'spread', numPartitions: 6, replicationFactor: 1 }], waitForLeaders: true }), true);
    const md = await admin.fetchTopicMetadata({ topics: ['spread'] });
    const perBroker = new Map<number, number>();
    for (const p of md.topics[0]!.partitions) perBroker.set(p.leader, (perBroker.get(p.leader) ?? 0) + 1);
    assert.deepEqual([...perBroker.entries()].sort((a, b) => a[0] - b[0]), [[0, 2], [1, 2], [2, 2]], 'each broker leads two of the six partitions');

    // kcat -L against each broker: the same brokers, partitions (leaders) and controller, once each
    // broker has applied the metadata (followers of the metadata log see it a fetch later).
    const kcatViews = async (): Promise<string[]> => {
    const seen: string[] = [];
    for (const id of [0, 1, 2]) {
      const r = await runProcess('kcat', ['-L', '-J', '-b', cluster.bootstrapOf(id), '-t', 'spread'], { timeoutMs: 20_000 });
      if (r.code !== 0) assert.fail(formatRunFailure(r, `kcat -L against node ${id}`));
      const doc = JSON.parse(r.stdout) as { controllerid: number; brokers: Array<{ id: number; name: string }>; topics: Array<{ topic: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }> }> }> };
      const summary = JSON.stringify({
        controller: doc.controllerid,
        brokers: doc.brokers.map((b) => `${b.id}@${b.name}`).sort(),
        partitions: doc.topics[0]!.partitions.map((p) => [p.partition, p.leader, p.replicas.map((x) => x.id)]).sort((a, b) => Number(a[0]) - Number(b[0])),
      });
      seen.push(summary);
      assert.ok(doc.controllerid >= 0 && doc.controllerid <= 2, `node ${id} names a controller: ${summary}`);
    }
    return seen;
    };
    let seen = await kcatViews();
    for (let attempt = 0; attempt < 20 && new Set(seen).size > 1; attempt++) {
      await sleep(250);
      seen = await kcatViews();
    }
    assert.equal(seen[1], seen[0], 'node 1 shows what node 0 shows');
    assert.equal(seen[2], seen[0], 'node 2 shows what node 0 shows');

    // kafka-python and confluent-kafka-python produce to every partition through one broker and read
    // them back through another: every partition's leader is on some other broker for two of three.
    const dir = await makeTempDir('cluster-clients');
    t.after(() => removeTempDir(dir));
    const clients: Array<{ label: string; script: 'kafka_python_client.py' | 'confluent_client.py'; produceVia: number; readVia: number }> = [
      { label: 'kafka-python', script: 'kafka_python_client.py', produceVia: 1, readVia: 2 },
      { label: 'confluent', script: 'confluent_client.py', produceVia: 2, readVia: 0 },
    ];
    for (const c of clients) {
      const topic = `spread-${c.label}`;
      await runPythonChecked(c.script, ['create-topic', '--bootstrap', cluster.bootstrapOf(c.produceVia), '--topic', topic, '--partitions', '6'], 40_000, `${c.label} create-topic`);
      const records = makeRecords({ count: 1200, withHeaders: true, baseTimestamp: Date.now() - 60_000, keyPrefix: c.label });
      const input = path.join(dir, `${c.label}.jsonl`);
      await writeRecordsJsonl(input, records);
      await runPythonChecked(c.script, ['produce', '--bootstrap', cluster.bootstrapOf(c.produceVia), '--topic', topic, '--input', input, '--acks', 'all'], 60_000, `${c.label} produce`);
      const args =
        c.script === 'confluent_client.py'
          ? ['read-all', '--bootstrap', cluster.bootstrapOf(c.readVia), '--topic', topic, '--partitions', '6', '--timeout', '30']
          : ['consume', '--bootstrap', cluster.bootstrapOf(c.readVia), '--topic', topic, '--count', String(records.length), '--group', `${c.label}-group`, '--timeout', '40'];
      const consumed = await runPython(c.script, args, 60_000);
      const { records: got, errors } = parseConsumed(consumed.stdout);
      if (consumed.code !== 0 || errors.length > 0) assert.fail(`${c.label}: ${got.length}/${records.length} read, errors ${JSON.stringify(errors.slice(0, 5))}\n${formatRunFailure(consumed, `${c.label} consume`)}`);
      verifyRoundTrip(records, got, { partitions: 6, timestamps: { kind: 'exact' }, checkHeaders: true, label: c.label });
      const partitionsHit = new Set(got.map((r) => r.partition));
      assert.equal(partitionsHit.size, 6, `${c.label} produced to and read from every partition`);
    }
  } catch (err) {
    withLogs(cluster, err);
  }
});

test('the active controller SIGKILLed: another is elected within 3 s, topics are created through any broker, the node catches up; all three SIGKILLed and back', { timeout: 240_000 }, async (t) => {
  const cluster = await startCluster(t);
  try {
    const { kafka } = makeKafka(cluster.bootstrap, 'failover');
    const admin = kafka.admin();
    await admin.connect();
    t.after(() => admin.disconnect());
    await admin.createTopics({ topics: [{ topic: 'before', numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    t.after(() => producer.disconnect());
    const sent = Array.from({ length: 300 }, (_, i) => ({ key: `k${i % 17}`, value: `before-${i}` }));
    await producer.send({ topic: 'before', acks: -1, messages: sent });

    const controller = (await viewFrom(cluster.bootstrapOf(0))).controllerId;
    assert.ok(controller >= 0, 'a controller is elected');
    const survivors = [0, 1, 2].filter((id) => id !== controller);
    await cluster.kill(controller);
    const killedAt = Date.now();
    const newController = await eventually('a new controller', 15_000, async () => {
      const views = await Promise.all(survivors.map((id) => viewFrom(cluster.bootstrapOf(id))));
      const ids = new Set(views.map((v) => v.controllerId));
      const [only] = [...ids];
      return ids.size === 1 && only !== undefined && only !== controller && only >= 0 ? only : undefined;
    }, 20);
    const electionMs = Date.now() - killedAt;
    t.diagnostic(`controller ${controller} SIGKILLed; node ${newController} is the active controller after ${electionMs} ms`);
    assert.ok(electionMs < 3000, `a new controller within 3 s (took ${electionMs} ms)`);

    // Topic creation works again, through each surviving broker.
    for (const id of survivors) {
      const { kafka: via } = makeKafka(cluster.bootstrapOf(id), `create-via-${id}`);
      const a = via.admin();
      await a.connect();
      try {
        assert.equal(await a.createTopics({ topics: [{ topic: `after-via-${id}`, numPartitions: 2, replicationFactor: 1 }] }), true);
      } finally {
        await a.disconnect();
      }
    }

    // The killed node comes back, catches up and serves the same image.
    await cluster.restart(controller);
    const expected = await viewFrom(cluster.bootstrapOf(survivors[0]!));
    await eventually('the restarted node serves the same metadata', 20_000, async () => {
      const v = await viewFrom(cluster.bootstrapOf(controller));
      return JSON.stringify([...v.topics].sort()) === JSON.stringify([...expected.topics].sort()) && v.brokers.length === 3 ? true : undefined;
    });
    for (const id of survivors) assert.ok((await viewFrom(cluster.bootstrapOf(controller))).topics.has(`after-via-${id}`));

    // Every node SIGKILLed at once, and back: same topics, same data.
    const topicsBefore = JSON.stringify([...(await viewFrom(cluster.bootstrapOf(0))).topics.keys()].sort());
    await producer.disconnect();
    await admin.disconnect();
    await Promise.all([0, 1, 2].map((id) => cluster.kill(id)));
    await Promise.all([0, 1, 2].map((id) => cluster.restart(id)));
    await eventually('every node serves every topic with a leader again', 30_000, async () => {
      const views = await Promise.all([0, 1, 2].map((id) => viewFrom(cluster.bootstrapOf(id))));
      const ok = views.every((v) => JSON.stringify([...v.topics.keys()].sort()) === topicsBefore && [...v.topics.values()].every((leaders) => leaders.every((l) => l >= 0)));
      return ok ? true : undefined;
    });
    const { kafka: after } = makeKafka(cluster.bootstrap, 'after-restart');
    const consumer = after.consumer({ groupId: 'after-restart-reader' });
    await consumer.connect();
    t.after(() => consumer.disconnect());
    await consumer.subscribe({ topic: 'before', fromBeginning: true });
    const got = new Set<string>();
    await consumer.run({ eachMessage: async ({ message }) => void got.add(message.value!.toString()) });
    await eventually('every record acknowledged before the crash is read back', 60_000, async () => (got.size >= sent.length ? true : undefined), 200);
    assert.deepEqual([...got].sort(), sent.map((m) => m.value).sort());
  } catch (err) {
    withLogs(cluster, err);
  }
});

test("a group's coordinator SIGKILLed: the consumer rejoins at the coordinator once its partition has a leader again", { timeout: 240_000 }, async (t) => {
  const cluster = await startCluster(t);
  try {
    const { kafka } = makeKafka(cluster.bootstrap, 'coordinator-failover');
    const admin = kafka.admin();
    await admin.connect();
    t.after(() => admin.disconnect());
    await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    t.after(() => producer.disconnect());
    await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 60 }, (_, i) => ({ key: `o${i}`, value: `first-${i}` })) });

    const groupId = 'coordinator-failover-group';
    const seen = new Set<string>();
    const consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, heartbeatInterval: 500, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2000 } });
    await consumer.connect();
    t.after(() => consumer.disconnect());
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    await consumer.run({ autoCommitInterval: 200, eachMessage: async ({ message }) => void seen.add(message.value!.toString()) });
    await eventually('the first records are consumed', 60_000, async () => (seen.size >= 60 ? true : undefined), 100);

    // Which node coordinates the group: the leader of its __consumer_offsets partition.
    const { kafka: probe } = makeKafka(cluster.bootstrap, 'coordinator-probe');
    const probeAdmin = probe.admin();
    await probeAdmin.connect();
    t.after(() => probeAdmin.disconnect());
    const offsets = await eventually('offsets committed', 20_000, async () => {
      const o = await probeAdmin.fetchOffsets({ groupId, topics: ['orders'] });
      const committed = o[0]!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
      return committed >= 60 ? o : undefined;
    }, 200);
    assert.ok(offsets);
    const coordinator = await findCoordinatorNode(cluster, groupId);
    t.diagnostic(`group ${groupId} is coordinated by node ${coordinator}`);
    await cluster.kill(coordinator);
    await sleep(1000);
    await cluster.restart(coordinator);
    // Records produced after the coordinator's return are consumed by the same group (it rejoined).
    await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ key: `o${i}`, value: `second-${i}` })) }).catch(async () => {
      await sleep(2000);
      await producer.send({ topic: 'orders', acks: -1, messages: Array.from({ length: 30 }, (_, i) => ({ key: `o${i}`, value: `second-${i}` })) });
    });
    await eventually('the group consumes again after its coordinator came back', 90_000, async () => ([...seen].filter((v) => v.startsWith('second-')).length >= 30 ? true : undefined), 200);
    // Committed offsets survived the coordinator's crash: the group did not start over from the beginning.
    const described = await probeAdmin.describeGroups([groupId]);
    assert.equal(described.groups[0]!.state, 'Stable');
  } catch (err) {
    withLogs(cluster, err);
  }
});

async function findCoordinatorNode(cluster: ProcessCluster, groupId: string): Promise<number> {
  const { FindCoordinatorApi } = await import('../../src/protocol/messages/index.js');
  const [host, port] = cluster.bootstrapOf(0).split(':');
  const conn = await BrokerConnection.open(host!, Number(port), { requestTimeoutMs: 5000 });
  try {
    const res = await conn.send<{ coordinators: Array<{ nodeId: number; errorCode: number }> }>(FindCoordinatorApi, 4, { keyType: 0, coordinatorKeys: [groupId] });
    const c = res.coordinators[0]!;
    assert.equal(c.errorCode, 0);
    return c.nodeId;
  } finally {
    conn.close();
  }
}

test('a broker-only node (a Raft observer) registers, follows the metadata log and leads its share of partitions', { timeout: 180_000 }, async (t) => {
  const cluster = await ProcessCluster.start(t, { nodes: 3, brokerOnly: 1, properties: { 'auto.create.topics.enable': false, 'offsets.topic.num.partitions': 4, 'num.partitions': 1 } });
  try {
    // The observer is listed as a broker everywhere, but is never the controller.
    for (const id of [0, 1, 2, 3]) {
      const v = await viewFrom(cluster.bootstrapOf(id));
      assert.deepEqual(v.brokers, [0, 1, 2, 3], `node ${id} lists the four brokers`);
      assert.ok(v.controllerId >= 0 && v.controllerId <= 2, `node ${id}: the controller is a voter (${v.controllerId})`);
    }
    // Topic creation through the observer is forwarded to the active controller; it leads a quarter.
    const { kafka } = makeKafka(cluster.bootstrapOf(3), 'observer-admin');
    const admin = kafka.admin();
    await admin.connect();
    t.after(() => admin.disconnect());
    assert.equal(await admin.createTopics({ topics: [{ topic: 'eight', numPartitions: 8, replicationFactor: 1 }], waitForLeaders: true }), true);
    const leaders = await eventually('every broker shows the topic with leaders', 10_000, async () => {
      const views = await Promise.all([0, 1, 2, 3].map((id) => viewFrom(cluster.bootstrapOf(id))));
      const first = JSON.stringify(views[0]!.topics.get('eight'));
      return views.every((v) => JSON.stringify(v.topics.get('eight')) === first) && views[0]!.topics.get('eight')?.length === 8 ? views[0]!.topics.get('eight') : undefined;
    });
    assert.equal(leaders.filter((l) => l === 3).length, 2, `the observer leads two of eight partitions: ${JSON.stringify(leaders)}`);
    // Records go to every partition, including the observer's, and are read back.
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    t.after(() => producer.disconnect());
    const messages = Array.from({ length: 160 }, (_, i) => ({ partition: i % 8, value: `m${i}` }));
    await producer.send({ topic: 'eight', acks: -1, messages });
    const consumer = kafka.consumer({ groupId: 'observer-readers' });
    await consumer.connect();
    t.after(() => consumer.disconnect());
    await consumer.subscribe({ topic: 'eight', fromBeginning: true });
    const got = new Set<string>();
    await consumer.run({ eachMessage: async ({ message }) => void got.add(message.value!.toString()) });
    await eventually('every record read back', 60_000, async () => (got.size >= messages.length ? true : undefined), 100);
    assert.deepEqual([...got].sort(), messages.map((m) => m.value).sort());
  } catch (err) {
    withLogs(cluster, err);
  }
});
