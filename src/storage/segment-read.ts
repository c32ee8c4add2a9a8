/**
 * Reading a segment's .log from a byte position (the caller finds it in the indexes): the fetch path's bounded
 * read (`readBatches`), header walks to a batch by offset or timestamp, and the cleaner's sequential pass
 * (`batchesIn`). Records are decoded only to answer a timestamp lookup exactly (record-timestamps.ts).
 */
import type { FileHandle } from 'node:fs/promises';
import {
  BATCH_LENGTH,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  RECORD_BATCH_OVERHEAD,
  readInt64,
} from '../protocol/records/batch-header.js';
import { BatchHeaderReader, FileWindow, parseBatchHeader, type StoredBatch } from './batch-reader.js';
import { readAt } from './fs-util.js';
import { findRecord, type RecordTimestamp } from './record-timestamps.js';
import { SCAN_CHUNK_BYTES } from './segment-scan.js';

/** Bytes of header needed to know a batch's size and last offset. */
const SIZE_AND_LAST_OFFSET_BYTES = LAST_OFFSET_DELTA + 4;

export interface SegmentRead {
  records: Buffer;
  batches: number;
  /** Last offset of the last returned batch, -1 when none. */
  lastOffset: number;
  /** True when the read stopped for a reason other than reaching the segment's end (budget, maxOffset). */
  stopped: boolean;
}

/**
 * Whole batches from `position` (which must start a batch) up to `limit`, at most `maxBytes` of them — but
 * the first batch even if larger when `minOneBatch` — and only batches whose lastOffset < `maxOffset`.
 * `file` names the .log in errors.
 */
export async function readBatches(
  fh: FileHandle,
  file: string,
  position: number,
  limit: number,
  maxBytes: number,
  maxOffset: number,
  minOneBatch: boolean,
): Promise<SegmentRead> {
  const available = limit - position;
  if (available <= 0) return { records: Buffer.alloc(0), batches: 0, lastOffset: -1, stopped: false };
  let want = Math.min(available, Math.max(maxBytes, 0));
  if (minOneBatch) want = Math.max(want, Math.min(available, RECORD_BATCH_OVERHEAD));
  let buf = want > 0 ? await readAt(fh, position, want) : Buffer.alloc(0);
  let p = 0;
  let batches = 0;
  let lastOffset = -1;
  let stopped = false;
  while (true) {
    if (p + SIZE_AND_LAST_OFFSET_BYTES > buf.length) {
      stopped = position + p < limit;
      break;
    }
    const size = LOG_OVERHEAD + buf.readInt32BE(p + BATCH_LENGTH);
    if (size < RECORD_BATCH_OVERHEAD) throw new Error(`corrupt batch at byte ${position + p} of ${file}`);
    const last = readInt64(buf, p) + buf.readInt32BE(p + LAST_OFFSET_DELTA);
    if (last >= maxOffset) {
      stopped = true;
      break;
    }
    if (p + size > buf.length) {
      if (p === 0 && minOneBatch && size <= available) {
        buf = await readAt(fh, position, size);
        if (buf.length < size) {
          stopped = true;
          break;
        }
        p = size;
        batches = 1;
        lastOffset = last;
        stopped = position + size < limit;
      } else {
        stopped = position + p < limit;
      }
      break;
    }
    p += size;
    batches++;
    lastOffset = last;
  }
  return { records: buf.subarray(0, p), batches, lastOffset, stopped };
}

/**
 * Every whole batch below `limit` with its bytes, oldest first, read through a 1 MiB window (the cleaner's
 * sequential pass). Stops at the first header that is not a plausible batch.
 */
export async function* batchesIn(fh: FileHandle, file: string, limit: number): AsyncGenerator<{ batch: StoredBatch; bytes: Buffer }> {
  const window = new FileWindow(fh, limit, SCAN_CHUNK_BYTES);
  let pos = 0;
  while (pos < limit) {
    const head = await window.get(pos, RECORD_BATCH_OVERHEAD);
    if (head === null) return;
    const batch = parseBatchHeader(head.buf, head.at, pos);
    if (batch.sizeBytes < RECORD_BATCH_OVERHEAD) throw new Error(`corrupt batch header at byte ${pos} of ${file}`);
    const whole = await window.get(pos, batch.sizeBytes);
    if (whole === null) return;
    yield { batch, bytes: whole.buf.subarray(whole.at, whole.at + batch.sizeBytes) };
    pos += batch.sizeBytes;
  }
}

/** The first batch in [from, limit) whose last offset is ≥ `target`, by a header walk; null when none. */
export async function firstBatchReaching(fh: FileHandle, from: number, limit: number, target: number): Promise<StoredBatch | null> {
  const reader = new BatchHeaderReader(fh, from, limit);
  let b: StoredBatch | null;
  while ((b = await reader.next()) !== null) {
    if (b.lastOffset >= target) return b;
  }
  return null;
}

/**
 * The earliest record with timestamp ≥ `timestamp` in the batches of [from, limit) that end at or past
 * `minOffset` and below `maxOffset`, or null. For a batch whose records cannot be walked (compressed), the
 * batch's base offset (at least `minOffset`) and maxTimestamp.
 */
export async function findTimestampFrom(
  fh: FileHandle,
  from: number,
  limit: number,
  timestamp: number,
  maxOffset: number,
  minOffset: number,
): Promise<RecordTimestamp | null> {
  const reader = new BatchHeaderReader(fh, from, limit);
  let b: StoredBatch | null;
  while ((b = await reader.next()) !== null) {
    if (b.lastOffset >= maxOffset) return null;
    if (b.lastOffset < minOffset) continue;
    if (b.maxTimestamp >= timestamp) {
      const exact = findRecord(b, await readAt(fh, b.position, b.sizeBytes), (t) => t >= timestamp, minOffset);
      if (exact === null) continue;
      return exact ?? { offset: Math.max(b.baseOffset, minOffset), timestamp: b.maxTimestamp };
    }
  }
  return null;
}
