/**
 * Validation of a produce request's record set for one partition, from batch headers only (records are never
 * decoded here). Mirrors the checks Kafka's LogValidator makes before any byte reaches the log.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import {
  ATTRIBUTES,
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  BASE_SEQUENCE,
  BATCH_LENGTH,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAGIC_PROBE_BYTES,
  MAX_TIMESTAMP,
  PRODUCER_ID,
  RECORDS_COUNT,
  RECORD_BATCH_OVERHEAD,
  batchCrcMatches,
  BASE_OFFSET,
  BASE_TIMESTAMP,
  readInt64,
} from '../protocol/records/batch-header.js';
import { firstKeylessRecord } from './record-keys.js';
import { findRecord } from './record-timestamps.js';

/** Who produced the bytes. Clients must send fresh batches; replicas and coordinators may not. */
export type AppendOrigin = 'client' | 'replication' | 'coordinator';

export interface ValidateOptions {
  /** max.message.bytes: largest batch accepted, header included. */
  maxMessageBytes: number;
  /** Default 'client': lastOffsetDelta must equal recordsCount-1, no control batches. */
  origin?: AppendOrigin;
  /**
   * KIP-937 bounds for CreateTime topics: a batch with a timestamp before `nowMs - beforeMaxMs` or after
   * `nowMs + afterMaxMs` is refused with INVALID_TIMESTAMP. Omit for LogAppendTime topics.
   */
  timestamps?: { nowMs: number; beforeMaxMs: number; afterMaxMs: number };
  /** Compacted topics: every record from a client must have a key (INVALID_RECORD otherwise). */
  requireKeys?: boolean;
}

/** What the log needs to know about one batch; positions are relative to the validated buffer. */
export interface BatchInfo {
  position: number;
  sizeBytes: number;
  lastOffsetDelta: number;
  recordsCount: number;
  maxTimestamp: number;
}

export interface ValidationResult {
  batches: number;
  records: number;
  sizeBytes: number;
  /** Offsets the set occupies: Σ (lastOffsetDelta + 1). */
  offsetCount: number;
  /** Largest batch maxTimestamp, -1 when there is none. */
  maxTimestamp: number;
  batchInfos: BatchInfo[];
}

/** Highest compression codec id Kafka defines (zstd = 4). */
const MAX_COMPRESSION_ID = 4;

function fail(code: ErrorCode, position: number, what: string): never {
  throw new KafkaError(code, `record batch at byte ${position}: ${what}`);
}

/**
 * Checks every batch in `buf` and returns a summary, or throws KafkaError:
 * - UNSUPPORTED_FOR_MESSAGE_FORMAT for magic 0/1 (legacy message sets are refused);
 * - CORRUPT_MESSAGE for unknown magic, a batchLength too small or past the end of `buf`, a CRC32C mismatch,
 *   an unknown compression codec;
 * - MESSAGE_TOO_LARGE when one batch exceeds `maxMessageBytes`;
 * - INVALID_RECORD for recordsCount/lastOffsetDelta inconsistencies, control batches or producer ids without
 *   a base sequence from clients, and (with `requireKeys`) keyless records on a compacted topic.
 */
