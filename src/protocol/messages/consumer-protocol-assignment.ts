// ConsumerProtocolAssignment
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../schema/dsl.js';

export const ConsumerProtocolAssignmentSchema = message('ConsumerProtocolAssignment', '0-3', 'none', [
  field('assignedPartitions', '[]', '0+', { of: [
    field('topic', 'string', '0+'),
    field('partitions', '[]int32', '0+'),
  ] }),
  field('userData', 'bytes', '0+', { nullable: '0+', default: null }),
]);

export interface ConsumerProtocolAssignment {
  assignedPartitions: TopicPartition[];
  userData: Buffer | null;
}
export interface TopicPartition {
  topic: string;
  partitions: number[];
}
