/**
 * RecordBatch v2 header layout (KIP-98). Offsets are byte positions from the start of a batch.
 * The broker reads and patches these fields in place; it never decodes the records behind them.
 */
import { crc32c } from './crc32c.js';

export const BASE_OFFSET = 0;
export const BATCH_LENGTH = 8;
export const PARTITION_LEADER_EPOCH = 12;
export const MAGIC = 16;
export const CRC = 17;
export const ATTRIBUTES = 21;
export const LAST_OFFSET_DELTA = 23;
export const BASE_TIMESTAMP = 27;
export const MAX_TIMESTAMP = 35;
export const PRODUCER_ID = 43;
export const PRODUCER_EPOCH = 51;
export const BASE_SEQUENCE = 53;
export const RECORDS_COUNT = 57;
/** Size of the v2 batch header; records start here. */
export const RECORD_BATCH_OVERHEAD = 61;
/** baseOffset + batchLength: the part of a batch not counted by batchLength. */
export const LOG_OVERHEAD = 12;
/** Magic byte is at offset 16 in every message format, so 17 bytes tell which format a batch uses. */
export const MAGIC_PROBE_BYTES = 17;

export const ATTR_COMPRESSION_MASK = 0x07;
export const ATTR_TIMESTAMP_TYPE = 0x08;
export const ATTR_TRANSACTIONAL = 0x10;
export const ATTR_CONTROL = 0x20;
/** KIP-534: baseTimestamp holds the delete horizon (set by compaction). */
export const ATTR_DELETE_HORIZON = 0x40;

export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * 4294967296 + buf.readUInt32BE(pos + 4);
}

export function writeInt64(buf: Buffer, pos: number, value: number): void {
  const hi = Math.floor(value / 4294967296);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(value - hi * 4294967296, pos + 4);
}

/** Total size in bytes of the batch starting at `pos` (header included). */
export function batchSize(buf: Buffer, pos = 0): number {
  return LOG_OVERHEAD + buf.readInt32BE(pos + BATCH_LENGTH);
}

export function batchBaseOffset(buf: Buffer, pos = 0): number {
  return readInt64(buf, pos + BASE_OFFSET);
}

export function batchLastOffset(buf: Buffer, pos = 0): number {
  return readInt64(buf, pos + BASE_OFFSET) + buf.readInt32BE(pos + LAST_OFFSET_DELTA);
}

/** CRC32C over attributes..end, as stored in the header. */
export function computeBatchCrc(buf: Buffer, pos = 0): number {
  const end = pos + batchSize(buf, pos);
  return crc32c(buf.subarray(pos + ATTRIBUTES, end));
}

export function batchCrcMatches(buf: Buffer, pos = 0): boolean {
  return buf.readUInt32BE(pos + CRC) === computeBatchCrc(buf, pos);
}

/** A producer sequence advanced by `delta`, wrapping past 2^31 - 1 to 0 (Kafka's DefaultRecordBatch.incrementSequence). */
export function incrementSequence(seq: number, delta: number): number {
  const next = seq + delta;
  return next > 0x7fffffff ? next - 0x80000000 : next;
}
