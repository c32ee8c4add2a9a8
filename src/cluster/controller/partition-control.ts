/**
 * Requests from partition leaders and producers' coordinators: AlterPartition (a leader shrinking or
 * expanding its ISR) and AllocateProducerIds (blocks of producer ids), as records computed from the
 * controller's image.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { AllocateProducerIdsRequest, AllocateProducerIdsResponse } from '../../protocol/messages/allocate-producer-ids.js';
import type { AlterPartitionRequest, AlterPartitionResponse, ResponsePartitionData, ResponseTopicData } from '../../protocol/messages/alter-partition.js';
import { ZERO_UUID } from '../../protocol/schema/uuid.js';
import { mergePartitionChange, NO_LEADER_CHANGE } from '../metadata/metadata-delta.js';
import type { MetadataImage, PartitionRegistration } from '../metadata/metadata-image.js';
import { PARTITION_CHANGE_RECORD_TYPE, PRODUCER_IDS_RECORD_TYPE } from '../metadata/records/index.js';
import { acceptableLeaders, buildPartitionChange, LEADER_RECOVERY_RECOVERED, LEADER_RECOVERY_RECOVERING } from './partition-change.js';
import { result, rec, type ControlContext, type ControllerResult, type MetadataRecordValue } from './controller-result.js';

/** Kafka's ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE. */
export const PRODUCER_ID_BLOCK_SIZE = 1000;


function partitionResponse(partitionIndex: number, errorCode: ErrorCode, p?: PartitionRegistration): ResponsePartitionData {
  return {
    partitionIndex,
    errorCode,
    leaderId: p?.leader ?? -1,
    leaderEpoch: p?.leaderEpoch ?? -1,
    isr: p ? [...p.isr] : [],
    leaderRecoveryState: p?.leaderRecoveryState ?? 0,
    partitionEpoch: p?.partitionEpoch ?? -1,
  };
}

/** Why `isr` may not become the partition's ISR, or null when it may. */
function checkNewIsr(
  image: MetadataImage,
  p: PartitionRegistration,
  isr: readonly { brokerId: number; brokerEpoch: number }[],
): ErrorCode | null {
  const ids = isr.map((b) => b.brokerId);
  // Replicas only, no duplicates, never without the leader: a malformed request.
  if (ids.length === 0 || new Set(ids).size !== ids.length || !ids.every((id) => p.replicas.includes(id))) return ErrorCode.INVALID_REQUEST;
  if (!ids.includes(p.leader)) return ErrorCode.INVALID_REQUEST;
  // Only live replicas may be in the ISR; with v3 the leader names the epoch it saw each in.
  // (Kafka answers OPERATION_NOT_ATTEMPTED instead to v0-1 requests.)
  for (const { brokerId, brokerEpoch } of isr) {
    const b = image.broker(brokerId);
    if (!b || b.fenced || b.inControlledShutdown) return ErrorCode.INELIGIBLE_REPLICA;
    if (brokerEpoch !== -1 && brokerEpoch !== b.brokerEpoch) return ErrorCode.INELIGIBLE_REPLICA;
  }
  return null;
}

