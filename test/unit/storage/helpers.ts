/**
 * Test helpers for the storage layer: a minimal magic-2 batch builder (CRC32C over attributes..end), temp
 * dirs, and a brute-force reader of segment files. Importing this module has no side effects.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ByteReader, ByteWriter } from '../../../src/protocol/bytes.js';
import { crc32c } from '../../../src/protocol/records/crc32c.js';
import { readInt64 } from '../../../src/protocol/records/batch-header.js';
import assert from 'node:assert/strict';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { validateBatches, type ValidateOptions, type ValidationResult } from '../../../src/storage/log-validator.js';
import { prepareBatches } from '../../../src/storage/deferred-validation.js';
import { ByteBudget } from '../../../src/storage/byte-budget.js';

export interface TestRecord {
  key?: Buffer | null;
  value: Buffer | null;
  /** Absolute timestamp; defaults to the batch's baseTimestamp. */
  timestamp?: number;
}

export interface TestBatchOptions {
  records: TestRecord[];
  baseOffset?: number;
  baseTimestamp?: number;
  /** Defaults to the largest record timestamp. */
  maxTimestamp?: number;
  /** Attribute bits (compression codec, timestamp type, transactional, control). */
  attributes?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  magic?: number;
  /** Override lastOffsetDelta / recordsCount to build invalid batches. */
  lastOffsetDelta?: number;
  recordsCount?: number;
  /** Replace the records section with these raw bytes (e.g. a fake "compressed" payload). */
  rawRecords?: Buffer;
}

function encodeRecord(r: TestRecord, baseTimestamp: number, offsetDelta: number): Buffer {
  const body = new ByteWriter();
  body.int8(0);
  body.varlong((r.timestamp ?? baseTimestamp) - baseTimestamp);
  body.varint(offsetDelta);
  const key = r.key ?? null;
  if (key === null) body.varint(-1);
  else body.varint(key.length).raw(key);
  if (r.value === null) body.varint(-1);
  else body.varint(r.value.length).raw(r.value);
  body.varint(0);
  const bytes = body.toBuffer();
  return new ByteWriter().varint(bytes.length).raw(bytes).toBuffer();
}

/** A magic-2 batch with a correct CRC32C (unless you corrupt it afterwards). */
export function makeBatch(opts: TestBatchOptions): Buffer {
  const baseTimestamp = opts.baseTimestamp ?? opts.records[0]?.timestamp ?? 1_700_000_000_000;
  const timestamps = opts.records.map((r) => r.timestamp ?? baseTimestamp);
  const maxTimestamp = opts.maxTimestamp ?? (timestamps.length > 0 ? Math.max(...timestamps) : baseTimestamp);
  const records =
    opts.rawRecords ?? Buffer.concat(opts.records.map((r, i) => encodeRecord(r, baseTimestamp, i)));
  const w = new ByteWriter();
  w.int64(opts.baseOffset ?? 0);
  w.int32(0); // batchLength, patched below
  w.int32(-1); // partitionLeaderEpoch
  w.int8(opts.magic ?? 2);
  w.uint32(0); // crc, patched below
  w.int16(opts.attributes ?? 0);
  w.int32(opts.lastOffsetDelta ?? opts.records.length - 1);
  w.int64(baseTimestamp);
  w.int64(maxTimestamp);
  w.int64(opts.producerId ?? -1);
  w.int16(opts.producerEpoch ?? -1);
  w.int32(opts.baseSequence ?? -1);
  w.int32(opts.recordsCount ?? opts.records.length);
  w.raw(records);
  const buf = Buffer.from(w.toBuffer());
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17);
  return buf;
}

/** `n` records with values `${prefix}-${i}` and the given timestamp. */
export function valuesBatch(n: number, prefix = 'v', timestamp = 1_700_000_000_000, valueBytes = 0): Buffer {
  const records: TestRecord[] = [];
  for (let i = 0; i < n; i++) {
    const v = `${prefix}-${i}`;
    records.push({ value: Buffer.from(valueBytes > v.length ? v.padEnd(valueBytes, '.') : v), timestamp });
  }
  return makeBatch({ records });
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tributary-storage-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface ParsedBatch {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  attributes: number;
  bytes: Buffer;
}

/** Splits a buffer of whole batches. */
export function splitBatches(buf: Buffer): ParsedBatch[] {
  const out: ParsedBatch[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const size = 12 + buf.readInt32BE(pos + 8);
    const bytes = buf.subarray(pos, pos + size);
    const baseOffset = readInt64(bytes, 0);
    out.push({
      baseOffset,
      lastOffset: baseOffset + bytes.readInt32BE(23),
      maxTimestamp: readInt64(bytes, 35),
      attributes: bytes.readInt16BE(21),
      bytes,
    });
    pos += size;
  }
  return out;
}

/** Every batch of every segment in `dir`, in file order, read without any index. */
export async function bruteForceBatches(dir: string): Promise<ParsedBatch[]> {
  const logs = (await readdir(dir)).filter((n) => n.endsWith('.log')).sort();
  const out: ParsedBatch[] = [];
  for (const name of logs) out.push(...splitBatches(await readFile(path.join(dir, name))));
  return out;
}

/** (offset, timestamp) of every record of an uncompressed CreateTime batch. */
export function recordTimestamps(batch: Buffer): Array<{ offset: number; timestamp: number }> {
  const baseOffset = readInt64(batch, 0);
  const baseTimestamp = readInt64(batch, 27);
  const count = batch.readInt32BE(57);
  const r = new ByteReader(batch, 61);
  const out: Array<{ offset: number; timestamp: number }> = [];
  for (let i = 0; i < count; i++) {
    const len = r.varint();
    const start = r.pos;
    r.int8();
    const ts = baseTimestamp + r.varlong();
    const od = r.varint();
    out.push({ offset: baseOffset + od, timestamp: ts });
    r.pos = start + len;
  }
  return out;
}

/** A deterministic PRNG (mulberry32) so randomized tests replay from their seed. */
export { mulberry32 as rng } from '../../helpers/fuzz.js';

/** Both halves of validation, as PartitionLog.append runs them: the synchronous pass, then the deferred batches. */
export async function validateAll(buf: Buffer, o: ValidateOptions): Promise<ValidationResult> {
  const v = validateBatches(buf, o);
  await prepareBatches(buf, v, { validate: o, recompressTo: null, budget: new ByteBudget(256 << 20) });
  return v;
}

export async function assertRejects(p: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof KafkaError, `expected KafkaError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${ErrorCode[code]}, got ${ErrorCode[err.code]}: ${err.message}`);
    if (message) assert.match(err.message, message);
    return true;
  });
}

