// OffsetCommit (API key 8)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const OffsetCommitRequestSchema = message('OffsetCommitRequest', '0-9', '8+', [
  field('groupId', 'string', '0+'),
  field('generationIdOrMemberEpoch', 'int32', '1+', { default: -1 }),
  field('memberId', 'string', '1+'),
  field('groupInstanceId', 'string', '7+', { nullable: '7+', default: null }),
  field('retentionTimeMs', 'int64', '2-4', { default: -1 }),
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('committedOffset', 'int64', '0+'),
      field('committedLeaderEpoch', 'int32', '6+', { default: -1 }),
      field('commitTimestamp', 'int64', '1', { default: -1 }),
      field('committedMetadata', 'string', '0+', { nullable: '0+' }),
    ] }),
  ] }),
]);

export const OffsetCommitResponseSchema = message('OffsetCommitResponse', '0-9', '8+', [
  field('throttleTimeMs', 'int32', '3+'),
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
    ] }),
  ] }),
]);

export const OffsetCommitApi = api(8, OffsetCommitRequestSchema, OffsetCommitResponseSchema);

export interface OffsetCommitRequest {
  groupId: string;
  generationIdOrMemberEpoch: number;
  memberId: string;
  groupInstanceId: string | null;
  retentionTimeMs: number;
  topics: OffsetCommitRequestTopic[];
}
export interface OffsetCommitRequestTopic {
  name: string;
  partitions: OffsetCommitRequestPartition[];
}
export interface OffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  commitTimestamp: number;
  committedMetadata: string | null;
}

export interface OffsetCommitResponse {
  throttleTimeMs: number;
  topics: OffsetCommitResponseTopic[];
}
export interface OffsetCommitResponseTopic {
  name: string;
  partitions: OffsetCommitResponsePartition[];
}
export interface OffsetCommitResponsePartition {
  partitionIndex: number;
  errorCode: number;
}
