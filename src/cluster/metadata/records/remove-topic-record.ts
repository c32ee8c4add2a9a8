// RemoveTopicRecord (metadata record type 9)
// Declared from Apache Kafka's metadata record specs (see ../../../../scripts/gen-messages.ts); regenerate rather than edit.
import { field, message } from '../../../protocol/schema/dsl.js';

export const REMOVE_TOPIC_RECORD_TYPE = 9;

export const RemoveTopicRecordSchema = message('RemoveTopicRecord', '0', '0+', [
  field('topicId', 'uuid', '0+'),
]);

export interface RemoveTopicRecord {
  topicId: string;
}
