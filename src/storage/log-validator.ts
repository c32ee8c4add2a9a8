/**
 * Validation of a produce request's record set for one partition, as Kafka's LogValidator does before any
 * byte reaches the log: every batch header, and for client batches every record's structure
 * (protocol/records/record-walker.ts: lengths, varints, offset deltas, keys, timestamps — no objects built).
 * Uncompressed batches up to SYNC_WALK_MAX_BYTES, and compressed ones that decompress to at most
 * SYNC_DECOMPRESS_MAX_BYTES, are decompressed and walked here, synchronously (a thread-pool round trip costs more
 * than decompressing a typical batch); the others are returned as `deferred`, for deferred-validation.ts to
 * decompress within a bound, off the event loop, and walk in slices.
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
  BASE_TIMESTAMP,
  readInt64,
} from '../protocol/records/batch-header.js';
import { decompressSyncWithin } from '../protocol/compression/bounded.js';
import type { CompressionType } from '../protocol/compression/types.js';
import { startWalk, walkRecords, type WalkRules } from '../protocol/records/record-walker.js';

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
  baseTimestamp: number;
  attributes: number;
  compression: CompressionType;
  /** The decompressed records section when validation decompressed it (reused to recompress). */
  records?: Buffer;
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
  /**
   * Client batches whose records were not walked here (compressed, or larger than SYNC_WALK_MAX_BYTES): they
   * must pass `validateDeferred` before the set is appended.
   */
  deferred: BatchInfo[];
}

/**
 * Uncompressed batches up to this size are walked synchronously (about 10 ms of the event loop in the worst
 * case, 2-byte headers all the way); larger ones are walked in slices by deferred-validation.ts.
 */
export const SYNC_WALK_MAX_BYTES = 2 * 1024 * 1024;
/** Compressed batches whose framing allows at most this much output are decompressed on the event loop (≤ a few ms). */
export const SYNC_DECOMPRESS_MAX_BYTES = 1024 * 1024;

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
    deferred: [],
  };
  const rules = walkRules(opts);
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
    }
    const maxTimestamp = readInt64(buf, pos + MAX_TIMESTAMP);
    const baseTimestamp = readInt64(buf, pos + BASE_TIMESTAMP);
    if (opts.timestamps !== undefined) checkHeaderTimestamps(pos, baseTimestamp, maxTimestamp, opts.timestamps);
    if (maxTimestamp > result.maxTimestamp) result.maxTimestamp = maxTimestamp;
    const compression = (attributes & ATTR_COMPRESSION_MASK) as CompressionType;
    const info: BatchInfo = { position: pos, sizeBytes: size, lastOffsetDelta, recordsCount, maxTimestamp, baseTimestamp, attributes, compression };
    if (origin === 'client') {
      if (compression === 0) {
        if (size <= SYNC_WALK_MAX_BYTES) walkBatch(buf, pos + RECORD_BATCH_OVERHEAD, pos + size, info, rules);
        else result.deferred.push(info);
      } else {
        const records = decompressSyncWithin(compression, buf.subarray(pos + RECORD_BATCH_OVERHEAD, pos + size), SYNC_DECOMPRESS_MAX_BYTES);
        if (records === null) {
          result.deferred.push(info);
        } else {
          walkBatch(records, 0, records.length, info, rules);
          info.records = records;
        }
      }
    }
    result.batches++;
    result.records += recordsCount;
    result.offsetCount += lastOffsetDelta + 1;
    result.batchInfos.push(info);
    pos += size;
  }
  return result;
}

/** The record-level rules a client batch is walked with under `opts`. */
export function walkRules(opts: ValidateOptions): WalkRules {
  const t = opts.timestamps;
  return {
    sequentialOffsets: true,
    requireKeys: opts.requireKeys ?? false,
    minTimestamp: t === undefined || t.beforeMaxMs >= Number.MAX_SAFE_INTEGER ? -Infinity : t.nowMs - t.beforeMaxMs,
    maxTimestamp: t === undefined || t.afterMaxMs >= Number.MAX_SAFE_INTEGER ? Infinity : t.nowMs + t.afterMaxMs,
  };
}

/** Walks every record of the batch `info`, whose records section is `section[from, to)`, in one go. */
function walkBatch(section: Buffer, from: number, to: number, info: BatchInfo, rules: WalkRules): void {
  walkRecords(section, to, startWalk(from, info.recordsCount, info.baseTimestamp, info.position, rules));
}

/**
 * KIP-937 check on the header: the largest timestamp and the first record's. Every record's own timestamp is
 * checked by the walk.
 */
function checkHeaderTimestamps(
  pos: number,
  baseTimestamp: number,
  maxTimestamp: number,
  bounds: { nowMs: number; beforeMaxMs: number; afterMaxMs: number },
): void {
  const lo = bounds.nowMs - bounds.beforeMaxMs;
  const hi = bounds.nowMs + bounds.afterMaxMs;
  const bad = (t: number): boolean => t < lo || t > hi;
  const culprit = bad(maxTimestamp) ? maxTimestamp : bad(baseTimestamp) ? baseTimestamp : null;
  if (culprit !== null) {
    fail(
      ErrorCode.INVALID_TIMESTAMP,
      pos,
      `timestamp ${culprit} is outside [now - message.timestamp.before.max.ms, now + message.timestamp.after.max.ms] = [${lo}, ${hi}]`,
    );
  }
}
