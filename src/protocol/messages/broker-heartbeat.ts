// BrokerHeartbeat (API key 63)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const BrokerHeartbeatRequestSchema = message('BrokerHeartbeatRequest', '0-1', '0+', [
  field('brokerId', 'int32', '0+'),
  field('brokerEpoch', 'int64', '0+', { default: -1 }),
  field('currentMetadataOffset', 'int64', '0+'),
  field('wantFence', 'bool', '0+'),
  field('wantShutDown', 'bool', '0+'),
  field('offlineLogDirs', '[]uuid', '1+', { tag: 0, tagged: '1+' }),
]);

export const BrokerHeartbeatResponseSchema = message('BrokerHeartbeatResponse', '0-1', '0+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('errorCode', 'int16', '0+'),
  field('isCaughtUp', 'bool', '0+', { default: false }),
  field('isFenced', 'bool', '0+', { default: true }),
  field('shouldShutDown', 'bool', '0+'),
]);

export const BrokerHeartbeatApi = api(63, BrokerHeartbeatRequestSchema, BrokerHeartbeatResponseSchema);

export interface BrokerHeartbeatRequest {
  brokerId: number;
  brokerEpoch: number;
  currentMetadataOffset: number;
  wantFence: boolean;
  wantShutDown: boolean;
  offlineLogDirs: string[];
}

export interface BrokerHeartbeatResponse {
  throttleTimeMs: number;
  errorCode: number;
  isCaughtUp: boolean;
  isFenced: boolean;
  shouldShutDown: boolean;
}
