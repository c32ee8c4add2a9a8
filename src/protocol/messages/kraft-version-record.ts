// KRaftVersionRecord
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../schema/dsl.js';

export const KRaftVersionRecordSchema = message('KRaftVersionRecord', '0', '0+', [
  field('version', 'int16', '0+'),
  field('kRaftVersion', 'int16', '0+'),
]);

export interface KRaftVersionRecord {
  version: number;
  kRaftVersion: number;
}
