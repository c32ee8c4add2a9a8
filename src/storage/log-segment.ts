/**
 * One segment of a partition log: `<base>.log` plus its sparse `.index` and `.timeindex`.
 * A segment never decodes records; it appends whole batches, keeps its indexes, and finds byte positions by
 * offset or timestamp. Only the owning PartitionLog calls it, and never two writes at once.
 */
import { stat } from 'node:fs/promises';
import { BatchHeaderReader, type StoredBatch } from './batch-reader.js';
import { readAt, writeFully } from './fs-util.js';
import type { SegmentConfig } from './log-config.js';
import { defaultFileHandleCache } from './file-handle-cache.js';
import { OffsetIndex } from './offset-index.js';
import { findRecord, type RecordTimestamp } from './record-timestamps.js';
import { batchesIn, findTimestampFrom, firstBatchReaching, readBatches, type SegmentRead } from './segment-read.js';
import { SegmentFile, type SegmentFileSuffix } from './segment-file.js';
import { INT32_MAX, SCAN_CHUNK_BYTES, emptyTailState, scanTail, scanValidPrefix, type TailState } from './segment-scan.js';
import { TimeIndex } from './time-index.js';
import { TransactionIndex } from './producer-state/transaction-index.js';

export type { SegmentRead } from './segment-read.js';
export { segmentConfigFor, type SegmentConfig } from './log-config.js';
export { SegmentGoneError, pinned, type SegmentFileSuffix } from './segment-file.js';

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
  /** Aborted transactions whose markers are in this segment (`.txnindex`, created on the first one). */
  readonly txnIndex: TransactionIndex;
  private bytesSinceLastIndexEntry = 0;
  private loading: Promise<void> | null = null;
  /** True while the .log file is longer than `sizeBytes` because it was preallocated. */
  private preallocated = false;
  /** The .log; its handle is opened on demand and may be closed by the file-handle cache between uses. */
  private readonly file: SegmentFile;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    file: SegmentFile,
    sizeBytes: number,
    private readonly config: SegmentConfig,
    nowMs: number,
  ) {
    this.file = file;
    this.sizeBytes = sizeBytes;
    this.nextOffset = baseOffset;
    this.createdMs = nowMs;
    this.offsetIndex = new OffsetIndex(this.indexFile, baseOffset, config.segmentIndexBytes);
    this.timeIndex = new TimeIndex(this.timeIndexFile, baseOffset, config.segmentIndexBytes);
    this.txnIndex = new TransactionIndex(() => this.file.txnIndexFile);
  }

  get logFile(): string {
    return this.file.logFile;
  }

  get indexFile(): string {
    return this.file.indexFile;
  }

  get timeIndexFile(): string {
    return this.file.timeIndexFile;
  }

  get fileSuffix(): SegmentFileSuffix {
    return this.file.suffix;
  }

  /**
   * Creates a new, empty segment (any leftover files with its name are replaced). `suffix` '.cleaned' is how
   * the cleaner writes a replacement segment beside the live ones. `lazyHandle` (a new log's first segment)
   * keeps the file open only when the handle cache has a free slot.
   */
  static async create(
    dir: string,
    baseOffset: number,
    config: SegmentConfig,
    nowMs: number,
    suffix: SegmentFileSuffix = '',
    lazyHandle = false,
  ): Promise<LogSegment> {
    const prealloc = config.preallocateBytes ?? 0;
    const file = await SegmentFile.create(dir, baseOffset, suffix, prealloc, config.handles ?? defaultFileHandleCache(), lazyHandle);
    const seg = new LogSegment(dir, baseOffset, file, 0, config, nowMs);
    seg.loading = Promise.resolve();
    // Kafka's preallocate: the file got its final size (sparse on most file systems); `sizeBytes` tracks the
    // data, recovery stops at the zeros, and roll/close trim the rest.
    seg.preallocated = prealloc > 0;
    try {
      await seg.offsetIndex.persist(false);
      await seg.timeIndex.persist(false);
    } catch (err) {
      await file.close().catch(() => undefined);
      throw err;
    }
    return seg;
  }

  /** Opens an existing segment; indexes are loaded later (`ensureLoaded`) or rebuilt by `recover`. */
  static async open(dir: string, baseOffset: number, config: SegmentConfig, nowMs: number): Promise<LogSegment> {
    const { file, sizeBytes } = await SegmentFile.open(dir, baseOffset, config.handles ?? defaultFileHandleCache());
    return new LogSegment(dir, baseOffset, file, sizeBytes, config, nowMs);
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

  /** Recomputes the in-memory state past the last offset-index entry; false when the indexes disagree with the .log. */
  private async scanTail(): Promise<boolean> {
    const tail = await this.file.use((fh) => scanTail(fh, this.sizeBytes, this.baseOffset, this.offsetIndex, this.timeIndex));
    if (tail === null) return false;
    this.applyState(tail);
    return true;
  }

  private applyState(s: TailState): void {
    this.nextOffset = s.nextOffset;
    this.maxTimestamp = s.maxTimestamp;
    this.offsetOfMaxTimestamp = s.offsetOfMaxTimestamp;
    this.bytesSinceLastIndexEntry = s.bytesSinceLastIndexEntry;
    this.rollingBasedTimestamp = s.rollingBasedTimestamp;
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
    this.applyState(emptyTailState(this.baseOffset));
    const { scan, truncatedBytes } = await this.file.use(async (fh) => {
      const fileSize = (await fh.stat()).size;
      const result = await scanValidPrefix(fh, fileSize, this.baseOffset, expectedFirstOffset, (b) =>
        this.indexBatch(b.position, b.sizeBytes, b.lastOffset, b.maxTimestamp),
      );
      const cut = fileSize - result.validBytes;
      if (cut > 0) {
        await fh.truncate(result.validBytes);
        await fh.sync();
      }
      return { scan: result, truncatedBytes: cut };
    });
    this.sizeBytes = scan.validBytes;
    this.preallocated = false;
    await this.offsetIndex.persist(true);
    await this.timeIndex.persist(true);
    this.loading ??= Promise.resolve();
    return { truncatedBytes, reason: scan.reason };
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
    await this.file.use((fh) => writeFully(fh, bufs, start));
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
      // fsync covers the file's dirty pages whichever handle wrote them (the cache may have reopened it).
      await this.file.use((fh) => fh.sync());
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

  /** Writes pending index entries and fsyncs the .log and the indexes. */
  async flushAll(): Promise<void> {
    await this.offsetIndex.persist(true);
    await this.timeIndex.persist(true);
    await this.txnIndex.flush();
    await this.syncLog();
  }

  /**
   * Removes every batch whose last offset is ≥ `offset` (a batch containing `offset` goes entirely). Returns
   * the new nextOffset of the segment. Must be serialized with appends.
   */
  async truncateTo(offset: number): Promise<number> {
    await this.ensureLoaded();
    const from = this.offsetIndex.lookup(offset).position;
    const cut = await this.file.use((fh) => firstBatchReaching(fh, from, this.sizeBytes, offset));
    if (cut === null) return this.nextOffset;
    this.offsetIndex.truncateToPosition(cut.position);
    this.timeIndex.truncateTo(cut.baseOffset);
    await this.txnIndex.truncateTo(cut.baseOffset);
    this.sizeBytes = cut.position;
    await this.file.use((fh) => fh.truncate(cut.position));
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
    return this.file.use((fh) => firstBatchReaching(fh, Math.min(start, limit), limit, target));
  }

  /**
   * Whole batches from `position` (which must start a batch) up to `limit`, at most `maxBytes` of them — but
   * the first batch even if larger when `minOneBatch` — and only batches whose lastOffset < `maxOffset`.
   */
  readFrom(position: number, limit: number, maxBytes: number, maxOffset: number, minOneBatch: boolean): Promise<SegmentRead> {
    return this.file.use((fh) => readBatches(fh, this.logFile, position, limit, maxBytes, maxOffset, minOneBatch));
  }

  /**
   * Every whole batch below `limit` with its bytes, oldest first, read through a 1 MiB window (the cleaner's
   * sequential pass). Stops at the first header that is not a plausible batch.
   */
  async *batches(limit = this.sizeBytes): AsyncGenerator<{ batch: StoredBatch; bytes: Buffer }> {
    // The handle stays in use for the whole pass (released when the loop ends, breaks or throws).
    const fh = await this.file.acquire();
    try {
      yield* batchesIn(fh, this.logFile, limit);
    } finally {
      this.file.releaseHandle();
    }
  }

  /** Every whole batch's header below `limit`, oldest first; only the headers are parsed (the epoch cache rebuild). */
  forEachBatchHeader(fn: (batch: StoredBatch) => void, limit = this.sizeBytes): Promise<void> {
    return this.file.use(async (fh) => {
      const reader = new BatchHeaderReader(fh, 0, limit, SCAN_CHUNK_BYTES);
      for (let b = await reader.next(); b !== null; b = await reader.next()) fn(b);
    });
  }

  /** The whole bytes of a batch found by a header scan. */
  readBatch(batch: StoredBatch): Promise<Buffer> {
    return this.file.use((fh) => readAt(fh, batch.position, batch.sizeBytes));
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
    return this.file.use((fh) => findTimestampFrom(fh, Math.min(start, limit), limit, timestamp, maxOffset, minOffset));
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
    const size = this.sizeBytes;
    await this.file.use((fh) => fh.truncate(size));
    this.preallocated = false;
    this.unsynced = true;
  }

  /** mtime of the .log: Kafka's fallback for retention when a segment has no timestamps. */
  async lastModifiedMs(): Promise<number> {
    return (await stat(this.logFile)).mtimeMs;
  }

  /** Renames the segment's files to carry `suffix` (see SegmentFile.changeSuffix). */
  async changeSuffix(suffix: SegmentFileSuffix): Promise<void> {
    if (suffix === this.file.suffix) return;
    await this.file.changeSuffix(suffix);
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
    return this.file.retain();
  }

  release(): void {
    this.file.release();
  }

  /** Closes the file once no read holds the segment. */
  closeWhenIdle(): Promise<void> {
    return this.file.closeWhenIdle();
  }

  close(): Promise<void> {
    return this.file.close();
  }

  /** Closes the file and removes the segment's files. */
  async deleteFiles(): Promise<void> {
    this.detach();
    await this.close().catch(() => undefined);
    await this.unlinkFiles();
  }

  /** Removes the segment's files (with their current suffix); missing ones are skipped. */
  unlinkFiles(): Promise<void> {
    return this.file.unlink();
  }
}
