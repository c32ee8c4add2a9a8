/**
 * What the consumer knows per assigned partition: the position (next offset to hand to the
 * application), the fetch position (next offset to ask the broker for — ahead of the position
 * while fetched records wait to be processed), pause, pending offset lookups, and an epoch that
 * changes whenever the position is moved by anything but consumption (seek, reset, pause), so
 * fetched data and in-flight responses from before the move are recognised and dropped.
 */
import type { AutoOffsetReset } from './options.js';
import { compareTp, tpKey, type TopicPartition } from './types.js';

/**
 * Chunks a partition may have waiting before it stops being fetched. Two keep the broker busy
 * while the application works through one (the next fetch goes out as soon as a response is
 * queued); memory per partition is then about 4 × maxPartitionFetchBytes (in hand, two queued,
 * one in flight).
 */
export const MAX_QUEUED_CHUNKS = 2;

export type OffsetNeed = 'committed' | AutoOffsetReset;

export class PartitionState {
  readonly key: string;
  /** Next offset to deliver; null while unknown. */
  position: number | null = null;
  /** Next offset to fetch; null while unknown. */
  fetchPosition: number | null = null;
  epoch = 0;
  paused = false;
  /** How the position is to be found (committed offset, or the reset policy); null when known. */
  need: OffsetNeed | null = 'committed';
  /** A lookup for `need` is running. */
  resolving = false;
  /** The partition failed in a way only the application can fix (seek); not fetched until then. */
  failed = false;
  highWatermark = -1;
  /** Set while a fetch for it is outstanding (request sent, response not yet decoded). */
  inFlight = false;
  /** Chunks fetched and waiting in the queue (not yet handed out). */
  queued = 0;
  /** No fetch before this time (after leader errors). */
  backoffUntilMs = 0;
  /** The offset last committed (or read as committed), to skip unchanged auto-commits. */
  committed: number | null = null;
  /** Still assigned; false once removed (readers holding the object notice). */
  assigned = true;

  constructor(readonly topic: string, readonly partition: number) {
    this.key = tpKey(topic, partition);
  }

  get tp(): TopicPartition {
    return { topic: this.topic, partition: this.partition };
  }

  /** Move to `offset` (seek / reset result) and drop anything fetched for the old position. */
  moveTo(offset: number): void {
    this.position = offset;
    this.fetchPosition = offset;
    this.need = null;
    this.failed = false;
    this.epoch++;
  }

  /** Forget the position: it will be looked up as `need` says. */
  requireOffset(need: OffsetNeed): void {
    this.position = null;
    this.fetchPosition = null;
    this.need = need;
    this.epoch++;
  }

  /** Drop fetched data: fetch again from the position. */
  rewindFetch(): void {
    this.fetchPosition = this.position;
    this.epoch++;
  }

  get fetchable(): boolean {
    return this.assigned && !this.paused && !this.failed && this.fetchPosition !== null && !this.inFlight && this.queued < MAX_QUEUED_CHUNKS && this.backoffUntilMs <= Date.now();
  }
}

/** The assigned partitions, in assignment order. */
export class Assignment {
  private readonly map = new Map<string, PartitionState>();

  get size(): number {
    return this.map.size;
  }

  get(tp: TopicPartition): PartitionState | undefined {
    return this.map.get(tpKey(tp.topic, tp.partition));
  }

  states(): IterableIterator<PartitionState> {
    return this.map.values();
  }

  partitions(): TopicPartition[] {
    return [...this.map.values()].map((s) => s.tp).sort(compareTp);
  }

  /** Adds partitions not yet assigned; returns the new states. */
  add(parts: readonly TopicPartition[]): PartitionState[] {
    const added: PartitionState[] = [];
    for (const tp of parts) {
      const k = tpKey(tp.topic, tp.partition);
      if (this.map.has(k)) continue;
      const s = new PartitionState(tp.topic, tp.partition);
      this.map.set(k, s);
      added.push(s);
    }
    return added;
  }

  /** Removes partitions; returns the states that were assigned. */
  remove(parts: readonly TopicPartition[]): PartitionState[] {
    const removed: PartitionState[] = [];
    for (const tp of parts) {
      const k = tpKey(tp.topic, tp.partition);
      const s = this.map.get(k);
      if (!s) continue;
      s.assigned = false;
      this.map.delete(k);
      removed.push(s);
    }
    return removed;
  }

  clear(): PartitionState[] {
    return this.remove(this.partitions());
  }

  /** Positions worth committing: known positions that differ from the last commit. */
  uncommitted(): Array<{ state: PartitionState; offset: number }> {
    const out: Array<{ state: PartitionState; offset: number }> = [];
    for (const s of this.map.values()) if (s.position !== null && s.position !== s.committed) out.push({ state: s, offset: s.position });
    return out;
  }
}
