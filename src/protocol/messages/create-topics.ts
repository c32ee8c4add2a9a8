// CreateTopics (API key 19)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const CreateTopicsRequestSchema = message('CreateTopicsRequest', '0-7', '5+', [
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('numPartitions', 'int32', '0+'),
    field('replicationFactor', 'int16', '0+'),
    field('assignments', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('brokerIds', '[]int32', '0+'),
    ] }),
    field('configs', '[]', '0+', { of: [
      field('name', 'string', '0+'),
      field('value', 'string', '0+', { nullable: '0+' }),
    ] }),
  ] }),
  field('timeoutMs', 'int32', '0+', { default: 60000 }),
  field('validateOnly', 'bool', '1+', { default: false }),
]);

export const CreateTopicsResponseSchema = message('CreateTopicsResponse', '0-7', '5+', [
  field('throttleTimeMs', 'int32', '2+'),
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('topicId', 'uuid', '7+'),
    field('errorCode', 'int16', '0+'),
    field('errorMessage', 'string', '1+', { nullable: '0+' }),
    field('topicConfigErrorCode', 'int16', '5+', { tag: 0, tagged: '5+' }),
    field('numPartitions', 'int32', '5+', { default: -1 }),
    field('replicationFactor', 'int16', '5+', { default: -1 }),
    field('configs', '[]', '5+', { nullable: '5+', of: [
      field('name', 'string', '5+'),
      field('value', 'string', '5+', { nullable: '5+' }),
      field('readOnly', 'bool', '5+'),
      field('configSource', 'int8', '5+', { default: -1 }),
      field('isSensitive', 'bool', '5+'),
    ] }),
  ] }),
]);

export const CreateTopicsApi = api(19, CreateTopicsRequestSchema, CreateTopicsResponseSchema);

export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}
export interface CreatableTopic {
  name: string;
  numPartitions: number;
  replicationFactor: number;
  assignments: CreatableReplicaAssignment[];
  configs: CreatableTopicConfig[];
}
export interface CreatableTopicConfig {
  name: string;
  value: string | null;
}
export interface CreatableReplicaAssignment {
  partitionIndex: number;
  brokerIds: number[];
}

export interface CreateTopicsResponse {
  throttleTimeMs: number;
  topics: CreatableTopicResult[];
}
export interface CreatableTopicResult {
  name: string;
  topicId: string;
  errorCode: number;
  errorMessage: string | null;
  topicConfigErrorCode: number;
  numPartitions: number;
  replicationFactor: number;
  configs: CreatableTopicConfigs[] | null;
}
export interface CreatableTopicConfigs {
  name: string;
  value: string | null;
  readOnly: boolean;
  configSource: number;
  isSensitive: boolean;
}
