/**
 * What the controller listener's handlers call: the Raft client of `__cluster_metadata` and the
 * quorum controller (every node with the `controller` role has both).
 */
import type { AllocateProducerIdsRequest, AllocateProducerIdsResponse } from '../../protocol/messages/allocate-producer-ids.js';
import type { AlterConfigsRequest, AlterConfigsResponse } from '../../protocol/messages/alter-configs.js';
import type { AlterPartitionRequest, AlterPartitionResponse } from '../../protocol/messages/alter-partition.js';
import type { BrokerHeartbeatRequest, BrokerHeartbeatResponse } from '../../protocol/messages/broker-heartbeat.js';
import type { BrokerRegistrationRequest, BrokerRegistrationResponse } from '../../protocol/messages/broker-registration.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../../protocol/messages/create-partitions.js';
import type { CreateTopicsRequest, CreateTopicsResponse } from '../../protocol/messages/create-topics.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/messages/delete-topics.js';
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../../protocol/messages/incremental-alter-configs.js';
import type { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse } from '../../protocol/messages/alter-partition-reassignments.js';
import type { ElectLeadersRequest, ElectLeadersResponse } from '../../protocol/messages/elect-leaders.js';
import type { ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse } from '../../protocol/messages/list-partition-reassignments.js';
import type { UnregisterBrokerRequest, UnregisterBrokerResponse } from '../../protocol/messages/unregister-broker.js';

export interface RaftRequestHandler {
  handleRequest(apiKey: number, version: number, body: unknown): Promise<unknown>;
}

/** The controller's request API (QuorumController): each answers once its records are committed. */
export interface ControllerRequests {
  registerBroker(req: BrokerRegistrationRequest, version: number): Promise<BrokerRegistrationResponse>;
  brokerHeartbeat(req: BrokerHeartbeatRequest, version: number): Promise<BrokerHeartbeatResponse>;
  unregisterBroker(req: UnregisterBrokerRequest, version: number): Promise<UnregisterBrokerResponse>;
  createTopics(req: CreateTopicsRequest, version: number): Promise<CreateTopicsResponse>;
  deleteTopics(req: DeleteTopicsRequest, version: number): Promise<DeleteTopicsResponse>;
  createPartitions(req: CreatePartitionsRequest, version: number): Promise<CreatePartitionsResponse>;
  alterConfigs(req: AlterConfigsRequest, version: number): Promise<AlterConfigsResponse>;
  incrementalAlterConfigs(req: IncrementalAlterConfigsRequest, version: number): Promise<IncrementalAlterConfigsResponse>;
  alterPartition(req: AlterPartitionRequest, version: number): Promise<AlterPartitionResponse>;
  allocateProducerIds(req: AllocateProducerIdsRequest, version: number): Promise<AllocateProducerIdsResponse>;
  electLeaders(req: ElectLeadersRequest, version: number): Promise<ElectLeadersResponse>;
  alterPartitionReassignments(req: AlterPartitionReassignmentsRequest, version: number): Promise<AlterPartitionReassignmentsResponse>;
  listPartitionReassignments(req: ListPartitionReassignmentsRequest, version: number): Promise<ListPartitionReassignmentsResponse>;
}

export interface ControllerServices {
  readonly raft: RaftRequestHandler;
  readonly controller: ControllerRequests;
  readonly advertisedApis: () => Array<{ apiKey: number; minVersion: number; maxVersion: number }>;
}
