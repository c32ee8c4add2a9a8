// OffsetDelete (API key 47)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const OffsetDeleteRequestSchema = message('OffsetDeleteRequest', '0', 'none', [
  field('groupId', 'string', '0+'),
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
    ] }),
  ] }),
]);

export const OffsetDeleteResponseSchema = message('OffsetDeleteResponse', '0', 'none', [
  field('errorCode', 'int16', '0+'),
  field('throttleTimeMs', 'int32', '0+'),
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
    ] }),
  ] }),
]);

export const OffsetDeleteApi = api(47, OffsetDeleteRequestSchema, OffsetDeleteResponseSchema);

export interface OffsetDeleteRequest {
  groupId: string;
  topics: OffsetDeleteRequestTopic[];
}
export interface OffsetDeleteRequestTopic {
  name: string;
  partitions: OffsetDeleteRequestPartition[];
}
export interface OffsetDeleteRequestPartition {
  partitionIndex: number;
}

export interface OffsetDeleteResponse {
  errorCode: number;
  throttleTimeMs: number;
  topics: OffsetDeleteResponseTopic[];
}
export interface OffsetDeleteResponseTopic {
  name: string;
  partitions: OffsetDeleteResponsePartition[];
}
export interface OffsetDeleteResponsePartition {
  partitionIndex: number;
  errorCode: number;
}
