/**
 * metadata: the controller path at scale. A 3-node KRaft cluster of real processes (combined
 * broker+controller nodes, as test/e2e/cluster.test.ts starts them); one CreateTopics through node 0
 * for --partitions partitions (RF 1, placed over the three brokers), timed in stages:
 *
 * - answered: CreateTopics sent → its response (the records committed by a majority of controllers,
 *   the forwarding broker's image showing the topic).
 * - visible everywhere: → every broker's Metadata lists every partition with a leader.
 * - serving everywhere: → every partition has taken one record from a Produce sent to its leader
 *   (one request per broker carrying all the partitions it leads): every replica's log exists.
 *
 * Then memory: the brokers' RSS before and after, per partition (the whole broker: image, logs, file
 * handles, indexes), and the metadata image alone, built in this process by replaying the same records
 * through MetadataDelta (heap after a full GC, per partition; run with node --expose-gc for the exact
 * figure — `npm run bench` passes it).
 */
import { ProcessCluster } from '../../test/helpers/cluster-process.js';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { CreateTopicsApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js';
import type { MetadataResponse } from '../../src/protocol/messages/metadata.js';
import type { ProduceResponse } from '../../src/protocol/messages/produce.js';
import { buildRecordBatchSync } from '../../src/protocol/records/index.js';
import { MetadataDelta } from '../../src/cluster/metadata/metadata-delta.js';
import { MetadataImage } from '../../src/cluster/metadata/metadata-image.js';
import { encodeRecord } from '../../src/cluster/metadata/record-serde.js';
import { PARTITION_RECORD_TYPE, TOPIC_RECORD_TYPE } from '../../src/cluster/metadata/records/index.js';
import { randomUuid } from '../../src/protocol/schema/uuid.js';
import { printTable, type BenchArgs } from '../bench-args.js';
import { rssOf } from '../broker-process.js';
import { fmt, saveResults } from '../lib/results.js';

export const description = '3-node cluster: one CreateTopics of 10,000 partitions through the controller, time to every replica serving, memory per partition (--partitions)';

const TOPIC = 'metadata-bench';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function open(port: number): Promise<BrokerConnection> {
  return BrokerConnection.open('127.0.0.1', port, { requestTimeoutMs: 120_000, connectTimeoutMs: 5000, maxResponseBytes: 256 * 1024 * 1024 });
}

async function metadataOf(conn: BrokerConnection): Promise<MetadataResponse> {
  return conn.send<MetadataResponse>(MetadataApi, 12, { topics: [{ name: TOPIC, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
}

/** Heap bytes of a MetadataImage holding `partitions` partitions over 3 brokers, built from records. */
function imageHeapBytes(partitions: number): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  const topicId = randomUuid();
  const records: Buffer[] = [encodeRecord(TOPIC_RECORD_TYPE, { name: TOPIC, topicId })];
  for (let p = 0; p < partitions; p++) {
    const leader = p % 3;
    records.push(encodeRecord(PARTITION_RECORD_TYPE, { partitionId: p, topicId, replicas: [leader], isr: [leader], removingReplicas: [], addingReplicas: [], leader, leaderRecoveryState: 0, leaderEpoch: 0, partitionEpoch: 0, directories: [], eligibleLeaderReplicas: null, lastKnownElr: null }));
  }
  gc?.();
  const before = process.memoryUsage().heapUsed;
  const delta = new MetadataDelta(MetadataImage.EMPTY);
  for (const r of records) delta.replayBuffer(r);
  const image = delta.apply(records.length - 1, 1);
  records.length = 0;
  gc?.();
  const after = process.memoryUsage().heapUsed;
  if (image.topics.byName.get(TOPIC)?.partitions.size !== partitions) throw new Error('image does not hold every partition');
  return after - before;
}

export async function run(args: BenchArgs): Promise<void> {
  const partitions = args.number('--partitions', 10_000);
  const cluster = await ProcessCluster.start(null, {
    nodes: 3,
    properties: { 'max.partitions': partitions * 2, 'max.broker.partitions': partitions * 2, 'auto.create.topics.enable': false },
  });
  try {
    const nodes = [...cluster.nodes.values()];
    const conns = await Promise.all(nodes.map((n) => open(n.brokerPort)));
    const pids = nodes.map((n) => n.process.pid!);
    await sleep(1000);
    const rssBefore = pids.map(rssOf);

    const t0 = performance.now();
    const created = await conns[0]!.send<CreateTopicsResponse>(CreateTopicsApi, 7, {
      topics: [{ name: TOPIC, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }],
      timeoutMs: 120_000,
      validateOnly: false,
    });
    const answeredMs = performance.now() - t0;
    if (created.topics[0]!.errorCode !== 0) throw new Error(`CreateTopics failed: ${created.topics[0]!.errorCode} ${created.topics[0]!.errorMessage}`);

    // Every broker lists every partition with a leader.
    let leaders: number[] = [];
    for (const conn of conns) {
      for (;;) {
        const md = await metadataOf(conn);
        const t = md.topics[0]!;
        if (t.errorCode === 0 && t.partitions.length === partitions && t.partitions.every((p) => p.leaderId >= 0 && p.errorCode === 0)) {
          leaders = [];
          for (const p of t.partitions) leaders[p.partitionIndex] = p.leaderId;
          break;
        }
        await sleep(10);
      }
    }
    const visibleMs = performance.now() - t0;

    // Every partition takes a record at its leader.
    const batch = buildRecordBatchSync({ records: [{ value: Buffer.from('x') }] });
    await Promise.all(
      nodes.map(async (n, i) => {
        const mine = leaders.flatMap((l, p) => (l === n.nodeId ? [p] : []));
        let pending = mine;
        while (pending.length > 0) {
          const res = await conns[i]!.send<ProduceResponse>(ProduceApi, 9, {
            transactionalId: null,
            acks: 1,
            timeoutMs: 60_000,
            topicData: [{ name: TOPIC, partitionData: pending.map((index) => ({ index, records: batch })) }],
          });
          pending = res.responses[0]!.partitionResponses.filter((r) => r.errorCode !== 0).map((r) => r.index);
          if (pending.length > 0) await sleep(10);
        }
      }),
    );
    const servingMs = performance.now() - t0;
    await sleep(1000);
    const rssAfter = pids.map(rssOf);
    for (const c of conns) c.close();

    const brokerBytesPerPartition = rssAfter.reduce((s, v, i) => s + (v - rssBefore[i]!), 0) / partitions;
    const imageBytes = imageHeapBytes(partitions);
    const perBroker = [0, 1, 2].map((id) => leaders.filter((l) => l === id).length);
    printTable(
      ['stage', `${fmt(partitions)} partitions, 3 nodes`],
      [
        ['CreateTopics answered', `${fmt(answeredMs)} ms`],
        ['visible (leaders) on every broker', `${fmt(visibleMs)} ms`],
        ['every partition serving at its leader', `${fmt(servingMs)} ms`],
        ['leaders per broker', perBroker.join(' / ')],
        ['broker RSS growth per partition (all 3)', `${fmt(brokerBytesPerPartition / 1024, 1)} KiB`],
        ['metadata image per partition (heap)', `${fmt(imageBytes / partitions)} B`],
      ],
    );
    saveResults('metadata', { partitions, nodes: 3 }, [{ answeredMs, visibleMs, servingMs, perBroker, brokerBytesPerPartition, imageBytesPerPartition: imageBytes / partitions }]);
  } finally {
    await cluster.cleanup();
  }
}
