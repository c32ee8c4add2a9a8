// PartitionChangeRecord (metadata record type 5)
// Declared from Apache Kafka's metadata record specs (see ../../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../../../protocol/schema/dsl.js';

export const PARTITION_CHANGE_RECORD_TYPE = 5;

export const PartitionChangeRecordSchema = message('PartitionChangeRecord', '0-2', '0+', [
  field('partitionId', 'int32', '0+', { default: -1 }),
  field('topicId', 'uuid', '0+'),
  field('isr', '[]int32', '0+', { nullable: '0+', tag: 0, tagged: '0+' }),
  field('leader', 'int32', '0+', { tag: 1, tagged: '0+', default: -2 }),
  field('replicas', '[]int32', '0+', { nullable: '0+', tag: 2, tagged: '0+' }),
  field('removingReplicas', '[]int32', '0+', { nullable: '0+', tag: 3, tagged: '0+' }),
  field('addingReplicas', '[]int32', '0+', { nullable: '0+', tag: 4, tagged: '0+' }),
  field('leaderRecoveryState', 'int8', '0+', { tag: 5, tagged: '0+', default: -1 }),
  field('directories', '[]uuid', '1+', { nullable: '1+', tag: 8, tagged: '1+' }),
  field('eligibleLeaderReplicas', '[]int32', '2+', { nullable: '2+', tag: 6, tagged: '2+' }),
  field('lastKnownElr', '[]int32', '2+', { nullable: '2+', tag: 7, tagged: '2+' }),
]);

export interface PartitionChangeRecord {
  partitionId: number;
  topicId: string;
  isr: number[] | null;
  leader: number;
  replicas: number[] | null;
  removingReplicas: number[] | null;
  addingReplicas: number[] | null;
  leaderRecoveryState: number;
  directories: string[] | null;
  eligibleLeaderReplicas: number[] | null;
  lastKnownElr: number[] | null;
}
