// DeleteTopics (API key 20)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const DeleteTopicsRequestSchema = message('DeleteTopicsRequest', '0-6', '4+', [
  field('topics', '[]', '6+', { of: [
    field('name', 'string', '6+', { nullable: '6+', default: null }),
    field('topicId', 'uuid', '6+'),
  ] }),
  field('topicNames', '[]string', '0-5'),
  field('timeoutMs', 'int32', '0+'),
]);

export const DeleteTopicsResponseSchema = message('DeleteTopicsResponse', '0-6', '4+', [
  field('throttleTimeMs', 'int32', '1+'),
  field('responses', '[]', '0+', { of: [
    field('name', 'string', '0+', { nullable: '6+' }),
    field('topicId', 'uuid', '6+'),
    field('errorCode', 'int16', '0+'),
    field('errorMessage', 'string', '5+', { nullable: '5+', default: null }),
  ] }),
]);

export const DeleteTopicsApi = api(20, DeleteTopicsRequestSchema, DeleteTopicsResponseSchema);

export interface DeleteTopicsRequest {
  topics: DeleteTopicState[];
  topicNames: string[];
  timeoutMs: number;
}
export interface DeleteTopicState {
  name: string | null;
  topicId: string;
}

export interface DeleteTopicsResponse {
  throttleTimeMs: number;
  responses: DeletableTopicResult[];
}
export interface DeletableTopicResult {
  name: string | null;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
}
