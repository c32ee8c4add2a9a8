// FenceBrokerRecord (metadata record type 7)
// Declared from Apache Kafka's metadata record specs (see ../../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../../../protocol/schema/dsl.js';

export const FENCE_BROKER_RECORD_TYPE = 7;

export const FenceBrokerRecordSchema = message('FenceBrokerRecord', '0', '0+', [
  field('id', 'int32', '0+'),
  field('epoch', 'int64', '0+'),
]);

export interface FenceBrokerRecord {
  id: number;
  epoch: number;
}
