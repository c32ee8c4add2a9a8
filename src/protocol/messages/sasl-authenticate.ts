// SaslAuthenticate (API key 36)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const SaslAuthenticateRequestSchema = message('SaslAuthenticateRequest', '0-2', '2+', [
  field('authBytes', 'bytes', '0+'),
]);

export const SaslAuthenticateResponseSchema = message('SaslAuthenticateResponse', '0-2', '2+', [
  field('errorCode', 'int16', '0+'),
  field('errorMessage', 'string', '0+', { nullable: '0+' }),
  field('authBytes', 'bytes', '0+'),
  field('sessionLifetimeMs', 'int64', '1+', { default: 0 }),
]);

export const SaslAuthenticateApi = api(36, SaslAuthenticateRequestSchema, SaslAuthenticateResponseSchema);

export interface SaslAuthenticateRequest {
  authBytes: Buffer;
}

export interface SaslAuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  sessionLifetimeMs: number;
}
