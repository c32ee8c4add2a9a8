/** Named one-shot timers of the Raft state machine; setting a name replaces its previous timer. */
import type { TimerHandle, Timers } from '../runtime.js';

export type TimerName = 'election' | 'fetch' | 'backoff' | 'begin-epoch' | 'check-quorum';

export class ElectionTimers {
  private readonly active = new Map<TimerName, TimerHandle>();

  constructor(private readonly timers: Timers) {}

  set(name: TimerName, ms: number, fn: () => void): void {
    this.clear(name);
    const handle = this.timers.setTimeout(() => {
      if (this.active.get(name) === handle) this.active.delete(name);
      fn();
    }, ms);
    this.active.set(name, handle);
  }

  clear(name: TimerName): void {
    const h = this.active.get(name);
    if (h !== undefined) {
      this.timers.clearTimeout(h);
      this.active.delete(name);
    }
  }

  has(name: TimerName): boolean {
    return this.active.has(name);
  }

  clearAll(): void {
    for (const h of this.active.values()) this.timers.clearTimeout(h);
    this.active.clear();
  }
}
