/** Calls the QuorumController method that serves `api` (the controller listener and in-process callers share it). */
import {
  AllocateProducerIdsApi,
  AlterConfigsApi,
  AlterPartitionApi,
  AlterPartitionReassignmentsApi,
  BrokerHeartbeatApi,
  BrokerRegistrationApi,
  CreatePartitionsApi,
  CreateTopicsApi,
  DeleteTopicsApi,
  ElectLeadersApi,
  IncrementalAlterConfigsApi,
  ListPartitionReassignmentsApi,
  UnregisterBrokerApi,
} from '../../protocol/messages/index.js';
import type { ApiSpec } from '../../protocol/schema/dsl.js';
import type { ControllerRequests } from './services.js';

const METHODS: ReadonlyMap<number, keyof ControllerRequests> = new Map([
  [BrokerRegistrationApi.apiKey, 'registerBroker'],
  [BrokerHeartbeatApi.apiKey, 'brokerHeartbeat'],
  [UnregisterBrokerApi.apiKey, 'unregisterBroker'],
  [CreateTopicsApi.apiKey, 'createTopics'],
  [DeleteTopicsApi.apiKey, 'deleteTopics'],
  [CreatePartitionsApi.apiKey, 'createPartitions'],
  [AlterConfigsApi.apiKey, 'alterConfigs'],
  [IncrementalAlterConfigsApi.apiKey, 'incrementalAlterConfigs'],
  [AlterPartitionApi.apiKey, 'alterPartition'],
  [AllocateProducerIdsApi.apiKey, 'allocateProducerIds'],
  [ElectLeadersApi.apiKey, 'electLeaders'],
  [AlterPartitionReassignmentsApi.apiKey, 'alterPartitionReassignments'],
  [ListPartitionReassignmentsApi.apiKey, 'listPartitionReassignments'],
]);

export function controllerMethodFor(api: ApiSpec): keyof ControllerRequests | undefined {
  return METHODS.get(api.apiKey);
}

export function controllerCall(controller: ControllerRequests, api: ApiSpec, version: number, body: object): Promise<object> {
  const method = METHODS.get(api.apiKey);
  if (!method) return Promise.reject(new Error(`${api.name} is not a controller API`));
  return controller[method](body as never, version) as Promise<object>;
}
