/**
 * Which offset of each partition may be committed while events are handled out of order: the
 * lowest offset not yet finished (everything below it is done), or, when nothing is pending, the
 * offset after the last record read. Committing that never skips an unfinished event, so a crash
 * redelivers at most what was in flight (at-least-once).
 *
 * A partition's state lives from assignment to revocation; `track` hands back a completion bound
 * to that state, so an event finishing after its partition was revoked or lost changes nothing.
 */
import type { TopicPartition } from '../client/index.js';

class PartitionOffsets {
  /** Tracked offsets in read order (ascending); `true` once finished. */
  private readonly queue: Array<{ offset: number; done: boolean }> = [];
  private head = 0;
  private readonly byOffset = new Map<number, { offset: number; done: boolean }>();
  /** The offset after the last record read (or skipped, e.g. control records). */
  private readEnd: number;
  /** The last offset handed to `markCommitted`. */
  committed: number;

  constructor(start: number) {
    this.readEnd = start;
    this.committed = start;
  }

  track(offset: number): void {
    if (offset < this.readEnd) throw new Error(`offset ${offset} tracked after ${this.readEnd - 1}: offsets must be tracked in ascending order`);
    const entry = { offset, done: false };
    this.queue.push(entry);
    this.byOffset.set(offset, entry);
    this.readEnd = offset + 1;
  }

  finish(offset: number): void {
    const entry = this.byOffset.get(offset);
    if (!entry) return;
    entry.done = true;
    this.byOffset.delete(offset);
    while (this.head < this.queue.length && this.queue[this.head]!.done) this.head++;
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  readUpTo(nextOffset: number): void {
    if (nextOffset > this.readEnd) this.readEnd = nextOffset;
  }

  get pending(): number {
    return this.byOffset.size;
  }

  get committable(): number {
    return this.head < this.queue.length ? this.queue[this.head]!.offset : this.readEnd;
  }
}

export interface CommitCandidate extends TopicPartition {
  offset: number;
}

export class OffsetTracker {
  private readonly partitions = new Map<string, { tp: TopicPartition; offsets: PartitionOffsets }>();

  /** Starts tracking `tp` from `startOffset` (its committed offset or the first read). Replaces any earlier state. */
  assign(tp: TopicPartition, startOffset: number): void {
    this.partitions.set(keyOf(tp), { tp: { topic: tp.topic, partition: tp.partition }, offsets: new PartitionOffsets(startOffset) });
  }

  has(tp: TopicPartition): boolean {
    return this.partitions.has(keyOf(tp));
  }

  /** Stops tracking (revoked or lost); completions of its events are ignored from now on. */
  drop(tp: TopicPartition): void {
    this.partitions.delete(keyOf(tp));
  }

  /** Records that `offset` was read and is being handled; call `finish` (the returned function) when done. */
  track(tp: TopicPartition, offset: number): () => void {
    const k = keyOf(tp);
    let state = this.partitions.get(k);
    if (!state) {
      this.assign(tp, offset);
      state = this.partitions.get(k)!;
    }
    const offsets = state.offsets;
    offsets.track(offset);
    return () => {
      if (this.partitions.get(k)?.offsets === offsets) offsets.finish(offset);
    };
  }

  /** The reader moved past `nextOffset - 1` (a batch's end, which may skip control records). */
  readUpTo(tp: TopicPartition, nextOffset: number): void {
    this.partitions.get(keyOf(tp))?.offsets.readUpTo(nextOffset);
  }

  /** Events read and not finished, over every partition. */
  get pending(): number {
    let n = 0;
    for (const s of this.partitions.values()) n += s.offsets.pending;
    return n;
  }

  /** The committable offset of `tp` (null when not tracked). */
  committable(tp: TopicPartition): number | null {
    return this.partitions.get(keyOf(tp))?.offsets.committable ?? null;
  }

  /** Partitions whose committable offset moved past what was last committed (of `only`, when given). */
  candidates(only?: readonly TopicPartition[]): CommitCandidate[] {
    const wanted = only ? new Set(only.map(keyOf)) : null;
    const out: CommitCandidate[] = [];
    for (const [k, s] of this.partitions) {
      if (wanted && !wanted.has(k)) continue;
      const offset = s.offsets.committable;
      if (offset > s.offsets.committed) out.push({ ...s.tp, offset });
    }
    return out;
  }

  /** The coordinator took these offsets. */
  markCommitted(offsets: readonly CommitCandidate[]): void {
    for (const o of offsets) {
      const s = this.partitions.get(keyOf(o));
      if (s && o.offset > s.offsets.committed) s.offsets.committed = o.offset;
    }
  }
}

function keyOf(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}
