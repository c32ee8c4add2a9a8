/**
 * Simulated time: a queue of timers ordered by (due time, insertion order). `step()` runs the next one
 * and then lets every promise it started settle (only microtasks run in the simulation: no real I/O),
 * so a run is a pure function of the seed.
 */
import type { Runtime, TimerHandle, Timers } from '../../../../src/cluster/runtime.js';
import type { Prng } from './prng.js';

interface Timer {
  readonly dueMs: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class Scheduler implements Timers {
  nowMs = 0;
  private seq = 0;
  private heap: Timer[] = [];
  events = 0;

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t: Timer = { dueMs: this.nowMs + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.push(t);
    return t;
  }

  clearTimeout(handle: TimerHandle): void {
    if (handle !== null && typeof handle === 'object') (handle as Timer).cancelled = true;
  }

  runtime(random: Prng): Runtime {
    return { clock: { now: () => this.nowMs }, timers: this, random };
  }

  /** Runs the next timer due at or before `untilMs`; false when there is none. */
  async step(untilMs: number): Promise<boolean> {
    for (;;) {
      const t = this.heap[0];
      if (t === undefined || t.dueMs > untilMs) {
        this.nowMs = Math.max(this.nowMs, untilMs);
        return false;
      }
      this.pop();
      if (t.cancelled) continue;
      this.nowMs = t.dueMs;
      this.events++;
      t.fn();
      await settle();
      return true;
    }
  }

  private less(a: Timer, b: Timer): boolean {
    return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.seq < b.seq);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/** Lets every pending microtask run (a macrotask runs only once the microtask queue is empty). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
