/**
 * Writes legacy message sets (magic 0/1). The broker never produces them; tests and tools use this
 * to get old-format data to read.
 */
import { ByteWriter } from '../bytes.js';
import { compress } from '../compression/index.js';
import { CompressionType } from '../compression/types.js';
import { crc32 } from './crc32.js';
import { LEGACY_ATTR_TIMESTAMP_TYPE } from './legacy-format.js';
import type { RecordData, TimestampType } from './types.js';

export interface LegacyRecordInput {
  key?: RecordData | null;
  value: RecordData | null;
  /** Magic 1 only; defaults to now. */
  timestamp?: number;
}

export interface BuildLegacyOptions {
  magic: 0 | 1;
  baseOffset?: number;
  records: readonly LegacyRecordInput[];
  compression?: CompressionType;
  /** Magic 1 only. */
  timestampType?: TimestampType;
  /** Magic 1 'log-append': the wrapper's timestamp. Defaults to now. */
  logAppendTime?: number;
}

function bytesOf(d: RecordData | null | undefined): Buffer | null {
  if (d == null) return null;
  return typeof d === 'string' ? Buffer.from(d, 'utf8') : Buffer.from(d.buffer, d.byteOffset, d.length);
}

function writeMessage(
  w: ByteWriter,
  offset: number,
  magic: number,
  attributes: number,
  timestamp: number,
  key: Buffer | null,
  value: Buffer | null,
): void {
  const body = new ByteWriter(64);
  body.int8(magic).int8(attributes);
  if (magic >= 1) body.int64(timestamp);
  for (const b of [key, value]) {
    if (b === null) body.int32(-1);
    else body.int32(b.length).raw(b);
  }
  const bytes = body.toBuffer();
  // Bytes 12..15 of the entry hold the CRC of everything after them (magic..end).
  w.int64(offset).int32(bytes.length + 4).uint32(crc32(bytes)).raw(bytes);
}

/** A legacy message set: one message per record, or one wrapper if compressed. */
export async function buildLegacyMessageSet(opts: BuildLegacyOptions): Promise<Buffer> {
  const { magic, records } = opts;
  if (records.length === 0) throw new RangeError('a message set needs at least one record');
  const baseOffset = opts.baseOffset ?? 0;
  const now = Date.now();
  const tsAttr = magic === 1 && opts.timestampType === 'log-append' ? LEGACY_ATTR_TIMESTAMP_TYPE : 0;
  const compression = opts.compression ?? CompressionType.None;

  const inner = new ByteWriter();
  let maxTimestamp = -1;
  records.forEach((r, i) => {
    const ts = magic === 1 ? (r.timestamp ?? now) : -1;
    maxTimestamp = Math.max(maxTimestamp, ts);
    // Magic 1 inner messages carry relative offsets (KIP-31); magic 0 ones absolute.
    const offset = compression !== CompressionType.None && magic === 1 ? i : baseOffset + i;
    writeMessage(inner, offset, magic, compression === CompressionType.None ? tsAttr : 0, ts, bytesOf(r.key), bytesOf(r.value));
  });
  if (compression === CompressionType.None) return inner.toBuffer();

  const value = await compress(compression, inner.toBuffer(), magic);
  const wrapperTs = tsAttr ? (opts.logAppendTime ?? now) : maxTimestamp;
  const out = new ByteWriter(value.length + 64);
  writeMessage(out, baseOffset + records.length - 1, magic, compression | tsAttr, wrapperTs, null, value);
  return out.toBuffer();
}
