/**
 * `npm run chaos -- [--nodes 3] [--seconds 120 | --minutes 30] [--seed S] [--faults kill,pause,…]
 *   [--clients tributary,kafkajs,librdkafka] [--idempotent tributary,kafkajs,librdkafka|none] [--partitions 4] [--hold-ms 500-6000] [--rest-ms 500-2500] [--overlap 0.75]
 *   [--txn tributary,kafkajs,librdkafka,ctp|none] [--out DIR] [--mutation NAME] [--check HISTORY.jsonl]`
 *
 * Starts the cluster (cluster.ts), the workload (workload.ts), runs the seeded fault schedule
 * (faults.ts) until the time is up, heals everything, waits for full availability (bounded), reads
 * every partition back, stops the nodes and compares their files, then checks the history
 * (checker.ts; the transactional workloads of txn-workload.ts by txn-checker.ts). Writes history.jsonl, timeline.svg and summary.txt to --out; exits 1 on any anomaly,
 * printing the command that replays the run. Cleans up on SIGINT/SIGTERM too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Admin } from '../src/client/index.js';
import { BrokerConnection } from '../src/network/broker-connection.js';
import { decodeRecordBatchesSync } from '../src/protocol/records/index.js';
import { compareReplicaDirs } from '../test/helpers/replica-check.js';
import { fetchStored } from '../test/helpers/raw-fetch.js';
import { checkHistory } from './checker.js';
import { BROKER_PORT, ChaosCluster } from './cluster.js';
import { FAULT_KINDS, runStep, schedule, type FaultKind } from './faults.js';
import { History, idOf } from './history.js';
import { buildMutant } from './mutations.js';
import { passed, summaryText, timelineSvg, unavailability, type RunSummary } from './report.js';
import { CLIENT_KINDS, DEFAULT_IDEMPOTENT, Workload, type ClientKind } from './workload.js';
import { checkTransactions } from './txn-checker.js';
import { finalTxnRead, TXN_TIMEOUT_MS, TXN_WORKLOADS, TxnWorkload, type TxnWorkloadKind } from './txn-workload.js';

export interface ChaosOptions {
  nodes: number;
  seconds: number;
  seed: number;
  faults: readonly FaultKind[];
  clients: readonly ClientKind[];
  /** Which of them produce with idempotence (default DEFAULT_IDEMPOTENT): a duplicate from one fails the run. */
  idempotent?: readonly ClientKind[];
  partitions: number;
  outDir: string;
  /** Bound on full availability after healing. */
  recoveryBoundMs: number;
  /** Print a progress line. */
  progress: boolean;
  /** Run at least this many steps even past `seconds` (the bounded CI run: every kind once). */
  minSteps?: number;
  /** How long a fault holds and how long the cluster rests after it, in ms (ranges drawn from the seed). */
  holdMs?: [number, number];
  restMs?: [number, number];
  /** The chance that a process or network fault is the base of a composed step (faults.ts); default DEFAULT_OVERLAP. */
  overlap?: number;
  /** Extra properties for every node. */
  properties?: Record<string, string | number>;
  /** Run a build with this deliberate bug (mutations.ts): the run should then fail. */
  mutation?: string;
  /** The transactional workloads (txn-workload.ts) beside the plain lanes; none when absent. */
  txn?: readonly TxnWorkloadKind[];
}

const TOPIC = 'chaos';

/**
 * Most process and network faults are the base of a composed step: the composed faults are the
 * interesting ones, and they bring a 30-minute run past 1,000 faults. 0 draws the schedule of the runs
 * made before faults overlapped (their replay commands have no --overlap).
 */
export const DEFAULT_OVERLAP = 0.75;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function idempotentOf(o: ChaosOptions): ClientKind[] {
  return o.clients.filter((c) => (o.idempotent ?? DEFAULT_IDEMPOTENT).includes(c));
}

