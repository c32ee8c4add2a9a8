// FeatureLevelRecord (metadata record type 12)
// Declared from Apache Kafka's metadata record specs (see ../../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../../../protocol/schema/dsl.js';

export const FEATURE_LEVEL_RECORD_TYPE = 12;

export const FeatureLevelRecordSchema = message('FeatureLevelRecord', '0', '0+', [
  field('name', 'string', '0+'),
  field('featureLevel', 'int16', '0+'),
]);

export interface FeatureLevelRecord {
  name: string;
  featureLevel: number;
}
