// AllocateProducerIds (API key 67)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const AllocateProducerIdsRequestSchema = message('AllocateProducerIdsRequest', '0', '0+', [
  field('brokerId', 'int32', '0+'),
  field('brokerEpoch', 'int64', '0+', { default: -1 }),
]);

export const AllocateProducerIdsResponseSchema = message('AllocateProducerIdsResponse', '0', '0+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '0+'),
  field('producerIdStart', 'int64', '0+'),
  field('producerIdLen', 'int32', '0+'),
]);

export const AllocateProducerIdsApi = api(67, AllocateProducerIdsRequestSchema, AllocateProducerIdsResponseSchema);

export interface AllocateProducerIdsRequest {
  brokerId: number;
  brokerEpoch: number;
}

export interface AllocateProducerIdsResponse {
  throttleTimeMs: number;
  errorCode: number;
  producerIdStart: number;
  producerIdLen: number;
}
