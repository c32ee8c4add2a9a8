// SnapshotHeaderRecord
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../schema/dsl.js';

export const SnapshotHeaderRecordSchema = message('SnapshotHeaderRecord', '0', '0+', [
  field('version', 'int16', '0+'),
  field('lastContainedLogTimestamp', 'int64', '0+'),
]);

export interface SnapshotHeaderRecord {
  version: number;
  lastContainedLogTimestamp: number;
}
