// OffsetFetch (API key 9)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const OffsetFetchRequestSchema = message('OffsetFetchRequest', '0-9', '6+', [
  field('groupId', 'string', '0-7'),
  field('topics', '[]', '0-7', { nullable: '2-7', of: [
    field('name', 'string', '0-7'),
    field('partitionIndexes', '[]int32', '0-7'),
  ] }),
  field('groups', '[]', '8+', { of: [
    field('groupId', 'string', '8+'),
    field('memberId', 'string', '9+', { nullable: '9+', default: null }),
    field('memberEpoch', 'int32', '9+', { default: -1 }),
    field('topics', '[]', '8+', { nullable: '8+', of: [
      field('name', 'string', '8+'),
      field('partitionIndexes', '[]int32', '8+'),
    ] }),
  ] }),
  field('requireStable', 'bool', '7+', { default: false }),
]);

export const OffsetFetchResponseSchema = message('OffsetFetchResponse', '0-9', '6+', [
  field('throttleTimeMs', 'int32', '3+'),
  field('topics', '[]', '0-7', { of: [
    field('name', 'string', '0-7'),
    field('partitions', '[]', '0-7', { of: [
      field('partitionIndex', 'int32', '0-7'),
      field('committedOffset', 'int64', '0-7'),
      field('committedLeaderEpoch', 'int32', '5-7', { default: -1 }),
      field('metadata', 'string', '0-7', { nullable: '0-7' }),
      field('errorCode', 'int16', '0-7'),
    ] }),
  ] }),
  field('errorCode', 'int16', '2-7', { default: 0 }),
  field('groups', '[]', '8+', { of: [
    field('groupId', 'string', '8+'),
    field('topics', '[]', '8+', { of: [
      field('name', 'string', '8+'),
      field('partitions', '[]', '8+', { of: [
        field('partitionIndex', 'int32', '8+'),
        field('committedOffset', 'int64', '8+'),
        field('committedLeaderEpoch', 'int32', '8+', { default: -1 }),
        field('metadata', 'string', '8+', { nullable: '8+' }),
        field('errorCode', 'int16', '8+'),
      ] }),
    ] }),
    field('errorCode', 'int16', '8+', { default: 0 }),
  ] }),
]);

export const OffsetFetchApi = api(9, OffsetFetchRequestSchema, OffsetFetchResponseSchema);

export interface OffsetFetchRequest {
  groupId: string;
  topics: OffsetFetchRequestTopic[] | null;
  groups: OffsetFetchRequestGroup[];
  requireStable: boolean;
}
export interface OffsetFetchRequestGroup {
  groupId: string;
  memberId: string | null;
  memberEpoch: number;
  topics: OffsetFetchRequestTopics[] | null;
}
export interface OffsetFetchRequestTopics {
  name: string;
  partitionIndexes: number[];
}
export interface OffsetFetchRequestTopic {
  name: string;
  partitionIndexes: number[];
}

export interface OffsetFetchResponse {
  throttleTimeMs: number;
  topics: OffsetFetchResponseTopic[];
  errorCode: number;
  groups: OffsetFetchResponseGroup[];
}
export interface OffsetFetchResponseGroup {
  groupId: string;
  topics: OffsetFetchResponseTopics[];
  errorCode: number;
}
export interface OffsetFetchResponseTopics {
  name: string;
  partitions: OffsetFetchResponsePartitions[];
}
export interface OffsetFetchResponsePartitions {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}
export interface OffsetFetchResponseTopic {
  name: string;
  partitions: OffsetFetchResponsePartition[];
}
export interface OffsetFetchResponsePartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  metadata: string | null;
  errorCode: number;
}
