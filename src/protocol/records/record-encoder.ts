/**
 * Encodes the records section of a v2 batch in two passes: the first measures every field (string
 * byte lengths included) into a flat number list, the second writes into one exact-size Buffer.
 * No per-record objects or intermediate Buffers: this is the producer's hot path.
 */
import type { RecordData, RecordHeaderInput, RecordHeadersInput, RecordInput } from './types.js';
import { sizeOfVarint, writeVarint } from './varint.js';

export interface RecordsPlan {
  /** Per record: bodySize, keyLen, valueLen, headerCount, then keyLen/valueLen per header (-1 = null). */
  readonly lens: number[];
  readonly size: number;
  readonly now: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly lastOffsetDelta: number;
}

function byteLen(d: RecordData | null | undefined): number {
  if (d == null) return -1;
  return typeof d === 'string' ? Buffer.byteLength(d, 'utf8') : d.length;
}

function sizeOfBytes(len: number): number {
  return sizeOfVarint(len) + (len > 0 ? len : 0);
}

function writeBytes(buf: Buffer, pos: number, d: RecordData | null | undefined, len: number): number {
  pos = writeVarint(buf, pos, len);
  if (len <= 0) return pos;
  if (typeof d === 'string') buf.write(d, pos, len, 'utf8');
  else buf.set(d!, pos);
  return pos + len;
}

/** Calls `fn` for each header in list or map form, skipping undefined map entries. */
function forEachHeader(
  headers: RecordHeadersInput,
  fn: (key: string, value: RecordData | null) => void,
): void {
  if (Array.isArray(headers)) {
    for (const h of headers as readonly { key: string; value: RecordData | null }[]) fn(h.key, h.value);
    return;
  }
  const map = headers as Readonly<Record<string, RecordData | null | undefined>>;
  for (const k in map) {
    const v = map[k];
    if (v !== undefined && Object.hasOwn(map, k)) fn(k, v);
  }
}

export function planRecords(records: readonly RecordInput[], now: number): RecordsPlan {
  const lens: number[] = [];
  let size = 0;
  const first = records[0];
  const baseTimestamp = first?.timestamp ?? now;
  let maxTimestamp = -1;
  let prevDelta = -1;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const ts = r.timestamp ?? now;
    if (!Number.isSafeInteger(ts)) throw new RangeError(`record ${i}: timestamp ${ts} is not an integer`);
    if (ts > maxTimestamp) maxTimestamp = ts;
    const offsetDelta = r.offsetDelta ?? i;
    if (!Number.isInteger(offsetDelta) || offsetDelta <= prevDelta || offsetDelta > 0x7fffffff) {
      throw new RangeError(`record ${i}: offsetDelta ${offsetDelta} must be an increasing int32`);
    }
    prevDelta = offsetDelta;

    const at = lens.length;
    lens.push(0, byteLen(r.key), byteLen(r.value), 0);
    let body = 1 + sizeOfVarint(ts - baseTimestamp) + sizeOfVarint(offsetDelta);
    body += sizeOfBytes(lens[at + 1]!) + sizeOfBytes(lens[at + 2]!);
    let headerCount = 0;
    if (r.headers) {
      forEachHeader(r.headers, (key, value) => {
        const kl = Buffer.byteLength(key, 'utf8');
        const vl = byteLen(value);
        lens.push(kl, vl);
        body += sizeOfBytes(kl) + sizeOfBytes(vl);
        headerCount++;
      });
    }
    body += sizeOfVarint(headerCount);
    lens[at] = body;
    lens[at + 3] = headerCount;
    size += sizeOfVarint(body) + body;
  }
  return { lens, size, now, baseTimestamp, maxTimestamp, lastOffsetDelta: prevDelta };
}

/** Writes the records measured by `plan` at `pos`; returns the position after them. */
export function writeRecords(buf: Buffer, pos: number, records: readonly RecordInput[], plan: RecordsPlan): number {
  const { lens, now, baseTimestamp } = plan;
  let li = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    pos = writeVarint(buf, pos, lens[li]!);
    buf[pos++] = 0; // record attributes: unused
    pos = writeVarint(buf, pos, (r.timestamp ?? now) - baseTimestamp);
    pos = writeVarint(buf, pos, r.offsetDelta ?? i);
    pos = writeBytes(buf, pos, r.key, lens[li + 1]!);
    pos = writeBytes(buf, pos, r.value, lens[li + 2]!);
    pos = writeVarint(buf, pos, lens[li + 3]!);
    li += 4;
    if (r.headers) {
      forEachHeader(r.headers, (key, value) => {
        pos = writeBytes(buf, pos, key, lens[li]!);
        pos = writeBytes(buf, pos, value, lens[li + 1]!);
        li += 2;
      });
    }
  }
  return pos;
}

// ------------------------------------------------------------ one record at a time

/**
 * Body size (everything after the length prefix) of one record with Buffer key/value, for a
 * builder that appends records to a batch as they arrive (the producer) instead of planning a
 * whole list. `writeRecord` then writes exactly `sizeOfVarint(body) + body` bytes.
 */
export function recordBodySize(
  offsetDelta: number,
  timestampDelta: number,
  key: Uint8Array | null,
  value: Uint8Array | null,
  headers: readonly RecordHeaderInput[] | undefined,
): number {
  let body = 1 + sizeOfVarint(timestampDelta) + sizeOfVarint(offsetDelta);
  body += key === null ? 1 : sizeOfVarint(key.length) + key.length;
  body += value === null ? 1 : sizeOfVarint(value.length) + value.length;
  const n = headers?.length ?? 0;
  body += sizeOfVarint(n);
  for (let i = 0; i < n; i++) {
    const h = headers![i]!;
    body += sizeOfBytes(Buffer.byteLength(h.key, 'utf8')) + sizeOfBytes(byteLen(h.value));
  }
  return body;
}

/** Writes one record measured by `recordBodySize` at `pos`; returns the position after it. */
export function writeRecord(
  buf: Buffer,
  pos: number,
  body: number,
  offsetDelta: number,
  timestampDelta: number,
  key: Uint8Array | null,
  value: Uint8Array | null,
  headers: readonly RecordHeaderInput[] | undefined,
): number {
  pos = writeVarint(buf, pos, body);
  buf[pos++] = 0; // record attributes: unused
  pos = writeVarint(buf, pos, timestampDelta);
  pos = writeVarint(buf, pos, offsetDelta);
  pos = writeBytes(buf, pos, key, key === null ? -1 : key.length);
  pos = writeBytes(buf, pos, value, value === null ? -1 : value.length);
  const n = headers?.length ?? 0;
  pos = writeVarint(buf, pos, n);
  for (let i = 0; i < n; i++) {
    const h = headers![i]!;
    pos = writeBytes(buf, pos, h.key, Buffer.byteLength(h.key, 'utf8'));
    pos = writeBytes(buf, pos, h.value, byteLen(h.value));
  }
  return pos;
}
