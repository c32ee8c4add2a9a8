/**
 * Decodes the records section of a v2 batch. Checks mirror DefaultRecord/DefaultRecordBatch: each
 * record must consume exactly its declared length, and the section must hold exactly `count`
 * records with nothing left over. Any violation is CORRUPT_MESSAGE.
 *
 * Hot path of every consumer: varints take a one- or two-byte fast path (lengths below 8 KiB,
 * small deltas) and fall back to ByteReader's arithmetic, so results and errors are the same;
 * records are built by a caller-supplied factory so the consumer creates its own record objects
 * directly instead of copying from an intermediate shape.
 */
import { ProtocolDecodeError } from '../bytes.js';
import { ErrorCode, KafkaError } from '../errors.js';
import type { KafkaRecord, RecordHeader } from './types.js';

export interface RecordsContext {
  baseOffset: number;
  baseTimestamp: number;
  /** Set for LogAppendTime batches: readers report maxTimestamp as every record's timestamp. */
  logAppendTime: number | null;
}

/** Builds one record from its decoded fields; keys, values and header values are views into the buffer. */
export type RecordFactory<T> = (offset: number, timestamp: number, key: Buffer | null, value: Buffer | null, headers: RecordHeader[]) => T;

function corrupt(message: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, message);
}

class Cursor {
  constructor(
    readonly buf: Buffer,
    public pos: number,
    readonly end: number,
  ) {}
}

function need(c: Cursor, n: number): void {
  if (n < 0 || c.pos + n > c.end) throw new ProtocolDecodeError(`need ${n} bytes at ${c.pos}, have ${c.end - c.pos}`);
}

/** Unsigned LEB128 of at most `maxBytes` (5 for varints, 10 for varlongs); exact within 2^53. */
function uvarintSlow(c: Cursor, maxBytes: number): number {
  let result = 0;
  let mul = 1;
  for (let i = 0; i < maxBytes; i++) {
    need(c, 1);
    const b = c.buf[c.pos++]!;
    result += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return result;
    mul *= 128;
  }
  throw new ProtocolDecodeError(maxBytes === 5 ? 'varint is too long' : 'varlong is too long');
}

function uvarint(c: Cursor, maxBytes: number): number {
  const buf = c.buf;
  const pos = c.pos;
  if (pos + 1 < c.end) {
    const b0 = buf[pos]!;
    if (b0 < 0x80) {
      c.pos = pos + 1;
      return b0;
    }
    const b1 = buf[pos + 1]!;
    if (b1 < 0x80) {
      c.pos = pos + 2;
      return (b0 & 0x7f) | (b1 << 7);
    }
  }
  return uvarintSlow(c, maxBytes);
}

/** Zigzag decoding without 32-bit truncation (varlongs reach 2^53). */
function unzigzag(n: number): number {
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

function varint(c: Cursor): number {
  return unzigzag(uvarint(c, 5));
}

function bytesOrNull(c: Cursor, len: number): Buffer | null {
  if (len < 0) return null;
  need(c, len);
  const start = c.pos;
  c.pos = start + len;
  return c.buf.subarray(start, start + len);
}

function readHeaders(c: Cursor): RecordHeader[] {
  const n = varint(c);
  if (n < 0) throw corrupt(`invalid header count ${n}`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < n; i++) {
    const keyLen = varint(c);
    if (keyLen < 0) throw corrupt(`invalid header key length ${keyLen}`);
    need(c, keyLen);
    const key = c.buf.toString('utf8', c.pos, c.pos + keyLen);
    c.pos += keyLen;
    headers.push({ key, value: bytesOrNull(c, varint(c)) });
  }
  return headers;
}

function readRecord<T>(c: Cursor, ctx: RecordsContext, make: RecordFactory<T>): T {
  const length = varint(c);
  const start = c.pos;
  if (length < 0 || length > c.end - start) throw corrupt(`invalid record length ${length} at ${start}`);
  need(c, 1);
  c.pos++; // attributes: unused
  const timestampDelta = unzigzag(uvarint(c, 10));
  const offsetDelta = varint(c);
  const key = bytesOrNull(c, varint(c));
  const value = bytesOrNull(c, varint(c));
  const headers = readHeaders(c);
  if (c.pos - start !== length) throw corrupt(`record at ${start}: declared ${length} bytes, read ${c.pos - start}`);
  return make(ctx.baseOffset + offsetDelta, ctx.logAppendTime ?? ctx.baseTimestamp + timestampDelta, key, value, headers);
}

/**
 * Decodes `count` records from buf[start, end), appending what `make` builds to `out`. Errors
 * thrown by `make` pass through unchanged (the records before it are in `out`).
 */
export function decodeRecordsWith<T>(buf: Buffer, start: number, end: number, count: number, ctx: RecordsContext, make: RecordFactory<T>, out: T[]): void {
  if (count < 0) throw corrupt(`invalid record count ${count}`);
  const c = new Cursor(buf, start, end);
  let i = 0;
  try {
    for (; i < count; i++) out.push(readRecord(c, ctx, make));
  } catch (e) {
    if (e instanceof ProtocolDecodeError) throw corrupt(`record ${i}: ${e.message}`);
    throw e;
  }
  if (c.pos !== end) throw corrupt(`${end - c.pos} bytes left after ${count} records`);
}

const plainRecord: RecordFactory<KafkaRecord> = (offset, timestamp, key, value, headers) => ({ offset, timestamp, key, value, headers });

/** Decodes `count` records from buf[start, end). Keys, values and header values are views into buf. */
export function decodeRecords(buf: Buffer, start: number, end: number, count: number, ctx: RecordsContext): KafkaRecord[] {
  const records: KafkaRecord[] = [];
  decodeRecordsWith(buf, start, end, count, ctx, plainRecord, records);
  return records;
}
