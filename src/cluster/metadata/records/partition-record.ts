// PartitionRecord (metadata record type 3)
// Declared from Apache Kafka's metadata record specs (see ../../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../../../protocol/schema/dsl.js';

export const PARTITION_RECORD_TYPE = 3;

export const PartitionRecordSchema = message('PartitionRecord', '0-2', '0+', [
  field('partitionId', 'int32', '0+', { default: -1 }),
  field('topicId', 'uuid', '0+'),
  field('replicas', '[]int32', '0+'),
  field('isr', '[]int32', '0+'),
  field('removingReplicas', '[]int32', '0+'),
  field('addingReplicas', '[]int32', '0+'),
  field('leader', 'int32', '0+', { default: -1 }),
  field('leaderRecoveryState', 'int8', '0+', { tag: 0, tagged: '0+', default: 0 }),
  field('leaderEpoch', 'int32', '0+', { default: -1 }),
  field('partitionEpoch', 'int32', '0+', { default: -1 }),
  field('directories', '[]uuid', '1+'),
  field('eligibleLeaderReplicas', '[]int32', '2+', { nullable: '2+', tag: 1, tagged: '2+' }),
  field('lastKnownElr', '[]int32', '2+', { nullable: '2+', tag: 2, tagged: '2+' }),
]);

export interface PartitionRecord {
  partitionId: number;
  topicId: string;
  replicas: number[];
  isr: number[];
  removingReplicas: number[];
  addingReplicas: number[];
  leader: number;
  leaderRecoveryState: number;
  leaderEpoch: number;
  partitionEpoch: number;
  directories: string[];
  eligibleLeaderReplicas: number[] | null;
  lastKnownElr: number[] | null;
}
