// FetchSnapshot (API key 59)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';
import type { Records } from '../schema/records.js';

export const FetchSnapshotRequestSchema = message('FetchSnapshotRequest', '0-1', '0+', [
  field('clusterId', 'string', '0+', { nullable: '0+', tag: 0, tagged: '0+', default: null }),
  field('replicaId', 'int32', '0+', { default: -1 }),
  field('maxBytes', 'int32', '0+', { default: 2147483647 }),
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partition', 'int32', '0+'),
      field('currentLeaderEpoch', 'int32', '0+'),
      field('snapshotId', '{}', '0+', { of: [
        field('endOffset', 'int64', '0+'),
        field('epoch', 'int32', '0+'),
      ] }),
      field('position', 'int64', '0+'),
      field('replicaDirectoryId', 'uuid', '1+', { tag: 0, tagged: '1+' }),
    ] }),
  ] }),
]);

export const FetchSnapshotResponseSchema = message('FetchSnapshotResponse', '0-1', '0+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '0+'),
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('index', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('snapshotId', '{}', '0+', { of: [
        field('endOffset', 'int64', '0+'),
        field('epoch', 'int32', '0+'),
      ] }),
      field('currentLeader', '{}', '0+', { tag: 0, tagged: '0+', of: [
        field('leaderId', 'int32', '0+'),
        field('leaderEpoch', 'int32', '0+'),
      ] }),
      field('size', 'int64', '0+'),
      field('position', 'int64', '0+'),
      field('unalignedRecords', 'records', '0+'),
    ] }),
  ] }),
  field('nodeEndpoints', '[]', '1+', { tag: 0, tagged: '1+', of: [
    field('nodeId', 'int32', '1+'),
    field('host', 'string', '1+'),
    field('port', 'uint16', '1+'),
  ] }),
]);

export const FetchSnapshotApi = api(59, FetchSnapshotRequestSchema, FetchSnapshotResponseSchema);

export interface FetchSnapshotRequest {
  clusterId: string | null;
  replicaId: number;
  maxBytes: number;
  topics: TopicSnapshot[];
}
export interface TopicSnapshot {
  name: string;
  partitions: PartitionSnapshot[];
}
export interface PartitionSnapshot {
  partition: number;
  currentLeaderEpoch: number;
  snapshotId: SnapshotId;
  position: number;
  replicaDirectoryId: string;
}
export interface SnapshotId {
  endOffset: number;
  epoch: number;
}

export interface FetchSnapshotResponse {
  throttleTimeMs: number;
  errorCode: number;
  topics: ResponseTopicSnapshot[];
  nodeEndpoints: NodeEndpoint[];
}
export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
}
export interface ResponseTopicSnapshot {
  name: string;
  partitions: ResponsePartitionSnapshot[];
}
export interface ResponsePartitionSnapshot {
  index: number;
  errorCode: number;
  snapshotId: ResponseSnapshotId;
  currentLeader: LeaderIdAndEpoch;
  size: number;
  position: number;
  unalignedRecords: Records;
}
export interface LeaderIdAndEpoch {
  leaderId: number;
  leaderEpoch: number;
}
export interface ResponseSnapshotId {
  endOffset: number;
  epoch: number;
}
