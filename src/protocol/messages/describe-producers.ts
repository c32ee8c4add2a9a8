// DescribeProducers (API key 61)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const DescribeProducersRequestSchema = message('DescribeProducersRequest', '0', '0+', [
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitionIndexes', '[]int32', '0+'),
  ] }),
]);

export const DescribeProducersResponseSchema = message('DescribeProducersResponse', '0', '0+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('topics', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('errorMessage', 'string', '0+', { nullable: '0+', default: null }),
      field('activeProducers', '[]', '0+', { of: [
        field('producerId', 'int64', '0+'),
        field('producerEpoch', 'int32', '0+'),
        field('lastSequence', 'int32', '0+', { default: -1 }),
        field('lastTimestamp', 'int64', '0+', { default: -1 }),
        field('coordinatorEpoch', 'int32', '0+'),
        field('currentTxnStartOffset', 'int64', '0+', { default: -1 }),
      ] }),
    ] }),
  ] }),
]);

export const DescribeProducersApi = api(61, DescribeProducersRequestSchema, DescribeProducersResponseSchema);

export interface DescribeProducersRequest {
  topics: TopicRequest[];
}
export interface TopicRequest {
  name: string;
  partitionIndexes: number[];
}

export interface DescribeProducersResponse {
  throttleTimeMs: number;
  topics: TopicResponse[];
}
export interface TopicResponse {
  name: string;
  partitions: PartitionResponse[];
}
export interface PartitionResponse {
  partitionIndex: number;
  errorCode: number;
  errorMessage: string | null;
  activeProducers: ProducerState[];
}
export interface ProducerState {
  producerId: number;
  producerEpoch: number;
  lastSequence: number;
  lastTimestamp: number;
  coordinatorEpoch: number;
  currentTxnStartOffset: number;
}
