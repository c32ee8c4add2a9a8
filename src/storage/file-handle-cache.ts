/**
 * A bound on the segment files (`.log`) open at once, shared by every log that uses the same cache (the default
 * one is process-wide, like the open-files limit it protects). Each segment opens its file on demand
 * (SegmentFile.acquire); the cache keeps the open handles in least-recently-used order and closes idle ones
 * when a new handle needs a slot. A handle in use (an append, a read, an fsync, a recovery scan) is never
 * closed: when every slot is in use, the next open waits for one to become idle.
 *
 * Slots count handles being opened, open, and being closed, so the number of descriptors never exceeds the
 * capacity. Deadlock freedom: a holder only waits for a second slot while it already holds one in the
 * cleaner (reading old segments while writing the `.cleaned` one), one log at a time per LogManager; every
 * other use of a handle finishes without waiting for another slot, so slots are always released.
 */
import { defaultSegmentHandleCapacity } from './open-files.js';

/** A file whose handle the cache may close while nobody uses it. */
export interface CachedHandle {
  /** True when no operation is using the open handle. */
  readonly idle: boolean;
  /** Closes the open handle (only called when idle); calls `FileHandleCache.freeSlot(true)` once it is closed. */
  evict(): void;
}

export class FileHandleCache {
  /** Open handles, least recently used first (a Map iterates in insertion order; a use re-inserts). */
  private readonly lru = new Map<CachedHandle, true>();
  /** Handles being opened, open, or being closed: never more than `capacity`. */
  private slots = 0;
  /** Handles evicted and still closing (each one will free a slot for a waiter). */
  private closing = 0;
  private readonly waiters: Array<() => void> = [];
  /** Handles closed to make room since the cache was made (a measure of churn). */
  evictions = 0;
  /** Most slots ever taken at once. */
  peakSlots = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 2) throw new RangeError(`file handle capacity ${capacity} must be an integer ≥ 2`);
  }

  /** Handles open right now (including those being opened or closed). */
  get openCount(): number {
    return this.slots;
  }

  /**
   * Resolves once a slot is taken for a handle about to be opened. When the cache is full it closes the least
   * recently used idle handle (one per waiter) and waits for a slot to free up.
   */
  async reserve(): Promise<void> {
    while (this.slots >= this.capacity) {
      if (this.closing <= this.waiters.length) this.evictOne();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.slots++;
    if (this.slots > this.peakSlots) this.peakSlots = this.slots;
  }

  /**
   * Takes a slot only if one is free, without closing anything: for files that may be used soon but need not
   * stay open (a new partition's first segment), so creating many partitions does not push out busy handles.
   */
  tryReserve(): boolean {
    if (this.slots >= this.capacity) return false;
    this.slots++;
    if (this.slots > this.peakSlots) this.peakSlots = this.slots;
    return true;
  }

  /** Gives back a slot: the open failed, the handle finished closing after `evict` (`evicted`), or closed for good. */
  freeSlot(evicted: boolean): void {
    this.slots--;
    if (evicted) this.closing--;
    this.waiters.shift()?.();
  }

  /** Records a freshly opened handle as the most recently used. */
  opened(entry: CachedHandle): void {
    this.lru.set(entry, true);
    // A handle opened idle (a new segment) can make room for a waiter that found nothing idle.
    this.becameIdle();
  }

  /** Marks `entry` as just used. */
  touch(entry: CachedHandle): void {
    this.lru.delete(entry);
    this.lru.set(entry, true);
  }

  /** A handle stopped being used: when someone waits for a slot and no close is under way for them, close one. */
  becameIdle(): void {
    if (this.waiters.length > this.closing) this.evictOne();
  }

  /** `entry` closes its handle on its own (closed for good); it calls `freeSlot(false)` once closed. */
  forget(entry: CachedHandle): void {
    this.lru.delete(entry);
  }

  private evictOne(): void {
    for (const entry of this.lru.keys()) {
      if (!entry.idle) continue;
      this.lru.delete(entry);
      this.evictions++;
      this.closing++;
      entry.evict();
      return;
    }
  }
}

let processCache: FileHandleCache | null = null;

/** The process-wide cache, sized from the open-files limit (see open-files.ts). */
export function defaultFileHandleCache(): FileHandleCache {
  processCache ??= new FileHandleCache(defaultSegmentHandleCapacity());
  return processCache;
}
