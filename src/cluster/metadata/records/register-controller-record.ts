// RegisterControllerRecord (metadata record type 27)
// Declared from Apache Kafka's metadata record specs (see ../../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../../../protocol/schema/dsl.js';

export const REGISTER_CONTROLLER_RECORD_TYPE = 27;

export const RegisterControllerRecordSchema = message('RegisterControllerRecord', '0', '0+', [
  field('controllerId', 'int32', '0+'),
  field('incarnationId', 'uuid', '0+'),
  field('zkMigrationReady', 'bool', '0+'),
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
]);

export interface RegisterControllerRecord {
  controllerId: number;
  incarnationId: string;
  zkMigrationReady: boolean;
  endPoints: ControllerEndpoint[];
  features: ControllerFeature[];
}
export interface ControllerFeature {
  name: string;
  minSupportedVersion: number;
  maxSupportedVersion: number;
}
export interface ControllerEndpoint {
  name: string;
  host: string;
  port: number;
  securityProtocol: number;
}
