/**
 * What a leader tracks of its replicas: each one's replicated end offset (from the fetch offset it
 * reports), when it last fetched, when it was last caught up. From those it derives the high watermark
 * (Raft's commit rule) and whether it still has a quorum (KIP-996 check-quorum).
 */

export interface ReplicaProgress {
  readonly replicaId: number;
  /** The end offset the replica reported (its next fetch offset); -1 until it fetched in this epoch. */
  endOffset: number;
  /** -1 until the replica fetched in this epoch. */
  lastFetchTimestampMs: number;
  lastCaughtUpTimestampMs: number;
  /** Whether it fetched at all in this epoch (BeginQuorumEpoch is resent to those that did not). */
  hasFetched: boolean;
}

export class LeaderState {
  readonly voters = new Map<number, ReplicaProgress>();
  readonly observers = new Map<number, ReplicaProgress>();
  /** Exclusive; null until the first commit of this epoch (Kafka's leader starts with an unknown HW). */
  highWatermark: number | null = null;

  constructor(
    readonly localId: number,
    readonly epoch: number,
    /** Offset of this epoch's LeaderChangeMessage: the HW may only pass it (commit rule of Raft §5.4.2). */
    readonly epochStartOffset: number,
    voterIds: readonly number[],
    nowMs: number,
  ) {
    for (const id of voterIds) {
      // Starting every voter as "just fetched" gives followers one fetch timeout to find the new leader
      // before check-quorum counts them as gone.
      this.voters.set(id, { replicaId: id, endOffset: -1, lastFetchTimestampMs: nowMs, lastCaughtUpTimestampMs: -1, hasFetched: id === localId });
    }
  }

  get majority(): number {
    return Math.floor(this.voters.size / 2) + 1;
  }

  /** The leader's own durable end offset (only what is fsynced counts towards the quorum). */
  updateLocal(flushedEndOffset: number, nowMs: number): boolean {
    const p = this.voters.get(this.localId);
    if (p === undefined) throw new Error(`leader ${this.localId} is not a voter`);
    if (flushedEndOffset > p.endOffset) p.endOffset = flushedEndOffset;
    p.lastFetchTimestampMs = nowMs;
    p.lastCaughtUpTimestampMs = nowMs;
    return this.maybeAdvanceHighWatermark();
  }

  /**
   * A replica fetched at `fetchOffset` (so it holds everything below it, fsynced). Returns true when the
   * high watermark moved.
   */
  updateReplica(replicaId: number, fetchOffset: number, leaderEndOffset: number, nowMs: number): boolean {
    let p = this.voters.get(replicaId);
    const isVoter = p !== undefined;
    if (p === undefined) {
      p = this.observers.get(replicaId);
      if (p === undefined) {
        p = { replicaId, endOffset: -1, lastFetchTimestampMs: -1, lastCaughtUpTimestampMs: -1, hasFetched: false };
        this.observers.set(replicaId, p);
      }
    }
    p.endOffset = fetchOffset;
    p.lastFetchTimestampMs = nowMs;
    p.hasFetched = true;
    if (fetchOffset >= leaderEndOffset) p.lastCaughtUpTimestampMs = nowMs;
    return isVoter ? this.maybeAdvanceHighWatermark() : false;
  }

  /** The largest offset a majority of voters hold, if it is in this epoch and beyond the current HW. */
  private maybeAdvanceHighWatermark(): boolean {
    const offsets = [...this.voters.values()].map((p) => p.endOffset).sort((a, b) => b - a);
    const candidate = offsets[this.majority - 1]!;
    // Entries of earlier epochs are committed only indirectly, by an entry of this epoch reaching a majority.
    if (candidate <= this.epochStartOffset) return false;
    if (this.highWatermark !== null && candidate <= this.highWatermark) return false;
    this.highWatermark = candidate;
    return true;
  }

  /** Check-quorum: voters (this one included) that fetched within `fetchTimeoutMs`. */
  hasQuorum(nowMs: number, fetchTimeoutMs: number): boolean {
    let live = 0;
    for (const p of this.voters.values()) {
      if (p.replicaId === this.localId || nowMs - p.lastFetchTimestampMs < fetchTimeoutMs) live++;
    }
    return live >= this.majority;
  }

  /** Voters other than the leader, the most caught up first (EndQuorumEpoch's preferred successors). */
  preferredSuccessors(): number[] {
    return [...this.voters.values()]
      .filter((p) => p.replicaId !== this.localId)
      .sort((a, b) => b.endOffset - a.endOffset || a.replicaId - b.replicaId)
      .map((p) => p.replicaId);
  }
}
