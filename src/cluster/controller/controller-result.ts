/**
 * What a control module computes for one request: the records to append (in one atomic batch) and
 * the response to send once they are committed. Computing is synchronous and pure with respect to
 * the image it is given; the QuorumController does the appending and the waiting.
 */
import type { MetadataImage } from '../metadata/metadata-image.js';

export interface MetadataRecordValue {
  readonly type: number;
  readonly value: object;
}

export interface ControllerResult<T> {
  readonly records: readonly MetadataRecordValue[];
  readonly response: T;
}

/** What a control module may read while computing: the image including every record appended so far. */
export interface ControlContext {
  readonly image: MetadataImage;
  /** The offset the first record of the next batch will get (broker epochs are record offsets). */
  readonly nextOffset: number;
  readonly nowMs: number;
}

export function result<T>(response: T, records: readonly MetadataRecordValue[] = []): ControllerResult<T> {
  return { records, response };
}