export function alterPartition(ctx: ControlContext, req: AlterPartitionRequest): ControllerResult<AlterPartitionResponse> {
  const image = ctx.image;
  const broker = image.broker(req.brokerId);
  if (!broker || (req.brokerEpoch !== -1 && req.brokerEpoch !== broker.brokerEpoch)) {
    return result({ throttleTimeMs: 0, errorCode: ErrorCode.STALE_BROKER_EPOCH, topics: [] });
  }
  const records: MetadataRecordValue[] = [];
  const topics: ResponseTopicData[] = [];
  for (const t of req.topics) {
    const byId = t.topicId !== ZERO_UUID;
    const topic = byId ? image.topicById(t.topicId) : image.topic(t.topicName);
    const partitions: ResponsePartitionData[] = [];
    for (const pd of t.partitions) {
      if (!topic) {
        partitions.push(partitionResponse(pd.partitionIndex, byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        continue;
      }
      const p = topic.partitions.get(pd.partitionIndex);
      const fail = (code: ErrorCode): void => {
        partitions.push(partitionResponse(pd.partitionIndex, code));
      };
      if (!p) {
        fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        continue;
      }
      // Kafka's order of checks (ReplicationControlManager.validateAlterPartitionData). A newer
      // leader epoch than ours means this controller is behind: NOT_CONTROLLER makes the broker
      // look for the new one.
      if (pd.leaderEpoch > p.leaderEpoch) {
        fail(ErrorCode.NOT_CONTROLLER);
        continue;
      }
      if (pd.leaderEpoch < p.leaderEpoch) {
        fail(ErrorCode.FENCED_LEADER_EPOCH);
        continue;
      }
      if (req.brokerId !== p.leader) {
        fail(ErrorCode.INVALID_REQUEST);
        continue;
      }
      // Kafka only refuses an older partition epoch; a newer one also means we are behind.
      if (pd.partitionEpoch < p.partitionEpoch) {
        fail(ErrorCode.INVALID_UPDATE_VERSION);
        continue;
      }
      if (pd.partitionEpoch > p.partitionEpoch) {
        fail(ErrorCode.NOT_CONTROLLER);
        continue;
      }
      const isr = pd.newIsrWithEpochs.length > 0 ? pd.newIsrWithEpochs : pd.newIsr.map((brokerId) => ({ brokerId, brokerEpoch: -1 }));
      const lrs = pd.leaderRecoveryState;
      const badRecovery =
        (lrs !== LEADER_RECOVERY_RECOVERED && lrs !== LEADER_RECOVERY_RECOVERING) ||
        (lrs === LEADER_RECOVERY_RECOVERING && (p.leaderRecoveryState === LEADER_RECOVERY_RECOVERED || isr.length > 1));
      const isrError = badRecovery ? ErrorCode.INVALID_REQUEST : checkNewIsr(image, p, isr);
      if (isrError !== null) {
        fail(isrError);
        continue;
      }
      const ids = isr.map((b) => b.brokerId);
      // An ISR that now holds every target replica completes a reassignment in progress; the leader
      // may then change (it was being removed), which Kafka reports as NEW_LEADER_ELECTED.
      const base = acceptableLeaders(image);
      const change = buildPartitionChange(topic.topicId, pd.partitionIndex, p, {
        isr: ids,
        leaderRecoveryState: lrs,
        acceptable: (id) => id === p.leader || base(id),
      });
      if (change === null) {
        partitions.push(partitionResponse(pd.partitionIndex, ErrorCode.NONE, p));
        continue;
      }
      records.push(rec(PARTITION_CHANGE_RECORD_TYPE, change));
      if (change.leader !== NO_LEADER_CHANGE && change.leader !== req.brokerId) {
        partitions.push(partitionResponse(pd.partitionIndex, ErrorCode.NEW_LEADER_ELECTED));
        continue;
      }
      partitions.push(partitionResponse(pd.partitionIndex, ErrorCode.NONE, mergePartitionChange(p, change)));
    }
    topics.push({ topicName: topic?.name ?? t.topicName, topicId: topic?.topicId ?? t.topicId, partitions });
  }
  return result({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, topics }, records);
}

export function allocateProducerIds(ctx: ControlContext, req: AllocateProducerIdsRequest): ControllerResult<AllocateProducerIdsResponse> {
  const broker = ctx.image.broker(req.brokerId);
  if (!broker || broker.brokerEpoch !== req.brokerEpoch) {
    return result({ throttleTimeMs: 0, errorCode: ErrorCode.STALE_BROKER_EPOCH, producerIdStart: -1, producerIdLen: 0 });
  }
  const start = ctx.image.producerIds.nextProducerId;
  return result({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerIdStart: start, producerIdLen: PRODUCER_ID_BLOCK_SIZE }, [
    rec(PRODUCER_IDS_RECORD_TYPE, { brokerId: req.brokerId, brokerEpoch: req.brokerEpoch, nextProducerId: start + PRODUCER_ID_BLOCK_SIZE }),
  ]);
}
