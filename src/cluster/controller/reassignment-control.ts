/**
 * Partition reassignment (KIP-455): AlterPartitionReassignments and ListPartitionReassignments, with
 * Kafka's semantics (ReplicationControlManager, PartitionReassignmentReplicas/Revert).
 *
 * Starting one for target T on a partition with replicas C: replicas = T followed by the members of C
 * not in T (they keep serving until the move is over), removingReplicas = C − T, addingReplicas =
 * T − C. Brokers host a replica whenever `replicas` lists them: an added one starts as a follower,
 * catches up and its leader adds it to the ISR (AlterPartition). The reassignment completes in the
 * change where every member of T is in the ISR (buildPartitionChange: on AlterPartition, broker
 * fencing, here when T is in sync already): replicas = T, ISR ∩ T, adding/removing cleared, and a
 * leader from T when the current one was removed (removing replicas bumps the leader epoch).
 * A new target replaces a reassignment in progress (its replicas are the current ones).
 * Cancelling (null replicas) reverts to the original replicas (replicas − adding, ISR − adding);
 * when no ISR member would be left, only a topic allowing unclean election may be reverted.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type {
  AlterPartitionReassignmentsRequest,
  AlterPartitionReassignmentsResponse,
  ReassignablePartitionResponse,
  ReassignableTopicResponse,
} from '../../protocol/messages/alter-partition-reassignments.js';
import type {
  ListPartitionReassignmentsRequest,
  ListPartitionReassignmentsResponse,
  OngoingPartitionReassignment,
  OngoingTopicReassignment,
} from '../../protocol/messages/list-partition-reassignments.js';
import type { MetadataImage, PartitionRegistration, TopicImage } from '../metadata/metadata-image.js';
import { PARTITION_CHANGE_RECORD_TYPE, type PartitionChangeRecord } from '../metadata/records/index.js';
import { result, rec, type ControlContext, type ControllerResult, type MetadataRecordValue } from './controller-result.js';
import { acceptableLeaders, buildPartitionChange, isReassigning, uncleanElectionEnabled } from './partition-change.js';
import { errorOf } from './topic-control.js';

function invalid(message: string): never {
  throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, message);
}

/** Kafka's validateManualPartitionAssignment: non-empty, no duplicates, registered brokers only. */
function validateTarget(image: MetadataImage, topic: string, partition: number, replicas: readonly number[]): void {
  if (replicas.length === 0) invalid(`The manual partition assignment of ${topic}-${partition} includes an empty replica list.`);
  const seen = new Set<number>();
  for (const id of replicas) {
    if (seen.has(id)) invalid(`The manual partition assignment of ${topic}-${partition} includes the broker ${id} more than once.`);
    seen.add(id);
    if (!image.broker(id)) invalid(`The manual partition assignment of ${topic}-${partition} includes broker ${id}, but no such broker is registered.`);
  }
}

function changeReassignment(image: MetadataImage, topic: TopicImage, partitionId: number, p: PartitionRegistration, target: readonly number[]): PartitionChangeRecord | null {
  validateTarget(image, topic.name, partitionId, target);
  const removing = p.replicas.filter((r) => !target.includes(r));
  const adding = target.filter((r) => !p.replicas.includes(r));
  return buildPartitionChange(topic.topicId, partitionId, p, {
    replicas: [...target, ...removing],
    removingReplicas: removing,
    addingReplicas: adding,
    acceptable: acceptableLeaders(image),
    uncleanOk: false,
  });
}

function cancelReassignment(image: MetadataImage, topic: TopicImage, partitionId: number, p: PartitionRegistration, uncleanDefault: boolean): PartitionChangeRecord | null {
  if (!isReassigning(p)) throw new KafkaError(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `Partition ${topic.name}-${partitionId} is not being reassigned.`);
  const replicas = p.replicas.filter((r) => !p.addingReplicas.includes(r));
  const isr = p.isr.filter((r) => !p.addingReplicas.includes(r));
  const unclean = isr.length === 0;
  if (unclean && !uncleanElectionEnabled(image, topic.name, uncleanDefault)) {
    invalid(`Unable to revert partition assignment for ${topic.name}:${partitionId} because it would require an unclean leader election.`);
  }
  return buildPartitionChange(topic.topicId, partitionId, p, {
    replicas,
    isr,
    removingReplicas: [],
    addingReplicas: [],
    acceptable: acceptableLeaders(image),
    ...(unclean && { election: 'unclean' as const }),
  });
}

export function alterPartitionReassignments(ctx: ControlContext, req: AlterPartitionReassignmentsRequest): ControllerResult<AlterPartitionReassignmentsResponse> {
  const image = ctx.image;
  const records: MetadataRecordValue[] = [];
  const responses: ReassignableTopicResponse[] = [];
  for (const t of req.topics) {
    const topic = image.topic(t.name);
    const partitions: ReassignablePartitionResponse[] = [];
    for (const rp of t.partitions) {
      try {
        const p = topic?.partitions.get(rp.partitionIndex);
        if (!topic || !p) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${t.name}-${rp.partitionIndex}.`);
        const change = rp.replicas === null ? cancelReassignment(image, topic, rp.partitionIndex, p, ctx.uncleanElectionDefault) : changeReassignment(image, topic, rp.partitionIndex, p, rp.replicas);
        if (change) records.push(rec(PARTITION_CHANGE_RECORD_TYPE, change));
        partitions.push({ partitionIndex: rp.partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        const { code, message } = errorOf(err);
        partitions.push({ partitionIndex: rp.partitionIndex, errorCode: code, errorMessage: message });
      }
    }
    responses.push({ name: t.name, partitions });
  }
  return result({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses }, records);
}

function ongoing(partitionIndex: number, p: PartitionRegistration): OngoingPartitionReassignment {
  return { partitionIndex, replicas: [...p.replicas], addingReplicas: [...p.addingReplicas], removingReplicas: [...p.removingReplicas] };
}

export function listPartitionReassignments(ctx: ControlContext, req: ListPartitionReassignmentsRequest): ControllerResult<ListPartitionReassignmentsResponse> {
  const image = ctx.image;
  const topics: OngoingTopicReassignment[] = [];
  const add = (topic: TopicImage, ids: Iterable<number>): void => {
    const partitions: OngoingPartitionReassignment[] = [];
    for (const id of ids) {
      const p = topic.partitions.get(id);
      if (p && isReassigning(p)) partitions.push(ongoing(id, p));
    }
    if (partitions.length > 0) topics.push({ name: topic.name, partitions });
  };
  if (req.topics === null) {
    for (const topic of [...image.topics.byName.values()].sort((a, b) => a.name.localeCompare(b.name))) add(topic, [...topic.partitions.keys()].sort((a, b) => a - b));
  } else {
    // Kafka leaves unknown topics and partitions out rather than failing the request.
    for (const t of req.topics) {
      const topic = image.topic(t.name);
      if (topic) add(topic, t.partitionIndexes);
    }
  }
  return result({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics });
}
