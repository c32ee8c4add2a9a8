/**
 * Named one-shot timers over an injected `Timers`. Scheduling a key replaces its previous timer,
 * the way Kafka's coordinator timer is keyed ("join-<group>", "heartbeat-<group>-<member>"), so a
 * stale expiration can never fire after it has been superseded. `cancelAll` is what `close()` uses.
 */
import type { Timers } from './types.js';

export class KeyedTimers {
  private readonly handles = new Map<string, unknown>();

  constructor(private readonly timers: Timers) {}

  schedule(key: string, delayMs: number, fn: () => void): void {
    this.cancel(key);
    const handle = this.timers.setTimeout(() => {
      // Only the timer still registered under the key may run (a replaced one was cleared, but a
      // fake or coarse timer implementation might still call it).
      if (this.handles.get(key) !== handle) return;
      this.handles.delete(key);
      fn();
    }, Math.max(0, delayMs));
    // Coordinator timers never keep a process alive on their own (Node timers have unref).
    (handle as { unref?: () => void } | null)?.unref?.();
    this.handles.set(key, handle);
  }

  cancel(key: string): void {
    const handle = this.handles.get(key);
    if (handle === undefined) return;
    this.handles.delete(key);
    this.timers.clearTimeout(handle);
  }

  /** Cancel every timer whose key `matches` (a group's timers, when its partition is unloaded). */
  cancelWhere(matches: (key: string) => boolean): number {
    let cancelled = 0;
    for (const [key, handle] of [...this.handles]) {
      if (!matches(key)) continue;
      this.handles.delete(key);
      this.timers.clearTimeout(handle);
      cancelled += 1;
    }
    return cancelled;
  }

  has(key: string): boolean {
    return this.handles.has(key);
  }

  get size(): number {
    return this.handles.size;
  }

  cancelAll(): void {
    for (const handle of this.handles.values()) this.timers.clearTimeout(handle);
    this.handles.clear();
  }
}
