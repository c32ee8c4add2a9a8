import type { TestContext } from 'node:test';
import { makeKafka } from './kafkajs.js';
import type { AckedProducer } from './acked-workload.js';
import { ProcessCluster, type ClusterProcessOptions } from './cluster-process.js';
import { Checks, compareReplicas, readPartition, statesFromAny, verifyAcknowledged, type PartitionState, type VerifyReport } from './replica-check.js';

/**
 * The shared frame of the replication scenarios: a cluster of real processes with tight failure
 * detection (a broker is fenced 3 s after its last heartbeat, a follower leaves the ISR after 3 s
 * behind), RF-3 topics with min.insync.replicas=2, and the end-of-scenario proofs (every
 * acknowledged record read back; replicas byte-identical below the HW once stopped cleanly).
 */

export const SESSION_TIMEOUT_MS = 3000;

export const REPLICATION_PROPERTIES: Record<string, string | number | boolean> = {
  'auto.create.topics.enable': false,
  'broker.session.timeout.ms': SESSION_TIMEOUT_MS,
  'broker.heartbeat.interval.ms': 500,
  'replica.lag.time.max.ms': 3000,
  'default.replication.factor': 3,
  'min.insync.replicas': 2,
  'offsets.topic.replication.factor': 3,
  'offsets.topic.num.partitions': 3,
  'unclean.leader.election.enable': false,
  'num.partitions': 1,
};

export async function startReplicatedCluster(t: TestContext, opts: ClusterProcessOptions = {}): Promise<ProcessCluster> {
  return ProcessCluster.start(t, { nodes: 3, ...opts, properties: { ...REPLICATION_PROPERTIES, ...opts.properties } });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Creates a topic through kafkajs (RF 3, min.insync.replicas=2 unless told) and waits for leaders. */
export async function createReplicatedTopic(
  cluster: ProcessCluster,
  topic: string,
  partitions: number,
  opts: { replicationFactor?: number; configs?: Record<string, string>; assignment?: number[][] } = {},
): Promise<void> {
  const { kafka } = makeKafka(cluster.bootstrap, `create-${topic}`);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const configEntries = Object.entries({ 'min.insync.replicas': '2', ...opts.configs }).map(([name, value]) => ({ name, value }));
    const spec = opts.assignment
      ? { topic, replicaAssignment: opts.assignment.map((replicas, partition) => ({ partition, replicas })), configEntries }
      : { topic, numPartitions: partitions, replicationFactor: opts.replicationFactor ?? 3, configEntries };
    await admin.createTopics({ topics: [spec], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/** Waits until every partition's ISR has `size` members (as the first live node sees it); false on timeout. */
export async function waitIsr(cluster: ProcessCluster, topic: string, size: number, timeoutMs: number): Promise<{ ok: boolean; states: PartitionState[] }> {
  return waitStates(cluster, topic, (s) => s.leader >= 0 && s.isr.length >= size, timeoutMs);
}

/** Waits until every partition satisfies `pred` (as the first live node sees it); ok false on timeout. */
export async function waitStates(cluster: ProcessCluster, topic: string, pred: (s: PartitionState) => boolean, timeoutMs: number): Promise<{ ok: boolean; states: PartitionState[] }> {
  const deadline = Date.now() + timeoutMs;
  let states: PartitionState[] = [];
  for (;;) {
    try {
      states = await statesFromAny(cluster, topic);
      if (states.length > 0 && states.every(pred)) return { ok: true, states };
    } catch {
      // a node between restarts
    }
    if (Date.now() > deadline) return { ok: false, states };
    await sleep(100);
  }
}

export function describeStates(states: readonly PartitionState[]): string {
  return states.map((s) => `p${s.partition} leader ${s.leader} epoch ${s.leaderEpoch} isr [${s.isr}] replicas [${s.replicas}]`).join('; ');
}

/**
 * Stops producers (a hang or crash is a failed check), then reads every partition and checks every acknowledgement;
 * the producers named in `exactlyOnce` (idempotent ones) must also have no record stored twice.
 */
export async function stopAndVerify(
  t: TestContext,
  cluster: ProcessCluster,
  checks: Checks,
  topic: string,
  partitions: number,
  producers: readonly AckedProducer[],
  opts: { exactlyOnce?: readonly string[]; onReport?: (report: VerifyReport) => void } = {},
): Promise<number[]> {
  for (const p of producers) {
    try {
      await p.stop();
    } catch (err) {
      checks.check(false, `${p.log.name} stops cleanly`, (err as Error).message);
    }
    t.diagnostic(p.log.summary());
  }
  const contents = [];
  for (let p = 0; p < partitions; p++) {
    try {
      contents.push(await readPartition(cluster, topic, p));
    } catch (err) {
      checks.check(false, `${topic}-${p} can be read back`, (err as Error).message);
    }
  }
  const report = verifyAcknowledged(producers, contents);
  for (const line of `read back: ${report.summary}`.split('\n')) t.diagnostic(line);
  checks.check(report.acknowledged > 0, 'records were acknowledged at all');
  checks.check(report.lost.length === 0, 'no acknowledged record lost', `${report.lost.length} of ${report.acknowledged}: ${report.lost.slice(0, 3).join('; ')}`);
  checks.check(report.moved.length === 0, 'every acknowledged record at its acknowledged offset', `${report.moved.length}: ${report.moved.slice(0, 3).join('; ')}`);
  checks.check(report.reordered.length === 0, 'acknowledged records in send order per partition', report.reordered.slice(0, 3).join('; '));
  opts.onReport?.(report);
  for (const name of opts.exactlyOnce ?? []) {
    const dup = report.duplicated.filter((d) => d.startsWith(`${name}:`));
    checks.check(dup.length === 0, `${name} (idempotent): no record written twice`, `${dup.length}: ${dup.slice(0, 5).join('; ')}`);
  }
  return contents.map((c) => c.highWatermark);
}

/**
 * Once healed and quiet: waits for full ISRs, stops every node cleanly (SIGTERM, one at a time),
 * then compares each partition's replicas on disk below the HW the leader reported.
 */
export async function stopAndCompareReplicas(t: TestContext, cluster: ProcessCluster, checks: Checks, topic: string, partitions: number): Promise<void> {
  const isr = await waitIsr(cluster, topic, 3, 10_000);
  checks.check(isr.ok, 'every partition back to a full ISR before the replica comparison', describeStates(isr.states));
  const hws: number[] = [];
  for (let p = 0; p < partitions; p++) hws.push((await readPartition(cluster, topic, p).catch(() => ({ highWatermark: -1 }))).highWatermark);
  const replicas = isr.states.map((s) => s.replicas);
  for (const id of [...cluster.nodes.keys()].reverse()) await cluster.stop(id).catch((err: unknown) => checks.check(false, `node ${id} stops on SIGTERM`, String(err)));
  for (let p = 0; p < partitions; p++) {
    if (hws[p]! < 0 || !replicas[p]) {
      checks.check(false, `${topic}-${p}: HW and replicas known`);
      continue;
    }
    const problems = compareReplicas(cluster, topic, p, replicas[p]!, hws[p]!);
    t.diagnostic(`${topic}-${p} replicas [${replicas[p]}] below HW ${hws[p]}: ${problems.length === 0 ? 'identical' : problems.join('; ')}`);
    checks.check(problems.length === 0, `${topic}-${p}: replicas byte-identical below the HW`, problems.join('; '));
  }
}
