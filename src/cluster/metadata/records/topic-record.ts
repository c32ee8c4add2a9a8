// TopicRecord (metadata record type 2)
// Declared from Apache Kafka's metadata record specs (see ../../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../../../protocol/schema/dsl.js';

export const TOPIC_RECORD_TYPE = 2;

export const TopicRecordSchema = message('TopicRecord', '0', '0+', [
  field('name', 'string', '0+'),
  field('topicId', 'uuid', '0+'),
]);

export interface TopicRecord {
  name: string;
  topicId: string;
}
