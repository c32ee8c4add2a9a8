// ConsumerProtocolSubscription
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../schema/dsl.js';

export const ConsumerProtocolSubscriptionSchema = message('ConsumerProtocolSubscription', '0-3', 'none', [
  field('topics', '[]string', '0+'),
  field('userData', 'bytes', '0+', { nullable: '0+', default: null }),
  field('ownedPartitions', '[]', '1+', { of: [
    field('topic', 'string', '1+'),
    field('partitions', '[]int32', '1+'),
  ] }),
  field('generationId', 'int32', '2+', { default: -1 }),
  field('rackId', 'string', '3+', { nullable: '3+', default: null }),
]);

export interface ConsumerProtocolSubscription {
  topics: string[];
  userData: Buffer | null;
  ownedPartitions: TopicPartition[];
  generationId: number;
  rackId: string | null;
}
export interface TopicPartition {
  topic: string;
  partitions: number[];
}
