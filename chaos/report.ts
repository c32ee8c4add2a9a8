/**
 * The run's report: unavailability windows (per partition, a gap of more than `gapMs` between
 * acknowledgements while its lane kept sending), the terminal summary, and the SVG timeline of
 * faults against acknowledged records per second.
 */
import type { CheckResult } from './checker.js';
import type { TxnCheckResult } from './txn-checker.js';
import type { HistoryEvent } from './history.js';

export interface Window {
  partition: number;
  startMs: number;
  lengthMs: number;
}

export function unavailability(events: readonly HistoryEvent[], gapMs = 1000): Window[] {
  const lastAck = new Map<number, number>();
  const windows: Window[] = [];
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  for (const e of events) {
    start = Math.min(start, e.t);
    if (e.type === 'ack') {
      const prev = lastAck.get(e.partition);
      if (prev !== undefined && e.t - prev > gapMs) windows.push({ partition: e.partition, startMs: prev, lengthMs: e.t - prev });
      lastAck.set(e.partition, e.t);
      end = Math.max(end, e.t);
    }
  }
  return windows;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export interface RunSummary {
  seed: number;
  nodes: number;
  durationMs: number;
  /** How long the fault schedule ran. */
  scheduleMs: number;
  /** What the workload noted (a client replaced after a fatal error, a lane process gone), restarts aside. */
  notes: string[];
  faults: Record<string, number>;
  /** Steps in which faults overlapped (a base fault with faults of the other class under it). */
  overlapping: number;
  check: CheckResult;
  /** The transactional workloads' exactly-once check, when the run had them. */
  txnCheck?: TxnCheckResult;
  windows: Window[];
  recoveryMs: number | null;
  /** What was still not back when the bound passed. */
  recoveryDetail: string;
  replicaProblems: string[];
  replayCommand: string;
}

export function passed(s: RunSummary): boolean {
  return s.check.failures.length === 0 && (s.txnCheck?.anomalies.length ?? 0) === 0 && s.replicaProblems.length === 0 && s.recoveryMs !== null;
}

export function summaryText(s: RunSummary): string {
  const lengths = s.windows.map((w) => w.lengthMs).sort((a, b) => a - b);
  const faultCount = Object.values(s.faults).reduce((a, b) => a + b, 0);
  const lines = [
    `chaos: ${passed(s) ? 'PASS' : 'FAIL'} — seed ${s.seed}, ${s.nodes} nodes, ${(s.durationMs / 1000).toFixed(0)} s`,
    `faults injected: ${faultCount}, ${((faultCount * 60_000) / Math.max(1, s.scheduleMs)).toFixed(1)} per minute of schedule, ${s.overlapping} step(s) of overlapping faults (${Object.entries(s.faults).map(([k, v]) => `${k} ${v}`).join(', ')})`,
    `records: sent ${s.check.sent}, acknowledged ${s.check.acknowledged}, failed ${s.check.failed}, stored ${s.check.stored}, lost ${s.check.lost}`,
    `duplicates: ${s.check.duplicated} from idempotent lanes (${s.check.idempotentLanes.length === 0 ? 'none' : s.check.idempotentLanes.join(',')}; each an anomaly), ` +
      `${s.check.retryDuplicates} from lanes without idempotence (retries, not failures)`,
    `high watermark seen behind an earlier leader's after a leader change: ${s.check.hwBehindAfterLeaderChange} poll(s)`,
    `unavailability windows (> 1 s without an acknowledgement on a partition): ${lengths.length}` +
      (lengths.length > 0 ? `, median ${quantile(lengths, 0.5)} ms, max ${lengths[lengths.length - 1]} ms` : ''),
    `recovery after healing: ${s.recoveryMs === null ? `NOT within the bound: ${s.recoveryDetail}` : `${s.recoveryMs} ms`}`,
    `replicas below the high watermark: ${s.replicaProblems.length === 0 ? 'byte-identical' : s.replicaProblems.join('; ')}`,
    `anomalies: ${Object.keys(s.check.counts).length === 0 ? 'none' : Object.entries(s.check.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ];
  for (const a of s.check.anomalies.slice(0, 20)) lines.push(`  ${a.kind} p${a.partition}: ${a.detail}`);
  const x = s.txnCheck;
  if (x) {
    lines.push(
      `transactions: committed ${x.transactions.committed}, aborted ${x.transactions.aborted}, outcome unknown ${x.transactions.unknown} (${x.unknownCommitted} of them committed, the rest left nothing); ` +
        `records committed ${x.committedRecords}, aborted ${x.abortedRecords}; read_committed reads ${x.committedReads}; consume-transform-produce inputs processed ${x.ctpProcessed}`,
      `exactly-once anomalies: ${Object.keys(x.counts).length === 0 ? 'none' : Object.entries(x.counts).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    );
    for (const a of x.anomalies.slice(0, 20)) lines.push(`  ${a.kind}: ${a.detail}`);
  }
  if (s.notes.length > 0) lines.push(`workload notes: ${s.notes.length}`, ...s.notes.slice(0, 10).map((n) => `  ${n.replace(/\s+/g, ' ').slice(0, 400)}`));
  if (!passed(s)) lines.push(`replay: ${s.replayCommand}`);
  return lines.join('\n');
}

const COLORS: Record<string, string> = {
  kill: '#d62728', 'kill-leader': '#d62728', 'kill-controller': '#8c1a1a', 'all-down': '#000000', pause: '#9467bd',
  'isolate-leader': '#ff7f0e', 'isolate-controller': '#b35900', split: '#e6b800', bridge: '#17becf', 'one-way': '#2ca02c', 'lagging-survivor': '#7f7f7f',
};

/** Faults as shaded bands, acknowledged records per second as a line. */
export function timelineSvg(events: readonly HistoryEvent[]): string {
  if (events.length === 0) return '<svg xmlns="http://www.w3.org/2000/svg"/>';
  const t0 = events[0]!.t;
  const t1 = events[events.length - 1]!.t;
  const seconds = Math.max(1, Math.ceil((t1 - t0) / 1000));
  const perSecond = new Array<number>(seconds + 1).fill(0);
  for (const e of events) if (e.type === 'ack') perSecond[Math.floor((e.t - t0) / 1000)]!++;
  const width = Math.min(4000, Math.max(800, seconds * 4));
  const height = 260;
  const top = 20;
  const plot = 200;
  const x = (ms: number): number => (40 + ((ms - t0) / 1000 / seconds) * (width - 60)).toFixed(1) as unknown as number;
  const max = Math.max(1, ...perSecond);
  const bands: string[] = [];
  const open = new Map<string, { t: number; detail: string }>();
  for (const e of events) {
    if (e.type === 'fault') open.set(e.kind, { t: e.t, detail: e.detail });
    if (e.type === 'heal') {
      const f = open.get(e.kind);
      if (!f) continue;
      open.delete(e.kind);
      const x0 = Number(x(f.t));
      const w = Math.max(1, Number(x(e.t)) - x0);
      bands.push(`<rect x="${x0}" y="${top}" width="${w.toFixed(1)}" height="${plot}" fill="${COLORS[e.kind] ?? '#888'}" opacity="0.25"><title>${e.kind}: ${f.detail.replace(/[<>&]/g, '')} (${e.t - f.t} ms)</title></rect>`);
    }
  }
  const points = perSecond.map((v, i) => `${x(t0 + i * 1000)},${(top + plot - (v / max) * plot).toFixed(1)}`).join(' ');
  const legend = Object.entries(COLORS)
    .filter(([k]) => events.some((e) => e.type === 'fault' && e.kind === k))
    .map(([k, c], i) => `<rect x="${40 + i * 120}" y="${top + plot + 18}" width="10" height="10" fill="${c}" opacity="0.5"/><text x="${54 + i * 120}" y="${top + plot + 27}" font-size="11">${k}</text>`)
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">`,
    `<text x="40" y="14" font-size="12">acknowledged records per second (max ${max}) against faults, ${seconds} s</text>`,
    ...bands,
    `<polyline fill="none" stroke="#1f77b4" stroke-width="1.5" points="${points}"/>`,
    `<line x1="40" y1="${top + plot}" x2="${width - 20}" y2="${top + plot}" stroke="#333"/>`,
    legend,
    '</svg>',
  ].join('\n');
}
