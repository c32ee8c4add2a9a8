import type { CompressionType } from '../compression/types.js';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/**
 * A decoded record. `key`, `value` and header values are views into the buffer they were decoded
 * from (the fetch response, or the decompressed payload): copy them if you keep them long after.
 */
export interface KafkaRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

/** Bytes as callers hand them in; strings are written as UTF-8. */
export type RecordData = Buffer | Uint8Array | string;

export interface RecordHeaderInput {
  key: string;
  value: RecordData | null;
}

/** A list keeps order and allows repeated keys; a map is the kafkajs-style shorthand. */
export type RecordHeadersInput = readonly RecordHeaderInput[] | Readonly<Record<string, RecordData | null>>;

export interface RecordInput {
  key?: RecordData | null;
  value: RecordData | null;
  headers?: RecordHeadersInput;
  /** Milliseconds since the epoch; defaults to the batch's build time. */
  timestamp?: number;
  /**
   * Defaults to the record's index. Set it only to rebuild a batch with gaps (compaction); deltas
   * must increase.
   */
  offsetDelta?: number;
}

export type TimestampType = 'create' | 'log-append';

/**
 * Header fields of one batch, as found in a buffer. Legacy (magic 0/1) entries are mapped onto the
 * same shape with the v2-only fields at their "absent" values (-1, false).
 */
export interface BatchInfo {
  /** Byte position of the batch in the buffer it was read from. */
  position: number;
  /** Total bytes, including the 12-byte offset+length prefix. */
  size: number;
  magic: number;
  baseOffset: number;
  lastOffset: number;
  lastOffsetDelta: number;
  partitionLeaderEpoch: number;
  /** Stored CRC: CRC-32C for magic 2, CRC-32 (IEEE) for magic 0/1. */
  crc: number;
  attributes: number;
  compression: CompressionType;
  timestampType: TimestampType;
  isTransactional: boolean;
  isControl: boolean;
  hasDeleteHorizon: boolean;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  /** For a compressed legacy wrapper, -1 until decoded (the count is inside the compressed value). */
  recordsCount: number;
}

export interface DecodedBatch extends BatchInfo {
  records: KafkaRecord[];
}