export function validateBatches(buf: Buffer, opts: ValidateOptions): ValidationResult {
  const origin = opts.origin ?? 'client';
  const result: ValidationResult = {
    batches: 0,
    records: 0,
    sizeBytes: buf.length,
    offsetCount: 0,
    maxTimestamp: -1,
    batchInfos: [],
  };
  let pos = 0;
  while (pos < buf.length) {
    const remaining = buf.length - pos;
    if (remaining < MAGIC_PROBE_BYTES) fail(ErrorCode.CORRUPT_MESSAGE, pos, `only ${remaining} trailing bytes`);
    const magic = buf.readInt8(pos + MAGIC);
    if (magic === 0 || magic === 1) {
      fail(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, pos, `message format v${magic} is not supported, use v2`);
    }
    if (magic !== 2) fail(ErrorCode.CORRUPT_MESSAGE, pos, `unknown magic ${magic}`);
    const batchLength = buf.readInt32BE(pos + BATCH_LENGTH);
    if (batchLength < RECORD_BATCH_OVERHEAD - LOG_OVERHEAD) {
      fail(ErrorCode.CORRUPT_MESSAGE, pos, `batchLength ${batchLength} is smaller than a batch header`);
    }
    const size = LOG_OVERHEAD + batchLength;
    if (size > remaining) fail(ErrorCode.CORRUPT_MESSAGE, pos, `batch of ${size} bytes but only ${remaining} remain`);
    if (size > opts.maxMessageBytes) {
      fail(ErrorCode.MESSAGE_TOO_LARGE, pos, `batch of ${size} bytes exceeds max.message.bytes ${opts.maxMessageBytes}`);
    }
    if (!batchCrcMatches(buf, pos)) fail(ErrorCode.CORRUPT_MESSAGE, pos, 'CRC32C mismatch');
    const attributes = buf.readInt16BE(pos + ATTRIBUTES);
    if ((attributes & ATTR_COMPRESSION_MASK) > MAX_COMPRESSION_ID) {
      fail(ErrorCode.CORRUPT_MESSAGE, pos, `unknown compression codec ${attributes & ATTR_COMPRESSION_MASK}`);
    }
    const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA);
    const recordsCount = buf.readInt32BE(pos + RECORDS_COUNT);
    if (lastOffsetDelta < 0) fail(ErrorCode.INVALID_RECORD, pos, `negative lastOffsetDelta ${lastOffsetDelta}`);
    if (recordsCount < 0) fail(ErrorCode.INVALID_RECORD, pos, `negative recordsCount ${recordsCount}`);
    if (origin === 'client') {
      if (recordsCount === 0) fail(ErrorCode.INVALID_RECORD, pos, 'batch has no records');
      if (lastOffsetDelta !== recordsCount - 1) {
        fail(ErrorCode.INVALID_RECORD, pos, `lastOffsetDelta ${lastOffsetDelta} does not match recordsCount ${recordsCount}`);
      }
      if ((attributes & ATTR_CONTROL) !== 0) fail(ErrorCode.INVALID_RECORD, pos, 'clients may not write control batches');
      if (readInt64(buf, pos + PRODUCER_ID) >= 0 && buf.readInt32BE(pos + BASE_SEQUENCE) < 0) {
        fail(ErrorCode.INVALID_RECORD, pos, 'batch has a producer id but no base sequence');
      }
      if (opts.requireKeys) checkKeys(buf, pos, size);
    }
    const maxTimestamp = readInt64(buf, pos + MAX_TIMESTAMP);
    if (opts.timestamps !== undefined) checkTimestamps(buf, pos, size, attributes, recordsCount, maxTimestamp, opts.timestamps);
    if (maxTimestamp > result.maxTimestamp) result.maxTimestamp = maxTimestamp;
    result.batches++;
    result.records += recordsCount;
    result.offsetCount += lastOffsetDelta + 1;
    result.batchInfos.push({ position: pos, sizeBytes: size, lastOffsetDelta, recordsCount, maxTimestamp });
    pos += size;
  }
  return result;
}

function checkKeys(buf: Buffer, pos: number, size: number): void {
  let keyless: number;
  try {
    keyless = firstKeylessRecord(buf, pos, size);
  } catch (err) {
    fail(ErrorCode.CORRUPT_MESSAGE, pos, `records cannot be read: ${(err as Error).message}`);
  }
  if (keyless >= 0) fail(ErrorCode.INVALID_RECORD, pos, `compacted topic cannot accept a record without a key (record ${keyless} of the batch)`);
}

/**
 * KIP-937 check (Kafka checks every record). The batch header gives the largest timestamp (exact for the upper
 * bound) and the first record's; an uncompressed batch is walked record by record (timestamps only) for the
 * lower bound, a compressed one is judged by its first and largest timestamps, since decompressing on the
 * produce path is what this layer avoids.
 */
function checkTimestamps(
  buf: Buffer,
  pos: number,
  size: number,
  attributes: number,
  recordsCount: number,
  maxTimestamp: number,
  bounds: { nowMs: number; beforeMaxMs: number; afterMaxMs: number },
): void {
  const lo = bounds.nowMs - bounds.beforeMaxMs;
  const hi = bounds.nowMs + bounds.afterMaxMs;
  const baseTimestamp = readInt64(buf, pos + BASE_TIMESTAMP);
  const bad = (t: number): boolean => t < lo || t > hi;
  let culprit: number | null = bad(maxTimestamp) ? maxTimestamp : bad(baseTimestamp) ? baseTimestamp : null;
  if (culprit === null && bounds.beforeMaxMs < Number.MAX_SAFE_INTEGER && (attributes & ATTR_COMPRESSION_MASK) === 0) {
    const batch = {
      position: 0,
      sizeBytes: size,
      baseOffset: readInt64(buf, pos + BASE_OFFSET),
      lastOffset: 0,
      magic: 2,
      attributes,
      baseTimestamp,
      maxTimestamp,
      recordsCount,
    };
    culprit = findRecord(batch, buf.subarray(pos, pos + size), (t) => bad(t))?.timestamp ?? null;
  }
  if (culprit !== null) {
    fail(
      ErrorCode.INVALID_TIMESTAMP,
      pos,
      `timestamp ${culprit} is outside [now - message.timestamp.before.max.ms, now + message.timestamp.after.max.ms] = [${lo}, ${hi}]`,
    );
  }
}
