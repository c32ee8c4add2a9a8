// UnregisterBrokerRecord (metadata record type 1)
// Declared from Apache Kafka's metadata record specs (see ../../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../../../protocol/schema/dsl.js';

export const UNREGISTER_BROKER_RECORD_TYPE = 1;

export const UnregisterBrokerRecordSchema = message('UnregisterBrokerRecord', '0', '0+', [
  field('brokerId', 'int32', '0+'),
  field('brokerEpoch', 'int64', '0+'),
]);

export interface UnregisterBrokerRecord {
  brokerId: number;
  brokerEpoch: number;
}
