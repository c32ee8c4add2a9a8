// Envelope (API key 58)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const EnvelopeRequestSchema = message('EnvelopeRequest', '0', '0+', [
  field('requestData', 'bytes', '0+'),
  field('requestPrincipal', 'bytes', '0+', { nullable: '0+' }),
  field('clientHostAddress', 'bytes', '0+'),
]);

export const EnvelopeResponseSchema = message('EnvelopeResponse', '0', '0+', [
  field('responseData', 'bytes', '0+', { nullable: '0+', default: null }),
  field('errorCode', 'int16', '0+'),
]);

export const EnvelopeApi = api(58, EnvelopeRequestSchema, EnvelopeResponseSchema);

export interface EnvelopeRequest {
  requestData: Buffer;
  requestPrincipal: Buffer | null;
  clientHostAddress: Buffer;
}

export interface EnvelopeResponse {
  responseData: Buffer | null;
  errorCode: number;
}
