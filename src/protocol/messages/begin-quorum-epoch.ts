// BeginQuorumEpoch (API key 53)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const BeginQuorumEpochRequestSchema = message('BeginQuorumEpochRequest', '0-1', '1+', [
  field('clusterId', 'string', '0+', { nullable: '0+', default: null }),
  field('voterId', 'int32', '1+', { default: -1 }),
  field('topics', '[]', '0+', { of: [
    field('topicName', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('voterDirectoryId', 'uuid', '1+'),
      field('leaderId', 'int32', '0+'),
      field('leaderEpoch', 'int32', '0+'),
    ] }),
  ] }),
  field('leaderEndpoints', '[]', '1+', { of: [
    field('name', 'string', '1+'),
    field('host', 'string', '1+'),
    field('port', 'uint16', '1+'),
  ] }),
]);

export const BeginQuorumEpochResponseSchema = message('BeginQuorumEpochResponse', '0-1', '1+', [
  field('errorCode', 'int16', '0+'),
  field('topics', '[]', '0+', { of: [
    field('topicName', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('leaderId', 'int32', '0+'),
      field('leaderEpoch', 'int32', '0+'),
    ] }),
  ] }),
  field('nodeEndpoints', '[]', '1+', { tag: 0, tagged: '1+', of: [
    field('nodeId', 'int32', '1+'),
    field('host', 'string', '1+'),
    field('port', 'uint16', '1+'),
  ] }),
]);

export const BeginQuorumEpochApi = api(53, BeginQuorumEpochRequestSchema, BeginQuorumEpochResponseSchema);

export interface BeginQuorumEpochRequest {
  clusterId: string | null;
  voterId: number;
  topics: TopicData[];
  leaderEndpoints: LeaderEndpoint[];
}
export interface LeaderEndpoint {
  name: string;
  host: string;
  port: number;
}
export interface TopicData {
  topicName: string;
  partitions: PartitionData[];
}
export interface PartitionData {
  partitionIndex: number;
  voterDirectoryId: string;
  leaderId: number;
  leaderEpoch: number;
}

export interface BeginQuorumEpochResponse {
  errorCode: number;
  topics: ResponseTopicData[];
  nodeEndpoints: NodeEndpoint[];
}
export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
}
export interface ResponseTopicData {
  topicName: string;
  partitions: ResponsePartitionData[];
}
export interface ResponsePartitionData {
  partitionIndex: number;
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
}
