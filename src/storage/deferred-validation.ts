/**
 * The asynchronous half of validating a client's record set (log-validator.ts is the synchronous half), and
 * `compression.type` on append. For each batch the synchronous pass deferred (compressed ones that may
 * decompress to more than SYNC_DECOMPRESS_MAX_BYTES, uncompressed ones larger than SYNC_WALK_MAX_BYTES) and
 * each batch in another codec than the topic's:
 * 1. the payload is decompressed within a bound (protocol/compression/bounded.ts: refused from its framing
 *    before inflating, or stopped by zlib at the bound), in the thread pool, holding bytes of a shared
 *    ByteBudget so that the memory all such requests hold at once is bounded too;
 * 2. its records are walked (record-walker.ts) in slices of WALK_SLICE_STEPS, yielding to the event loop
 *    between slices, so no single request holds the loop for long;
 * 3. when the topic names another codec, the decompressed records section is compressed with it and the
 *    header rewritten (codec bits, batchLength, CRC). Records are never decoded into objects: the section
 *    is the same bytes in any codec.
 * Nothing is appended when any batch fails; the caller gets the KafkaError.
 */
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { compress } from '../protocol/compression/index.js';
import { boundedSize, decompressBounded } from '../protocol/compression/bounded.js';
import { CompressionType } from '../protocol/compression/types.js';
import {
  ATTRIBUTES,
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  BATCH_LENGTH,
  CRC,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  computeBatchCrc,
} from '../protocol/records/batch-header.js';
import { startWalk, walkRecords } from '../protocol/records/record-walker.js';
import { ByteBudget } from './byte-budget.js';
import { walkRules, type BatchInfo, type ValidateOptions, type ValidationResult } from './log-validator.js';

/** Decompressed bytes all appends together may hold at once (per process unless a log is given its own). */
export const DECOMPRESSION_BUDGET_BYTES = 256 * 1024 * 1024;
/** A batch may decompress to max(this, DECOMPRESSION_RATIO × max.message.bytes), capped by the budget. */
export const DECOMPRESSED_MIN_LIMIT_BYTES = 64 * 1024 * 1024;
export const DECOMPRESSION_RATIO = 16;
/** Records and headers walked per event-loop turn: a few milliseconds at most. */
export const WALK_SLICE_STEPS = 100_000;

export const DEFAULT_DECOMPRESSION_BUDGET = new ByteBudget(DECOMPRESSION_BUDGET_BYTES);

/** The most a batch of a log with this max.message.bytes may decompress to. */
export function decompressedLimitBytes(maxMessageBytes: number, budget: ByteBudget): number {
  return Math.min(budget.capacityBytes, Math.max(DECOMPRESSED_MIN_LIMIT_BYTES, DECOMPRESSION_RATIO * maxMessageBytes));
}

function needsRewrite(info: BatchInfo, target: CompressionType | null): boolean {
  // Control batches (transaction markers) are written by the broker and never carry compression.
  return target !== null && (info.attributes & ATTR_CONTROL) === 0 && info.compression !== target;
}

/** Whether `prepareBatches` has work for this set (else the set can be appended as it is, synchronously). */
export function needsPreparation(v: ValidationResult, recompressTo: CompressionType | null): boolean {
  return v.deferred.length > 0 || (recompressTo !== null && v.batchInfos.some((b) => needsRewrite(b, recompressTo)));
}

export interface PrepareOptions {
  validate: ValidateOptions;
  /** The topic's codec (compression.type other than `producer`), or null to keep each batch's own. */
  recompressTo: CompressionType | null;
  budget: ByteBudget;
}

/**
 * Validates the deferred batches of `buf` (described by `v`) and rewrites those in another codec than
 * `recompressTo`. Resolves to `buf` itself when nothing was rewritten, else to a new buffer.
 */
export async function prepareBatches(buf: Buffer, v: ValidationResult, opts: PrepareOptions): Promise<Buffer> {
  const deferred = new Set(v.deferred);
  const limitBytes = decompressedLimitBytes(opts.validate.maxMessageBytes, opts.budget);
  const rules = walkRules(opts.validate);
  const parts: Buffer[] = [];
  let rewritten = false;
  for (const info of v.batchInfos) {
    const bytes = buf.subarray(info.position, info.position + info.sizeBytes);
    const rewrite = needsRewrite(info, opts.recompressTo);
    if (!rewrite && !deferred.has(info)) {
      parts.push(bytes);
      continue;
    }
    if (info.records !== undefined) {
      // Decompressed and walked by the synchronous pass: only the rebuild is left.
      parts.push(await withCodec(bytes, info.records, opts.recompressTo!));
      rewritten = true;
      continue;
    }
    const payload = bytes.subarray(RECORD_BATCH_OVERHEAD);
    // Refused here, before any memory is taken, when the framing allows more than the limit.
    const reserve = info.compression === CompressionType.None ? 0 : boundedSize(info.compression, payload, limitBytes);
    const release = await opts.budget.acquire(reserve);
    try {
      const records = await decompressBounded(info.compression, payload, limitBytes);
      if (deferred.has(info)) await walkInSlices(records, info, rules);
      if (rewrite) {
        parts.push(await withCodec(bytes, records, opts.recompressTo!));
        rewritten = true;
      } else {
        parts.push(bytes);
      }
    } finally {
      release();
    }
  }
  if (!rewritten) return buf;
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

async function walkInSlices(records: Buffer, info: BatchInfo, rules: ReturnType<typeof walkRules>): Promise<void> {
  const walk = startWalk(0, info.recordsCount, info.baseTimestamp, info.position, rules);
  while (!walkRecords(records, records.length, walk, WALK_SLICE_STEPS)) await yieldToLoop();
}

/** `batch` with its records section replaced by `records` compressed with `codec`: same header, new codec bits, length and CRC. */
async function withCodec(batch: Buffer, records: Buffer, codec: CompressionType): Promise<Buffer> {
  const payload = codec === CompressionType.None ? records : await compress(codec, records);
  const out = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + payload.length);
  batch.copy(out, 0, 0, RECORD_BATCH_OVERHEAD);
  payload.copy(out, RECORD_BATCH_OVERHEAD);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH);
  out.writeInt16BE((batch.readInt16BE(ATTRIBUTES) & ~ATTR_COMPRESSION_MASK) | codec, ATTRIBUTES);
  out.writeUInt32BE(computeBatchCrc(out), CRC);
  return out;
}
