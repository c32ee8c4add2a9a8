// BrokerRegistration (API key 62)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const BrokerRegistrationRequestSchema = message('BrokerRegistrationRequest', '0-4', '0+', [
  field('brokerId', 'int32', '0+'),
  field('clusterId', 'string', '0+'),
  field('incarnationId', 'uuid', '0+'),
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
  field('rack', 'string', '0+', { nullable: '0+' }),
  field('isMigratingZkBroker', 'bool', '1+', { default: false }),
  field('logDirs', '[]uuid', '2+'),
  field('previousBrokerEpoch', 'int64', '3+', { default: -1 }),
]);

export const BrokerRegistrationResponseSchema = message('BrokerRegistrationResponse', '0-4', '0+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '0+'),
  field('brokerEpoch', 'int64', '0+', { default: -1 }),
]);

export const BrokerRegistrationApi = api(62, BrokerRegistrationRequestSchema, BrokerRegistrationResponseSchema);

export interface BrokerRegistrationRequest {
  brokerId: number;
  clusterId: string;
  incarnationId: string;
  listeners: Listener[];
  features: Feature[];
  rack: string | null;
  isMigratingZkBroker: boolean;
  logDirs: string[];
  previousBrokerEpoch: number;
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

export interface BrokerRegistrationResponse {
  throttleTimeMs: number;
  errorCode: number;
  brokerEpoch: number;
}
