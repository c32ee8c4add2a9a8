/**
 * Walking stored record batches in a segment file by their headers. Reads go through a window of at least
 * `chunkBytes` so that a scan over many small batches costs few syscalls.
 */
import type { FileHandle } from 'node:fs/promises';
import {
  ATTRIBUTES,
  BASE_TIMESTAMP,
  BATCH_LENGTH,
  LAST_OFFSET_DELTA,
  LOG_OVERHEAD,
  MAGIC,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  PRODUCER_EPOCH,
  PRODUCER_ID,
  BASE_SEQUENCE,
  RECORDS_COUNT,
  RECORD_BATCH_OVERHEAD,
  readInt64,
} from '../protocol/records/batch-header.js';
import { readAt } from './fs-util.js';

/** Header fields of one batch as stored in a segment. */
export interface StoredBatch {
  /** Byte position in the segment file. */
  position: number;
  sizeBytes: number;
  baseOffset: number;
  lastOffset: number;
  magic: number;
  /** The epoch of the leader that appended the batch (-1: none recorded). */
  partitionLeaderEpoch: number;
  attributes: number;
  baseTimestamp: number;
  maxTimestamp: number;
  recordsCount: number;
  /** -1 for batches of producers without idempotence. */
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

/** Parses the v2 header at `at` (RECORD_BATCH_OVERHEAD bytes must be present). */
export function parseBatchHeader(buf: Buffer, at: number, filePosition: number): StoredBatch {
  const baseOffset = readInt64(buf, at);
  return {
    position: filePosition,
    sizeBytes: LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH),
    baseOffset,
    lastOffset: baseOffset + buf.readInt32BE(at + LAST_OFFSET_DELTA),
    magic: buf.readInt8(at + MAGIC),
    partitionLeaderEpoch: buf.readInt32BE(at + PARTITION_LEADER_EPOCH),
    attributes: buf.readInt16BE(at + ATTRIBUTES),
    baseTimestamp: readInt64(buf, at + BASE_TIMESTAMP),
    maxTimestamp: readInt64(buf, at + MAX_TIMESTAMP),
    recordsCount: buf.readInt32BE(at + RECORDS_COUNT),
    producerId: readInt64(buf, at + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(at + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(at + BASE_SEQUENCE),
  };
}

const DEFAULT_CHUNK_BYTES = 64 * 1024;

/** A read-ahead window over [0, end) of a file. */
export class FileWindow {
  private buf: Buffer = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly end: number,
    private readonly chunkBytes = DEFAULT_CHUNK_BYTES,
  ) {}

  /**
   * Makes [pos, pos+len) available and returns (buffer, offset of pos in it), or null when the file (or `end`)
   * stops before pos+len.
   */
  async get(pos: number, len: number): Promise<{ buf: Buffer; at: number } | null> {
    if (pos + len > this.end) return null;
    if (pos < this.bufStart || pos + len > this.bufStart + this.buf.length) {
      const want = Math.min(this.end - pos, Math.max(len, this.chunkBytes));
      this.buf = await readAt(this.fh, pos, want);
      this.bufStart = pos;
      if (this.buf.length < len) return null;
    }
    return { buf: this.buf, at: pos - this.bufStart };
  }
}

/**
 * Iterates batch headers from `start` up to `end`. Stops (returns null) at `end` or at a batch that does not
 * fit before `end`; throws on a header whose length field cannot be a v2 batch (the segment is corrupt).
 */
export class BatchHeaderReader {
  private pos: number;
  private readonly window: FileWindow;

  constructor(fh: FileHandle, start: number, end: number, chunkBytes?: number) {
    this.pos = start;
    this.window = new FileWindow(fh, end, chunkBytes);
  }

  get position(): number {
    return this.pos;
  }

  async next(): Promise<StoredBatch | null> {
    const got = await this.window.get(this.pos, RECORD_BATCH_OVERHEAD);
    if (got === null) return null;
    const batch = parseBatchHeader(got.buf, got.at, this.pos);
    if (batch.sizeBytes < RECORD_BATCH_OVERHEAD) {
      throw new Error(`corrupt batch header at byte ${this.pos}: size ${batch.sizeBytes}`);
    }
    if (this.pos + batch.sizeBytes > this.window.end) return null;
    this.pos += batch.sizeBytes;
    return batch;
  }
}
