/**
 * A fake clock whose timers fire only when a test advances time (the coordinators' unit tests and
 * simulations): `advance(ms)` fires due timers in deadline order, timers they schedule too if due,
 * letting `flushTurns` microtask turns run after each so promise chains settle between them.
 */
import type { Clock, Timers } from '../../src/cluster/group/types.js';

interface FakeTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

export async function flushMicrotasks(turns: number): Promise<void> {
  for (let i = 0; i < turns; i += 1) await Promise.resolve();
}

export class FakeTime implements Clock, Timers {
  private nowMs = 1_000_000;
  private nextId = 1;
  private readonly pending = new Map<number, FakeTimer>();

  constructor(private readonly flushTurns = 5) {}

  now(): number {
    return this.nowMs;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { id, at: this.nowMs + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  get timerCount(): number {
    return this.pending.size;
  }

  async advance(ms: number): Promise<void> {
    const target = this.nowMs + ms;
    for (;;) {
      let next: FakeTimer | undefined;
      for (const t of this.pending.values()) if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (!next) break;
      this.pending.delete(next.id);
      this.nowMs = Math.max(this.nowMs, next.at);
      next.fn();
      await flushMicrotasks(this.flushTurns);
    }
    this.nowMs = target;
    await flushMicrotasks(this.flushTurns);
  }
}
