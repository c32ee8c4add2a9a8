// ElectLeaders (API key 43)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const ElectLeadersRequestSchema = message('ElectLeadersRequest', '0-2', '2+', [
  field('electionType', 'int8', '1+'),
  field('topicPartitions', '[]', '0+', { nullable: '0+', of: [
    field('topic', 'string', '0+'),
    field('partitions', '[]int32', '0+'),
  ] }),
  field('timeoutMs', 'int32', '0+', { default: 60000 }),
]);

export const ElectLeadersResponseSchema = message('ElectLeadersResponse', '0-2', '2+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '1+'),
  field('replicaElectionResults', '[]', '0+', { of: [
    field('topic', 'string', '0+'),
    field('partitionResult', '[]', '0+', { of: [
      field('partitionId', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '0+', { nullable: '0+' }),
    ] }),
  ] }),
]);

export const ElectLeadersApi = api(43, ElectLeadersRequestSchema, ElectLeadersResponseSchema);

export interface ElectLeadersRequest {
  electionType: number;
  topicPartitions: TopicPartitions[] | null;
  timeoutMs: number;
}
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface ElectLeadersResponse {
  throttleTimeMs: number;
  errorCode: number;
  replicaElectionResults: ReplicaElectionResult[];
}
export interface ReplicaElectionResult {
  topic: string;
  partitionResult: PartitionResult[];
}
export interface PartitionResult {
  partitionId: number;
  errorCode: number;
  errorMessage: string | null;
}
