/**
 * One replica of one partition on this broker, as leader or follower (Kafka's Partition): the log, the
 * leader epoch and partition epoch the metadata gave it, the ISR, and the high watermark. As leader it
 * also keeps what it knows of each follower (its log end offset as of its last fetch, when it was last
 * caught up) and derives the high watermark and ISR changes from that.
 *
 * Pure state: no I/O, no timers. The ReplicaManager calls it on metadata changes, follower fetches and
 * appends, and carries out what it answers (AlterPartition requests, waking waiters).
 */
import type { PartitionLog } from '../../storage/partition-log.js';
import type { PartitionRegistration } from '../metadata/metadata-image.js';

export type ReplicaRole = 'leader' | 'follower';

/** KIP-704: a leader elected uncleanly is RECOVERING until it tells the controller otherwise. */
export const LEADER_RECOVERY_RECOVERED = 0;
export const LEADER_RECOVERY_RECOVERING = 1;

export interface FollowerState {
  readonly brokerId: number;
  /** The fetch offset of its last fetch; -1 until it fetched in this leader epoch. */
  logEndOffset: number;
  /** Last time its log end reached the leader's log end as it was then (Kafka's lastCaughtUpTimeMs). */
  lastCaughtUpTimeMs: number;
  lastFetchTimeMs: number;
  /** The leader's log end at that last fetch. */
  lastFetchLeaderLogEndOffset: number;
  /** The broker epoch it fetched with (v15+ ReplicaState), -1 when unknown. */
  brokerEpoch: number;
}

/** An ISR change sent to the controller and not answered yet (KIP-497's pending state). */
export interface PendingIsrChange {
  readonly isr: readonly number[];
  readonly leaderRecoveryState: number;
}

