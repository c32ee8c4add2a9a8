// BrokerRegistrationChangeRecord (metadata record type 17)
// Declared from Apache Kafka's metadata record specs (see ../../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../../../protocol/schema/dsl.js';

export const BROKER_REGISTRATION_CHANGE_RECORD_TYPE = 17;

export const BrokerRegistrationChangeRecordSchema = message('BrokerRegistrationChangeRecord', '0-2', '0+', [
  field('brokerId', 'int32', '0+'),
  field('brokerEpoch', 'int64', '0+'),
  field('fenced', 'int8', '0+', { tag: 0, tagged: '0+' }),
  field('inControlledShutdown', 'int8', '1+', { tag: 1, tagged: '1+' }),
  field('logDirs', '[]uuid', '2+', { tag: 2, tagged: '2+' }),
]);

export interface BrokerRegistrationChangeRecord {
  brokerId: number;
  brokerEpoch: number;
  fenced: number;
  inControlledShutdown: number;
  logDirs: string[];
}
