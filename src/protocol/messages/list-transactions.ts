// ListTransactions (API key 66)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const ListTransactionsRequestSchema = message('ListTransactionsRequest', '0-1', '0+', [
  field('stateFilters', '[]string', '0+'),
  field('producerIdFilters', '[]int64', '0+'),
  field('durationFilter', 'int64', '1+', { default: -1 }),
]);

export const ListTransactionsResponseSchema = message('ListTransactionsResponse', '0-1', '0+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '0+'),
  field('unknownStateFilters', '[]string', '0+'),
  field('transactionStates', '[]', '0+', { of: [
    field('transactionalId', 'string', '0+'),
    field('producerId', 'int64', '0+'),
    field('transactionState', 'string', '0+'),
  ] }),
]);

export const ListTransactionsApi = api(66, ListTransactionsRequestSchema, ListTransactionsResponseSchema);

export interface ListTransactionsRequest {
  stateFilters: string[];
  producerIdFilters: number[];
  durationFilter: number;
}

export interface ListTransactionsResponse {
  throttleTimeMs: number;
  errorCode: number;
  unknownStateFilters: string[];
  transactionStates: TransactionState[];
}
export interface TransactionState {
  transactionalId: string;
  producerId: number;
  transactionState: string;
}
