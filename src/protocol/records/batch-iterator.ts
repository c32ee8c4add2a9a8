/**
 * Walks a buffer of concatenated batches (a fetch response's records, a produce request, a log
 * segment) reading headers only. Mirrors Java's ByteBufferLogInputStream: stop quietly at a
 * trailing partial batch, but a size field too small to be any batch means corruption.
 */
import { ErrorCode, KafkaError } from '../errors.js';
import type { CompressionType } from '../compression/types.js';
import {
  ATTR_COMPRESSION_MASK,
  ATTR_CONTROL,
  ATTR_DELETE_HORIZON,
  ATTR_TIMESTAMP_TYPE,
  ATTR_TRANSACTIONAL,
  ATTRIBUTES,
  BASE_OFFSET,
  BASE_SEQUENCE,
  BASE_TIMESTAMP,
  BATCH_LENGTH,
  CRC,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAGIC_PROBE_BYTES,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT,
  readInt64,
} from './batch-header.js';
import {
  LEGACY_ATTR_TIMESTAMP_TYPE,
  LEGACY_ATTRIBUTES,
  LEGACY_COMPRESSION_MASK,
  LEGACY_CRC,
  LEGACY_RECORD_OVERHEAD_V0,
  LEGACY_RECORD_OVERHEAD_V1,
  LEGACY_TIMESTAMP,
} from './legacy-format.js';
import type { BatchInfo } from './types.js';

/** The format byte, at offset 16 in every format: 0 or 1 for legacy messages, 2 for batches. */
export function readMagic(buf: Buffer, pos = 0): number {
  return buf.readInt8(pos + MAGIC);
}

function corrupt(message: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, message);
}

/** Header fields of the v2 batch at `pos`, which must be whole (`size` bytes available). */
export function readBatchInfo(buf: Buffer, pos: number, size: number): BatchInfo {
  const attributes = buf.readInt16BE(pos + ATTRIBUTES);
  const baseOffset = readInt64(buf, pos + BASE_OFFSET);
  const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA);
  return {
    position: pos,
    size,
    magic: 2,
    baseOffset,
    lastOffset: baseOffset + lastOffsetDelta,
    lastOffsetDelta,
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH),
    crc: buf.readUInt32BE(pos + CRC),
    attributes,
    compression: (attributes & ATTR_COMPRESSION_MASK) as CompressionType,
    timestampType: attributes & ATTR_TIMESTAMP_TYPE ? 'log-append' : 'create',
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
    hasDeleteHorizon: (attributes & ATTR_DELETE_HORIZON) !== 0,
    baseTimestamp: readInt64(buf, pos + BASE_TIMESTAMP),
    maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP),
    producerId: readInt64(buf, pos + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE),
    recordsCount: buf.readInt32BE(pos + RECORDS_COUNT),
  };
}

/**
 * A legacy entry seen as a batch. For a compressed wrapper the offset field is the offset of its
 * *last* inner message, so baseOffset is only exact after decoding (see legacy.ts).
 */
export function readLegacyInfo(buf: Buffer, pos: number, size: number): BatchInfo {
  const magic = readMagic(buf, pos);
  const attributes = buf.readInt8(pos + LEGACY_ATTRIBUTES);
  const compression = (attributes & LEGACY_COMPRESSION_MASK) as CompressionType;
  const offset = readInt64(buf, pos);
  const timestamp = magic >= 1 ? readInt64(buf, pos + LEGACY_TIMESTAMP) : -1;
  return {
    position: pos,
    size,
    magic,
    baseOffset: offset,
    lastOffset: offset,
    lastOffsetDelta: 0,
    partitionLeaderEpoch: -1,
    crc: buf.readUInt32BE(pos + LEGACY_CRC),
    attributes,
    compression,
    timestampType: magic >= 1 && attributes & LEGACY_ATTR_TIMESTAMP_TYPE ? 'log-append' : 'create',
    isTransactional: false,
    isControl: false,
    hasDeleteHorizon: false,
    baseTimestamp: timestamp,
    maxTimestamp: timestamp,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
    recordsCount: compression === 0 ? 1 : -1,
  };
}

/** Smallest legal value of the size/batchLength field for each magic. */
const MIN_SIZE_FIELD = [
  LEGACY_RECORD_OVERHEAD_V0,
  LEGACY_RECORD_OVERHEAD_V1,
  RECORD_BATCH_OVERHEAD - LOG_OVERHEAD,
] as const;

/**
 * Yields the header of each whole batch in `buf` from `start`, without decoding records or checking
 * CRCs (see batchCrcMatches). Throws KafkaError(CORRUPT_MESSAGE) on impossible sizes or magic.
 */
export function* iterateBatchHeaders(buf: Buffer, start = 0): Generator<BatchInfo, void, undefined> {
  let pos = start;
  while (buf.length - pos >= LOG_OVERHEAD) {
    const sizeField = buf.readInt32BE(pos + BATCH_LENGTH);
    if (sizeField < LEGACY_RECORD_OVERHEAD_V0) throw corrupt(`batch at ${pos}: size ${sizeField} is too small`);
    const size = LOG_OVERHEAD + sizeField;
    if (buf.length - pos < size || buf.length - pos < MAGIC_PROBE_BYTES) return;
    const magic = readMagic(buf, pos);
    if (magic < 0 || magic > 2) throw corrupt(`batch at ${pos}: unknown magic ${magic}`);
    if (sizeField < MIN_SIZE_FIELD[magic]!) throw corrupt(`batch at ${pos}: size ${sizeField} is too small for magic ${magic}`);
    yield magic === 2 ? readBatchInfo(buf, pos, size) : readLegacyInfo(buf, pos, size);
    pos += size;
  }
}
