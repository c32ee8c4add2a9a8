// SaslHandshake (API key 17)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const SaslHandshakeRequestSchema = message('SaslHandshakeRequest', '0-1', 'none', [
  field('mechanism', 'string', '0+'),
]);

export const SaslHandshakeResponseSchema = message('SaslHandshakeResponse', '0-1', 'none', [
  field('errorCode', 'int16', '0+'),
  field('mechanisms', '[]string', '0+'),
]);

export const SaslHandshakeApi = api(17, SaslHandshakeRequestSchema, SaslHandshakeResponseSchema);

export interface SaslHandshakeRequest {
  mechanism: string;
}

export interface SaslHandshakeResponse {
  errorCode: number;
  mechanisms: string[];
}
