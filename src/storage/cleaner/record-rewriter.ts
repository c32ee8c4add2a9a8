/**
 * Record-level access for the cleaner, the one place the storage layer looks inside records besides their
 * timestamps. Records are kept as raw bytes: the cleaner needs a record's key (for the offset map), whether its
 * value is null (a tombstone), its offset and timestamp; everything from the key on is copied untouched when a
 * batch is rebuilt. Rebuilding rewrites only each record's timestamp delta (KIP-534: a batch carrying a delete
 * horizon stores it as baseTimestamp, record deltas are relative to it) and recompresses with the batch's codec.
 */
import { ByteReader } from '../../protocol/bytes.js';
import { compress } from '../../protocol/compression/index.js';
import { decompressBounded } from '../../protocol/compression/bounded.js';
import { KafkaError } from '../../protocol/errors.js';
import { startWalk, walkRecords } from '../../protocol/records/record-walker.js';
import { CompressionType } from '../../protocol/compression/types.js';
import {
  ATTRIBUTES,
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE,
  BASE_TIMESTAMP,
  BATCH_LENGTH,
  CRC,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAX_TIMESTAMP,
  PRODUCER_ID,
  RECORDS_COUNT,
  RECORD_BATCH_OVERHEAD,
  computeBatchCrc,
  readInt64,
  writeInt64,
} from '../../protocol/records/batch-header.js';
import { sizeOfVarint, writeVarint } from '../../protocol/records/varint.js';

export interface RawRecord {
  offset: number;
  timestamp: number;
  /** A view into the batch (or its decompressed payload); null for a key-less record. */
  key: Buffer | null;
  isTombstone: boolean;
  /** The record's attributes byte (unused by Kafka today, copied as is). */
  attributes: number;
  /** Bytes from the key length to the end of the record: key, value, headers. */
  tail: Buffer;
}

/** Header fields the cleaner decides on, read from a stored batch. */
export interface BatchFacts {
  baseOffset: number;
  lastOffset: number;
  attributes: number;
  compression: CompressionType;
  isControl: boolean;
  /** KIP-534: the delete horizon stored in baseTimestamp when the attribute bit is set, else null. */
  deleteHorizonMs: number | null;
  producerId: number;
  maxTimestamp: number;
  recordsCount: number;
}

export function batchFacts(batch: Buffer): BatchFacts {
  const attributes = batch.readInt16BE(ATTRIBUTES);
  const baseOffset = readInt64(batch, 0);
  return {
    baseOffset,
    lastOffset: baseOffset + batch.readInt32BE(LAST_OFFSET_DELTA),
    attributes,
    compression: (attributes & ATTR_COMPRESSION_MASK) as CompressionType,
    isControl: (attributes & ATTR_CONTROL) !== 0,
    deleteHorizonMs: (attributes & ATTR_DELETE_HORIZON) !== 0 ? readInt64(batch, BASE_TIMESTAMP) : null,
    producerId: readInt64(batch, PRODUCER_ID),
    maxTimestamp: readInt64(batch, MAX_TIMESTAMP),
    recordsCount: batch.readInt32BE(RECORDS_COUNT),
  };
}

/**
 * The records of one stored v2 batch (decompressed within `decompressedLimitBytes`), or an
 * `UnreadableBatch` when the batch cannot be read: a corrupt payload, records that contradict the header
 * (written by a release that did not walk records on produce), or a payload past the bound. The records'
 * structure is checked by the same walk as on produce (offset deltas may have gaps: compaction leaves them).
 */
export async function readRawRecords(batch: Buffer, decompressedLimitBytes: number): Promise<RawRecord[] | UnreadableBatch> {
  const facts = batchFacts(batch);
  const baseTimestamp = readInt64(batch, BASE_TIMESTAMP);
  const logAppendTime = (facts.attributes & ATTR_TIMESTAMP_TYPE) !== 0 ? facts.maxTimestamp : null;
  let body: Buffer;
  try {
    body = await decompressBounded(facts.compression, batch.subarray(RECORD_BATCH_OVERHEAD), decompressedLimitBytes);
    walkRecords(body, body.length, startWalk(0, facts.recordsCount, baseTimestamp, 0, { sequentialOffsets: false, requireKeys: false }));
  } catch (err) {
    if (err instanceof KafkaError) return { unreadable: err.message };
    throw err;
  }
  const r = new ByteReader(body);
  const out: RawRecord[] = [];
  for (let i = 0; i < facts.recordsCount; i++) {
    const length = r.varint();
    const start = r.pos;
    const attributes = r.int8();
    const timestamp = logAppendTime ?? baseTimestamp + r.varlong();
    if (logAppendTime !== null) r.varlong();
    const offset = facts.baseOffset + r.varint();
    const tailStart = r.pos;
    const keyLength = r.varint();
    const key = keyLength < 0 ? null : body.subarray(r.pos, r.pos + keyLength);
    if (keyLength > 0) r.pos += keyLength;
    const valueLength = r.varint();
    out.push({ offset, timestamp, key, isTombstone: valueLength < 0, attributes, tail: body.subarray(tailStart, start + length) });
    r.pos = start + length;
  }
  return out;
}

