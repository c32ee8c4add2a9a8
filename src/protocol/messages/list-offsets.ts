// ListOffsets (API key 2)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const ListOffsetsRequestSchema = message('ListOffsetsRequest', '0-10', '6+', [
  field('replicaId', 'int32', '0+'),
  field('isolationLevel', 'int8', '2+'),
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('currentLeaderEpoch', 'int32', '4+', { default: -1 }),
      field('timestamp', 'int64', '0+'),
      field('maxNumOffsets', 'int32', '0', { default: 1 }),
    ] }),
  ] }),
  field('timeoutMs', 'int32', '10+'),
]);

export const ListOffsetsResponseSchema = message('ListOffsetsResponse', '0-10', '6+', [
  field('throttleTimeMs', 'int32', '2+'),
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('oldStyleOffsets', '[]int64', '0'),
      field('timestamp', 'int64', '1+', { default: -1 }),
      field('offset', 'int64', '1+', { default: -1 }),
      field('leaderEpoch', 'int32', '4+', { default: -1 }),
    ] }),
  ] }),
]);

export const ListOffsetsApi = api(2, ListOffsetsRequestSchema, ListOffsetsResponseSchema);

export interface ListOffsetsRequest {
  replicaId: number;
  isolationLevel: number;
  topics: ListOffsetsTopic[];
  timeoutMs: number;
}
export interface ListOffsetsTopic {
  name: string;
  partitions: ListOffsetsPartition[];
}
export interface ListOffsetsPartition {
  partitionIndex: number;
  currentLeaderEpoch: number;
  timestamp: number;
  maxNumOffsets: number;
}

export interface ListOffsetsResponse {
  throttleTimeMs: number;
  topics: ListOffsetsTopicResponse[];
}
export interface ListOffsetsTopicResponse {
  name: string;
  partitions: ListOffsetsPartitionResponse[];
}
export interface ListOffsetsPartitionResponse {
  partitionIndex: number;
  errorCode: number;
  oldStyleOffsets: number[];
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}
