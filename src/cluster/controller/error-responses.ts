/**
 * Each controller API's response when the request as a whole failed (NOT_CONTROLLER, a commit that
 * timed out, …). Items that had failed on their own (computed before the write) keep their error.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { AllocateProducerIdsResponse } from '../../protocol/messages/allocate-producer-ids.js';
import type { AlterConfigsResponse } from '../../protocol/messages/alter-configs.js';
import type { AlterPartitionResponse } from '../../protocol/messages/alter-partition.js';
import type { BrokerHeartbeatResponse } from '../../protocol/messages/broker-heartbeat.js';
import type { BrokerRegistrationResponse } from '../../protocol/messages/broker-registration.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../../protocol/messages/create-partitions.js';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../../protocol/messages/create-topics.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/messages/delete-topics.js';
import type { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse } from '../../protocol/messages/alter-partition-reassignments.js';
import type { ElectLeadersRequest, ElectLeadersResponse } from '../../protocol/messages/elect-leaders.js';
import type { ListPartitionReassignmentsResponse } from '../../protocol/messages/list-partition-reassignments.js';
import type { UnregisterBrokerResponse } from '../../protocol/messages/unregister-broker.js';
import { ZERO_UUID } from '../../protocol/schema/uuid.js';

export type ErrorResponse<T> = (code: ErrorCode, message: string, computed: T | undefined) => T;

export const registration: ErrorResponse<BrokerRegistrationResponse> = (errorCode) => ({ throttleTimeMs: 0, errorCode, brokerEpoch: -1 });

export const heartbeat: ErrorResponse<BrokerHeartbeatResponse> = (errorCode) => ({
  throttleTimeMs: 0,
  errorCode,
  isCaughtUp: false,
  isFenced: true,
  shouldShutDown: false,
});

export const unregister: ErrorResponse<UnregisterBrokerResponse> = (errorCode, errorMessage) => ({ throttleTimeMs: 0, errorCode, errorMessage });

export const allocateProducerIds: ErrorResponse<AllocateProducerIdsResponse> = (errorCode) => ({
  throttleTimeMs: 0,
  errorCode,
  producerIdStart: -1,
  producerIdLen: 0,
});

export function createTopics(req: CreateTopicsRequest): ErrorResponse<CreateTopicsResponse> {
  return (errorCode, errorMessage, computed) => {
    const failed = (name: string): CreateTopicsResponse['topics'][number] => ({
      name,
      topicId: ZERO_UUID,
      errorCode,
      errorMessage,
      topicConfigErrorCode: 0,
      numPartitions: -1,
      replicationFactor: -1,
      configs: null,
    });
    const topics = computed ? computed.topics.map((t) => (t.errorCode === ErrorCode.NONE ? failed(t.name) : t)) : req.topics.map((t) => failed(t.name));
    return { throttleTimeMs: 0, topics };
  };
}

export function deleteTopics(req: DeleteTopicsRequest): ErrorResponse<DeleteTopicsResponse> {
  return (errorCode, errorMessage, computed) => ({
    throttleTimeMs: 0,
    responses: computed
      ? computed.responses.map((r) => (r.errorCode === ErrorCode.NONE ? { ...r, errorCode, errorMessage } : r))
      : [
          ...req.topicNames.map((name) => ({ name, topicId: ZERO_UUID, errorCode, errorMessage })),
          ...req.topics.map((t) => ({ name: t.name, topicId: t.topicId, errorCode, errorMessage })),
        ],
  });
}

export function createPartitions(req: CreatePartitionsRequest): ErrorResponse<CreatePartitionsResponse> {
  return (errorCode, errorMessage, computed) => ({
    throttleTimeMs: 0,
    results: computed
      ? computed.results.map((r) => (r.errorCode === ErrorCode.NONE ? { name: r.name, errorCode, errorMessage } : r))
      : req.topics.map((t) => ({ name: t.name, errorCode, errorMessage })),
  });
}

export function alterConfigs(resources: readonly { resourceType: number; resourceName: string }[]): ErrorResponse<AlterConfigsResponse> {
  return (errorCode, errorMessage, computed) => ({
    throttleTimeMs: 0,
    responses: computed
      ? computed.responses.map((r) => (r.errorCode === ErrorCode.NONE ? { ...r, errorCode, errorMessage } : r))
      : resources.map((r) => ({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName })),
  });
}

export const alterPartition: ErrorResponse<AlterPartitionResponse> = (errorCode, _message, computed) =>
  computed
    ? {
        ...computed,
        topics: computed.topics.map((t) => ({ ...t, partitions: t.partitions.map((p) => (p.errorCode === ErrorCode.NONE ? { ...p, errorCode } : p)) })),
      }
    : { throttleTimeMs: 0, errorCode, topics: [] };

/** The top-level error says it all (a broker forwarding the request retries NOT_CONTROLLER elsewhere). */
export function electLeaders(req: ElectLeadersRequest): ErrorResponse<ElectLeadersResponse> {
  return (errorCode, errorMessage, computed) => {
    const failed = { errorCode, errorMessage };
    const replicaElectionResults = computed
      ? computed.replicaElectionResults.map((t) => ({ ...t, partitionResult: t.partitionResult.map((p) => (p.errorCode === ErrorCode.NONE ? { ...p, ...failed } : p)) }))
      : (req.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, ...failed })) }));
    return { throttleTimeMs: 0, errorCode, replicaElectionResults };
  };
}

export function alterPartitionReassignments(req: AlterPartitionReassignmentsRequest): ErrorResponse<AlterPartitionReassignmentsResponse> {
  return (errorCode, errorMessage, computed) => ({
    throttleTimeMs: 0,
    errorCode,
    errorMessage,
    responses: computed
      ? computed.responses.map((t) => ({ ...t, partitions: t.partitions.map((p) => (p.errorCode === ErrorCode.NONE ? { ...p, errorCode, errorMessage } : p)) }))
      : req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage })) })),
  });
}

export const listPartitionReassignments: ErrorResponse<ListPartitionReassignmentsResponse> = (errorCode, errorMessage) => ({ throttleTimeMs: 0, errorCode, errorMessage, topics: [] });
