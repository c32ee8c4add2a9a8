/**
 * One partition's change, computed as Kafka's PartitionChangeBuilder does (without eligible leader
 * replicas, KIP-966): a target ISR / replica set is given, a reassignment in progress completes when
 * every target replica is in the ISR, then a leader is chosen by the election kind, and only what
 * differs from the current registration goes into the record (null = nothing changes).
 *
 * Elections (Kafka's names):
 * - online: the current leader stays if it is still acceptable and in the ISR; otherwise the first
 *   replica (assignment order) that is in the ISR and acceptable; otherwise, when unclean election
 *   is allowed, the first acceptable replica with ISR = [it] and leaderRecoveryState RECOVERING
 *   (KIP-704: it may lack committed records, it tells the controller once it has recovered);
 *   otherwise nobody (-1), the ISR kept.
 * - preferred: the first replica if it is in the ISR and acceptable, else as online.
 * - unclean: as online with unclean election allowed.
 *
 * Removing replicas from the assignment bumps the leader epoch even when the leader stays (Kafka:
 * the removed replicas must stop fetching with the old epoch).
 */
import type { MetadataImage, PartitionRegistration } from '../metadata/metadata-image.js';
import { NO_LEADER, NO_LEADER_CHANGE } from '../metadata/metadata-delta.js';
import { PARTITION_CHANGE_RECORD_TYPE, type PartitionChangeRecord } from '../metadata/records/index.js';
import { rec, type MetadataRecordValue } from './controller-result.js';

export type LeaderFilter = (brokerId: number) => boolean;
export type Election = 'online' | 'preferred' | 'unclean';

export const LEADER_RECOVERY_RECOVERED = 0;
export const LEADER_RECOVERY_RECOVERING = 1;

/** Unfenced and not shutting down: may lead a partition. */
export function acceptableLeaders(image: MetadataImage, exclude: number = -1): LeaderFilter {
  return (id) => {
    if (id === exclude) return false;
    const b = image.broker(id);
    return b !== undefined && !b.fenced && !b.inControlledShutdown;
  };
}

/** unclean.leader.election.enable of `topic`: its override, else the broker default. */
export function uncleanElectionEnabled(image: MetadataImage, topic: string, brokerDefault: boolean): boolean {
  const v = image.topicConfig(topic)['unclean.leader.election.enable'];
  return v === undefined ? brokerDefault : v.trim().toLowerCase() === 'true';
}

export function isReassigning(p: PartitionRegistration): boolean {
  return p.addingReplicas.length > 0 || p.removingReplicas.length > 0;
}

