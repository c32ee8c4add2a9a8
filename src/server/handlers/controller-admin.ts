/**
 * Admin APIs the broker relays to the active controller as they are (Kafka's brokers forward them
 * the same way): ElectLeaders (KIP-460), AlterPartitionReassignments and ListPartitionReassignments
 * (KIP-455). The controller computes the change against the authoritative metadata and answers once
 * it is committed; a failure to reach it answers REQUEST_TIMED_OUT for every item.
 */
import { AlterPartitionReassignmentsApi, ElectLeadersApi, ListPartitionReassignmentsApi } from '../../protocol/messages/index.js';
import type { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse } from '../../protocol/messages/alter-partition-reassignments.js';
import type { ElectLeadersRequest, ElectLeadersResponse } from '../../protocol/messages/elect-leaders.js';
import type { ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse } from '../../protocol/messages/list-partition-reassignments.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { ControllerForward } from '../../cluster/topic-store.js';
import type { BrokerServices } from '../broker-services.js';
import { errorOf, register } from '../request-context.js';

function forwarder(services: BrokerServices): ControllerForward {
  const forward = services.topics.forwardToController;
  if (!forward) throw new KafkaError(ErrorCode.NOT_CONTROLLER, 'This broker has no controller to send the request to.');
  return forward;
}

const topLevelNotController = (r: { errorCode: number }): boolean => r.errorCode === ErrorCode.NOT_CONTROLLER;

export const electLeadersHandler = register<ElectLeadersRequest, ElectLeadersResponse>(ElectLeadersApi, 0, 2, async (req, ctx) => {
  try {
    // v0 has no election type: its default (PREFERRED) is what it meant. Sent at the newest version.
    return await forwarder(ctx.services)<ElectLeadersResponse>(ElectLeadersApi, 2, req, topLevelNotController);
  } catch (err) {
    const { errorCode, errorMessage } = errorOf(err);
    return {
      throttleTimeMs: 0,
      errorCode,
      replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage })) })),
    };
  }
});

export const alterPartitionReassignmentsHandler = register<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>(
  AlterPartitionReassignmentsApi,
  0,
  0,
  async (req, ctx) => {
    try {
      return await forwarder(ctx.services)<AlterPartitionReassignmentsResponse>(AlterPartitionReassignmentsApi, 0, req, topLevelNotController);
    } catch (err) {
      const { errorCode, errorMessage } = errorOf(err);
      return { throttleTimeMs: 0, errorCode, errorMessage, responses: [] };
    }
  },
);

export const listPartitionReassignmentsHandler = register<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>(
  ListPartitionReassignmentsApi,
  0,
  0,
  async (req, ctx) => {
    try {
      return await forwarder(ctx.services)<ListPartitionReassignmentsResponse>(ListPartitionReassignmentsApi, 0, req, topLevelNotController);
    } catch (err) {
      const { errorCode, errorMessage } = errorOf(err);
      return { throttleTimeMs: 0, errorCode, errorMessage, topics: [] };
    }
  },
);
