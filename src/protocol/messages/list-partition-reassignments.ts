// ListPartitionReassignments (API key 46)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const ListPartitionReassignmentsRequestSchema = message('ListPartitionReassignmentsRequest', '0', '0+', [
  field('timeoutMs', 'int32', '0+', { default: 60000 }),
  field('topics', '[]', '0+', { nullable: '0+', of: [
    field('name', 'string', '0+'),
    field('partitionIndexes', '[]int32', '0+'),
  ] }),
]);

export const ListPartitionReassignmentsResponseSchema = message('ListPartitionReassignmentsResponse', '0', '0+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '0+'),
  field('errorMessage', 'string', '0+', { nullable: '0+' }),
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('replicas', '[]int32', '0+'),
      field('addingReplicas', '[]int32', '0+'),
      field('removingReplicas', '[]int32', '0+'),
    ] }),
  ] }),
]);

export const ListPartitionReassignmentsApi = api(46, ListPartitionReassignmentsRequestSchema, ListPartitionReassignmentsResponseSchema);

export interface ListPartitionReassignmentsRequest {
  timeoutMs: number;
  topics: ListPartitionReassignmentsTopics[] | null;
}
export interface ListPartitionReassignmentsTopics {
  name: string;
  partitionIndexes: number[];
}

export interface ListPartitionReassignmentsResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  topics: OngoingTopicReassignment[];
}
export interface OngoingTopicReassignment {
  name: string;
  partitions: OngoingPartitionReassignment[];
}
export interface OngoingPartitionReassignment {
  partitionIndex: number;
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}
