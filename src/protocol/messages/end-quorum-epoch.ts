// EndQuorumEpoch (API key 54)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const EndQuorumEpochRequestSchema = message('EndQuorumEpochRequest', '0-1', '1+', [
  field('clusterId', 'string', '0+', { nullable: '0+', default: null }),
  field('topics', '[]', '0+', { of: [
    field('topicName', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('leaderId', 'int32', '0+'),
      field('leaderEpoch', 'int32', '0+'),
      field('preferredSuccessors', '[]int32', '0'),
      field('preferredCandidates', '[]', '1+', { of: [
        field('candidateId', 'int32', '1+'),
        field('candidateDirectoryId', 'uuid', '1+'),
      ] }),
    ] }),
  ] }),
  field('leaderEndpoints', '[]', '1+', { of: [
    field('name', 'string', '1+'),
    field('host', 'string', '1+'),
    field('port', 'uint16', '1+'),
  ] }),
]);

export const EndQuorumEpochResponseSchema = message('EndQuorumEpochResponse', '0-1', '1+', [
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

export const EndQuorumEpochApi = api(54, EndQuorumEpochRequestSchema, EndQuorumEpochResponseSchema);

export interface EndQuorumEpochRequest {
  clusterId: string | null;
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
  leaderId: number;
  leaderEpoch: number;
  preferredSuccessors: number[];
  preferredCandidates: ReplicaInfo[];
}
export interface ReplicaInfo {
  candidateId: number;
  candidateDirectoryId: string;
}

export interface EndQuorumEpochResponse {
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
