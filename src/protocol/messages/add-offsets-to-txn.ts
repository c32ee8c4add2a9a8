// AddOffsetsToTxn (API key 25)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const AddOffsetsToTxnRequestSchema = message('AddOffsetsToTxnRequest', '0-4', '3+', [
  field('transactionalId', 'string', '0+'),
  field('producerId', 'int64', '0+'),
  field('producerEpoch', 'int16', '0+'),
  field('groupId', 'string', '0+'),
]);

export const AddOffsetsToTxnResponseSchema = message('AddOffsetsToTxnResponse', '0-4', '3+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '0+'),
]);

export const AddOffsetsToTxnApi = api(25, AddOffsetsToTxnRequestSchema, AddOffsetsToTxnResponseSchema);

export interface AddOffsetsToTxnRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  groupId: string;
}

export interface AddOffsetsToTxnResponse {
  throttleTimeMs: number;
  errorCode: number;
}
