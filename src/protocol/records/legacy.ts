/**
 * Decoding of legacy message sets (magic 0/1). Kafka 4 no longer writes them, but old log data and
 * old clients' fetches still hold them. A compressed set is one wrapper message whose value is the
 * compressed inner message set; with magic 1 inner offsets are relative (KIP-31) and the wrapper
 * carries the absolute offset of the last inner message.
 */
import { ByteReader, ProtocolDecodeError } from '../bytes.js';
import { CompressionType } from '../compression/types.js';
import { ErrorCode, KafkaError } from '../errors.js';
import { LOG_OVERHEAD, readInt64 } from './batch-header.js';
import { crc32 } from './crc32.js';
import {
  LEGACY_ATTRIBUTES,
  LEGACY_COMPRESSION_MASK,
  LEGACY_CRC,
  LEGACY_MAGIC,
  LEGACY_RECORD_OVERHEAD_V0,
  LEGACY_TIMESTAMP,
} from './legacy-format.js';
import type { BatchInfo, DecodedBatch, KafkaRecord } from './types.js';

export interface LegacyMessage {
  offset: number;
  magic: number;
  attributes: number;
  /** -1 for magic 0, which has no timestamp. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

function corrupt(message: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, message);
}

export function legacyCrcMatches(buf: Buffer, pos: number, size: number): boolean {
  return buf.readUInt32BE(pos + LEGACY_CRC) === crc32(buf.subarray(pos + LEGACY_MAGIC, pos + size));
}

function readBytes(r: ByteReader): Buffer | null {
  const n = r.int32();
  return n < 0 ? null : r.raw(n);
}

/** The whole message of `size` bytes at `pos`. Key and value are views into buf. */
export function readLegacyMessage(buf: Buffer, pos: number, size: number): LegacyMessage {
  const magic = buf.readInt8(pos + LEGACY_MAGIC);
  const r = new ByteReader(buf, pos + (magic >= 1 ? LEGACY_TIMESTAMP + 8 : LEGACY_TIMESTAMP), pos + size);
  try {
    const key = readBytes(r);
    const value = readBytes(r);
    if (r.remaining !== 0) throw corrupt(`legacy message at ${pos}: ${r.remaining} trailing bytes`);
    return {
      offset: readInt64(buf, pos),
      magic,
      attributes: buf.readInt8(pos + LEGACY_ATTRIBUTES),
      timestamp: magic >= 1 ? readInt64(buf, pos + LEGACY_TIMESTAMP) : -1,
      key,
      value,
    };
  } catch (e) {
    if (e instanceof ProtocolDecodeError) throw corrupt(`legacy message at ${pos}: ${e.message}`);
    throw e;
  }
}

/** The compressed value of the wrapper at `info`, or null when the entry is not compressed. */
export function legacyCompressedValue(buf: Buffer, info: BatchInfo): Buffer | null {
  if (info.compression === CompressionType.None) return null;
  const value = readLegacyMessage(buf, info.position, info.size).value;
  if (value === null) throw corrupt(`legacy wrapper at ${info.position} has a null value`);
  return value;
}

/** The messages of an inner (decompressed) set; each must be whole, uncompressed and CRC-valid. */
function readInnerMessages(inner: Buffer, wrapperMagic: number): LegacyMessage[] {
  const out: LegacyMessage[] = [];
  let pos = 0;
  while (pos < inner.length) {
    if (inner.length - pos < LOG_OVERHEAD) throw corrupt(`inner message at ${pos} is truncated`);
    const sizeField = inner.readInt32BE(pos + 8);
    const size = LOG_OVERHEAD + sizeField;
    if (sizeField < LEGACY_RECORD_OVERHEAD_V0 || pos + size > inner.length) {
      throw corrupt(`inner message at ${pos} has invalid size ${sizeField}`);
    }
    if (!legacyCrcMatches(inner, pos, size)) throw corrupt(`inner message at ${pos}: CRC mismatch`);
    const m = readLegacyMessage(inner, pos, size);
    if (m.magic !== wrapperMagic) throw corrupt(`inner magic ${m.magic} differs from wrapper magic ${wrapperMagic}`);
    if ((m.attributes & LEGACY_COMPRESSION_MASK) !== 0) throw corrupt('nested compressed messages');
    out.push(m);
    pos += size;
  }
  if (out.length === 0) throw corrupt('compressed legacy message set holds no messages');
  return out;
}

function toRecord(m: LegacyMessage, offset: number, timestamp: number): KafkaRecord {
  return { offset, timestamp, key: m.key, value: m.value, headers: [] };
}

/**
 * Decodes the legacy entry at `info`. `inner` is its decompressed value (null if uncompressed).
 * The CRC must have been checked by the caller if wanted (legacyCrcMatches).
 */
export function decodeLegacyEntry(buf: Buffer, info: BatchInfo, inner: Buffer | null): DecodedBatch {
  if (inner === null) {
    const m = readLegacyMessage(buf, info.position, info.size);
    return { ...info, records: [toRecord(m, m.offset, m.timestamp)] };
  }
  const messages = readInnerMessages(inner, info.magic);
  const wrapperOffset = info.lastOffset;
  // Magic 1: relative inner offsets, anchored so that the last one lands on the wrapper's offset.
  const base = info.magic >= 1 ? wrapperOffset - messages[messages.length - 1]!.offset : 0;
  const logAppend = info.timestampType === 'log-append';
  const records = messages.map((m) => toRecord(m, base + m.offset, logAppend ? info.maxTimestamp : m.timestamp));
  const baseOffset = records[0]!.offset;
  return {
    ...info,
    baseOffset,
    lastOffsetDelta: wrapperOffset - baseOffset,
    recordsCount: records.length,
    records,
  };
}
