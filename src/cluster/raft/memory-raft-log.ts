/**
 * A RaftLog in memory, for the simulator and unit tests. It models durability: `flush()` marks what is
 * fsynced and `crash()` drops the rest, as a power loss would, so the simulator checks that the client
 * fsyncs where Raft needs it. Every method completes without real I/O (only microtasks), which keeps the
 * simulator deterministic.
 */
import {
  batchHeaders,
  buildRaftBatch,
  endOffsetForEpoch,
  type AppendedOffsets,
  type LeaderAppend,
  type OffsetAndEpoch,
  type RaftLog,
} from './raft-log.js';
import { LeaderEpochCache } from '../../storage/leader-epoch-cache.js';
import { compareSnapshotIds, decodeSnapshot, encodeSnapshot } from './snapshot-format.js';
import type { SnapshotContents, SnapshotId } from './types.js';

interface StoredBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly epoch: number;
  readonly bytes: Buffer;
}

export interface MemoryRaftLogOptions {
  /**
   * Awaited by every write (append, truncate, flush) before it completes, as disk I/O would take time: the
   * simulator passes a seeded delay so timers and messages interleave with I/O. Default: none.
   */
  ioDelay?: () => Promise<void>;
}

export class MemoryRaftLog implements RaftLog {
  constructor(private readonly options: MemoryRaftLogOptions = {}) {}

  private io(): Promise<void> {
    return this.options.ioDelay?.() ?? Promise.resolve();
  }

  private batches: StoredBatch[] = [];
  private start = 0;
  private end = 0;
  private flushed = 0;
  private readonly cache = new LeaderEpochCache();
  private readonly snapshots = new Map<string, { id: SnapshotId; bytes: Buffer }>();
  private latestSnapshot: SnapshotId | null = null;
  /** The snapshot the log starts at (after installSnapshot or trimming), or null. */
  private baseSnapshot: SnapshotId | null = null;

  startOffset(): number {
    return this.start;
  }

  endOffset(): number {
    return this.end;
  }

  flushedOffset(): number {
    return this.flushed;
  }

  lastFetchedEpoch(): number {
    return this.cache.latestEpoch() ?? this.baseSnapshot?.epoch ?? 0;
  }

  endOffsetForEpoch(epoch: number): OffsetAndEpoch {
    return endOffsetForEpoch(this.cache.entries(), this.baseSnapshot, this.end, epoch);
  }

  async appendAsLeader(appends: readonly LeaderAppend[], epoch: number, timestampMs: number): Promise<AppendedOffsets[]> {
    const out: AppendedOffsets[] = [];
    // Offsets are assigned at the call (as PartitionLog does); the write completes after the I/O delay.
    for (const a of appends) {
      const bytes = buildRaftBatch(this.end, epoch, timestampMs, a);
      this.store({ baseOffset: this.end, lastOffset: this.end + a.records.length - 1, epoch, bytes });
      out.push({ baseOffset: this.end - a.records.length, lastOffset: this.end - 1 });
    }
    await this.io();
    return out;
  }

  async appendAsFollower(bytes: Buffer): Promise<void> {
    for (const info of batchHeaders(bytes)) {
      if (info.baseOffset !== this.end) throw new Error(`follower append at ${info.baseOffset}, log ends at ${this.end}`);
      const copy = Buffer.from(bytes.subarray(info.position, info.position + info.size));
      this.store({ baseOffset: info.baseOffset, lastOffset: info.lastOffset, epoch: info.partitionLeaderEpoch, bytes: copy });
    }
    await this.io();
  }

  private store(b: StoredBatch): void {
    this.cache.assign(b.epoch, b.baseOffset);
    this.batches.push(b);
    this.end = b.lastOffset + 1;
  }

  async truncateTo(offset: number): Promise<void> {
    await this.io();
    if (offset >= this.end) return;
    if (offset < this.start) throw new Error(`truncation to ${offset} below the log start ${this.start}`);
    this.batches = this.batches.filter((b) => b.lastOffset < offset);
    this.end = this.batches.length === 0 ? this.start : this.batches[this.batches.length - 1]!.lastOffset + 1;
    this.cache.truncateFromEnd(this.end);
    // Truncation is a metadata change the memory model treats as durable at once.
    if (this.flushed > this.end) this.flushed = this.end;
  }

