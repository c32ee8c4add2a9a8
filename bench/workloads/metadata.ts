/**
 * metadata: the controller path at scale. A KRaft cluster of real processes (combined
 * broker+controller nodes, as test/e2e/cluster.test.ts starts them), first of one node, then of
 * --nodes (default 3), in the same run; one CreateTopics through node 0 for --partitions partitions
 * (RF 1, placed over the brokers), timed in stages:
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

export const description = 'one CreateTopics of 10,000 partitions through the controller of a 1-node and a 3-node cluster, time to every replica serving, memory per partition (--partitions, --nodes 3)';

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

interface Measured {
  nodes: number;
  answeredMs: number;
  visibleMs: number;
  servingMs: number;
  perBroker: number[];
  brokerBytesPerPartition: number;
}

async function measure(nodeCount: number, partitions: number): Promise<Measured> {
  const cluster = await ProcessCluster.start(null, {
    nodes: nodeCount,
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
        let pending = leaders.flatMap((l, p) => (l === n.nodeId ? [p] : []));
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
    return {
      nodes: nodeCount,
      answeredMs,
      visibleMs,
      servingMs,
      perBroker: nodes.map((n) => leaders.filter((l) => l === n.nodeId).length),
      brokerBytesPerPartition: rssAfter.reduce((s, v, i) => s + (v - rssBefore[i]!), 0) / partitions,
    };
  } finally {
    await cluster.cleanup();
  }
}

export async function run(args: BenchArgs): Promise<void> {
  const partitions = args.number('--partitions', 10_000);
  const many = args.number('--nodes', 3);
  const one = await measure(1, partitions);
  const cluster = await measure(many, partitions);
  const imageBytes = imageHeapBytes(partitions);
  const ms = (v: number): string => `${fmt(v)} ms`;
  const ratio = (a: number, b: number): string => `${fmt(a / b, 2)}×`;
  printTable(
    ['stage', '1 node', `${many} nodes`, `${many} / 1`],
    [
      ['CreateTopics answered', ms(one.answeredMs), ms(cluster.answeredMs), ratio(cluster.answeredMs, one.answeredMs)],
      ['visible (leaders) on every broker', ms(one.visibleMs), ms(cluster.visibleMs), ratio(cluster.visibleMs, one.visibleMs)],
      ['every partition serving at its leader', ms(one.servingMs), ms(cluster.servingMs), ratio(cluster.servingMs, one.servingMs)],
      ['leaders per broker', one.perBroker.join(' / '), cluster.perBroker.join(' / '), ''],
      ['broker RSS growth per partition (all brokers)', `${fmt(one.brokerBytesPerPartition / 1024, 1)} KiB`, `${fmt(cluster.brokerBytesPerPartition / 1024, 1)} KiB`, ''],
      ['metadata image per partition (heap)', `${fmt(imageBytes / partitions)} B`, '', ''],
    ],
  );
  saveResults('metadata', { partitions, nodes: [1, many] }, [{ ...one }, { ...cluster }], { imageBytesPerPartition: imageBytes / partitions });
}
