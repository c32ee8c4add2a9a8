// NoOpRecord (metadata record type 20)
// Declared from Apache Kafka's metadata record specs (see ../../../../scripts/gen-messages.ts); regenerate rather than edit.
import { message } from '../../../protocol/schema/dsl.js';

export const NO_OP_RECORD_TYPE = 20;

export const NoOpRecordSchema = message('NoOpRecord', '0', '0+', [

]);

export interface NoOpRecord {

}