  read(fromOffset: number, maxBytes: number): Promise<Buffer> {
    const out: Buffer[] = [];
    let size = 0;
    for (const b of this.batches) {
      if (b.lastOffset < fromOffset) continue;
      if (out.length > 0 && size + b.bytes.length > maxBytes) break;
      out.push(b.bytes);
      size += b.bytes.length;
    }
    return Promise.resolve(Buffer.concat(out));
  }

  async flush(): Promise<void> {
    // What was written before the call is durable once it returns; later writes are not covered.
    const target = this.end;
    await this.io();
    this.flushed = Math.max(this.flushed, Math.min(target, this.end));
  }

  /** Simulates a power loss: what was not flushed is gone. */
  crash(): void {
    if (this.flushed < this.end) {
      this.batches = this.batches.filter((b) => b.lastOffset < this.flushed);
      this.end = this.batches.length === 0 ? this.start : this.batches[this.batches.length - 1]!.lastOffset + 1;
      this.cache.truncateFromEnd(this.end);
      this.flushed = this.end;
    }
  }

  latestSnapshotId(): SnapshotId | null {
    return this.latestSnapshot;
  }

  createSnapshot(contents: SnapshotContents): Promise<void> {
    this.putSnapshot(contents.id, encodeSnapshot(contents));
    return Promise.resolve();
  }

  private putSnapshot(id: SnapshotId, bytes: Buffer): void {
    this.snapshots.set(`${id.endOffset}-${id.epoch}`, { id, bytes });
    if (this.latestSnapshot === null || compareSnapshotIds(id, this.latestSnapshot) > 0) this.latestSnapshot = id;
  }

  readSnapshot(id: SnapshotId): Promise<SnapshotContents | null> {
    const s = this.snapshots.get(`${id.endOffset}-${id.epoch}`);
    return Promise.resolve(s === undefined ? null : decodeSnapshot(id, s.bytes));
  }

  readSnapshotBytes(id: SnapshotId): Promise<Buffer | null> {
    return Promise.resolve(this.snapshots.get(`${id.endOffset}-${id.epoch}`)?.bytes ?? null);
  }

  installSnapshot(id: SnapshotId, bytes: Buffer): Promise<void> {
    decodeSnapshot(id, bytes); // refuse a torn or foreign snapshot before dropping the log
    this.putSnapshot(id, Buffer.from(bytes));
    this.resetTo(id);
    return Promise.resolve();
  }

  /**
   * Drops the batches below the latest snapshot's end (as Kafka's log cleaning after a snapshot does), so
   * a follower further behind must fetch the snapshot. Only called with a snapshot of committed state.
   */
  trimToLatestSnapshot(): void {
    const id = this.latestSnapshot;
    if (id === null || id.endOffset <= this.start) return;
    if (id.endOffset >= this.end) {
      this.resetTo(id);
      return;
    }
    this.batches = this.batches.filter((b) => b.baseOffset >= id.endOffset);
    const first = this.batches[0];
    this.start = first?.baseOffset ?? id.endOffset;
    this.baseSnapshot = id;
    const kept = this.cache.entries().filter((e) => e.startOffset >= this.start);
    this.cache.clear();
    for (const e of kept) this.cache.assign(e.epoch, e.startOffset);
    if (first !== undefined && (kept.length === 0 || kept[0]!.startOffset !== first.baseOffset)) {
      // The epoch that was running at the cut starts again at the first kept batch.
      const rebuilt = [{ epoch: first.epoch, startOffset: first.baseOffset }, ...kept.filter((e) => e.epoch > first.epoch)];
      this.cache.clear();
      for (const e of rebuilt) this.cache.assign(e.epoch, e.startOffset);
    }
  }

  private resetTo(id: SnapshotId): void {
    this.batches = [];
    this.start = id.endOffset;
    this.end = id.endOffset;
    this.flushed = id.endOffset;
    this.cache.clear();
    this.baseSnapshot = id;
  }
}
