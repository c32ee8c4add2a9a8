// DescribeTopicPartitions (API key 75)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const DescribeTopicPartitionsRequestSchema = message('DescribeTopicPartitionsRequest', '0', '0+', [
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
  ] }),
  field('responsePartitionLimit', 'int32', '0+', { default: 2000 }),
  field('cursor', '{}', '0+', { nullable: '0+', default: null, of: [
    field('topicName', 'string', '0+'),
    field('partitionIndex', 'int32', '0+'),
  ] }),
]);

export const DescribeTopicPartitionsResponseSchema = message('DescribeTopicPartitionsResponse', '0', '0+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('topics', '[]', '0+', { of: [
    field('errorCode', 'int16', '0+'),
    field('name', 'string', '0+', { nullable: '0+' }),
    field('topicId', 'uuid', '0+'),
    field('isInternal', 'bool', '0+', { default: false }),
    field('partitions', '[]', '0+', { of: [
      field('errorCode', 'int16', '0+'),
      field('partitionIndex', 'int32', '0+'),
      field('leaderId', 'int32', '0+'),
      field('leaderEpoch', 'int32', '0+', { default: -1 }),
      field('replicaNodes', '[]int32', '0+'),
      field('isrNodes', '[]int32', '0+'),
      field('eligibleLeaderReplicas', '[]int32', '0+', { nullable: '0+' }),
      field('lastKnownElr', '[]int32', '0+', { nullable: '0+' }),
      field('offlineReplicas', '[]int32', '0+'),
    ] }),
    field('topicAuthorizedOperations', 'int32', '0+', { default: -2147483648 }),
  ] }),
  field('nextCursor', '{}', '0+', { nullable: '0+', default: null, of: [
    field('topicName', 'string', '0+'),
    field('partitionIndex', 'int32', '0+'),
  ] }),
]);

export const DescribeTopicPartitionsApi = api(75, DescribeTopicPartitionsRequestSchema, DescribeTopicPartitionsResponseSchema);

export interface DescribeTopicPartitionsRequest {
  topics: TopicRequest[];
  responsePartitionLimit: number;
  cursor: Cursor | null;
}
export interface Cursor {
  topicName: string;
  partitionIndex: number;
}
export interface TopicRequest {
  name: string;
}

export interface DescribeTopicPartitionsResponse {
  throttleTimeMs: number;
  topics: DescribeTopicPartitionsResponseTopic[];
  nextCursor: ResponseCursor | null;
}
export interface ResponseCursor {
  topicName: string;
  partitionIndex: number;
}
export interface DescribeTopicPartitionsResponseTopic {
  errorCode: number;
  name: string | null;
  topicId: string;
  isInternal: boolean;
  partitions: DescribeTopicPartitionsResponsePartition[];
  topicAuthorizedOperations: number;
}
export interface DescribeTopicPartitionsResponsePartition {
  errorCode: number;
  partitionIndex: number;
  leaderId: number;
  leaderEpoch: number;
  replicaNodes: number[];
  isrNodes: number[];
  eligibleLeaderReplicas: number[] | null;
  lastKnownElr: number[] | null;
  offlineReplicas: number[];
}
