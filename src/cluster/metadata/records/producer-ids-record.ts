// ProducerIdsRecord (metadata record type 15)
// Declared from Apache Kafka's metadata record specs (see ../../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../../../protocol/schema/dsl.js';

export const PRODUCER_IDS_RECORD_TYPE = 15;

export const ProducerIdsRecordSchema = message('ProducerIdsRecord', '0', '0+', [
  field('brokerId', 'int32', '0+'),
  field('brokerEpoch', 'int64', '0+', { default: -1 }),
  field('nextProducerId', 'int64', '0+'),
]);

export interface ProducerIdsRecord {
  brokerId: number;
  brokerEpoch: number;
  nextProducerId: number;
}
