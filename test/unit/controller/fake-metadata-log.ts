/**
 * An in-memory metadata log shared by several nodes, with leadership and commitment under the test's
 * control. `quorum.client(nodeId)` is a node's MetadataLogClient. Commits are delivered in order to
 * every registered listener of every node; with `autoCommit` each append commits on the next
 * microtask, otherwise only when the test calls `commit()`.
 */
import {
  NotLeaderError,
  type CommittedBatch,
  type LeaderAndEpoch,
  type MetadataLogClient,
  type RaftListener,
  type SnapshotContents,
  type SnapshotId,
} from '../../../src/cluster/raft/types.js';

const BATCH_OVERHEAD_BYTES = 61;

export class FakeQuorum {
  readonly batches: CommittedBatch[] = [];
  /** Exclusive: batches with lastOffset below it are committed. */
  highWatermark = 0;
  leader: LeaderAndEpoch = { leaderId: null, epoch: 0 };
  autoCommit: boolean;
  snapshots: SnapshotContents[] = [];
  nowMs = 0;
  private readonly clients = new Map<number, FakeMetadataLog>();
  private nextOffset = 0;

  constructor(options: { autoCommit?: boolean } = {}) {
    this.autoCommit = options.autoCommit ?? true;
  }

  client(nodeId: number): FakeMetadataLog {
    let c = this.clients.get(nodeId);
    if (!c) this.clients.set(nodeId, (c = new FakeMetadataLog(this, nodeId)));
    return c;
  }

  /** A new epoch led by `leaderId` (null: an election is on). */
  elect(leaderId: number | null): LeaderAndEpoch {
    this.leader = { leaderId, epoch: this.leader.epoch + 1 };
    for (const c of this.clients.values()) c.fireLeaderChange(this.leader);
    return this.leader;
  }

  appendBatch(epoch: number, records: readonly Buffer[]): number {
    if (records.length === 0) throw new Error('empty batch');
    const baseOffset = this.nextOffset;
    const lastOffset = baseOffset + records.length - 1;
    this.nextOffset = lastOffset + 1;
    let sizeBytes = BATCH_OVERHEAD_BYTES;
    for (const r of records) sizeBytes += r.length + 8;
    this.batches.push({ baseOffset, lastOffset, epoch, appendTimestampMs: this.nowMs, records: [...records], sizeBytes });
    if (this.autoCommit) queueMicrotask(() => this.commit());
    return lastOffset;
  }

  /** Commits every batch up to and including the one holding `upToOffset` (default: all). */
  commit(upToOffset = Infinity): void {
    for (const b of this.batches) {
      if (b.lastOffset < this.highWatermark) continue;
      if (b.baseOffset > upToOffset) break;
      this.highWatermark = b.lastOffset + 1;
      for (const c of this.clients.values()) c.deliver(b);
    }
  }

  committedBatches(): CommittedBatch[] {
    return this.batches.filter((b) => b.lastOffset < this.highWatermark);
  }

  /** Drops uncommitted batches (a leader lost them). */
  truncateUncommitted(): void {
    const keep = this.committedBatches();
    this.batches.length = 0;
    this.batches.push(...keep);
    this.nextOffset = this.highWatermark;
  }
}

export class FakeMetadataLog implements MetadataLogClient {
  private readonly listeners = new Set<RaftListener>();
  readonly appendCalls: { epoch: number; records: readonly Buffer[] }[] = [];

  constructor(
    private readonly quorum: FakeQuorum,
    readonly nodeId: number,
  ) {}

  register(listener: RaftListener): void {
    this.listeners.add(listener);
    const snap = this.quorum.snapshots.at(-1);
    let from = 0;
    if (snap) {
      listener.handleLoadSnapshot(snap);
      from = snap.id.endOffset;
    }
    for (const b of this.quorum.committedBatches()) if (b.baseOffset >= from) listener.handleCommit(b);
    listener.handleLeaderChange(this.quorum.leader);
  }

  unregister(listener: RaftListener): void {
    this.listeners.delete(listener);
  }

  leaderAndEpoch(): LeaderAndEpoch {
    return this.quorum.leader;
  }

  highWatermark(): number | null {
    return this.quorum.highWatermark;
  }

  async append(epoch: number, records: readonly Buffer[]): Promise<number> {
    const leader = this.quorum.leader;
    if (leader.leaderId !== this.nodeId || leader.epoch !== epoch) throw new NotLeaderError(leader);
    this.appendCalls.push({ epoch, records });
    return this.quorum.appendBatch(epoch, records);
  }

  async createSnapshot(contents: SnapshotContents): Promise<void> {
    if (contents.id.endOffset > this.quorum.highWatermark) throw new Error('snapshot beyond the high watermark');
    this.quorum.snapshots.push(contents);
  }

  latestSnapshotId(): SnapshotId | null {
    return this.quorum.snapshots.at(-1)?.id ?? null;
  }

  fireLeaderChange(leader: LeaderAndEpoch): void {
    for (const l of this.listeners) l.handleLeaderChange(leader);
  }

  deliver(batch: CommittedBatch): void {
    for (const l of this.listeners) l.handleCommit(batch);
  }
}