export class Partition {
  role: ReplicaRole = 'follower';
  /** The leader as the metadata names it; -1 when the partition has none (offline). */
  leaderId = -1;
  leaderEpoch = -1;
  partitionEpoch = -1;
  replicas: readonly number[] = [];
  /** The ISR the controller committed. */
  isr: readonly number[] = [];
  leaderRecoveryState = LEADER_RECOVERY_RECOVERED;
  pendingIsr: PendingIsrChange | null = null;
  /** After a refused or failed ISR change: no new one before this time (the metadata may fix it first). */
  isrRetryAtMs = 0;
  private hw = 0;
  /** As leader: the log end when it took over; a follower must reach it to join the ISR. */
  leaderEpochStartOffset = 0;
  readonly followers = new Map<number, FollowerState>();

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly topicId: string,
    readonly log: PartitionLog,
    initialHighWatermark: number,
  ) {
    this.highWatermark = Math.max(log.logStartOffset, Math.min(initialHighWatermark, log.logEndOffset));
  }

  /** Offsets below it are on every ISR member (committed); consumers read up to it. */
  get highWatermark(): number {
    return this.hw;
  }

  set highWatermark(offset: number) {
    this.hw = offset;
    // Transactions whose markers fall below it become stable (the last stable offset may move).
    this.log.onHighWatermarkUpdated(offset);
  }

  /** read_committed consumers read up to it: the high watermark, or the first offset of a transaction not yet stable. */
  get lastStableOffset(): number {
    const unstable = this.log.firstUnstableOffset();
    return unstable === null ? this.hw : Math.min(unstable, this.hw);
  }

  get isLeader(): boolean {
    return this.role === 'leader';
  }

  /**
   * The ISR used to advance the high watermark and count acks (Kafka's maximal ISR): while an expansion
   * is pending the new member counts already, while a shrink is pending the leaving one still does.
   */
  maximalIsr(): readonly number[] {
    if (this.pendingIsr === null) return this.isr;
    const out = new Set(this.isr);
    for (const id of this.pendingIsr.isr) out.add(id);
    return [...out];
  }

  /**
   * Takes leadership in `reg`'s epoch (or refreshes ISR and replicas in the same epoch). Returns true when
   * this is a new leader epoch: the caller assigns the epoch's start offset in the log.
   */
  makeLeader(reg: PartitionRegistration, localBrokerId: number, nowMs: number): boolean {
    const newEpoch = this.role !== 'leader' || reg.leaderEpoch !== this.leaderEpoch;
    if (!newEpoch) {
      // The same epoch: only a newer partition epoch (an ISR or replica change the controller committed) applies.
      if (reg.partitionEpoch <= this.partitionEpoch) return false;
      this.applyRegistration(reg);
      this.pendingIsr = null;
      for (const id of reg.replicas) if (id !== localBrokerId && !this.followers.has(id)) this.followers.set(id, unknownFollower(id, 0));
      for (const id of [...this.followers.keys()]) if (!reg.replicas.includes(id)) this.followers.delete(id);
      return false;
    }
    this.role = 'leader';
    this.leaderId = localBrokerId;
    this.leaderEpoch = reg.leaderEpoch;
    this.applyRegistration(reg);
    this.leaderEpochStartOffset = this.log.logEndOffset;
    this.pendingIsr = null;
    this.isrRetryAtMs = 0;
    // Followers start unknown; ISR members are presumed caught up now (Kafka resets them the same way).
    this.followers.clear();
    for (const id of reg.replicas) if (id !== localBrokerId) this.followers.set(id, unknownFollower(id, reg.isr.includes(id) ? nowMs : 0));
    return true;
  }

  /** Follows `reg.leader` (-1: nobody leads; the replica waits). */
  makeFollower(reg: PartitionRegistration): void {
    this.role = 'follower';
    this.leaderId = reg.leader;
    this.leaderEpoch = reg.leaderEpoch;
    this.applyRegistration(reg);
    this.pendingIsr = null;
    this.followers.clear();
  }

  private applyRegistration(reg: PartitionRegistration): void {
    this.partitionEpoch = reg.partitionEpoch;
    this.replicas = reg.replicas;
    this.isr = reg.isr;
    this.leaderRecoveryState = reg.leaderRecoveryState;
  }

  /**
   * A committed ISR change (from the AlterPartition answer or the metadata) in this leader epoch. Older
   * partition epochs are ignored. Clears the pending change.
   */
  applyIsrChange(isr: readonly number[], partitionEpoch: number, leaderRecoveryState: number): boolean {
    if (partitionEpoch < this.partitionEpoch) return false;
    this.isr = isr;
    this.partitionEpoch = partitionEpoch;
    this.leaderRecoveryState = leaderRecoveryState;
    this.pendingIsr = null;
    return true;
  }

  /**
   * A follower fetched from `fetchOffset` (so it has everything before it) while the leader's log ended at
   * `leaderLogEndOffset`. Kafka's Replica.updateFetchStateOrThrow rules for lastCaughtUpTimeMs.
   */
  recordFollowerFetch(brokerId: number, fetchOffset: number, leaderLogEndOffset: number, nowMs: number, brokerEpoch: number): FollowerState | undefined {
    const f = this.followers.get(brokerId);
    if (!f) return undefined;
    if (fetchOffset >= leaderLogEndOffset) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, nowMs);
    else if (fetchOffset >= f.lastFetchLeaderLogEndOffset) f.lastCaughtUpTimeMs = Math.max(f.lastCaughtUpTimeMs, f.lastFetchTimeMs);
    f.logEndOffset = fetchOffset;
    f.lastFetchLeaderLogEndOffset = leaderLogEndOffset;
    f.lastFetchTimeMs = nowMs;
    if (brokerEpoch >= 0) f.brokerEpoch = brokerEpoch;
    return f;
  }

  /**
   * As leader: the high watermark becomes the lowest log end in the maximal ISR (the leader's own log end
   * included). Never moves back. Returns true when it moved.
   *
   * The leader's own end is what it has written, not the next offset to assign: appends queued behind the
   * one that just completed are not readable yet, and a transaction marker among them is only indexed
   * (`.txnindex`) when it is written. A sole replica that counted them let the last stable offset pass an
   * ABORT marker before its entry existed: read_committed fetches returned the aborted records unlisted.
   */
  maybeAdvanceHighWatermark(localBrokerId: number): boolean {
    if (this.role !== 'leader') return false;
    let hw = this.log.writtenEndOffset;
    for (const id of this.maximalIsr()) {
      if (id === localBrokerId) continue;
      const f = this.followers.get(id);
      // A member the leader has not heard from in this epoch holds the watermark where it is.
      const end = f?.logEndOffset ?? -1;
      if (end < hw) hw = end;
    }
    if (hw <= this.highWatermark) return false;
    this.highWatermark = hw;
    return true;
  }

  /** As follower: the leader's high watermark, bounded by what this replica has. */
  updateFollowerHighWatermark(leaderHighWatermark: number): boolean {
    const hw = Math.max(this.log.logStartOffset, Math.min(leaderHighWatermark, this.log.logEndOffset));
    if (hw === this.highWatermark) return false;
    this.highWatermark = hw;
    return true;
  }

  /**
   * Whether `brokerId` may join the ISR now (Kafka's isFollowerInSync + the leader epoch start rule):
   * not in the maximal ISR, no change pending, caught up to the high watermark and to this epoch's start.
   */
  canExpandIsrWith(brokerId: number): boolean {
    if (this.role !== 'leader' || this.pendingIsr !== null) return false;
    if (this.isr.includes(brokerId)) return false;
    const f = this.followers.get(brokerId);
    return f !== undefined && f.logEndOffset >= this.highWatermark && f.logEndOffset >= this.leaderEpochStartOffset;
  }

  /**
   * ISR members (not the leader) out of sync: not at the leader's log end, and not caught up within
   * `lagMaxMs` (Kafka's Replica.isCaughtUp).
   */
  outOfSyncReplicas(localBrokerId: number, nowMs: number, lagMaxMs: number): number[] {
    if (this.role !== 'leader' || this.pendingIsr !== null) return [];
    const leaderEnd = this.log.logEndOffset;
    const out: number[] = [];
    for (const id of this.isr) {
      if (id === localBrokerId) continue;
      const f = this.followers.get(id);
      if (f && f.logEndOffset === leaderEnd) continue;
      if (!f || nowMs - f.lastCaughtUpTimeMs > lagMaxMs) out.push(id);
    }
    return out;
  }
}

function unknownFollower(brokerId: number, lastCaughtUpTimeMs: number): FollowerState {
  return { brokerId, logEndOffset: -1, lastCaughtUpTimeMs, lastFetchTimeMs: 0, lastFetchLeaderLogEndOffset: -1, brokerEpoch: -1 };
}
