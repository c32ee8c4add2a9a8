// Metadata (API key 3)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const MetadataRequestSchema = message('MetadataRequest', '0-12', '9+', [
  field('topics', '[]', '0+', { nullable: '1+', of: [
    field('topicId', 'uuid', '10+'),
    field('name', 'string', '0+', { nullable: '10+' }),
  ] }),
  field('allowAutoTopicCreation', 'bool', '4+', { default: true }),
  field('includeClusterAuthorizedOperations', 'bool', '8-10'),
  field('includeTopicAuthorizedOperations', 'bool', '8+'),
]);

export const MetadataResponseSchema = message('MetadataResponse', '0-12', '9+', [
  field('throttleTimeMs', 'int32', '3+'),
  field('brokers', '[]', '0+', { of: [
    field('nodeId', 'int32', '0+'),
    field('host', 'string', '0+'),
    field('port', 'int32', '0+'),
    field('rack', 'string', '1+', { nullable: '1+', default: null }),
  ] }),
  field('clusterId', 'string', '2+', { nullable: '2+', default: null }),
  field('controllerId', 'int32', '1+', { default: -1 }),
  field('topics', '[]', '0+', { of: [
    field('errorCode', 'int16', '0+'),
    field('name', 'string', '0+', { nullable: '12+' }),
    field('topicId', 'uuid', '10+'),
    field('isInternal', 'bool', '1+', { default: false }),
    field('partitions', '[]', '0+', { of: [
      field('errorCode', 'int16', '0+'),
      field('partitionIndex', 'int32', '0+'),
      field('leaderId', 'int32', '0+'),
      field('leaderEpoch', 'int32', '7+', { default: -1 }),
      field('replicaNodes', '[]int32', '0+'),
      field('isrNodes', '[]int32', '0+'),
      field('offlineReplicas', '[]int32', '5+'),
    ] }),
    field('topicAuthorizedOperations', 'int32', '8+', { default: -2147483648 }),
  ] }),
  field('clusterAuthorizedOperations', 'int32', '8-10', { default: -2147483648 }),
]);

export const MetadataApi = api(3, MetadataRequestSchema, MetadataResponseSchema);

export interface MetadataRequest {
  topics: MetadataRequestTopic[] | null;
  allowAutoTopicCreation: boolean;
  includeClusterAuthorizedOperations: boolean;
  includeTopicAuthorizedOperations: boolean;
}
export interface MetadataRequestTopic {
  topicId: string;
  name: string | null;
}

export interface MetadataResponse {
  throttleTimeMs: number;
  brokers: MetadataResponseBroker[];
  clusterId: string | null;
  controllerId: number;
  topics: MetadataResponseTopic[];
  clusterAuthorizedOperations: number;
}
export interface MetadataResponseTopic {
  errorCode: number;
  name: string | null;
  topicId: string;
  isInternal: boolean;
  partitions: MetadataResponsePartition[];
  topicAuthorizedOperations: number;
}
export interface MetadataResponsePartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  offlineReplicas: number[];
}
export interface MetadataResponseBroker {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}
