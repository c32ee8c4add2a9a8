// AlterPartitionReassignments (API key 45)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const AlterPartitionReassignmentsRequestSchema = message('AlterPartitionReassignmentsRequest', '0', '0+', [
  field('timeoutMs', 'int32', '0+', { default: 60000 }),
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('replicas', '[]int32', '0+', { nullable: '0+' }),
    ] }),
  ] }),
]);

export const AlterPartitionReassignmentsResponseSchema = message('AlterPartitionReassignmentsResponse', '0', '0+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '0+'),
  field('errorMessage', 'string', '0+', { nullable: '0+' }),
  field('responses', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '0+', { nullable: '0+' }),
    ] }),
  ] }),
]);

export const AlterPartitionReassignmentsApi = api(45, AlterPartitionReassignmentsRequestSchema, AlterPartitionReassignmentsResponseSchema);

export interface AlterPartitionReassignmentsRequest {
  timeoutMs: number;
  topics: ReassignableTopic[];
}
export interface ReassignableTopic {
  name: string;
  partitions: ReassignablePartition[];
}
export interface ReassignablePartition {
  partitionIndex: number;
  replicas: number[] | null;
}

export interface AlterPartitionReassignmentsResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  responses: ReassignableTopicResponse[];
}
export interface ReassignableTopicResponse {
  name: string;
  partitions: ReassignablePartitionResponse[];
}
export interface ReassignablePartitionResponse {
  partitionIndex: number;
  errorCode: number;
  errorMessage: string | null;
}
