/**
 * The record format shared by Kafka's internal topics (`__consumer_offsets`, `__transaction_state`):
 * every key and value is an int16 version followed by the struct of that version (declared with the
 * schema DSL); a null value is a tombstone.
 */
import { ByteWriter } from '../protocol/bytes.js';
import { encodeMessage } from '../protocol/schema/codec.js';
import type { MessageSpec } from '../protocol/schema/dsl.js';

export interface StoredKeyValue {
  readonly key: Buffer;
  /** null = tombstone */
  readonly value: Buffer | null;
}

/** `data` as `spec` at `version`, behind its int16 version. */
export function encodeVersioned(spec: MessageSpec, version: number, data: object): Buffer {
  const w = new ByteWriter(64);
  w.int16(version);
  encodeMessage(spec, version, data, w);
  return w.toBuffer();
}
