/**
 * Progress while a perf run works. On a terminal: one line redrawn in place a few times a second
 * (a bar, the count, the rate over the last second, MB/s, latency). Elsewhere (a pipe, a CI log):
 * one plain line every reporting interval, like kafka-producer-perf-test.
 */
import type { Style } from '../output.js';
import { MB, round } from './stats.js';

export interface Snapshot {
  done: number;
  bytes: number;
  /** Latency of the records completed so far (avg), and max, in ms. */
  latencyAvgMs: number;
  latencyMaxMs: number;
}

export interface ProgressOptions {
  label: string;
  verb: string;
  total: number | null;
  tty: boolean;
  /** Columns on the terminal. */
  columns: number;
  /** Plain-line period (non-TTY). */
  intervalMs: number;
  style: Style;
  write: (text: string) => void;
  snapshot: () => Snapshot;
}

const TTY_REDRAW_MS = 100;

export class Progress {
  private timer: NodeJS.Timeout | null = null;
  private readonly startMs = performance.now();
  private lastMs = this.startMs;
  private lastDone = 0;
  private lastBytes = 0;
  private rate = 0;
  private mbRate = 0;
  /** Rate samples for the TTY's smoothed "last second" rate. */
  private readonly samples: Array<{ t: number; done: number; bytes: number }> = [];
  private drawn = false;

  constructor(private readonly o: ProgressOptions) {}

  start(): void {
    const period = this.o.tty ? TTY_REDRAW_MS : this.o.intervalMs;
    this.timer = setInterval(() => this.tick(), period);
  }

  private tick(): void {
    const now = performance.now();
    const s = this.o.snapshot();
    if (this.o.tty) {
      this.samples.push({ t: now, done: s.done, bytes: s.bytes });
      while (this.samples.length > 2 && now - this.samples[0]!.t > 1000) this.samples.shift();
      const first = this.samples[0]!;
      const dt = (now - first.t) / 1000;
      if (dt > 0) {
        this.rate = (s.done - first.done) / dt;
        this.mbRate = (s.bytes - first.bytes) / MB / dt;
      }
      this.draw(s, now);
      return;
    }
    const dt = (now - this.lastMs) / 1000;
    const rate = dt > 0 ? (s.done - this.lastDone) / dt : 0;
    const mb = dt > 0 ? (s.bytes - this.lastBytes) / MB / dt : 0;
    this.lastMs = now;
    this.lastDone = s.done;
    this.lastBytes = s.bytes;
    this.o.write(
      `${s.done} records ${this.o.verb}, ${round(rate, 1)} records/sec (${round(mb, 2)} MB/sec), ${round(s.latencyAvgMs, 1)} ms avg latency, ${round(s.latencyMaxMs, 1)} ms max latency.\n`,
    );
  }

  private draw(s: Snapshot, now: number): void {
    const st = this.o.style;
    const total = this.o.total;
    const elapsed = (now - this.startMs) / 1000;
    const parts: string[] = [];
    const count = total !== null ? `${fmtInt(s.done)}/${fmtInt(total)}` : fmtInt(s.done);
    const stats = `${count}  ${fmtInt(Math.round(this.rate))} rec/s  ${this.mbRate.toFixed(1)} MB/s  avg ${s.latencyAvgMs.toFixed(1)} ms  ${elapsed.toFixed(1)}s`;
    let eta = '';
    if (total !== null && this.rate > 0 && s.done < total) eta = `  ETA ${((total - s.done) / this.rate).toFixed(1)}s`;
    const head = `${this.o.label} `;
    if (total !== null && total > 0) {
      const frac = Math.min(1, s.done / total);
      const pct = `${String(Math.floor(frac * 100)).padStart(3)}%`;
      const room = this.o.columns - head.length - stats.length - eta.length - pct.length - 6;
      const width = Math.max(10, Math.min(40, room));
      const filled = Math.round(frac * width);
      const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? (frac >= 1 ? '=' : '>') : '') + ' '.repeat(width - filled);
      parts.push(`${head}[${st.cyan(bar)}] ${pct}  ${stats}${eta}`);
    } else {
      parts.push(`${head}${stats}`);
    }
    this.o.write(`\r\u001b[2K${parts.join('')}`);
    this.drawn = true;
  }

  /** Stops updating; on a terminal, leaves the final state drawn and moves to a new line. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.o.tty && this.drawn) {
      this.draw(this.o.snapshot(), performance.now());
      this.o.write('\n');
    }
  }
}

export function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}
