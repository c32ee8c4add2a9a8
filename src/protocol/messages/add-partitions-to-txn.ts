// AddPartitionsToTxn (API key 24)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const AddPartitionsToTxnRequestSchema = message('AddPartitionsToTxnRequest', '0-5', '3+', [
  field('transactions', '[]', '4+', { of: [
    field('transactionalId', 'string', '4+'),
    field('producerId', 'int64', '4+'),
    field('producerEpoch', 'int16', '4+'),
    field('verifyOnly', 'bool', '4+', { default: false }),
    field('topics', '[]', '4+', { of: [
      field('name', 'string', '0+'),
      field('partitions', '[]int32', '0+'),
    ] }),
  ] }),
  field('v3AndBelowTransactionalId', 'string', '0-3'),
  field('v3AndBelowProducerId', 'int64', '0-3'),
  field('v3AndBelowProducerEpoch', 'int16', '0-3'),
  field('v3AndBelowTopics', '[]', '0-3', { of: [
    field('name', 'string', '0+'),
    field('partitions', '[]int32', '0+'),
  ] }),
]);

export const AddPartitionsToTxnResponseSchema = message('AddPartitionsToTxnResponse', '0-5', '3+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '4+'),
  field('resultsByTransaction', '[]', '4+', { of: [
    field('transactionalId', 'string', '4+'),
    field('topicResults', '[]', '4+', { of: [
      field('name', 'string', '0+'),
      field('resultsByPartition', '[]', '0+', { of: [
        field('partitionIndex', 'int32', '0+'),
        field('partitionErrorCode', 'int16', '0+'),
      ] }),
    ] }),
  ] }),
  field('resultsByTopicV3AndBelow', '[]', '0-3', { of: [
    field('name', 'string', '0+'),
    field('resultsByPartition', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('partitionErrorCode', 'int16', '0+'),
    ] }),
  ] }),
]);

export const AddPartitionsToTxnApi = api(24, AddPartitionsToTxnRequestSchema, AddPartitionsToTxnResponseSchema);

export interface AddPartitionsToTxnRequest {
  transactions: AddPartitionsToTxnTransaction[];
  v3AndBelowTransactionalId: string;
  v3AndBelowProducerId: number;
  v3AndBelowProducerEpoch: number;
  v3AndBelowTopics: RequestAddPartitionsToTxnTopic[];
}
export interface RequestAddPartitionsToTxnTopic {
  name: string;
  partitions: number[];
}
export interface AddPartitionsToTxnTransaction {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  verifyOnly: boolean;
  topics: AddPartitionsToTxnTopic[];
}
export interface AddPartitionsToTxnTopic {
  name: string;
  partitions: number[];
}

export interface AddPartitionsToTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
  resultsByTransaction: AddPartitionsToTxnResult[];
  resultsByTopicV3AndBelow: ResponseAddPartitionsToTxnTopicResult[];
}
export interface ResponseAddPartitionsToTxnTopicResult {
  name: string;
  resultsByPartition: ResponseAddPartitionsToTxnPartitionResult[];
}
export interface ResponseAddPartitionsToTxnPartitionResult {
  partitionIndex: number;
  partitionErrorCode: number;
}
export interface AddPartitionsToTxnResult {
  transactionalId: string;
  topicResults: AddPartitionsToTxnTopicResult[];
}
export interface AddPartitionsToTxnTopicResult {
  name: string;
  resultsByPartition: AddPartitionsToTxnPartitionResult[];
}
export interface AddPartitionsToTxnPartitionResult {
  partitionIndex: number;
  partitionErrorCode: number;
}
