/**
 * The APIs of the controller listener (`controller.listener.names`): the Raft quorum's own requests
 * (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch of `__cluster_metadata`, FetchSnapshot,
 * DescribeQuorum) go to the RaftClient; broker registration, heartbeats and the topic and config
 * changes that brokers forward (and ElectLeaders, partition reassignments) go to the QuorumController, which answers NOT_CONTROLLER unless it is
 * the active one. Kafka's controllers serve the same set on their listener.
 */
import {
  AllocateProducerIdsApi,
  AlterConfigsApi,
  AlterPartitionApi,
  AlterPartitionReassignmentsApi,
  ApiVersionsApi,
  BeginQuorumEpochApi,
  BrokerHeartbeatApi,
  BrokerRegistrationApi,
  CreatePartitionsApi,
  CreateTopicsApi,
  DeleteTopicsApi,
  DescribeQuorumApi,
  ElectLeadersApi,
  EndQuorumEpochApi,
  FetchApi,
  FetchSnapshotApi,
  IncrementalAlterConfigsApi,
  ListPartitionReassignmentsApi,
  UnregisterBrokerApi,
} from '../../protocol/messages/index.js';
import { VoteV2Api } from '../../cluster/raft/vote-v2.js';
import type { ApiSpec } from '../../protocol/schema/dsl.js';
import { ErrorCode } from '../../protocol/errors.js';
import { register, type HandlerRegistration } from '../request-context.js';
import { controllerCall } from './dispatch.js';
import type { ControllerServices } from './services.js';

/** Vote v2 (KIP-996's PreVote) is declared beside the Raft client until the shared specs carry it. */
const RAFT_APIS: readonly ApiSpec[] = [VoteV2Api, BeginQuorumEpochApi, EndQuorumEpochApi, DescribeQuorumApi, FetchSnapshotApi];

function fullRange(api: ApiSpec): { min: number; max: number } {
  return api.request.validVersions;
}

const raftHandlers = RAFT_APIS.map((api) =>
  register<object, object, ControllerServices>(api, fullRange(api).min, fullRange(api).max, (req, ctx) => ctx.services.raft.handleRequest(api.apiKey, ctx.apiVersion, req) as Promise<object>),
);

/** Fetch on the controller listener is the metadata log's replication (KIP-595: Fetch v13+ carries topic ids). */
const raftFetchHandler = register<object, object, ControllerServices>(FetchApi, 4, 17, (req, ctx) => ctx.services.raft.handleRequest(FetchApi.apiKey, ctx.apiVersion, req) as Promise<object>);

function forward(api: ApiSpec, min: number, max: number): HandlerRegistration<ControllerServices> {
  return register<object, object, ControllerServices>(api, min, max, (req, ctx) => controllerCall(ctx.services.controller, api, ctx.apiVersion, req));
}

const controllerApis: readonly HandlerRegistration<ControllerServices>[] = [
  forward(BrokerRegistrationApi, 0, 4),
  forward(BrokerHeartbeatApi, 0, 1),
  forward(UnregisterBrokerApi, 0, 0),
  forward(CreateTopicsApi, 2, 7),
  forward(DeleteTopicsApi, 1, 6),
  forward(CreatePartitionsApi, 0, 3),
  forward(AlterConfigsApi, 0, 2),
  forward(IncrementalAlterConfigsApi, 0, 1),
  // ISR changes from partition leaders (v2+ name topics by id).
  forward(AlterPartitionApi, 2, 3),
  // Blocks of producer ids for the brokers' InitProducerId (KIP-730).
  forward(AllocateProducerIdsApi, 0, 0),
  forward(ElectLeadersApi, 0, 2),
  forward(AlterPartitionReassignmentsApi, 0, 0),
  forward(ListPartitionReassignmentsApi, 0, 0),
];

const apiVersions = register<object, object, ControllerServices>(ApiVersionsApi, 0, 4, (_req, ctx) => ({
  errorCode: ErrorCode.NONE,
  apiKeys: ctx.services.advertisedApis(),
  throttleTimeMs: 0,
}));

export const CONTROLLER_HANDLERS: readonly HandlerRegistration<ControllerServices>[] = [apiVersions, raftFetchHandler, ...raftHandlers, ...controllerApis];
