// Fetch (API key 1)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';
import type { Records } from '../schema/records.js';

export const FetchRequestSchema = message('FetchRequest', '0-17', '12+', [
  field('clusterId', 'string', '12+', { nullable: '12+', tag: 0, tagged: '12+', default: null }),
  field('replicaId', 'int32', '0-14', { default: -1 }),
  field('replicaState', '{}', '15+', { tag: 1, tagged: '15+', of: [
    field('replicaId', 'int32', '15+', { default: -1 }),
    field('replicaEpoch', 'int64', '15+', { default: -1 }),
  ] }),
  field('maxWaitMs', 'int32', '0+'),
  field('minBytes', 'int32', '0+'),
  field('maxBytes', 'int32', '3+', { default: 2147483647 }),
  field('isolationLevel', 'int8', '4+', { default: 0 }),
  field('sessionId', 'int32', '7+', { default: 0 }),
  field('sessionEpoch', 'int32', '7+', { default: -1 }),
  field('topics', '[]', '0+', { of: [
    field('topic', 'string', '0-12'),
    field('topicId', 'uuid', '13+'),
    field('partitions', '[]', '0+', { of: [
      field('partition', 'int32', '0+'),
      field('currentLeaderEpoch', 'int32', '9+', { default: -1 }),
      field('fetchOffset', 'int64', '0+'),
      field('lastFetchedEpoch', 'int32', '12+', { default: -1 }),
      field('logStartOffset', 'int64', '5+', { default: -1 }),
      field('partitionMaxBytes', 'int32', '0+'),
      field('replicaDirectoryId', 'uuid', '17+', { tag: 0, tagged: '17+' }),
    ] }),
  ] }),
  field('forgottenTopicsData', '[]', '7+', { of: [
    field('topic', 'string', '7-12'),
    field('topicId', 'uuid', '13+'),
    field('partitions', '[]int32', '7+'),
  ] }),
  field('rackId', 'string', '11+', { default: "" }),
]);

export const FetchResponseSchema = message('FetchResponse', '0-17', '12+', [
  field('throttleTimeMs', 'int32', '1+'),
  field('errorCode', 'int16', '7+'),
  field('sessionId', 'int32', '7+', { default: 0 }),
  field('responses', '[]', '0+', { of: [
    field('topic', 'string', '0-12'),
    field('topicId', 'uuid', '13+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('highWatermark', 'int64', '0+'),
      field('lastStableOffset', 'int64', '4+', { default: -1 }),
      field('logStartOffset', 'int64', '5+', { default: -1 }),
      field('divergingEpoch', '{}', '12+', { tag: 0, tagged: '12+', of: [
        field('epoch', 'int32', '12+', { default: -1 }),
        field('endOffset', 'int64', '12+', { default: -1 }),
      ] }),
      field('currentLeader', '{}', '12+', { tag: 1, tagged: '12+', of: [
        field('leaderId', 'int32', '12+', { default: -1 }),
        field('leaderEpoch', 'int32', '12+', { default: -1 }),
      ] }),
      field('snapshotId', '{}', '12+', { tag: 2, tagged: '12+', of: [
        field('endOffset', 'int64', '0+', { default: -1 }),
        field('epoch', 'int32', '0+', { default: -1 }),
      ] }),
      field('abortedTransactions', '[]', '4+', { nullable: '4+', of: [
        field('producerId', 'int64', '4+'),
        field('firstOffset', 'int64', '4+'),
      ] }),
      field('preferredReadReplica', 'int32', '11+', { default: -1 }),
      field('records', 'records', '0+', { nullable: '0+' }),
    ] }),
  ] }),
  field('nodeEndpoints', '[]', '16+', { tag: 0, tagged: '16+', of: [
    field('nodeId', 'int32', '16+'),
    field('host', 'string', '16+'),
    field('port', 'int32', '16+'),
    field('rack', 'string', '16+', { nullable: '16+', default: null }),
  ] }),
]);

export const FetchApi = api(1, FetchRequestSchema, FetchResponseSchema);

export interface FetchRequest {
  clusterId: string | null;
  replicaId: number;
  replicaState: ReplicaState;
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: FetchTopic[];
  forgottenTopicsData: ForgottenTopic[];
  rackId: string;
}
export interface ForgottenTopic {
  topic: string;
  topicId: string;
  partitions: number[];
}
export interface FetchTopic {
  topic: string;
  topicId: string;
  partitions: FetchPartition[];
}
export interface FetchPartition {
  partition: number;
  currentLeaderEpoch: number;
  fetchOffset: number;
  lastFetchedEpoch: number;
  logStartOffset: number;
  partitionMaxBytes: number;
  replicaDirectoryId: string;
}
export interface ReplicaState {
  replicaId: number;
  replicaEpoch: number;
}

export interface FetchResponse {
  throttleTimeMs: number;
  errorCode: number;
  sessionId: number;
  responses: FetchableTopicResponse[];
  nodeEndpoints: NodeEndpoint[];
}
export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}
export interface FetchableTopicResponse {
  topic: string;
  topicId: string;
  partitions: PartitionData[];
}
export interface PartitionData {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  divergingEpoch: EpochEndOffset;
  currentLeader: LeaderIdAndEpoch;
  snapshotId: SnapshotId;
  abortedTransactions: AbortedTransaction[] | null;
  preferredReadReplica: number;
  records: Records | null;
}
export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}
export interface SnapshotId {
  endOffset: number;
  epoch: number;
}
export interface LeaderIdAndEpoch {
  leaderId: number;
  leaderEpoch: number;
}
export interface EpochEndOffset {
  epoch: number;
  endOffset: number;
}
