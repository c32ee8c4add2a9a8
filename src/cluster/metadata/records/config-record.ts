// ConfigRecord (metadata record type 4)
// Declared from Apache Kafka's metadata record specs (see ../../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../../../protocol/schema/dsl.js';

export const CONFIG_RECORD_TYPE = 4;

export const ConfigRecordSchema = message('ConfigRecord', '0', '0+', [
  field('resourceType', 'int8', '0+'),
  field('resourceName', 'string', '0+'),
  field('name', 'string', '0+'),
  field('value', 'string', '0+', { nullable: '0+' }),
]);

export interface ConfigRecord {
  resourceType: number;
  resourceName: string;
  name: string;
  value: string | null;
}
