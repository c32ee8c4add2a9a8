/**
 * Decodes the records section of a v2 batch. Checks mirror DefaultRecord/DefaultRecordBatch: each
 * record must consume exactly its declared length, and the section must hold exactly `count`
 * records with nothing left over. Any violation is CORRUPT_MESSAGE.
 */
import { ByteReader, ProtocolDecodeError } from '../bytes.js';
import { ErrorCode, KafkaError } from '../errors.js';
import type { KafkaRecord, RecordHeader } from './types.js';

export interface RecordsContext {
  baseOffset: number;
  baseTimestamp: number;
  /** Set for LogAppendTime batches: readers report maxTimestamp as every record's timestamp. */
  logAppendTime: number | null;
}

function corrupt(message: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, message);
}

function readHeaders(r: ByteReader): RecordHeader[] {
  const n = r.varint();
  if (n < 0) throw corrupt(`invalid header count ${n}`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < n; i++) {
    const keyLen = r.varint();
    if (keyLen < 0) throw corrupt(`invalid header key length ${keyLen}`);
    const key = r.utf8(keyLen);
    const valueLen = r.varint();
    headers.push({ key, value: valueLen < 0 ? null : r.raw(valueLen) });
  }
  return headers;
}

function readRecord(r: ByteReader, ctx: RecordsContext): KafkaRecord {
  const length = r.varint();
  const start = r.pos;
  if (length < 0 || length > r.remaining) throw corrupt(`invalid record length ${length} at ${start}`);
  r.int8(); // attributes: unused
  const timestampDelta = r.varlong();
  const offsetDelta = r.varint();
  const keyLen = r.varint();
  const key = keyLen < 0 ? null : r.raw(keyLen);
  const valueLen = r.varint();
  const value = valueLen < 0 ? null : r.raw(valueLen);
  const headers = readHeaders(r);
  if (r.pos - start !== length) throw corrupt(`record at ${start}: declared ${length} bytes, read ${r.pos - start}`);
  return {
    offset: ctx.baseOffset + offsetDelta,
    timestamp: ctx.logAppendTime ?? ctx.baseTimestamp + timestampDelta,
    key,
    value,
    headers,
  };
}

/** Decodes `count` records from buf[start, end). Keys, values and header values are views into buf. */
export function decodeRecords(
  buf: Buffer,
  start: number,
  end: number,
  count: number,
  ctx: RecordsContext,
): KafkaRecord[] {
  if (count < 0) throw corrupt(`invalid record count ${count}`);
  const r = new ByteReader(buf, start, end);
  const records: KafkaRecord[] = [];
  try {
    for (let i = 0; i < count; i++) records.push(readRecord(r, ctx));
  } catch (e) {
    if (e instanceof ProtocolDecodeError) throw corrupt(`record ${records.length}: ${e.message}`);
    throw e;
  }
  if (r.remaining !== 0) throw corrupt(`${r.remaining} bytes left after ${count} records`);
  return records;
}
