/**
 * Leader elections asked for by an operator (ElectLeaders, KIP-460), the periodic move of leadership
 * back to preferred replicas (auto.leader.rebalance.enable), and the unclean elections a topic config
 * change to unclean.leader.election.enable=true allows.
 *
 * ElectLeaders, as Kafka's ReplicationControlManager.electLeaders: PREFERRED (0) makes the first
 * replica leader when it is in the ISR and acceptable (ELECTION_NOT_NEEDED when it leads already,
 * PREFERRED_LEADER_NOT_AVAILABLE when it cannot); UNCLEAN (1) only touches leaderless partitions
 * (ELECTION_NOT_NEEDED otherwise): an ISR member if one is acceptable, else any acceptable replica
 * (ELIGIBLE_LEADERS_NOT_AVAILABLE when none is). A null topic list means every partition, and then
 * the partitions needing no election are left out of the response (as Kafka does).
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { ElectLeadersRequest, ElectLeadersResponse, PartitionResult, ReplicaElectionResult } from '../../protocol/messages/elect-leaders.js';
import { NO_LEADER } from '../metadata/metadata-delta.js';
import type { MetadataImage, TopicImage } from '../metadata/metadata-image.js';
import { PARTITION_CHANGE_RECORD_TYPE } from '../metadata/records/index.js';
import { result, rec, type ControlContext, type ControllerResult, type MetadataRecordValue } from './controller-result.js';
import { acceptableLeaders, buildPartitionChange, type Election } from './partition-change.js';

export const ElectionType = { PREFERRED: 0, UNCLEAN: 1 } as const;

function partitionResult(partitionId: number, errorCode: ErrorCode, errorMessage: string | null = null): PartitionResult {
  return { partitionId, errorCode, errorMessage };
}

/** One partition's election: the error for the response, plus the record when there is a change. */
function electOne(image: MetadataImage, topic: TopicImage | undefined, topicName: string, partitionId: number, electionType: number, records: MetadataRecordValue[]): PartitionResult {
  if (!topic) return partitionResult(partitionId, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No such topic as ${topicName}`);
  const p = topic.partitions.get(partitionId);
  if (!p) return partitionResult(partitionId, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `No such partition as ${topicName}-${partitionId}`);
  const preferred = electionType === ElectionType.PREFERRED;
  if (preferred ? p.leader === p.replicas[0] : p.leader !== NO_LEADER) return partitionResult(partitionId, ErrorCode.ELECTION_NOT_NEEDED);
  const election: Election = preferred ? 'preferred' : 'unclean';
  const change = buildPartitionChange(topic.topicId, partitionId, p, { election, acceptable: acceptableLeaders(image) });
  // A preferred election that leaves the leader where it is did not happen.
  const elected = change !== null && (preferred ? change.leader === p.replicas[0] : change.leader !== NO_LEADER && change.leader >= 0);
  if (!elected) {
    return preferred
      ? partitionResult(partitionId, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE, `Failed to elect leader for partition ${topicName}-${partitionId}: the preferred replica is not in the ISR or not available.`)
      : partitionResult(partitionId, ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE, `Failed to elect leader for partition ${topicName}-${partitionId}: no live replica.`);
  }
  records.push(rec(PARTITION_CHANGE_RECORD_TYPE, change));
  return partitionResult(partitionId, ErrorCode.NONE);
}

export function electLeaders(ctx: ControlContext, req: ElectLeadersRequest): ControllerResult<ElectLeadersResponse> {
  const image = ctx.image;
  const records: MetadataRecordValue[] = [];
  const results: ReplicaElectionResult[] = [];
  if (req.electionType !== ElectionType.PREFERRED && req.electionType !== ElectionType.UNCLEAN) {
    return result({ throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] });
  }
  if (req.topicPartitions === null) {
    for (const t of [...image.topics.byName.values()].sort((a, b) => a.name.localeCompare(b.name))) {
      const partitionResult: PartitionResult[] = [];
      for (const id of [...t.partitions.keys()].sort((a, b) => a - b)) {
        const r = electOne(image, t, t.name, id, req.electionType, records);
        if (r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED) partitionResult.push(r);
      }
      if (partitionResult.length > 0) results.push({ topic: t.name, partitionResult });
    }
  } else {
    for (const tp of req.topicPartitions) {
      const topic = image.topic(tp.topic);
      results.push({ topic: tp.topic, partitionResult: tp.partitions.map((id) => electOne(image, topic, tp.topic, id, req.electionType, records)) });
    }
  }
  return result({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: results }, records);
}

/**
 * The leader imbalance check (auto.leader.rebalance.enable): for each broker, the share of the
 * partitions it is the preferred replica of that another broker leads; over `imbalancePercentage`,
 * those partitions get a preferred election where the preferred replica is in the ISR and acceptable.
 * (This is the rule leader.imbalance.per.broker.percentage documents; Kafka's KRaft controller
 * itself does not read the percentage and balances every imbalanced partition.)
 */
export function rebalanceLeaders(ctx: ControlContext, imbalancePercentage: number): MetadataRecordValue[] {
  const image = ctx.image;
  const preferredOf = new Map<number, number>();
  const notLedBy = new Map<number, Array<{ topic: TopicImage; partitionId: number }>>();
  for (const topic of image.topics.byId.values()) {
    for (const [partitionId, p] of topic.partitions) {
      const preferred = p.replicas[0];
      if (preferred === undefined) continue;
      preferredOf.set(preferred, (preferredOf.get(preferred) ?? 0) + 1);
      if (p.leader !== preferred) {
        const list = notLedBy.get(preferred) ?? [];
        list.push({ topic, partitionId });
        notLedBy.set(preferred, list);
      }
    }
  }
  const acceptable = acceptableLeaders(image);
  const records: MetadataRecordValue[] = [];
  for (const [broker, imbalanced] of [...notLedBy].sort((a, b) => a[0] - b[0])) {
    const ratio = imbalanced.length / preferredOf.get(broker)!;
    if (ratio * 100 <= imbalancePercentage || !acceptable(broker)) continue;
    for (const { topic, partitionId } of imbalanced) {
      const p = topic.partitions.get(partitionId)!;
      const change = buildPartitionChange(topic.topicId, partitionId, p, { election: 'preferred', acceptable });
      if (change !== null && change.leader === broker) records.push(rec(PARTITION_CHANGE_RECORD_TYPE, change));
    }
  }
  return records;
}

/**
 * Unclean elections for the leaderless partitions of `topicName` (whose unclean.leader.election.enable
 * has just become true: Kafka looks at leaderless partitions again then).
 */
export function uncleanElectionsFor(image: MetadataImage, topicName: string): MetadataRecordValue[] {
  const topic = image.topic(topicName);
  if (!topic) return [];
  const acceptable = acceptableLeaders(image);
  const records: MetadataRecordValue[] = [];
  for (const [partitionId, p] of topic.partitions) {
    if (p.leader !== NO_LEADER) continue;
    const change = buildPartitionChange(topic.topicId, partitionId, p, { acceptable, uncleanOk: true });
    if (change !== null) records.push(rec(PARTITION_CHANGE_RECORD_TYPE, change));
  }
  return records;
}
