// DescribeQuorum (API key 55)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const DescribeQuorumRequestSchema = message('DescribeQuorumRequest', '0-2', '0+', [
  field('topics', '[]', '0+', { of: [
    field('topicName', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
    ] }),
  ] }),
]);

export const DescribeQuorumResponseSchema = message('DescribeQuorumResponse', '0-2', '0+', [
  field('errorCode', 'int16', '0+'),
  field('errorMessage', 'string', '2+', { nullable: '2+' }),
  field('topics', '[]', '0+', { of: [
    field('topicName', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '2+', { nullable: '2+' }),
      field('leaderId', 'int32', '0+'),
      field('leaderEpoch', 'int32', '0+'),
      field('highWatermark', 'int64', '0+'),
      field('currentVoters', '[]', '0+', { of: [
        field('replicaId', 'int32', '0+'),
        field('replicaDirectoryId', 'uuid', '2+'),
        field('logEndOffset', 'int64', '0+'),
        field('lastFetchTimestamp', 'int64', '1+', { default: -1 }),
        field('lastCaughtUpTimestamp', 'int64', '1+', { default: -1 }),
      ] }),
      field('observers', '[]', '0+', { of: [
        field('replicaId', 'int32', '0+'),
        field('replicaDirectoryId', 'uuid', '2+'),
        field('logEndOffset', 'int64', '0+'),
        field('lastFetchTimestamp', 'int64', '1+', { default: -1 }),
        field('lastCaughtUpTimestamp', 'int64', '1+', { default: -1 }),
      ] }),
    ] }),
  ] }),
  field('nodes', '[]', '2+', { of: [
    field('nodeId', 'int32', '2+'),
    field('listeners', '[]', '2+', { of: [
      field('name', 'string', '2+'),
      field('host', 'string', '2+'),
      field('port', 'uint16', '2+'),
    ] }),
  ] }),
]);

export const DescribeQuorumApi = api(55, DescribeQuorumRequestSchema, DescribeQuorumResponseSchema);

export interface DescribeQuorumRequest {
  topics: TopicData[];
}
export interface TopicData {
  topicName: string;
  partitions: PartitionData[];
}
export interface PartitionData {
  partitionIndex: number;
}

export interface DescribeQuorumResponse {
  errorCode: number;
  errorMessage: string | null;
  topics: ResponseTopicData[];
  nodes: Node[];
}
export interface Node {
  nodeId: number;
  listeners: Listener[];
}
export interface Listener {
  name: string;
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
  errorMessage: string | null;
  leaderId: number;
  leaderEpoch: number;
  highWatermark: number;
  currentVoters: ReplicaState[];
  observers: ResponseReplicaState[];
}
export interface ResponseReplicaState {
  replicaId: number;
  replicaDirectoryId: string;
  logEndOffset: number;
  lastFetchTimestamp: number;
  lastCaughtUpTimestamp: number;
}
export interface ReplicaState {
  replicaId: number;
  replicaDirectoryId: string;
  logEndOffset: number;
  lastFetchTimestamp: number;
  lastCaughtUpTimestamp: number;
}
