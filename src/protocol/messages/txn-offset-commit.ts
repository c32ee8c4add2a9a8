// TxnOffsetCommit (API key 28)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const TxnOffsetCommitRequestSchema = message('TxnOffsetCommitRequest', '0-4', '3+', [
  field('transactionalId', 'string', '0+'),
  field('groupId', 'string', '0+'),
  field('producerId', 'int64', '0+'),
  field('producerEpoch', 'int16', '0+'),
  field('generationId', 'int32', '3+', { default: -1 }),
  field('memberId', 'string', '3+', { default: "" }),
  field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('committedOffset', 'int64', '0+'),
      field('committedLeaderEpoch', 'int32', '2+', { default: -1 }),
      field('committedMetadata', 'string', '0+', { nullable: '0+' }),
    ] }),
  ] }),
]);

export const TxnOffsetCommitResponseSchema = message('TxnOffsetCommitResponse', '0-4', '3+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
    ] }),
  ] }),
]);

export const TxnOffsetCommitApi = api(28, TxnOffsetCommitRequestSchema, TxnOffsetCommitResponseSchema);

export interface TxnOffsetCommitRequest {
  transactionalId: string;
  groupId: string;
  producerId: number;
  producerEpoch: number;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  topics: TxnOffsetCommitRequestTopic[];
}
export interface TxnOffsetCommitRequestTopic {
  name: string;
  partitions: TxnOffsetCommitRequestPartition[];
}
export interface TxnOffsetCommitRequestPartition {
  partitionIndex: number;
  committedOffset: number;
  committedLeaderEpoch: number;
  committedMetadata: string | null;
}

export interface TxnOffsetCommitResponse {
  throttleTimeMs: number;
  topics: TxnOffsetCommitResponseTopic[];
}
export interface TxnOffsetCommitResponseTopic {
  name: string;
  partitions: TxnOffsetCommitResponsePartition[];
}
export interface TxnOffsetCommitResponsePartition {
  partitionIndex: number;
  errorCode: number;
}
