/** A Runtime whose clock only moves when the test advances it, with seeded randomness. */
import type { Runtime, TimerHandle } from '../../../src/cluster/runtime.js';

interface FakeTimer {
  readonly id: number;
  readonly dueMs: number;
  readonly fn: () => void;
}

export class FakeRuntime implements Runtime {
  nowMs = 0;
  private timersById = new Map<number, FakeTimer>();
  private nextId = 1;
  private seed: number;

  constructor(seed = 1) {
    this.seed = seed >>> 0 || 1;
  }

  readonly clock = { now: (): number => this.nowMs };

  readonly timers = {
    setTimeout: (fn: () => void, ms: number): TimerHandle => {
      const t: FakeTimer = { id: this.nextId++, dueMs: this.nowMs + Math.max(0, ms), fn };
      this.timersById.set(t.id, t);
      return t.id;
    },
    clearTimeout: (h: TimerHandle): void => {
      this.timersById.delete(h as number);
    },
  };

  /** xorshift32: deterministic per seed. */
  readonly random = {
    next: (): number => {
      let x = this.seed;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.seed = x >>> 0;
      return this.seed / 0x1_0000_0000;
    },
  };

  pendingTimers(): number {
    return this.timersById.size;
  }

  /** Moves the clock forward, firing due timers in order. */
  advance(ms: number): void {
    const target = this.nowMs + ms;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const t of this.timersById.values()) if (t.dueMs <= target && (!next || t.dueMs < next.dueMs || (t.dueMs === next.dueMs && t.id < next.id))) next = t;
      if (!next) break;
      this.timersById.delete(next.id);
      this.nowMs = next.dueMs;
      next.fn();
    }
    this.nowMs = target;
  }
}
