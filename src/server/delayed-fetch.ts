/**
 * Long polling for Fetch: wait until one of the partitions a fetch reads from has new data
 * (its high watermark moved) or the fetch's max wait expires, whichever comes first.
 */
import type { EventEmitter } from 'node:events';

export function waitForAnyAppend(events: EventEmitter, keys: readonly string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const k of keys) events.off(k, finish);
      resolve();
    };
    const timer = setTimeout(finish, Math.max(0, timeoutMs));
    for (const k of keys) events.on(k, finish);
  });
}
