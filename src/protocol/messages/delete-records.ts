// DeleteRecords (API key 21)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const DeleteRecordsRequestSchema = message('DeleteRecordsRequest', '0-2', '2+', [
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('offset', 'int64', '0+'),
    ] }),
  ] }),
  field('timeoutMs', 'int32', '0+'),
]);

export const DeleteRecordsResponseSchema = message('DeleteRecordsResponse', '0-2', '2+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('lowWatermark', 'int64', '0+'),
      field('errorCode', 'int16', '0+'),
    ] }),
  ] }),
]);

export const DeleteRecordsApi = api(21, DeleteRecordsRequestSchema, DeleteRecordsResponseSchema);

export interface DeleteRecordsRequest {
  topics: DeleteRecordsTopic[];
  timeoutMs: number;
}
export interface DeleteRecordsTopic {
  name: string;
  partitions: DeleteRecordsPartition[];
}
export interface DeleteRecordsPartition {
  partitionIndex: number;
  offset: number;
}

export interface DeleteRecordsResponse {
  throttleTimeMs: number;
  topics: DeleteRecordsTopicResult[];
}
export interface DeleteRecordsTopicResult {
  name: string;
  partitions: DeleteRecordsPartitionResult[];
}
export interface DeleteRecordsPartitionResult {
  partitionIndex: number;
  lowWatermark: number;
  errorCode: number;
}
