// ControllerRegistration (API key 70)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const ControllerRegistrationRequestSchema = message('ControllerRegistrationRequest', '0', '0+', [
  field('controllerId', 'int32', '0+'),
  field('incarnationId', 'uuid', '0+'),
  field('zkMigrationReady', 'bool', '0+'),
  field('listeners', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('host', 'string', '0+'),
    field('port', 'uint16', '0+'),
    field('securityProtocol', 'int16', '0+'),
  ] }),
  field('features', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('minSupportedVersion', 'int16', '0+'),
    field('maxSupportedVersion', 'int16', '0+'),
  ] }),
]);

export const ControllerRegistrationResponseSchema = message('ControllerRegistrationResponse', '0', '0+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '0+'),
  field('errorMessage', 'string', '0+', { nullable: '0+' }),
]);

export const ControllerRegistrationApi = api(70, ControllerRegistrationRequestSchema, ControllerRegistrationResponseSchema);

export interface ControllerRegistrationRequest {
  controllerId: number;
  incarnationId: string;
  zkMigrationReady: boolean;
  listeners: Listener[];
  features: Feature[];
}
export interface Feature {
  name: string;
  minSupportedVersion: number;
  maxSupportedVersion: number;
}
export interface Listener {
  name: string;
  host: string;
  port: number;
  securityProtocol: number;
}

export interface ControllerRegistrationResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
}
