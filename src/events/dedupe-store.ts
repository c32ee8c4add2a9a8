/**
 * Idempotent handling: a subscription asks its store whether an event id was already handled
 * before calling the handler, and tells it once the handler succeeded. Keys are scoped by group
 * (`<group>/<event id>`), so one store can serve several subscriptions. A store is pluggable: a
 * database table with a unique key works as well as the two built in (memory; a compacted topic,
 * `compacted-topic-store.ts`).
 */
import { EventsConfigError } from './errors.js';

export interface DedupeStore {
  /** True if `key` was handled (and not forgotten since). */
  has(key: string): Promise<boolean>;
  /** Records that `key` was handled; resolves once that is durable for this store. */
  add(key: string): Promise<void>;
  /** Brings the store up to date (called before a subscription reads, and after each assignment). */
  sync?(): Promise<void>;
  close?(): Promise<void>;
}

export interface MemoryDedupeStoreOptions {
  /** Most keys kept; the least recently added go first. Default 100000. */
  maxEntries?: number;
  /** How long a key is remembered. Default: until evicted. */
  ttlMs?: number;
  /** The clock (ms). Default Date.now. */
  now?: () => number;
}

/** Keys in memory, bounded (LRU by insertion) and optionally expiring. Lost on restart. */
export class MemoryDedupeStore implements DedupeStore {
  private readonly keys = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(options: MemoryDedupeStoreOptions = {}) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.ttlMs = options.ttlMs ?? Number.POSITIVE_INFINITY;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new EventsConfigError(`maxEntries must be an integer >= 1, got ${this.maxEntries}`);
    if (!(this.ttlMs > 0)) throw new EventsConfigError(`ttlMs must be > 0, got ${this.ttlMs}`);
  }

  get size(): number {
    return this.keys.size;
  }

  hasNow(key: string): boolean {
    const expiresAtMs = this.keys.get(key);
    if (expiresAtMs === undefined) return false;
    if (expiresAtMs <= this.now()) {
      this.keys.delete(key);
      return false;
    }
    return true;
  }

  addNow(key: string, handledAtMs: number = this.now()): void {
    this.keys.delete(key);
    this.keys.set(key, handledAtMs + this.ttlMs);
    while (this.keys.size > this.maxEntries) this.keys.delete(this.keys.keys().next().value!);
  }

  forget(key: string): void {
    this.keys.delete(key);
  }

  async has(key: string): Promise<boolean> {
    return this.hasNow(key);
  }

  async add(key: string): Promise<void> {
    this.addNow(key);
  }
}
