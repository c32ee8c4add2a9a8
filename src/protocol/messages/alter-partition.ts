// AlterPartition (API key 56)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const AlterPartitionRequestSchema = message('AlterPartitionRequest', '0-3', '0+', [
  field('brokerId', 'int32', '0+'),
  field('brokerEpoch', 'int64', '0+', { default: -1 }),
  field('topics', '[]', '0+', { of: [
    field('topicName', 'string', '0-1'),
    field('topicId', 'uuid', '2+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('leaderEpoch', 'int32', '0+'),
      field('newIsr', '[]int32', '0-2'),
      field('newIsrWithEpochs', '[]', '3+', { of: [
        field('brokerId', 'int32', '3+'),
        field('brokerEpoch', 'int64', '3+', { default: -1 }),
      ] }),
      field('leaderRecoveryState', 'int8', '1+', { default: 0 }),
      field('partitionEpoch', 'int32', '0+'),
    ] }),
  ] }),
]);

export const AlterPartitionResponseSchema = message('AlterPartitionResponse', '0-3', '0+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '0+'),
  field('topics', '[]', '0+', { of: [
    field('topicName', 'string', '0-1'),
    field('topicId', 'uuid', '2+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('leaderId', 'int32', '0+'),
      field('leaderEpoch', 'int32', '0+'),
      field('isr', '[]int32', '0+'),
      field('leaderRecoveryState', 'int8', '1+', { default: 0 }),
      field('partitionEpoch', 'int32', '0+'),
    ] }),
  ] }),
]);

export const AlterPartitionApi = api(56, AlterPartitionRequestSchema, AlterPartitionResponseSchema);

export interface AlterPartitionRequest {
  brokerId: number;
  brokerEpoch: number;
  topics: TopicData[];
}
export interface TopicData {
  topicName: string;
  topicId: string;
  partitions: PartitionData[];
}
export interface PartitionData {
  partitionIndex: number;
  leaderEpoch: number;
  newIsr: number[];
  newIsrWithEpochs: BrokerState[];
  leaderRecoveryState: number;
  partitionEpoch: number;
}
export interface BrokerState {
  brokerId: number;
  brokerEpoch: number;
}

export interface AlterPartitionResponse {
  throttleTimeMs: number;
  errorCode: number;
  topics: ResponseTopicData[];
}
export interface ResponseTopicData {
  topicName: string;
  topicId: string;
  partitions: ResponsePartitionData[];
}
export interface ResponsePartitionData {
  partitionIndex: number;
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
  isr: number[];
  leaderRecoveryState: number;
  partitionEpoch: number;
}