/** Why a stored batch could not be read; the cleaner keeps such a batch as it is. */
export interface UnreadableBatch {
  unreadable: string;
}

export function isUnreadable(r: RawRecord[] | UnreadableBatch): r is UnreadableBatch {
  return !Array.isArray(r);
}

/**
 * Rebuilds `original` (a stored batch) with only `records`, keeping its base offset, last offset delta (so the
 * batch still ends where it ended: Kafka preserves it for producer state), leader epoch, producer fields,
 * timestamp type and codec. `deleteHorizonMs` non-null sets the KIP-534 bit and stores the horizon as
 * baseTimestamp. With no records, Kafka's empty batch: the header alone, uncompressed.
 */
export async function rebuildBatch(original: Buffer, records: readonly RawRecord[], deleteHorizonMs: number | null): Promise<Buffer> {
  const facts = batchFacts(original);
  const logAppend = (facts.attributes & ATTR_TIMESTAMP_TYPE) !== 0;
  let attributes = facts.attributes & ~ATTR_DELETE_HORIZON;
  if (records.length === 0) {
    attributes &= ~ATTR_COMPRESSION_MASK;
    return finishBatch(original, Buffer.alloc(0), attributes, facts.maxTimestamp, facts.maxTimestamp, 0);
  }
  if (deleteHorizonMs !== null) attributes |= ATTR_DELETE_HORIZON;
  const baseTimestamp = deleteHorizonMs ?? records[0]!.timestamp;
  let maxTimestamp = -1;
  let size = 0;
  const lengths: number[] = [];
  for (const rec of records) {
    if (rec.timestamp > maxTimestamp) maxTimestamp = rec.timestamp;
    const tsDelta = logAppend ? 0 : rec.timestamp - baseTimestamp;
    const length = 1 + sizeOfVarint(tsDelta) + sizeOfVarint(rec.offset - facts.baseOffset) + rec.tail.length;
    lengths.push(length);
    size += sizeOfVarint(length) + length;
  }
  const body = Buffer.allocUnsafe(size);
  let p = 0;
  records.forEach((rec, i) => {
    p = writeVarint(body, p, lengths[i]!);
    body.writeInt8(rec.attributes, p++);
    p = writeVarint(body, p, logAppend ? 0 : rec.timestamp - baseTimestamp);
    p = writeVarint(body, p, rec.offset - facts.baseOffset);
    p += rec.tail.copy(body, p);
  });
  const payload = facts.compression === CompressionType.None ? body : await compress(facts.compression, body);
  // LogAppendTime batches keep the broker's stamp; CreateTime batches report the largest record left.
  return finishBatch(original, payload, attributes, baseTimestamp, logAppend ? facts.maxTimestamp : maxTimestamp, records.length);
}

function finishBatch(
  original: Buffer,
  payload: Buffer,
  attributes: number,
  baseTimestamp: number,
  maxTimestamp: number,
  recordsCount: number,
): Buffer {
  const buf = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + payload.length);
  original.copy(buf, 0, 0, RECORD_BATCH_OVERHEAD);
  payload.copy(buf, RECORD_BATCH_OVERHEAD);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH);
  buf.writeInt16BE(attributes, ATTRIBUTES);
  writeInt64(buf, BASE_TIMESTAMP, baseTimestamp);
  writeInt64(buf, MAX_TIMESTAMP, maxTimestamp);
  buf.writeInt32BE(recordsCount, RECORDS_COUNT);
  buf.writeUInt32BE(computeBatchCrc(buf), CRC);
  return buf;
}
