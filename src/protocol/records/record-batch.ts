/**
 * Builds magic-2 record batches. Decoding lives in decode-batches.ts and is re-exported here so
 * that record-batch.js is the one import for both directions.
 */
import { compress, compressSync } from '../compression/index.js';
import { CompressionType } from '../compression/types.js';
import {
  ATTR_CONTROL,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  BATCH_LENGTH,
  computeBatchCrc,
  CRC,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT,
  writeInt64,
} from './batch-header.js';
import { planRecords, writeRecords, type RecordsPlan } from './record-encoder.js';
import type { RecordInput, TimestampType } from './types.js';

export { decodeRecordBatches, type DecodeOptions } from './decode-batches.js';
export { iterateBatchHeaders, readMagic } from './batch-iterator.js';

export interface BuildRecordBatchOptions {
  baseOffset?: number;
  records: readonly RecordInput[];
  compression?: CompressionType;
  /** -1 (the default) when the producer is not idempotent. */
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  /** Control batches hold transaction markers (see control.ts); the broker writes them. */
  control?: boolean;
  partitionLeaderEpoch?: number;
  timestampType?: TimestampType;
  /**
   * For 'log-append' batches: the broker's append time, stored as maxTimestamp and reported as
   * every record's timestamp by readers. Defaults to now.
   */
  logAppendTime?: number;
  /** The clock for records without a timestamp (tests pin it). Defaults to Date.now(). */
  now?: number;
  /** Where an uncompressed batch is built (e.g. a pool's buffer). Default Buffer.allocUnsafe. */
  alloc?: (size: number) => Buffer;
}

/** Header fields that do not depend on compression. */
function attributesOf(opts: Omit<BuildRecordBatchOptions, 'records'>, compression: CompressionType): number {
  let attrs: number = compression;
  if (opts.timestampType === 'log-append') attrs |= ATTR_TIMESTAMP_TYPE;
  if (opts.transactional) attrs |= ATTR_TRANSACTIONAL;
  if (opts.control) attrs |= ATTR_CONTROL;
  return attrs;
}

function plan(opts: BuildRecordBatchOptions): RecordsPlan {
  if (opts.records.length === 0) throw new RangeError('a record batch needs at least one record');
  return planRecords(opts.records, opts.now ?? Date.now());
}

function writeHeader(buf: Buffer, opts: Omit<BuildRecordBatchOptions, 'records'>, p: RecordsPlan, compression: CompressionType, count: number): void {
  writeInt64(buf, BASE_OFFSET, opts.baseOffset ?? 0);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH);
  buf.writeInt32BE(opts.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH);
  buf.writeInt8(2, MAGIC);
  buf.writeInt16BE(attributesOf(opts, compression), ATTRIBUTES);
  buf.writeInt32BE(p.lastOffsetDelta, LAST_OFFSET_DELTA);
  writeInt64(buf, BASE_TIMESTAMP, p.baseTimestamp);
  const maxTimestamp = opts.timestampType === 'log-append' ? (opts.logAppendTime ?? p.now) : p.maxTimestamp;
  writeInt64(buf, MAX_TIMESTAMP, maxTimestamp);
  writeInt64(buf, PRODUCER_ID, opts.producerId ?? -1);
  buf.writeInt16BE(opts.producerEpoch ?? -1, PRODUCER_EPOCH);
  buf.writeInt32BE(opts.baseSequence ?? -1, BASE_SEQUENCE);
  buf.writeInt32BE(count, RECORDS_COUNT);
  // CRC covers attributes..end, so it goes last.
  buf.writeUInt32BE(computeBatchCrc(buf), CRC);
}

/** Uncompressed: the records are written straight behind the header in a single allocation. */
function buildUncompressed(opts: BuildRecordBatchOptions, p: RecordsPlan): Buffer {
  const buf = (opts.alloc ?? Buffer.allocUnsafe)(RECORD_BATCH_OVERHEAD + p.size);
  writeRecords(buf, RECORD_BATCH_OVERHEAD, opts.records, p);
  writeHeader(buf, opts, p, CompressionType.None, opts.records.length);
  return buf;
}

function encodeBody(opts: BuildRecordBatchOptions, p: RecordsPlan): Buffer {
  const body = Buffer.allocUnsafe(p.size);
  writeRecords(body, 0, opts.records, p);
  return body;
}

function assemble(opts: Omit<BuildRecordBatchOptions, 'records'>, p: RecordsPlan, type: CompressionType, payload: Buffer, count: number): Buffer {
  const buf = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + payload.length);
  payload.copy(buf, RECORD_BATCH_OVERHEAD);
  writeHeader(buf, opts, p, type, count);
  return buf;
}

/** A valid magic-2 batch with its CRC-32C set. Compression runs off the event loop. */
export async function buildRecordBatch(opts: BuildRecordBatchOptions): Promise<Buffer> {
  const p = plan(opts);
  const type = opts.compression ?? CompressionType.None;
  if (type === CompressionType.None) return buildUncompressed(opts, p);
  return assemble(opts, p, type, await compress(type, encodeBody(opts, p)), opts.records.length);
}

/** Same as buildRecordBatch, compressing on the calling thread. */
export function buildRecordBatchSync(opts: BuildRecordBatchOptions): Buffer {
  const p = plan(opts);
  const type = opts.compression ?? CompressionType.None;
  if (type === CompressionType.None) return buildUncompressed(opts, p);
  return assemble(opts, p, type, compressSync(type, encodeBody(opts, p)), opts.records.length);
}

/** A batch whose records were appended one by one (writeRecord) by an incremental builder. */
export interface SealOptions {
  count: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /** A transactional producer's batch (attribute bit 4): held back from read_committed until its marker. */
  transactional?: boolean;
}

function sealPlan(o: SealOptions): RecordsPlan {
  return { lens: [], size: 0, now: o.baseTimestamp, baseTimestamp: o.baseTimestamp, maxTimestamp: o.maxTimestamp, lastOffsetDelta: o.count - 1 };
}

/**
 * Completes, in place, an uncompressed batch whose records (offset deltas 0..count-1) were written
 * from RECORD_BATCH_OVERHEAD to the end of `buf`: header fields, then the CRC.
 */
export function sealRecordBatch(buf: Buffer, o: SealOptions): Buffer {
  writeHeader(buf, o, sealPlan(o), CompressionType.None, o.count);
  return buf;
}

/** Same for a compressed batch: `records` (the appended records) are compressed off the event loop. */
export async function sealCompressedRecordBatch(records: Buffer, type: CompressionType, o: SealOptions): Promise<Buffer> {
  return assemble(o, sealPlan(o), type, await compress(type, records), o.count);
}
