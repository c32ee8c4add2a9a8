// RegisterBrokerRecord (metadata record type 0)
// Declared from Apache Kafka's metadata record specs (see ../../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../../../protocol/schema/dsl.js';

export const REGISTER_BROKER_RECORD_TYPE = 0;

export const RegisterBrokerRecordSchema = message('RegisterBrokerRecord', '0-3', '0+', [
  field('brokerId', 'int32', '0+'),
  field('isMigratingZkBroker', 'bool', '2+', { default: false }),
  field('incarnationId', 'uuid', '0+'),
  field('brokerEpoch', 'int64', '0+'),
  field('endPoints', '[]', '0+', { of: [
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
  field('fenced', 'bool', '0+', { default: true }),
  field('inControlledShutdown', 'bool', '1+', { default: false }),
  field('logDirs', '[]uuid', '3+', { tag: 0, tagged: '3+' }),
]);

export interface RegisterBrokerRecord {
  brokerId: number;
  isMigratingZkBroker: boolean;
  incarnationId: string;
  brokerEpoch: number;
  endPoints: BrokerEndpoint[];
  features: BrokerFeature[];
  rack: string | null;
  fenced: boolean;
  inControlledShutdown: boolean;
  logDirs: string[];
}
export interface BrokerFeature {
  name: string;
  minSupportedVersion: number;
  maxSupportedVersion: number;
}
export interface BrokerEndpoint {
  name: string;
  host: string;
  port: number;
  securityProtocol: number;
}
