// SnapshotFooterRecord
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../schema/dsl.js';

export const SnapshotFooterRecordSchema = message('SnapshotFooterRecord', '0', '0+', [
  field('version', 'int16', '0+'),
]);

export interface SnapshotFooterRecord {
  version: number;
}
