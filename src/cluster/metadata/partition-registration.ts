/** Partition state from PartitionRecord, and PartitionChangeRecord applied to it. */
import type { PartitionChangeRecord, PartitionRecord } from './records/index.js';
import type { PartitionRegistration } from './metadata-image.js';

/** PartitionChangeRecord.leader: keep the current leader (and leader epoch). */
export const NO_LEADER_CHANGE = -2;
/** PartitionRecord/PartitionChangeRecord.leader: the partition has no leader. */
export const NO_LEADER = -1;

function nonNull<T>(v: T[] | null | undefined): T[] {
  return v ?? [];
}

export function partitionFromRecord(r: PartitionRecord): PartitionRegistration {
  return {
    replicas: r.replicas,
    isr: r.isr,
    removingReplicas: r.removingReplicas,
    addingReplicas: r.addingReplicas,
    leader: r.leader,
    leaderRecoveryState: r.leaderRecoveryState,
    leaderEpoch: r.leaderEpoch,
    partitionEpoch: r.partitionEpoch,
    directories: r.directories,
    eligibleLeaderReplicas: nonNull(r.eligibleLeaderReplicas),
    lastKnownElr: nonNull(r.lastKnownElr),
  };
}

/**
 * Kafka's PartitionRegistration.merge: null fields and leader -2 mean "no change"; any leader
 * change (including to -1) bumps the leader epoch; every change bumps the partition epoch.
 */
export function mergePartitionChange(p: PartitionRegistration, r: PartitionChangeRecord): PartitionRegistration {
  const leaderChanged = r.leader !== NO_LEADER_CHANGE;
  return {
    replicas: r.replicas ?? p.replicas,
    isr: r.isr ?? p.isr,
    removingReplicas: r.removingReplicas ?? p.removingReplicas,
    addingReplicas: r.addingReplicas ?? p.addingReplicas,
    leader: leaderChanged ? r.leader : p.leader,
    leaderRecoveryState: r.leaderRecoveryState === -1 ? p.leaderRecoveryState : r.leaderRecoveryState,
    leaderEpoch: leaderChanged ? p.leaderEpoch + 1 : p.leaderEpoch,
    partitionEpoch: p.partitionEpoch + 1,
    directories: r.directories ?? p.directories,
    eligibleLeaderReplicas: r.eligibleLeaderReplicas ?? p.eligibleLeaderReplicas,
    lastKnownElr: r.lastKnownElr ?? p.lastKnownElr,
  };
}

