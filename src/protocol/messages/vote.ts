// Vote (API key 52)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const VoteRequestSchema = message('VoteRequest', '0-1', '0+', [
  field('clusterId', 'string', '0+', { nullable: '0+', default: null }),
  field('voterId', 'int32', '1+', { default: -1 }),
  field('topics', '[]', '0+', { of: [
    field('topicName', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('candidateEpoch', 'int32', '0+'),
      field('candidateId', 'int32', '0+'),
      field('candidateDirectoryId', 'uuid', '1+'),
      field('voterDirectoryId', 'uuid', '1+'),
      field('lastOffsetEpoch', 'int32', '0+'),
      field('lastOffset', 'int64', '0+'),
    ] }),
  ] }),
]);

export const VoteResponseSchema = message('VoteResponse', '0-1', '0+', [
  field('errorCode', 'int16', '0+'),
  field('topics', '[]', '0+', { of: [
    field('topicName', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('leaderId', 'int32', '0+'),
      field('leaderEpoch', 'int32', '0+'),
      field('voteGranted', 'bool', '0+'),
    ] }),
  ] }),
  field('nodeEndpoints', '[]', '1+', { tag: 0, tagged: '1+', of: [
    field('nodeId', 'int32', '1+'),
    field('host', 'string', '1+'),
    field('port', 'uint16', '1+'),
  ] }),
]);

export const VoteApi = api(52, VoteRequestSchema, VoteResponseSchema);

export interface VoteRequest {
  clusterId: string | null;
  voterId: number;
  topics: TopicData[];
}
export interface TopicData {
  topicName: string;
  partitions: PartitionData[];
}
export interface PartitionData {
  partitionIndex: number;
  candidateEpoch: number;
  candidateId: number;
  candidateDirectoryId: string;
  voterDirectoryId: string;
  lastOffsetEpoch: number;
  lastOffset: number;
}

export interface VoteResponse {
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
  voteGranted: boolean;
}
