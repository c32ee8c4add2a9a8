// OffsetForLeaderEpoch (API key 23)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const OffsetForLeaderEpochRequestSchema = message('OffsetForLeaderEpochRequest', '0-4', '4+', [
  field('replicaId', 'int32', '3+', { default: -2 }),
  field('topics', '[]', '0+', { of: [
    field('topic', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partition', 'int32', '0+'),
      field('currentLeaderEpoch', 'int32', '2+', { default: -1 }),
      field('leaderEpoch', 'int32', '0+'),
    ] }),
  ] }),
]);

export const OffsetForLeaderEpochResponseSchema = message('OffsetForLeaderEpochResponse', '0-4', '4+', [
  field('throttleTimeMs', 'int32', '2+'),
  field('topics', '[]', '0+', { of: [
    field('topic', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('errorCode', 'int16', '0+'),
      field('partition', 'int32', '0+'),
      field('leaderEpoch', 'int32', '1+', { default: -1 }),
      field('endOffset', 'int64', '0+', { default: -1 }),
    ] }),
  ] }),
]);

export const OffsetForLeaderEpochApi = api(23, OffsetForLeaderEpochRequestSchema, OffsetForLeaderEpochResponseSchema);

export interface OffsetForLeaderEpochRequest {
  replicaId: number;
  topics: OffsetForLeaderTopic[];
}
export interface OffsetForLeaderTopic {
  topic: string;
  partitions: OffsetForLeaderPartition[];
}
export interface OffsetForLeaderPartition {
  partition: number;
  currentLeaderEpoch: number;
  leaderEpoch: number;
}

export interface OffsetForLeaderEpochResponse {
  throttleTimeMs: number;
  topics: OffsetForLeaderTopicResult[];
}
export interface OffsetForLeaderTopicResult {
  topic: string;
  partitions: EpochEndOffset[];
}
export interface EpochEndOffset {
  errorCode: number;
  partition: number;
  leaderEpoch: number;
  endOffset: number;
}
