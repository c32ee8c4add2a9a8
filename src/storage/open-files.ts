/**
 * The process's open-files budget. Node raises its own soft RLIMIT_NOFILE to the hard limit when it starts
 * (node.cc, PlatformInit), so the limit read here is already the highest the process may use without
 * privileges; the storage layer sizes its segment file-handle cache from it (file-handle-cache.ts) and bounds
 * the short-lived opens (index files, checkpoints, directory fsyncs) with `withTransientFile`.
 */
import { readFileSync } from 'node:fs';

/** Assumed when the limit cannot be read (not Linux): the common default soft limit. */
const FALLBACK_LIMIT = 1024;
/** Short-lived opens in flight at once, process-wide (each holds one descriptor for a few syscalls). */
export const TRANSIENT_FILE_LIMIT = 64;

/** The soft open-files limit of this process (Linux /proc/self/limits; 1024 elsewhere or when unlimited). */
export function openFilesLimit(): number {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line === undefined ? NaN : Number(line.slice('Max open files'.length).trim().split(/\s+/)[0]);
    return Number.isSafeInteger(soft) && soft > 0 ? soft : FALLBACK_LIMIT;
  } catch {
    return FALLBACK_LIMIT;
  }
}

/**
 * How many segment files may be open at once by default: half of the open-files limit minus the transient
 * budget, leaving the other half to sockets, Node itself and the transient opens (at least 16).
 */
export function defaultSegmentHandleCapacity(limit = openFilesLimit()): number {
  return Math.max(16, Math.floor(limit / 2) - TRANSIENT_FILE_LIMIT);
}

let transientInUse = 0;
const transientWaiters: Array<() => void> = [];

/**
 * Runs `fn`, which opens a file and closes it before it settles, once fewer than TRANSIENT_FILE_LIMIT such
 * calls are running. Many partitions rolling, flushing or closing at once would otherwise open a descriptor
 * each and hit EMFILE. Never nest calls (a holder waiting for a second slot could wait forever).
 */
export async function withTransientFile<T>(fn: () => Promise<T>): Promise<T> {
  if (transientInUse >= TRANSIENT_FILE_LIMIT) {
    await new Promise<void>((resolve) => transientWaiters.push(resolve));
  } else {
    transientInUse++;
  }
  try {
    return await fn();
  } finally {
    // Hand the slot straight to the next waiter (the count stays), or give it back.
    const next = transientWaiters.shift();
    if (next !== undefined) next();
    else transientInUse--;
  }
}
