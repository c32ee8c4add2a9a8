// VotersRecord
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../schema/dsl.js';

export const VotersRecordSchema = message('VotersRecord', '0', '0+', [
  field('version', 'int16', '0+'),
  field('voters', '[]', '0+', { of: [
    field('voterId', 'int32', '0+'),
    field('voterDirectoryId', 'uuid', '0+'),
    field('endpoints', '[]', '0+', { of: [
      field('name', 'string', '0+'),
      field('host', 'string', '0+'),
      field('port', 'uint16', '0+'),
    ] }),
    field('kRaftVersionFeature', '{}', '0+', { of: [
      field('minSupportedVersion', 'int16', '0+'),
      field('maxSupportedVersion', 'int16', '0+'),
    ] }),
  ] }),
]);

export interface VotersRecord {
  version: number;
  voters: Voter[];
}
export interface Voter {
  voterId: number;
  voterDirectoryId: string;
  endpoints: Endpoint[];
  kRaftVersionFeature: KRaftVersionFeature;
}
export interface KRaftVersionFeature {
  minSupportedVersion: number;
  maxSupportedVersion: number;
}
export interface Endpoint {
  name: string;
  host: string;
  port: number;
}