export interface PartitionChangeTarget {
  readonly isr?: readonly number[];
  readonly replicas?: readonly number[];
  readonly removingReplicas?: readonly number[];
  readonly addingReplicas?: readonly number[];
  readonly leaderRecoveryState?: number;
  readonly election?: Election;
  /** Online elections may fall back to an out-of-sync replica (the topic's unclean.leader.election.enable). */
  readonly uncleanOk?: boolean;
  readonly acceptable: LeaderFilter;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function buildPartitionChange(topicId: string, partitionId: number, p: PartitionRegistration, target: PartitionChangeTarget): PartitionChangeRecord | null {
  let isr = target.isr ?? p.isr;
  let replicas = target.replicas ?? p.replicas;
  let removing = target.removingReplicas ?? p.removingReplicas;
  let adding = target.addingReplicas ?? p.addingReplicas;
  let lrs = target.leaderRecoveryState ?? p.leaderRecoveryState;
  // A reassignment completes once every target replica (the replicas not being removed) is in sync.
  if (removing.length > 0 || adding.length > 0) {
    const targetReplicas = replicas.filter((r) => !removing.includes(r));
    if (targetReplicas.length > 0 && targetReplicas.every((r) => isr.includes(r))) {
      replicas = targetReplicas;
      isr = isr.filter((r) => targetReplicas.includes(r));
      removing = [];
      adding = [];
    }
  }
  const { acceptable } = target;
  const election = target.election ?? 'online';
  const valid = (r: number): boolean => r >= 0 && isr.includes(r) && replicas.includes(r) && acceptable(r);
  let leader = NO_LEADER;
  if (election === 'preferred' && replicas.length > 0 && valid(replicas[0]!)) leader = replicas[0]!;
  else if (valid(p.leader)) leader = p.leader;
  else leader = replicas.find(valid) ?? NO_LEADER;
  if (leader === NO_LEADER && (election === 'unclean' || target.uncleanOk === true)) {
    const any = replicas.find((r) => acceptable(r));
    if (any !== undefined) {
      leader = any;
      isr = [any];
      lrs = LEADER_RECOVERY_RECOVERING;
    }
  }
  const replicasRemoved = p.replicas.some((r) => !replicas.includes(r));
  const leaderChanged = leader !== p.leader;
  const record: PartitionChangeRecord = {
    partitionId,
    topicId,
    isr: sameList(isr, p.isr) ? null : [...isr],
    leader: leaderChanged || (replicasRemoved && leader !== NO_LEADER) ? leader : NO_LEADER_CHANGE,
    replicas: sameList(replicas, p.replicas) ? null : [...replicas],
    removingReplicas: sameList(removing, p.removingReplicas) ? null : [...removing],
    addingReplicas: sameList(adding, p.addingReplicas) ? null : [...adding],
    leaderRecoveryState: lrs === p.leaderRecoveryState ? -1 : lrs,
    directories: null,
    eligibleLeaderReplicas: null,
    lastKnownElr: null,
  };
  const nothing =
    record.isr === null &&
    record.leader === NO_LEADER_CHANGE &&
    record.replicas === null &&
    record.removingReplicas === null &&
    record.addingReplicas === null &&
    record.leaderRecoveryState === -1;
  return nothing ? null : record;
}

/**
 * The change for one partition when a broker leaves (`brokerToRemove`, or -1) or comes back, or null
 * when nothing changes. The broker leaving is removed from the ISR unless it is the last member (the
 * ISR then keeps it, so the partition remembers who had every committed record).
 */
export function leaderAndIsrChange(
  topicId: string,
  partitionId: number,
  p: PartitionRegistration,
  brokerToRemove: number,
  acceptable: LeaderFilter,
  uncleanOk = false,
): PartitionChangeRecord | null {
  let isr = p.isr;
  if (brokerToRemove >= 0 && isr.includes(brokerToRemove)) {
    const shrunk = isr.filter((b) => b !== brokerToRemove);
    if (shrunk.length > 0) isr = shrunk;
  }
  return buildPartitionChange(topicId, partitionId, p, { isr, acceptable, uncleanOk });
}

/**
 * Changes for every partition `brokerToRemove` is a replica of (it leaves their ISR and leadership),
 * plus every leaderless partition that can now get a leader (an acceptable ISR member, or any
 * acceptable replica where the topic allows unclean election: `uncleanDefault` is the broker's
 * unclean.leader.election.enable). Scans all partitions: fine for the cluster sizes we aim at;
 * Kafka keeps a broker → partitions index instead.
 */
export function leaderAndIsrUpdates(image: MetadataImage, brokerToRemove: number, acceptable: LeaderFilter, uncleanDefault = false): MetadataRecordValue[] {
  const out: MetadataRecordValue[] = [];
  for (const t of image.topics.byId.values()) {
    let unclean: boolean | undefined;
    for (const [id, p] of t.partitions) {
      const involved = (brokerToRemove >= 0 && p.replicas.includes(brokerToRemove)) || p.leader === NO_LEADER;
      if (!involved) continue;
      unclean ??= uncleanElectionEnabled(image, t.name, uncleanDefault);
      const change = leaderAndIsrChange(t.topicId, id, p, brokerToRemove, acceptable, unclean);
      if (change) out.push(rec(PARTITION_CHANGE_RECORD_TYPE, change));
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
