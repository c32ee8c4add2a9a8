/**
 * Leader and ISR changes when a broker's state changes (fenced, unfenced, controlled shutdown,
 * unregistered): Kafka's ReplicationControlManager.generateLeaderAndIsrUpdates, simplified — no
 * eligible leader replicas (KIP-966) and no unclean election.
 *
 * Rules: the broker leaving is removed from the ISR unless it is the last member (the ISR then keeps
 * it, so the partition remembers who had every committed record and waits for it: leader -1). The
 * leader stays if it is still acceptable; otherwise the first replica (in assignment order) that is
 * in the new ISR and acceptable leads, or nobody (-1).
 */
import type { MetadataImage, PartitionRegistration } from '../metadata/metadata-image.js';
import { NO_LEADER, NO_LEADER_CHANGE } from '../metadata/metadata-delta.js';
import { PARTITION_CHANGE_RECORD_TYPE, type PartitionChangeRecord } from '../metadata/records/index.js';
import type { MetadataRecordValue } from './controller-result.js';

export type LeaderFilter = (brokerId: number) => boolean;

/** Unfenced and not shutting down: may lead a partition. */
export function acceptableLeaders(image: MetadataImage, exclude: number = -1): LeaderFilter {
  return (id) => {
    if (id === exclude) return false;
    const b = image.broker(id);
    return b !== undefined && !b.fenced && !b.inControlledShutdown;
  };
}

function electLeader(p: PartitionRegistration, isr: readonly number[], acceptable: LeaderFilter): number {
  for (const r of p.replicas) if (isr.includes(r) && acceptable(r)) return r;
  return NO_LEADER;
}

/**
 * The change for one partition, or null when nothing changes. `brokerToRemove` (or -1) leaves the
 * ISR; `acceptable` says who may lead after the change.
 */
export function leaderAndIsrChange(
  topicId: string,
  partitionId: number,
  p: PartitionRegistration,
  brokerToRemove: number,
  acceptable: LeaderFilter,
): PartitionChangeRecord | null {
  let isr = p.isr;
  if (brokerToRemove >= 0 && isr.includes(brokerToRemove)) {
    const shrunk = isr.filter((b) => b !== brokerToRemove);
    if (shrunk.length > 0) isr = shrunk;
  }
  let leader = p.leader;
  if (leader === NO_LEADER || !acceptable(leader) || !isr.includes(leader)) leader = electLeader(p, isr, acceptable);
  const isrChanged = isr !== p.isr;
  const leaderChanged = leader !== p.leader;
  if (!isrChanged && !leaderChanged) return null;
  return {
    partitionId,
    topicId,
    isr: isrChanged ? [...isr] : null,
    leader: leaderChanged ? leader : NO_LEADER_CHANGE,
    replicas: null,
    removingReplicas: null,
    addingReplicas: null,
    leaderRecoveryState: -1,
    directories: null,
    eligibleLeaderReplicas: null,
    lastKnownElr: null,
  };
}

/**
 * Changes for every partition `brokerId` is a replica of (it leaves their ISR and leadership), plus
 * every leaderless partition that an acceptable ISR member can now lead. Scans all partitions: fine
 * for the cluster sizes we aim at; Kafka keeps a broker → partitions index instead.
 */
export function leaderAndIsrUpdates(image: MetadataImage, brokerToRemove: number, acceptable: LeaderFilter): MetadataRecordValue[] {
  const out: MetadataRecordValue[] = [];
  for (const t of image.topics.byId.values()) {
    for (const [id, p] of t.partitions) {
      const involved = (brokerToRemove >= 0 && p.replicas.includes(brokerToRemove)) || p.leader === NO_LEADER;
      if (!involved) continue;
      const change = leaderAndIsrChange(t.topicId, id, p, brokerToRemove, acceptable);
      if (change) out.push({ type: PARTITION_CHANGE_RECORD_TYPE, value: change });
    }
  }
  return out;
}

/** How many partitions `brokerId` leads. */
export function leadershipCount(image: MetadataImage, brokerId: number): number {
  let n = 0;
  for (const t of image.topics.byId.values()) for (const p of t.partitions.values()) if (p.leader === brokerId) n++;
  return n;
}
