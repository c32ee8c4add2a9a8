// CreatePartitions (API key 37)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const CreatePartitionsRequestSchema = message('CreatePartitionsRequest', '0-3', '2+', [
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('count', 'int32', '0+'),
    field('assignments', '[]', '0+', { nullable: '0+', of: [
      field('brokerIds', '[]int32', '0+'),
    ] }),
  ] }),
  field('timeoutMs', 'int32', '0+'),
  field('validateOnly', 'bool', '0+'),
]);

export const CreatePartitionsResponseSchema = message('CreatePartitionsResponse', '0-3', '2+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('results', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('errorCode', 'int16', '0+'),
    field('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
  ] }),
]);

export const CreatePartitionsApi = api(37, CreatePartitionsRequestSchema, CreatePartitionsResponseSchema);

export interface CreatePartitionsRequest {
  topics: CreatePartitionsTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}
export interface CreatePartitionsTopic {
  name: string;
  count: number;
  assignments: CreatePartitionsAssignment[] | null;
}
export interface CreatePartitionsAssignment {
  brokerIds: number[];
}

export interface CreatePartitionsResponse {
  throttleTimeMs: number;
  results: CreatePartitionsTopicResult[];
}
export interface CreatePartitionsTopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}
