/**
 * One segment of a partition log: `<base>.log` plus its sparse `.index` and `.timeindex`.
 * A segment never decodes records; it appends whole batches, keeps its indexes, and finds byte positions by
 * offset or timestamp. Only the owning PartitionLog calls it, and never two writes at once.
 */
import { open, rename, stat, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
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
import {
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  TIME_INDEX_FILE_SUFFIX,
  offsetFileName,
  readAt,
  unlinkIfExists,
  writeFully,
} from './fs-util.js';
import { OffsetIndex } from './offset-index.js';
import { findRecord, type RecordTimestamp } from './record-timestamps.js';
import { TimeIndex } from './time-index.js';

const INT32_MAX = 0x7fffffff;
const RECOVERY_CHUNK_BYTES = 1024 * 1024;
/** Bytes of header needed to know a batch's size and last offset. */
const SIZE_AND_LAST_OFFSET_BYTES = LAST_OFFSET_DELTA + 4;

export interface SegmentConfig {
  indexIntervalBytes: number;
  segmentIndexBytes: number;
  /** preallocate: size the new .log at this many bytes up front (0 = no); trimmed when the segment rolls. */
  preallocateBytes?: number;
}

/**
 * Suffix after `.log` / `.index` / `.timeindex`: '' for a live segment; compaction writes `.cleaned`, renames
 * to `.swap` (committed) and back to ''; deletion renames to `.deleted` (Kafka's names).
 */
export type SegmentFileSuffix = '' | '.cleaned' | '.swap' | '.deleted';

/** Thrown by `retain` on a segment that was closed after deletion or replacement; readers retry. */
export class SegmentGoneError extends Error {
  constructor(baseOffset: number) {
    super(`segment ${baseOffset} was removed`);
  }
}

/** A batch about to be appended: its size, last offset and max timestamp (already final). */
export interface AppendedBatch {
  sizeBytes: number;
  lastOffset: number;
  maxTimestamp: number;
}

export interface RecoveryResult {
  /** Bytes cut from the end of the .log (0 when the segment was intact). */
  truncatedBytes: number;
  /** Why the scan stopped early, or null. */
  reason: string | null;
}

export interface SegmentRead {
  records: Buffer;
  batches: number;
  /** Last offset of the last returned batch, -1 when none. */
  lastOffset: number;
  /** True when the read stopped for a reason other than reaching the segment's end (budget, maxOffset). */
  stopped: boolean;
}

export class LogSegment {
  /** Bytes of complete batches in the .log; reads never go past it. */
  sizeBytes: number;
  /** Offset after the last batch (baseOffset when empty). Exact once loaded. */
  nextOffset: number;
  /** Largest batch maxTimestamp in the segment and the lastOffset of the first batch that reached it. */
  maxTimestamp = -1;
  offsetOfMaxTimestamp = -1;
  /** maxTimestamp of the first batch: segment.ms counts from it (Kafka's rollingBasedTimestamp). */
  rollingBasedTimestamp: number | undefined;
  /** Wall clock when this process created or opened the segment (segment.ms fallback). */
  readonly createdMs: number;
  /** True while appended bytes have not been fsynced. */
  unsynced = false;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  private bytesSinceLastIndexEntry = 0;
  private loading: Promise<void> | null = null;
  /** True while the .log file is longer than `sizeBytes` because it was preallocated. */
  private preallocated = false;
  private suffix: SegmentFileSuffix;
  /** Reads in progress (see `retain`); a removed segment closes its file when the last one ends. */
  private refs = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private readonly fh: FileHandle,
    sizeBytes: number,
    private readonly config: SegmentConfig,
    nowMs: number,
    suffix: SegmentFileSuffix,
  ) {
    this.sizeBytes = sizeBytes;
    this.nextOffset = baseOffset;
    this.createdMs = nowMs;
    this.suffix = suffix;
    this.offsetIndex = new OffsetIndex(this.indexFile, baseOffset, config.segmentIndexBytes);
    this.timeIndex = new TimeIndex(this.timeIndexFile, baseOffset, config.segmentIndexBytes);
  }

  private fileName(kind: string): string {
    return path.join(this.dir, offsetFileName(this.baseOffset, kind) + this.suffix);
  }

  get logFile(): string {
    return this.fileName(LOG_FILE_SUFFIX);
  }

  get indexFile(): string {
    return this.fileName(INDEX_FILE_SUFFIX);
  }

  get timeIndexFile(): string {
    return this.fileName(TIME_INDEX_FILE_SUFFIX);
  }

  get fileSuffix(): SegmentFileSuffix {
    return this.suffix;
  }

  /**
   * Creates a new, empty segment (any leftover files with its name are replaced). `suffix` '.cleaned' is how
   * the cleaner writes a replacement segment beside the live ones.
   */
  static async create(
    dir: string,
    baseOffset: number,
    config: SegmentConfig,
    nowMs: number,
    suffix: SegmentFileSuffix = '',
  ): Promise<LogSegment> {
    const file = path.join(dir, offsetFileName(baseOffset, LOG_FILE_SUFFIX) + suffix);
    const fh = await open(file, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o644);
    const seg = new LogSegment(dir, baseOffset, fh, 0, config, nowMs, suffix);
    seg.loading = Promise.resolve();
    try {
      const prealloc = config.preallocateBytes ?? 0;
      if (prealloc > 0) {
        // Kafka's preallocate: the file gets its final size now (sparse on most file systems); `sizeBytes`
        // tracks the data, recovery stops at the zeros, and roll/close trim the rest.
        await fh.truncate(prealloc);
        seg.preallocated = true;
      }
      await seg.offsetIndex.persist(false);
      await seg.timeIndex.persist(false);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    return seg;
  }

  /** Opens an existing segment; indexes are loaded later (`ensureLoaded`) or rebuilt by `recover`. */
  static async open(dir: string, baseOffset: number, config: SegmentConfig, nowMs: number): Promise<LogSegment> {
    const file = path.join(dir, offsetFileName(baseOffset, LOG_FILE_SUFFIX));
    const fh = await open(file, constants.O_RDWR);
    try {
      const { size } = await fh.stat();
      return new LogSegment(dir, baseOffset, fh, size, config, nowMs, '');
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  get isLoaded(): boolean {
    return this.loading !== null;
  }

  // ---------------------------------------------------------------- loading and recovery

  /**
   * Loads a trusted segment's indexes (sanity-checked against the .log) and reads its tail past the last
   * index entry to learn nextOffset and the max timestamp. A failed check rebuilds the indexes by `recover`.
   * Idempotent and safe to call concurrently.
   */
  ensureLoaded(): Promise<void> {
    this.loading ??= this.loadTrusted().catch((err: unknown) => {
      this.loading = null;
      throw err;
    });
    return this.loading;
  }

  private async loadTrusted(): Promise<void> {
    const okOffsets = await this.offsetIndex.loadChecked(this.sizeBytes);
    const okTimes = okOffsets && (await this.timeIndex.loadChecked());
    if (okOffsets && okTimes && (await this.scanTail())) return;
    this.offsetIndex.reset();
    this.timeIndex.reset();
    await this.recover(this.baseOffset);
  }

  /**
   * Recomputes the in-memory state past the last offset-index entry. Returns false when the indexes do not
   * agree with the .log (the caller then rebuilds them).
   */
  private async scanTail(): Promise<boolean> {
    const last = this.offsetIndex.lastEntry();
    const lastTime = this.timeIndex.lastEntry();
    this.maxTimestamp = lastTime.timestamp;
    this.offsetOfMaxTimestamp = this.timeIndex.entries > 0 ? lastTime.offset : -1;
    this.nextOffset = this.baseOffset;
    this.bytesSinceLastIndexEntry = 0;
    this.rollingBasedTimestamp = undefined;
    try {
      if (this.sizeBytes > 0) {
        const first = await new BatchHeaderReader(this.fh, 0, this.sizeBytes).next();
        if (first === null) return false;
        this.rollingBasedTimestamp = first.maxTimestamp;
      }
      const reader = new BatchHeaderReader(this.fh, last.position, this.sizeBytes);
      let b: StoredBatch | null;
      let firstInTail = true;
      while ((b = await reader.next()) !== null) {
        if (b.magic !== 2) return false;
        if (firstInTail && this.offsetIndex.entries > 0 && b.lastOffset !== last.offset) return false;
        firstInTail = false;
        if (b.maxTimestamp > this.maxTimestamp) {
          this.maxTimestamp = b.maxTimestamp;
          this.offsetOfMaxTimestamp = b.lastOffset;
        }
        this.bytesSinceLastIndexEntry += b.sizeBytes;
        this.nextOffset = b.lastOffset + 1;
      }
      if (reader.position !== this.sizeBytes) return false;
      if (this.sizeBytes > 0 && firstInTail) return false;
    } catch {
      return false;
    }
    if (this.timeIndex.entries > 0 && lastTime.offset >= this.nextOffset) return false;
    return true;
  }

  /**
   * Scans the whole .log batch by batch — length sane, magic 2, CRC32C ok, offsets increasing from
   * `expectedFirstOffset`, offsets relative to the base fit in int32 — rebuilds both indexes from what it
   * reads, and truncates the file at the first incomplete or invalid batch. Indexes and, when truncated, the
   * .log are fsynced before returning.
   */
  async recover(expectedFirstOffset: number): Promise<RecoveryResult> {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.maxTimestamp = -1;
    this.offsetOfMaxTimestamp = -1;
    this.bytesSinceLastIndexEntry = 0;
    this.rollingBasedTimestamp = undefined;
    this.nextOffset = this.baseOffset;
    const fileSize = (await this.fh.stat()).size;
    const window = new FileWindow(this.fh, fileSize, RECOVERY_CHUNK_BYTES);
    let pos = 0;
    let expected = Math.max(expectedFirstOffset, this.baseOffset);
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
      if (lastOffsetDelta < 0 || baseOffset < expected || baseOffset + lastOffsetDelta - this.baseOffset > INT32_MAX) {
        reason = `offsets out of order at byte ${pos} (base ${baseOffset}, expected ≥ ${expected})`;
        break;
      }
      const b = parseBatchHeader(buf, at, pos);
      this.indexBatch(pos, b.sizeBytes, b.lastOffset, b.maxTimestamp);
      expected = b.lastOffset + 1;
      pos += size;
    }
    this.sizeBytes = pos;
    const truncatedBytes = fileSize - pos;
    if (truncatedBytes > 0) {
      await this.fh.truncate(pos);
      await this.fh.sync();
    }
    this.preallocated = false;
    await this.offsetIndex.persist(true);
    await this.timeIndex.persist(true);
    this.loading ??= Promise.resolve();
    return { truncatedBytes, reason };
  }

  /** Index bookkeeping for one batch that now sits at `position` (shared by append and recovery). */
  private indexBatch(position: number, sizeBytes: number, lastOffset: number, maxTimestamp: number): void {
    if (this.rollingBasedTimestamp === undefined) this.rollingBasedTimestamp = maxTimestamp;
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMaxTimestamp = lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.config.indexIntervalBytes) {
      this.offsetIndex.append(lastOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += sizeBytes;
    this.nextOffset = lastOffset + 1;
  }

  // ---------------------------------------------------------------- writing

  /** Whether `lastOffset` can still be stored relative to this segment's base (int32). */
  canHoldOffset(lastOffset: number): boolean {
    return lastOffset - this.baseOffset <= INT32_MAX;
  }

  /**
   * Writes `bufs` (whole batches, described in order by `batches`) at the end of the .log, then updates the
   * indexes. The caller serializes appends.
   */
  async append(bufs: Buffer[], batches: AppendedBatch[]): Promise<void> {
    const start = this.sizeBytes;
    await writeFully(this.fh, bufs, start);
    let pos = start;
    for (const b of batches) {
      this.indexBatch(pos, b.sizeBytes, b.lastOffset, b.maxTimestamp);
      pos += b.sizeBytes;
    }
    this.sizeBytes = pos;
    this.unsynced = true;
  }

  /** fsync of the .log only (the hot path of flush.messages); indexes are rebuilt by recovery if needed. */
  async syncLog(): Promise<void> {
    if (!this.unsynced) return;
    this.unsynced = false;
    try {
      await this.fh.sync();
    } catch (err) {
      this.unsynced = true;
      throw err;
    }
  }

  /**
   * Called when the segment stops being the active one (roll, close): records its max timestamp as the
   * final time-index entry, so the next load knows it without scanning.
   */
  onBecomeInactive(): void {
    if (this.maxTimestamp >= 0) this.timeIndex.maybeAppend(this.maxTimestamp, this.offsetOfMaxTimestamp);
  }

  /** Writes pending index entries and fsyncs the .log and both indexes. */
  async flushAll(): Promise<void> {
    await this.offsetIndex.persist(true);
    await this.timeIndex.persist(true);
    await this.syncLog();
  }

  /**
   * Removes every batch whose last offset is ≥ `offset` (a batch containing `offset` goes entirely). Returns
   * the new nextOffset of the segment. Must be serialized with appends.
   */
  async truncateTo(offset: number): Promise<number> {
    await this.ensureLoaded();
    const from = this.offsetIndex.lookup(offset).position;
    const reader = new BatchHeaderReader(this.fh, from, this.sizeBytes);
    let b: StoredBatch | null;
    let cut: StoredBatch | null = null;
    while ((b = await reader.next()) !== null) {
      if (b.lastOffset >= offset) {
        cut = b;
        break;
      }
    }
    if (cut === null) return this.nextOffset;
    this.offsetIndex.truncateToPosition(cut.position);
    this.timeIndex.truncateTo(cut.baseOffset);
    this.sizeBytes = cut.position;
    await this.fh.truncate(cut.position);
    this.preallocated = false;
    this.unsynced = true;
    if (!(await this.scanTail())) {
      await this.recover(this.baseOffset);
    }
    await this.offsetIndex.persist(false);
    await this.timeIndex.persist(false);
    return this.nextOffset;
  }

  // ---------------------------------------------------------------- reading

  /** The first batch whose last offset is ≥ `target`, among the bytes below `limit`; null when none. */
  async findBatch(target: number, limit: number): Promise<StoredBatch | null> {
    await this.ensureLoaded();
    const start = this.offsetIndex.lookup(target).position;
    const reader = new BatchHeaderReader(this.fh, Math.min(start, limit), limit);
    let b: StoredBatch | null;
    while ((b = await reader.next()) !== null) {
      if (b.lastOffset >= target) return b;
    }
    return null;
  }

  /**
   * Whole batches from `position` (which must start a batch) up to `limit`, at most `maxBytes` of them — but
   * the first batch even if larger when `minOneBatch` — and only batches whose lastOffset < `maxOffset`.
   */
  async readFrom(
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
    let buf = want > 0 ? await readAt(this.fh, position, want) : Buffer.alloc(0);
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
      if (size < RECORD_BATCH_OVERHEAD) throw new Error(`corrupt batch at byte ${position + p} of ${this.logFile}`);
      const last = readInt64(buf, p) + buf.readInt32BE(p + LAST_OFFSET_DELTA);
      if (last >= maxOffset) {
        stopped = true;
        break;
      }
      if (p + size > buf.length) {
        if (p === 0 && minOneBatch && size <= available) {
          buf = await readAt(this.fh, position, size);
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
  async *batches(limit = this.sizeBytes): AsyncGenerator<{ batch: StoredBatch; bytes: Buffer }> {
    const window = new FileWindow(this.fh, limit, RECOVERY_CHUNK_BYTES);
    let pos = 0;
    while (pos < limit) {
      const head = await window.get(pos, RECORD_BATCH_OVERHEAD);
      if (head === null) return;
      const batch = parseBatchHeader(head.buf, head.at, pos);
      if (batch.sizeBytes < RECORD_BATCH_OVERHEAD) throw new Error(`corrupt batch header at byte ${pos} of ${this.logFile}`);
      const whole = await window.get(pos, batch.sizeBytes);
      if (whole === null) return;
      yield { batch, bytes: whole.buf.subarray(whole.at, whole.at + batch.sizeBytes) };
      pos += batch.sizeBytes;
    }
  }

  /** The whole bytes of a batch found by a header scan. */
  readBatch(batch: StoredBatch): Promise<Buffer> {
    return readAt(this.fh, batch.position, batch.sizeBytes);
  }

  /**
   * The earliest record with timestamp ≥ `timestamp` whose batch ends below `maxOffset`, or null.
   * Exact for uncompressed and LogAppendTime batches; for a compressed CreateTime batch it answers the batch's
   * base offset and maxTimestamp (Kafka decompresses to find the exact record).
   */
  async findByTimestamp(timestamp: number, limit: number, maxOffset: number, minOffset = 0): Promise<RecordTimestamp | null> {
    await this.ensureLoaded();
    if (this.maxTimestamp < timestamp) return null;
    const fromOffset = Math.max(this.timeIndex.lookup(timestamp).offset, minOffset);
    const start = this.offsetIndex.lookup(fromOffset).position;
    const reader = new BatchHeaderReader(this.fh, Math.min(start, limit), limit);
    let b: StoredBatch | null;
    while ((b = await reader.next()) !== null) {
      if (b.lastOffset >= maxOffset) return null;
      if (b.lastOffset < minOffset) continue;
      if (b.maxTimestamp >= timestamp) {
        const exact = findRecord(b, await this.readBatch(b), (t) => t >= timestamp, minOffset);
        if (exact === null) continue;
        return exact ?? { offset: Math.max(b.baseOffset, minOffset), timestamp: b.maxTimestamp };
      }
    }
    return null;
  }

  /**
   * The record with this segment's largest timestamp (the first such record). Exact for uncompressed and
   * LogAppendTime batches; for a compressed batch it answers the batch's base offset, so that a consumer
   * seeking there still sees the record.
   */
  async findMaxTimestamp(limit: number): Promise<RecordTimestamp | null> {
    await this.ensureLoaded();
    if (this.maxTimestamp < 0) return null;
    const b = await this.findBatch(this.offsetOfMaxTimestamp, limit);
    if (b === null || b.maxTimestamp !== this.maxTimestamp) return null;
    const exact = findRecord(b, await this.readBatch(b), (t) => t >= b.maxTimestamp);
    return exact ?? { offset: b.baseOffset, timestamp: b.maxTimestamp };
  }

  // ---------------------------------------------------------------- lifecycle

  /** Cuts a preallocated .log back to its data (on roll and close, as Kafka trims on roll). */
  async trim(): Promise<void> {
    if (!this.preallocated) return;
    await this.fh.truncate(this.sizeBytes);
    this.preallocated = false;
    this.unsynced = true;
  }

  /** mtime of the .log: Kafka's fallback for retention when a segment has no timestamps. */
  async lastModifiedMs(): Promise<number> {
    return (await stat(this.logFile)).mtimeMs;
  }

  /**
   * Renames the segment's three files to carry `suffix` (missing index files are skipped: they are rebuilt
   * from the .log). The .log goes last, so whoever sees `<base>.log<suffix>` sees a finished rename; the
   * caller fsyncs the directory. The open file handle keeps working across renames.
   */
  async changeSuffix(suffix: SegmentFileSuffix): Promise<void> {
    if (suffix === this.suffix) return;
    const from = [this.indexFile, this.timeIndexFile, this.logFile];
    this.suffix = suffix;
    const to = [this.indexFile, this.timeIndexFile, this.logFile];
    for (let i = 0; i < from.length; i++) {
      try {
        await rename(from[i]!, to[i]!);
      } catch (err) {
        if (i === from.length - 1 || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    this.offsetIndex.file = this.indexFile;
    this.timeIndex.file = this.timeIndexFile;
  }

  /** Stops index files from ever being written again (the segment is leaving the log). */
  detach(): void {
    this.offsetIndex.detached = true;
    this.timeIndex.detached = true;
  }

  /** Pins the segment for a read; false once it has been closed (the reader must look again). */
  retain(): boolean {
    if (this.closed) return false;
    this.refs++;
    return true;
  }

  release(): void {
    this.refs--;
    if (this.refs === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Closes the file once no read holds the segment. */
  async closeWhenIdle(): Promise<void> {
    while (this.refs > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }

  /** Closes the file and removes the segment's three files. */
  async deleteFiles(): Promise<void> {
    this.detach();
    await this.close().catch(() => undefined);
    await unlinkIfExists(this.logFile);
    await unlinkIfExists(this.indexFile);
    await unlinkIfExists(this.timeIndexFile);
  }
}
