// UnregisterBroker (API key 64)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const UnregisterBrokerRequestSchema = message('UnregisterBrokerRequest', '0', '0+', [
  field('brokerId', 'int32', '0+'),
]);

export const UnregisterBrokerResponseSchema = message('UnregisterBrokerResponse', '0', '0+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '0+'),
  field('errorMessage', 'string', '0+', { nullable: '0+' }),
]);

export const UnregisterBrokerApi = api(64, UnregisterBrokerRequestSchema, UnregisterBrokerResponseSchema);

export interface UnregisterBrokerRequest {
  brokerId: number;
}

export interface UnregisterBrokerResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
}
