// UnfenceBrokerRecord (metadata record type 8)
// Declared from Apache Kafka's metadata record specs (see ../../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../../../protocol/schema/dsl.js';

export const UNFENCE_BROKER_RECORD_TYPE = 8;

export const UnfenceBrokerRecordSchema = message('UnfenceBrokerRecord', '0', '0+', [
  field('id', 'int32', '0+'),
  field('epoch', 'int64', '0+'),
]);

export interface UnfenceBrokerRecord {
  id: number;
  epoch: number;
}
