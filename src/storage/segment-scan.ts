/**
 * The two walks over a segment's .log at load time. `scanValidPrefix` is the recovery scan of an untrusted
 * segment: every batch is checked. `scanTail` reads a trusted segment past its last offset-index entry to learn
 * what the indexes do not store (next offset, max timestamp) and to sanity-check them. Neither changes the
 * segment: LogSegment applies what they return.
 */
import type { FileHandle } from 'node:fs/promises';
import {
  BATCH_LENGTH,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  RECORD_BATCH_OVERHEAD,
  batchCrcMatches,
  readInt64,
} from '../protocol/records/batch-header.js';
import { BatchHeaderReader, FileWindow, parseBatchHeader, type StoredBatch } from './batch-reader.js';
import type { OffsetIndex } from './offset-index.js';
import type { TimeIndex } from './time-index.js';

export const INT32_MAX = 0x7fffffff;
/** Sequential walks read the .log through a window of this size. */
export const SCAN_CHUNK_BYTES = 1024 * 1024;

export interface ValidPrefix {
  /** Bytes of whole, valid batches from the start of the file. */
  validBytes: number;
  /** Why the scan stopped before the end of the file, or null. */
  reason: string | null;
}

/**
 * Walks the .log batch by batch — length sane, magic 2, CRC32C ok, offsets increasing from
 * `expectedFirstOffset`, offsets relative to `segmentBase` fit in int32 — calling `onBatch` for each valid
 * batch, and stops at the first incomplete or invalid one.
 */
export async function scanValidPrefix(
  fh: FileHandle,
  fileSize: number,
  segmentBase: number,
  expectedFirstOffset: number,
  onBatch: (batch: StoredBatch) => void,
): Promise<ValidPrefix> {
  const window = new FileWindow(fh, fileSize, SCAN_CHUNK_BYTES);
  let pos = 0;
  let expected = Math.max(expectedFirstOffset, segmentBase);
  let reason: string | null = null;
  while (pos < fileSize) {
    const head = await window.get(pos, LOG_OVERHEAD);
    if (head === null) {
      reason = `incomplete batch header at byte ${pos}`;
      break;
    }
    const size = LOG_OVERHEAD + head.buf.readInt32BE(head.at + BATCH_LENGTH);
    if (size < RECORD_BATCH_OVERHEAD) {
      reason = `invalid batch length at byte ${pos}`;
      break;
    }
    const whole = pos + size <= fileSize ? await window.get(pos, size) : null;
    if (whole === null) {
      reason = `incomplete batch at byte ${pos} (${size} bytes, ${fileSize - pos} in file)`;
      break;
    }
    const { buf, at } = whole;
    const magic = buf.readInt8(at + MAGIC);
    if (magic !== 2) {
      reason = `magic ${magic} at byte ${pos}`;
      break;
    }
    if (!batchCrcMatches(buf, at)) {
      reason = `CRC mismatch at byte ${pos}`;
      break;
    }
    const baseOffset = readInt64(buf, at);
    const lastOffsetDelta = buf.readInt32BE(at + LAST_OFFSET_DELTA);
    if (lastOffsetDelta < 0 || baseOffset < expected || baseOffset + lastOffsetDelta - segmentBase > INT32_MAX) {
      reason = `offsets out of order at byte ${pos} (base ${baseOffset}, expected ≥ ${expected})`;
      break;
    }
    const b = parseBatchHeader(buf, at, pos);
    onBatch(b);
    expected = b.lastOffset + 1;
    pos += size;
  }
  return { validBytes: pos, reason };
}

/** A trusted segment's in-memory state, as `scanTail` recomputes it. */
export interface TailState {
  nextOffset: number;
  maxTimestamp: number;
  offsetOfMaxTimestamp: number;
  bytesSinceLastIndexEntry: number;
  rollingBasedTimestamp: number | undefined;
}

/** The state of a segment with no batches. */
export function emptyTailState(baseOffset: number): TailState {
  return { nextOffset: baseOffset, maxTimestamp: -1, offsetOfMaxTimestamp: -1, bytesSinceLastIndexEntry: 0, rollingBasedTimestamp: undefined };
}

/**
 * Recomputes the in-memory state past the last offset-index entry. Returns null when the indexes do not
 * agree with the .log (the caller then rebuilds them).
 */
export async function scanTail(
  fh: FileHandle,
  sizeBytes: number,
  baseOffset: number,
  offsetIndex: OffsetIndex,
  timeIndex: TimeIndex,
): Promise<TailState | null> {
  const last = offsetIndex.lastEntry();
  const lastTime = timeIndex.lastEntry();
  const s: TailState = {
    nextOffset: baseOffset,
    maxTimestamp: lastTime.timestamp,
    offsetOfMaxTimestamp: timeIndex.entries > 0 ? lastTime.offset : -1,
    bytesSinceLastIndexEntry: 0,
    rollingBasedTimestamp: undefined,
  };
  try {
    if (sizeBytes > 0) {
      const first = await new BatchHeaderReader(fh, 0, sizeBytes).next();
      if (first === null) return null;
      s.rollingBasedTimestamp = first.maxTimestamp;
    }
    const reader = new BatchHeaderReader(fh, last.position, sizeBytes);
    let b: StoredBatch | null;
    let firstInTail = true;
    while ((b = await reader.next()) !== null) {
      if (b.magic !== 2) return null;
      if (firstInTail && offsetIndex.entries > 0 && b.lastOffset !== last.offset) return null;
      firstInTail = false;
      if (b.maxTimestamp > s.maxTimestamp) {
        s.maxTimestamp = b.maxTimestamp;
        s.offsetOfMaxTimestamp = b.lastOffset;
      }
      s.bytesSinceLastIndexEntry += b.sizeBytes;
      s.nextOffset = b.lastOffset + 1;
    }
    if (reader.position !== sizeBytes) return null;
    if (sizeBytes > 0 && firstInTail) return null;
  } catch {
    return null;
  }
  if (timeIndex.entries > 0 && lastTime.offset >= s.nextOffset) return null;
  return s;
}
