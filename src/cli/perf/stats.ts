/**
 * Latency recording and the numbers a perf run reports: records/s, MB/s, and latency
 * avg / p50 / p95 / p99 / p99.9 / max. Every latency is kept (4 bytes each, bounded by
 * --num-records), so percentiles are exact.
 */

export const MB = 1024 * 1024;

export class LatencyRecorder {
  private values: Float32Array;
  private n = 0;
  sum = 0;
  max = 0;

  constructor(capacity: number) {
    this.values = new Float32Array(Math.max(16, Math.min(capacity, 1 << 20)));
    this.capacity = capacity;
  }

  private readonly capacity: number;

  get count(): number {
    return this.n;
  }

  record(ms: number): void {
    if (this.n >= this.values.length) {
      if (this.n >= this.capacity) return;
      const bigger = new Float32Array(Math.min(this.capacity, this.values.length * 2));
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = ms;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
  }

  summary(): LatencySummary {
    if (this.n === 0) return { avg: 0, p50: 0, p95: 0, p99: 0, p999: 0, max: 0 };
    const sorted = this.values.slice(0, this.n).sort();
    const at = (q: number): number => round(sorted[Math.min(this.n - 1, Math.max(0, Math.ceil(q * this.n) - 1))]!);
    return { avg: round(this.sum / this.n), p50: at(0.5), p95: at(0.95), p99: at(0.99), p999: at(0.999), max: round(this.max) };
  }
}

export interface LatencySummary {
  avg: number;
  p50: number;
  p95: number;
  p99: number;
  p999: number;
  max: number;
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export interface RunSummary {
  records: number;
  bytes: number;
  elapsedMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  latencyMs: LatencySummary;
}

export function summarize(records: number, bytes: number, elapsedMs: number, latency: LatencyRecorder): RunSummary {
  const secs = Math.max(elapsedMs, 1) / 1000;
  return {
    records,
    bytes,
    elapsedMs: Math.round(elapsedMs),
    recordsPerSec: round(records / secs, 1),
    mbPerSec: round(bytes / MB / secs, 2),
    latencyMs: latency.summary(),
  };
}

/** Caps the rate at `perSec` records/s (like kafka-producer-perf-test's ThroughputThrottler); <= 0: no cap. */
export class Throttle {
  constructor(private readonly perSec: number, private readonly startMs: number) {}

  /** How long to sleep before sending record number `sent` (0 = go now). */
  delayMs(sent: number, nowMs: number): number {
    if (this.perSec <= 0) return 0;
    const due = this.startMs + (sent * 1000) / this.perSec;
    return due > nowMs + 1 ? due - nowMs : 0;
  }
}
