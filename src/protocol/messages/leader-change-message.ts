// LeaderChangeMessage
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../schema/dsl.js';

export const LeaderChangeMessageSchema = message('LeaderChangeMessage', '0-1', '0+', [
  field('version', 'int16', '0+'),
  field('leaderId', 'int32', '0+'),
  field('voters', '[]', '0+', { of: [
    field('voterId', 'int32', '0+'),
    field('voterDirectoryId', 'uuid', '1+'),
  ] }),
  field('grantingVoters', '[]', '0+', { of: [
    field('voterId', 'int32', '0+'),
    field('voterDirectoryId', 'uuid', '1+'),
  ] }),
]);

export interface LeaderChangeMessage {
  version: number;
  leaderId: number;
  voters: Voter[];
  grantingVoters: Voter2[];
}
export interface Voter2 {
  voterId: number;
  voterDirectoryId: string;
}
export interface Voter {
  voterId: number;
  voterDirectoryId: string;
}
