// DescribeTransactions (API key 65)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const DescribeTransactionsRequestSchema = message('DescribeTransactionsRequest', '0', '0+', [
  field('transactionalIds', '[]string', '0+'),
]);

export const DescribeTransactionsResponseSchema = message('DescribeTransactionsResponse', '0', '0+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('transactionStates', '[]', '0+', { of: [
    field('errorCode', 'int16', '0+'),
    field('transactionalId', 'string', '0+'),
    field('transactionState', 'string', '0+'),
    field('transactionTimeoutMs', 'int32', '0+'),
    field('transactionStartTimeMs', 'int64', '0+'),
    field('producerId', 'int64', '0+'),
    field('producerEpoch', 'int16', '0+'),
    field('topics', '[]', '0+', { of: [
      field('topic', 'string', '0+'),
      field('partitions', '[]int32', '0+'),
    ] }),
  ] }),
]);

export const DescribeTransactionsApi = api(65, DescribeTransactionsRequestSchema, DescribeTransactionsResponseSchema);

export interface DescribeTransactionsRequest {
  transactionalIds: string[];
}

export interface DescribeTransactionsResponse {
  throttleTimeMs: number;
  transactionStates: TransactionState[];
}
export interface TransactionState {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: number;
  producerId: number;
  producerEpoch: number;
  topics: TopicData[];
}
export interface TopicData {
  topic: string;
  partitions: number[];
}