export function replayCommand(o: ChaosOptions): string {
  const timing = `${o.holdMs ? ` --hold-ms ${o.holdMs.join('-')}` : ''}${o.restMs ? ` --rest-ms ${o.restMs.join('-')}` : ''} --overlap ${o.overlap ?? DEFAULT_OVERLAP}`;
  return `npm run chaos -- --nodes ${o.nodes} --seconds ${o.seconds} --seed ${o.seed} --faults ${o.faults.join(',')} --clients ${o.clients.join(',')} --idempotent ${idempotentOf(o).join(',') || 'none'} --partitions ${o.partitions} --txn ${o.txn?.join(',') || 'none'}${timing}${o.mutation ? ` --mutation ${o.mutation}` : ''}`;
}

async function createTopics(cluster: ChaosCluster, topics: readonly string[], partitions: number): Promise<void> {
  const admin = new Admin({ bootstrapServers: cluster.bootstrap, requestTimeoutMs: 30_000 });
  try {
    await admin.createTopics(topics.map((name) => ({ name, numPartitions: partitions, replicationFactor: Math.min(3, cluster.nodes.length), configs: { 'min.insync.replicas': '2' } })), { timeoutMs: 30_000 });
  } finally {
    await admin.close();
  }
  for (const topic of topics) {
    for (let i = 0; ; i++) {
      const parts = await cluster.partitions(topic, 0);
      if (parts && parts.length === partitions && parts.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length)) break;
      if (i >= 200) throw new Error(`topic ${topic} did not get leaders and full ISRs`);
      await sleep(100);
    }
  }
}

/** Every partition has a leader and a full ISR in every live node's view, and every lane was acknowledged since `sinceMs`. */
async function waitRecovered(cluster: ChaosCluster, history: History, partitions: number, sinceMs: number, boundMs: number): Promise<{ recoveryMs: number | null; detail: string }> {
  const deadline = Date.now() + boundMs;
  const lanes = new Set<string>();
  // Every lane the workload started, whether or not it ever sent (a lane process that died at once too).
  for (const e of history.events) if (e.type === 'send' || e.type === 'lane') lanes.add(e.lane);
  let detail = '';
  while (Date.now() < deadline) {
    const views = await Promise.all(cluster.nodes.map((n) => cluster.partitions(TOPIC, n.id)));
    const full = views.every((v) => v !== null && v.length === partitions && v.every((p) => p.leader >= 0 && p.isr.length === p.replicas.length));
    const acked = new Set<string>();
    for (const e of history.events) {
      if (e.t < sinceMs) continue;
      if (e.type === 'ack') acked.add(e.lane);
      else if (e.type === 'txn' && e.outcome === 'committed') acked.add(e.lane);
      else if (e.type === 'input') acked.add('ci');
    }
    const waiting = [...lanes].filter((l) => !acked.has(l));
    if (full && waiting.length === 0) return { recoveryMs: Date.now() - sinceMs, detail: '' };
    detail =
      views.map((v, id) => `node ${id}: ${v === null ? 'no answer' : v.map((p) => `p${p.partition} leader ${p.leader} isr [${p.isr.join(',')}]`).join('; ')}`).join(' | ') +
      (waiting.length > 0 ? ` | lanes not acknowledged since healing: ${waiting.join(',')}` : '');
    await sleep(250);
  }
  return { recoveryMs: null, detail };
}

/** Reads every partition below its HW from its leader; returns each partition's replicas. */
async function finalRead(cluster: ChaosCluster, history: History, partitions: number): Promise<Map<number, number[]>> {
  const replicasOf = new Map<number, number[]>();
  const view = (await cluster.partitions(TOPIC, 0)) ?? [];
  for (let p = 0; p < partitions; p++) {
    const leader = view[p]?.leader ?? -1;
    if (leader < 0) throw new Error(`partition ${p} has no leader for the final read`);
    const conn = await BrokerConnection.open(cluster.node(leader).address, BROKER_PORT, { requestTimeoutMs: 10_000 });
    try {
      const first = await fetchStored(conn, TOPIC, p, 0).catch(() => null);
      let offset = first?.logStartOffset ?? 0;
      let hw = -1;
      let logStart = offset;
      const records: Array<[number, string | null]> = [];
      for (;;) {
        const got = await fetchStored(conn, TOPIC, p, offset);
        if (got.errorCode !== 0) throw new Error(`final read of partition ${p} from ${leader}: error ${got.errorCode}`);
        hw = got.highWatermark;
        logStart = got.logStartOffset;
        if (got.bytes.length === 0) break;
        for (const batch of decodeRecordBatchesSync(got.bytes, { verifyCrc: true })) {
          for (const r of batch.records) if (r.offset >= offset && r.offset < hw) records.push([r.offset, idOf(r.value)]);
          offset = Math.max(offset, batch.lastOffset + 1);
        }
        if (offset >= hw) break;
      }
      history.add({ t: Date.now(), type: 'final', partition: p, highWatermark: hw, logStartOffset: logStart, records });
      replicasOf.set(p, view[p]!.replicas);
    } finally {
      conn.close();
    }
  }
  return replicasOf;
}

