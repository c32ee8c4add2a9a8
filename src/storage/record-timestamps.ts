/**
 * The only record-level decoding the storage layer does: walking the (timestamp, offset) pairs of an
 * UNCOMPRESSED v2 batch, for ListOffsets by timestamp. Keys, values and headers are skipped, not read.
 */
import { ByteReader } from '../protocol/bytes.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_TIMESTAMP_TYPE,
  RECORD_BATCH_OVERHEAD,
} from '../protocol/records/batch-header.js';
import type { StoredBatch } from './batch-reader.js';

export interface RecordTimestamp {
  offset: number;
  timestamp: number;
}

/**
 * The first record of `batch` (whose bytes are `bytes`) at or after `minOffset` satisfying `pred`, or null.
 * Returns undefined when the records cannot be inspected without decompression (compressed batch) or are
 * malformed; callers then fall back to batch-level answers.
 * LogAppendTime batches: every record's timestamp is the batch maxTimestamp, so the first record matches.
 */
export function findRecord(
  batch: StoredBatch,
  bytes: Buffer,
  pred: (timestamp: number, offset: number) => boolean,
  minOffset = 0,
): RecordTimestamp | null | undefined {
  if ((batch.attributes & ATTR_TIMESTAMP_TYPE) !== 0) {
    const offset = Math.max(batch.baseOffset, minOffset);
    return pred(batch.maxTimestamp, offset) ? { offset, timestamp: batch.maxTimestamp } : null;
  }
  if ((batch.attributes & ATTR_COMPRESSION_MASK) !== 0) return undefined;
  try {
    const r = new ByteReader(bytes, RECORD_BATCH_OVERHEAD, batch.sizeBytes);
    for (let i = 0; i < batch.recordsCount; i++) {
      const length = r.varint();
      const start = r.pos;
      r.int8(); // attributes
      const timestamp = batch.baseTimestamp + r.varlong();
      const offset = batch.baseOffset + r.varint();
      if (offset >= minOffset && pred(timestamp, offset)) return { offset, timestamp };
      if (length < 0 || start + length > batch.sizeBytes) return undefined;
      r.pos = start + length;
    }
    return null;
  } catch {
    return undefined;
  }
}