export async function runChaos(o: ChaosOptions): Promise<RunSummary> {
  fs.mkdirSync(o.outDir, { recursive: true });
  const history = new History(path.join(o.outDir, 'history.jsonl'));
  const started = Date.now();
  const mutant = o.mutation !== undefined ? buildMutant(o.mutation) : null;
  let cluster: ChaosCluster;
  try {
    cluster = await ChaosCluster.start({ nodes: o.nodes, ...(o.properties ? { properties: o.properties } : {}), ...(mutant ? { cli: mutant.cli } : {}) });
  } catch (err) {
    mutant?.remove();
    throw err;
  }
  const onSignal = (): void => {
    void cluster.destroy().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const faults: Record<string, number> = {};
  /** Steps in which faults overlapped (a base with faults under it). */
  let overlapping = 0;
  let scheduleStarted = Date.now();
  /** How long the fault schedule ran (the denominator of faults per minute). */
  let scheduleMs = 0;
  let workload: Workload | null = null;
  let txnWorkload: TxnWorkload | null = null;
  try {
    txnWorkload = (o.txn ?? []).length > 0 ? new TxnWorkload(cluster, history, { partitions: o.partitions, kinds: o.txn! }) : null;
    await createTopics(cluster, [TOPIC, ...(txnWorkload?.topics() ?? [])], o.partitions);
    workload = new Workload(cluster, history, { topic: TOPIC, partitions: o.partitions, clients: o.clients, valueBytes: 100, pauseMs: 0, idempotent: idempotentOf(o) });
    await workload.start();
    txnWorkload?.start();
    await sleep(1000);
    const steps = schedule(o.seed, 100_000, o.faults, { holdMs: o.holdMs ?? [500, 6000], restMs: o.restMs ?? [500, 2500], overlap: o.overlap ?? DEFAULT_OVERLAP });
    const ctx = { cluster, history, topic: TOPIC, partitions: o.partitions };
    const until = started + o.seconds * 1000;
    let current = 'starting';
    const w = workload;
    const progress = o.progress
      ? setInterval(() => {
          const n = Object.values(faults).reduce((a, b) => a + b, 0);
          const txns = txnWorkload ? ` | transactions committed ${txnWorkload.committed}` : '';
          process.stderr.write(`chaos ${Math.round((Date.now() - started) / 1000)}/${o.seconds} s | faults ${n} | acked ${w.acked} failed ${w.failed}${txns} | ${current}\n`);
        }, 5000)
      : null;
    try {
      scheduleStarted = Date.now();
      for (const [i, step] of steps.entries()) {
        if (Date.now() >= until && i >= (o.minSteps ?? 0)) break;
        current = `${step.faults[0]!.kind}${step.faults.length > 1 ? ` with up to ${step.faults.length - 1} of ${step.faults.slice(1).map((f) => f.kind).join(', ')} under it` : ''}`;
        const ran = await runStep(ctx, step);
        for (const f of ran) faults[f.kind] = (faults[f.kind] ?? 0) + 1;
        if (ran.length > 1) overlapping++;
        current = 'resting';
        await sleep(step.restMs);
      }
    } finally {
      if (progress) clearInterval(progress);
      scheduleMs = Date.now() - scheduleStarted;
    }
    // Heal everything that could still be broken, then wait for the cluster to serve every lane again.
    await cluster.net.heal();
    for (const n of cluster.nodes) cluster.signal(n.id, 'SIGCONT');
    await cluster.settled();
    for (const n of cluster.nodes) if (!n.process.alive) await cluster.restart(n.id);
    const healedAt = Date.now();
    history.add({ t: healedAt, type: 'heal', kind: 'all', detail: 'every link restored, every node running' });
    const { recoveryMs, detail: recoveryDetail } = await waitRecovered(cluster, history, o.partitions, healedAt, o.recoveryBoundMs);
    if (recoveryMs === null) fs.writeFileSync(path.join(o.outDir, 'not-recovered.log'), `${recoveryDetail}\n\n${cluster.logs(20_000)}`);
    await workload.stop();
    workload = null;
    await txnWorkload?.stop();
    const replicasOf = await finalRead(cluster, history, o.partitions).catch((err: Error) => {
      history.add({ t: Date.now(), type: 'heal', kind: 'final-read-failed', detail: err.message });
      return new Map<number, number[]>();
    });
    // A transaction a dead producer left open ends when its coordinator times it out: wait that long and more.
    const stillOpen = txnWorkload
      ? await finalTxnRead(cluster, history, txnWorkload.topics(), o.partitions, TXN_TIMEOUT_MS + 30_000).catch((err: Error) => [`the final read of the transactional topics failed: ${err.message}`])
      : [];
    const txnReplicas = new Map<string, number[]>();
    for (const topic of txnWorkload?.topics() ?? []) for (const p of (await cluster.partitions(topic, 0)) ?? []) txnReplicas.set(`${topic}/${p.partition}`, p.replicas);
    const finals = history.events.filter((e) => e.type === 'final');
    const replicaProblems: string[] = [];
    // Stop the nodes so their files are quiet, then compare every replica below the final HW.
    for (const n of cluster.nodes) await cluster.stop(n.id).catch(() => cluster.kill(n.id));
    for (const f of finals) {
      if (f.type !== 'final') continue;
      const replicas = replicasOf.get(f.partition) ?? cluster.nodes.map((n) => n.id);
      replicaProblems.push(...compareReplicaDirs(replicas.map((id) => ({ id, dataDir: cluster.node(id).dataDir })), TOPIC, f.partition, f.highWatermark));
    }
    for (const f of history.events) {
      if (f.type !== 'tfinal') continue;
      const replicas = txnReplicas.get(`${f.topic}/${f.partition}`) ?? cluster.nodes.map((n) => n.id);
      replicaProblems.push(...compareReplicaDirs(replicas.map((id) => ({ id, dataDir: cluster.node(id).dataDir })), f.topic, f.partition, f.highWatermark));
    }
    replicaProblems.push(...stillOpen.filter((s) => s.startsWith('the final read')));
    if (finals.length !== o.partitions) replicaProblems.push(`the final read got ${finals.length} of ${o.partitions} partitions`);
    if (recoveryMs === null || replicaProblems.length > 0) {
      // Evidence for the post-mortem: every node's copy of the topic (segments, indexes, epoch checkpoints).
      for (const n of cluster.nodes) {
        for (const d of fs.readdirSync(n.dataDir).filter((x) => x.startsWith(`${TOPIC}-`) || x.startsWith('__transaction_state-'))) {
          fs.cpSync(path.join(n.dataDir, d), path.join(o.outDir, 'data', `node-${n.id}`, d), { recursive: true });
        }
      }
    }
    const check = checkHistory(history.events);
    const txnCheck = txnWorkload ? checkTransactions(history.events) : undefined;
    const summary: RunSummary = {
      seed: o.seed,
      nodes: o.nodes,
      durationMs: Date.now() - started,
      scheduleMs,
      notes: history.events.flatMap((e) => (e.type === 'note' && !/ ready \d+ ms after its restart$/.test(e.detail) ? [e.detail] : [])),
      faults,
      overlapping,
      check,
      ...(txnCheck ? { txnCheck } : {}),
      windows: unavailability(history.events),
      recoveryMs,
      recoveryDetail,
      replicaProblems,
      replayCommand: replayCommand(o),
    };
    fs.writeFileSync(path.join(o.outDir, 'timeline.svg'), timelineSvg(history.events));
    fs.writeFileSync(path.join(o.outDir, 'summary.txt'), summaryText(summary) + '\n');
    return summary;
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${cluster.logs()}`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await workload?.stop().catch(() => undefined);
    await txnWorkload?.stop().catch(() => undefined);
    history.close();
    await cluster.destroy();
    mutant?.remove();
  }
}

function parseArgs(argv: readonly string[]): ChaosOptions {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, dflt: number): number => {
    const v = get(name);
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number, got ${v}`);
    return n;
  };
  const faults = (get('--faults') ?? FAULT_KINDS.join(',')).split(',') as FaultKind[];
  for (const f of faults) if (!FAULT_KINDS.includes(f)) throw new Error(`unknown fault ${f}; known: ${FAULT_KINDS.join(', ')}`);
  const clients = (get('--clients') ?? CLIENT_KINDS.join(',')).split(',') as ClientKind[];
  for (const c of clients) if (!CLIENT_KINDS.includes(c)) throw new Error(`unknown client ${c}; known: ${CLIENT_KINDS.join(', ')}`);
  const range = (name: string): [number, number] | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    const m = /^(\d+)-(\d+)$/.exec(v);
    if (!m || Number(m[1]) > Number(m[2])) throw new Error(`${name} must be LOW-HIGH in ms, got ${v}`);
    return [Number(m[1]), Number(m[2])];
  };
  const txnArg = get('--txn');
  const txn = txnArg === undefined ? TXN_WORKLOADS : txnArg === 'none' ? [] : (txnArg.split(',') as TxnWorkloadKind[]);
  for (const k of txn) if (!TXN_WORKLOADS.includes(k)) throw new Error(`unknown transactional workload ${k} in --txn; known: ${TXN_WORKLOADS.join(', ')} (or none)`);
  const idempotentArg = get('--idempotent');
  const idempotent = idempotentArg === undefined ? undefined : idempotentArg === 'none' ? [] : (idempotentArg.split(',') as ClientKind[]);
  for (const c of idempotent ?? []) if (!CLIENT_KINDS.includes(c)) throw new Error(`unknown client ${c} in --idempotent; known: ${CLIENT_KINDS.join(', ')} (or none)`);
  const holdMs = range('--hold-ms');
  const overlap = num('--overlap', DEFAULT_OVERLAP);
  if (overlap > 1) throw new Error(`--overlap is a chance between 0 and 1, got ${overlap}`);
  const restMs = range('--rest-ms');
  const seconds = get('--minutes') !== undefined ? num('--minutes', 0) * 60 : num('--seconds', 120);
  const seed = num('--seed', Math.floor(Math.random() * 1e9));
  return {
    nodes: num('--nodes', 3),
    seconds,
    seed,
    faults,
    clients,
    partitions: num('--partitions', 4),
    outDir: get('--out') ?? path.join('chaos-results', `seed-${seed}`),
    recoveryBoundMs: num('--recovery-bound-ms', 60_000),
    progress: true,
    overlap,
    txn,
    ...(idempotent ? { idempotent } : {}),
    ...(get('--mutation') !== undefined ? { mutation: get('--mutation')! } : {}),
    ...(holdMs ? { holdMs } : {}),
    ...(restMs ? { restMs } : {}),
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const checkFile = argv.indexOf('--check') >= 0 ? argv[argv.indexOf('--check') + 1] : undefined;
  if (checkFile !== undefined) {
    const events = History.read(checkFile);
    const result = checkHistory(events);
    const txn = events.some((e) => e.type === 'tfinal') ? checkTransactions(events) : null;
    console.log(JSON.stringify({ ...result, anomalies: result.anomalies.slice(0, 50), ...(txn ? { transactions: { ...txn, anomalies: txn.anomalies.slice(0, 50) } } : {}) }, null, 1));
    process.exit(result.failures.length === 0 && (txn?.anomalies.length ?? 0) === 0 ? 0 : 1);
  }
  const o = parseArgs(argv);
  console.error(`chaos: ${replayCommand(o)} → ${o.outDir}`);
  const summary = await runChaos(o);
  console.log(summaryText(summary));
  console.log(`history: ${path.join(o.outDir, 'history.jsonl')}  timeline: ${path.join(o.outDir, 'timeline.svg')}`);
  process.exit(passed(summary) ? 0 : 1);
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  main().catch((err: Error) => {
    console.error(`chaos: ${err.message}`);
    process.exit(2);
  });
}
