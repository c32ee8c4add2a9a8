/**
 * The log of one partition: an ordered list of segments, the last one active. See README.md for the
 * lifecycle and concurrency rules. In short:
 * - `append` validates the batches, assigns offsets synchronously (patching baseOffset in each header), and
 *   queues the bytes; one writer drains the queue, coalescing queued appends into one writev per segment.
 * - `read` returns stored bytes, never past what has been written (`writtenEndOffset`).
 * - Flushing follows Kafka's flush.messages / flush.ms; by default the OS page cache decides.
 * - Retention, DeleteRecords and the cleaner's swap also run in the write queue; segments leaving the log are
 *   renamed `*.deleted` and closed/removed after file.delete.delay.ms, once no read holds them.
 */
import { randomUUID } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import {
  ATTRIBUTES,
  ATTR_TIMESTAMP_TYPE,
  BASE_OFFSET,
  CRC,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  computeBatchCrc,
  writeInt64,
} from '../protocol/records/batch-header.js';
import { CLEAN_SHUTDOWN_FILE, atomicWriteFile, fsyncDir, unlinkIfExists } from './fs-util.js';
import {
  NEVER,
  NEVER_FLUSH,
  hasCleanupPolicy,
  resolveLogConfig,
  timestampBounds,
  type LogConfig,
  type ResolvedLogConfig,
} from './log-config.js';
import { loadLog } from './log-recovery.js';
import { LogSegment, SegmentGoneError, type AppendedBatch, type SegmentConfig } from './log-segment.js';
import { validateBatches, type AppendOrigin, type ValidationResult } from './log-validator.js';
import { SILENT_LOGGER, type StorageLogger } from './logger.js';
import type { RecordTimestamp } from './record-timestamps.js';

export type { RecordTimestamp } from './record-timestamps.js';
export { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config.js';

export interface PartitionLogOptions {
  /**
   * Offset below which the log is known to be fsynced (from the log dir's recovery-point-offset-checkpoint).
   * Only segments from the one containing it are recovered after an unclean shutdown; undefined = all.
   */
  recoveryPoint?: number;
  /** Wall clock in ms (LogAppendTime, segment.ms fallback, flush.ms). Default Date.now. */
  clock?: () => number;
  /** From the log dir's log-start-offset-checkpoint; the first segment's base offset when absent or lower. */
  logStartOffset?: number;
  /**
   * Called (and awaited) after retention or DeleteRecords moved the log start offset, so that the owner can
   * checkpoint it before DeleteRecords is answered (LogManager writes log-start-offset-checkpoint).
   */
  onLogStartOffsetChange?: (log: PartitionLog) => Promise<void> | void;
}

export interface RetentionOptions {
  /** Segments reaching this offset are never deleted (Kafka's high-watermark bound). Default: the written end. */
  highWatermark?: number;
}

/** Steps of the compaction swap, in order; a test hook may stop at any of them (see `swapSegments`). */
export type SwapStep = 'renamed-to-swap' | 'old-renamed-deleted' | 'swap-renamed-live';

export interface AppendOptions {
  /** LogAppendTime topics: the broker time to stamp (default: the clock). Ignored for CreateTime. */
  logAppendTimeMs?: number;
  /** Written into each batch's partitionLeaderEpoch field when given. */
  leaderEpoch?: number;
  /** Validation rules (default 'client'); coordinators writing control batches pass 'coordinator'. */
  origin?: AppendOrigin;
  /** The result of `validateBatches` on this very buffer, to skip validating twice. */
  validated?: ValidationResult;
}

export interface AppendResult {
  /** Offset of the first record appended; -1 for an empty record set. */
  baseOffset: number;
  /** Offset of the last record appended; -1 for an empty record set. */
  lastOffset: number;
  /** The broker time stamped on the batches for LogAppendTime topics, -1 for CreateTime (as Kafka answers). */
  logAppendTime: number;
  logStartOffset: number;
}

export interface ReadOptions {
  /** Exclusive upper bound, e.g. the high watermark: only batches whose lastOffset is below it are returned. */
  maxOffset?: number;
  /** KIP-74: return the first batch whole even when it is larger than maxBytes. Default false. */
  minOneMessage?: boolean;
}

export interface ReadResult {
  /** Whole stored batches, the first one containing the fetch offset (it may start before it). */
  records: Buffer;
  batches: number;
  /** Offset after the last returned batch; the fetch offset when nothing was returned. */
  nextOffset: number;
}

interface PendingAppend {
  kind: 'append';
  buf: Buffer;
  sizeBytes: number;
  baseOffset: number;
  lastOffset: number;
  records: number;
  batches: AppendedBatch[];
  maxTimestamp: number;
  logAppendTime: number;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

interface PendingTask {
  kind: 'task';
  run: () => Promise<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

type QueueItem = PendingAppend | PendingTask;

type LogState = 'open' | 'closing' | 'closed' | 'deleted';

/** One writev carries at most this many appends / bytes. */
const MAX_GROUP_APPENDS = 1024;
const MAX_GROUP_BYTES = 8 * 1024 * 1024;
/** setTimeout cannot wait longer than this. */
const MAX_TIMER_MS = 0x7fffffff;

export class PartitionLog {
  private segments: LogSegment[];
  private nextOffset: number;
  private writtenEnd: number;
  private recoveryPointOffset: number;
  private readonly queue: QueueItem[] = [];
  private draining: Promise<void> | null = null;
  private pendingBytesCount = 0;
  private unflushedRecords = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private rollFlush: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  private state: LogState = 'open';
  private truncating = false;
  private closing: Promise<void> | null = null;
  private inflightReads = 0;
  private readsDrained: Array<() => void> = [];
  private flushes = 0;
  private cfg: ResolvedLogConfig;
  private logStart: number;
  /** Bumped whenever segments are removed or rewritten (not on roll): the cleaner's optimistic check. */
  private version = 0;
  /** Segments renamed `.deleted`, waiting for file.delete.delay.ms. */
  private readonly pendingDeletes = new Map<LogSegment, NodeJS.Timeout | null>();
  private readonly onLogStartOffsetChange: ((log: PartitionLog) => Promise<void> | void) | undefined;

  private constructor(
    readonly dir: string,
    config: ResolvedLogConfig,
    private readonly logger: StorageLogger,
    readonly clock: () => number,
    segments: LogSegment[],
    recoveryPoint: number,
    options: PartitionLogOptions,
  ) {
    this.cfg = config;
    this.segments = segments;
    this.nextOffset = segments[segments.length - 1]!.nextOffset;
    this.writtenEnd = this.nextOffset;
    this.recoveryPointOffset = recoveryPoint;
    // Kafka: max(checkpointed log start, first segment base), never past the log end.
    this.logStart = Math.min(Math.max(options.logStartOffset ?? 0, segments[0]!.baseOffset), this.nextOffset);
    this.onLogStartOffsetChange = options.onLogStartOffsetChange;
  }

  /**
   * Opens (creating if needed) the log in `dir`, recovering it when it was not closed cleanly.
   * `config` fields left out take Kafka's defaults; invalid values throw KafkaError(INVALID_CONFIG).
   */
  static async open(
    dir: string,
    config: Partial<LogConfig> = {},
    logger: StorageLogger = SILENT_LOGGER,
    options: PartitionLogOptions = {},
  ): Promise<PartitionLog> {
    const cfg = resolveLogConfig(config);
    const clock = options.clock ?? Date.now;
    const loaded = await loadLog(dir, cfg, { logger, recoveryPoint: options.recoveryPoint, nowMs: clock() });
    const log = new PartitionLog(dir, cfg, logger, clock, loaded.segments, loaded.recoveryPoint, options);
    logger.debug(
      { dir, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, recovered: loaded.recovered },
      'opened partition log',
    );
    return log;
  }

  // ---------------------------------------------------------------- state

  get config(): Readonly<ResolvedLogConfig> {
    return this.cfg;
  }

  /** First offset in the log (Kafka's log start offset): retention and DeleteRecords move it forward. */
  get logStartOffset(): number {
    return this.logStart;
  }

  /** Next offset to assign (Kafka's LEO); includes appends not yet written. */
  get logEndOffset(): number {
    return this.nextOffset;
  }

  /** Offsets below this are in the file and readable. */
  get writtenEndOffset(): number {
    return this.writtenEnd;
  }

  /** Offsets below this are fsynced. */
  get recoveryPoint(): number {
    return this.recoveryPointOffset;
  }

  /** Bytes of batches written to the segments. */
  get sizeBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.sizeBytes;
    return n;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first. */
  get segmentBaseOffsets(): number[] {
    return this.segments.map((s) => s.baseOffset);
  }

  /** Bytes accepted by `append` and not yet handed to the writer (for backpressure and metrics). */
  get pendingBytes(): number {
    return this.pendingBytesCount;
  }

  /** Number of fsyncs forced by flush.messages, flush.ms or `flush()` since open. */
  get flushCount(): number {
    return this.flushes;
  }

  /** Applies new config values; segments already created keep their index size. */
  updateConfig(config: Partial<LogConfig>): void {
    this.cfg = resolveLogConfig({ ...this.cfg, ...config });
    if (this.flushTimer !== null) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
      this.armFlushTimer();
    }
  }

  /** Segment settings for new segments. */
  private segmentConfig(): SegmentConfig {
    return {
      indexIntervalBytes: this.cfg.indexIntervalBytes,
      segmentIndexBytes: this.cfg.segmentIndexBytes,
      preallocateBytes: this.cfg.preallocate ? this.cfg.segmentBytes : 0,
    };
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  private ensureWritable(): void {
    if (this.failure !== null) throw this.storageError();
    if (this.state !== 'open') throw this.closedError();
    if (this.truncating) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `log ${this.dir} is being truncated`);
  }

  private ensureReadable(): void {
    if (this.failure !== null) throw this.storageError();
    if (this.state === 'closed' || this.state === 'deleted') throw this.closedError();
  }

  private storageError(): KafkaError {
    return new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is offline: ${this.failure?.message ?? ''}`);
  }

  private closedError(): KafkaError {
    return this.state === 'deleted'
      ? new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `log ${this.dir} was deleted`)
      : new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `log ${this.dir} is closed`);
  }

  // ---------------------------------------------------------------- append

  /**
   * Appends one or more v2 batches. Validates them (unless `opts.validated` is given), then, synchronously
   * within this call, assigns offsets by writing baseOffset (and leaderEpoch) into each header in place —
   * so appends are ordered by call order — and, for LogAppendTime topics, stamps maxTimestamp, sets the
   * timestamp-type attribute and recomputes the CRC. The buffer belongs to the log until the promise settles.
   * Resolves once the bytes are in the file, and fsynced when flush.messages / flush.ms=0 say so.
   * Rejects with KafkaError: validation codes, RECORD_LIST_TOO_LARGE (set larger than segment.bytes),
   * NOT_LEADER_OR_FOLLOWER (closed or truncating), KAFKA_STORAGE_ERROR (I/O failure).
   */
  async append(batches: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    this.ensureWritable();
    const v = opts.validated ?? validateBatches(batches, this.validateOptions(opts));
    if (v.sizeBytes !== batches.length) throw new Error('opts.validated does not describe this buffer');
    if (v.batches === 0) return { baseOffset: -1, lastOffset: -1, logAppendTime: -1, logStartOffset: this.logStartOffset };
    if (batches.length > this.cfg.segmentBytes) {
      throw new KafkaError(
        ErrorCode.RECORD_LIST_TOO_LARGE,
        `record set of ${batches.length} bytes is larger than segment.bytes ${this.cfg.segmentBytes}`,
      );
    }
    const logAppendTime =
      this.cfg.messageTimestampType === 'LogAppendTime' ? (opts.logAppendTimeMs ?? this.clock()) : -1;
    const baseOffset = this.nextOffset;
    let next = baseOffset;
    let maxTimestamp = -1;
    const metas: AppendedBatch[] = [];
    for (const info of v.batchInfos) {
      const p = info.position;
      writeInt64(batches, p + BASE_OFFSET, next);
      if (opts.leaderEpoch !== undefined) batches.writeInt32BE(opts.leaderEpoch, p + PARTITION_LEADER_EPOCH);
      let ts = info.maxTimestamp;
      if (logAppendTime >= 0) {
        batches.writeInt16BE(batches.readInt16BE(p + ATTRIBUTES) | ATTR_TIMESTAMP_TYPE, p + ATTRIBUTES);
        writeInt64(batches, p + MAX_TIMESTAMP, logAppendTime);
        batches.writeUInt32BE(computeBatchCrc(batches, p), p + CRC);
        ts = logAppendTime;
      }
      const lastOffset = next + info.lastOffsetDelta;
      metas.push({ sizeBytes: info.sizeBytes, lastOffset, maxTimestamp: ts });
      if (ts > maxTimestamp) maxTimestamp = ts;
      next = lastOffset + 1;
    }
    this.nextOffset = next;
    this.pendingBytesCount += batches.length;
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({
        kind: 'append',
        buf: batches,
        sizeBytes: batches.length,
        baseOffset,
        lastOffset: next - 1,
        records: v.records,
        batches: metas,
        maxTimestamp,
        logAppendTime,
        resolve,
        reject,
      });
      this.kick();
    });
  }

  /** Validation rules for an append: size, origin, and KIP-937 timestamp bounds on CreateTime topics. */
  private validateOptions(opts: AppendOptions): Parameters<typeof validateBatches>[1] {
    const { beforeMaxMs, afterMaxMs } = timestampBounds(this.cfg);
    const checkTimestamps =
      this.cfg.messageTimestampType === 'CreateTime' && (beforeMaxMs < NEVER || afterMaxMs < NEVER);
    return {
      maxMessageBytes: this.cfg.maxMessageBytes,
      origin: opts.origin,
      timestamps: checkTimestamps && opts.origin !== 'replication' ? { nowMs: this.clock(), beforeMaxMs, afterMaxMs } : undefined,
    };
  }

  /** Runs `run` in the write queue, after every append queued before it. */
  private enqueueTask<T>(run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ kind: 'task', run, resolve: resolve as (v: unknown) => void, reject });
      this.kick();
    });
  }

  private kick(): void {
    if (this.draining !== null) return;
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.queue.length > 0) this.kick();
    });
  }

  /** The single writer: executes queued tasks and appends in order. */
  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      if (head.kind === 'task') {
        this.queue.shift();
        try {
          head.resolve(await head.run());
        } catch (err) {
          head.reject(err);
        }
        continue;
      }
      if (this.failure !== null) {
        this.queue.shift();
        this.pendingBytesCount -= head.sizeBytes;
        head.reject(this.storageError());
        continue;
      }
      const group: PendingAppend[] = [];
      try {
        await this.writeGroup(group);
      } catch (err) {
        this.fail(err);
        for (const e of group) e.reject(this.storageError());
      }
    }
  }

  /** Takes the next run of appends that fit in one segment, writes them with one writev, flushes if due. */
  private async writeGroup(group: PendingAppend[]): Promise<void> {
    const first = this.queue[0] as PendingAppend;
    if (this.shouldRoll(this.active, first, 0, 0)) await this.roll(first.baseOffset);
    const seg = this.active;
    let bytes = 0;
    let batchCount = 0;
    while (group.length < MAX_GROUP_APPENDS && this.queue.length > 0) {
      const e = this.queue[0]!;
      if (e.kind !== 'append') break;
      if (group.length > 0 && (bytes + e.sizeBytes > MAX_GROUP_BYTES || this.shouldRoll(seg, e, bytes, batchCount))) break;
      this.queue.shift();
      this.pendingBytesCount -= e.sizeBytes;
      group.push(e);
      bytes += e.sizeBytes;
      batchCount += e.batches.length;
    }
    const metas: AppendedBatch[] = [];
    for (const e of group) for (const b of e.batches) metas.push(b);
    await seg.append(
      group.map((e) => e.buf),
      metas,
    );
    this.writtenEnd = group[group.length - 1]!.lastOffset + 1;
    for (const e of group) this.unflushedRecords += e.records;
    if (this.unflushedRecords >= this.cfg.flushMessages || this.cfg.flushMs === 0) {
      await this.flushNow();
    } else {
      this.armFlushTimer();
    }
    const logStartOffset = this.logStartOffset;
    for (const e of group) {
      e.resolve({ baseOffset: e.baseOffset, lastOffset: e.lastOffset, logAppendTime: e.logAppendTime, logStartOffset });
    }
  }

  /**
   * Kafka's roll rules: the append would push the segment past segment.bytes; the segment's first batch is
   * older than segment.ms relative to the new batch's timestamp (or, with no timestamp, the segment's age);
   * an index could fill up; or an offset would not fit relative to the base. Empty segments never roll.
   * `extraBytes`/`extraBatches` describe appends already grouped for the same write.
   */
  private shouldRoll(seg: LogSegment, e: PendingAppend, extraBytes: number, extraBatches: number): boolean {
    const size = seg.sizeBytes + extraBytes;
    if (size === 0) return false;
    if (size + e.sizeBytes > this.cfg.segmentBytes) return true;
    const batches = extraBatches + e.batches.length;
    if (seg.offsetIndex.entries + batches > seg.offsetIndex.maxEntries) return true;
    if (seg.timeIndex.entries + batches + 1 > seg.timeIndex.maxEntries) return true;
    if (!seg.canHoldOffset(e.lastOffset)) return true;
    const rolling = seg.rollingBasedTimestamp;
    const waitedMs = rolling !== undefined && rolling >= 0 ? e.maxTimestamp - rolling : this.clock() - seg.createdMs;
    return waitedMs > this.cfg.segmentMs;
  }

  /** Starts a new active segment at `baseOffset`; the old one is persisted and fsynced in the background. */
  private async roll(baseOffset: number): Promise<void> {
    const old = this.active;
    old.onBecomeInactive();
    const seg = await LogSegment.create(this.dir, baseOffset, this.segmentConfig(), this.clock());
    this.segments = [...this.segments, seg];
    this.logger.info({ dir: this.dir, baseOffset, previous: old.baseOffset }, 'rolled log segment');
    this.rollFlush = this.rollFlush.then(async () => {
      if (this.failure !== null) return;
      try {
        await old.trim();
        await old.flushAll();
        await fsyncDir(this.dir);
        if (baseOffset > this.recoveryPointOffset) this.recoveryPointOffset = baseOffset;
      } catch (err) {
        this.fail(err);
      }
    });
  }

  private fail(err: unknown): void {
    if (this.failure !== null) return;
    this.failure = err instanceof Error ? err : new Error(String(err));
    this.logger.error({ dir: this.dir, err: this.failure }, 'log I/O failed; partition is offline');
  }

  // ---------------------------------------------------------------- flush

  /** Fsyncs everything written so far (queued behind pending appends). */
  flush(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.storageError());
    if (this.state === 'closed' || this.state === 'deleted') return Promise.reject(this.closedError());
    return this.enqueueTask(() => this.flushNow());
  }

  /** Runs inside the queue: waits for roll flushes, fsyncs the active segment, advances the recovery point. */
  private async flushNow(): Promise<void> {
    if (this.flushTimer !== null) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    const target = this.writtenEnd;
    await this.rollFlush;
    if (this.failure !== null) throw this.storageError();
    try {
      await this.active.syncLog();
    } catch (err) {
      this.fail(err);
      throw this.storageError();
    }
    this.unflushedRecords = 0;
    this.flushes++;
    if (target > this.recoveryPointOffset) this.recoveryPointOffset = target;
  }

  private armFlushTimer(): void {
    if (this.flushTimer !== null || this.cfg.flushMs >= NEVER_FLUSH || this.unflushedRecords === 0) return;
    this.flushTimer = setTimeout(
      () => {
        this.flushTimer = null;
        if (this.state !== 'open' || this.failure !== null) return;
        this.enqueueTask(() => this.flushNow()).catch((err: unknown) => {
          this.logger.error({ dir: this.dir, err }, 'timed flush failed');
        });
      },
      Math.min(this.cfg.flushMs, MAX_TIMER_MS),
    );
    this.flushTimer.unref();
  }

  // ---------------------------------------------------------------- read

  /**
   * Whole stored batches starting with the one containing `fetchOffset`, up to `maxBytes` (but at least one
   * batch with minOneMessage), none reaching `maxOffset`, never past the written end. Continues into the next
   * segments when a segment ends before the budget does.
   * Throws KafkaError(OFFSET_OUT_OF_RANGE) when fetchOffset < logStartOffset or > logEndOffset.
   */
  async read(fetchOffset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    this.ensureReadable();
    return this.trackRead(() => this.retrying(() => this.readOnce(fetchOffset, maxBytes, opts)));
  }

  private async readOnce(fetchOffset: number, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
    if (!Number.isSafeInteger(fetchOffset) || fetchOffset < this.logStartOffset || fetchOffset > this.nextOffset) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${fetchOffset} is outside [${this.logStartOffset}, ${this.nextOffset}] of ${this.dir}`,
      );
    }
    const upper = Math.min(opts.maxOffset ?? Number.MAX_SAFE_INTEGER, this.writtenEnd);
    const empty: ReadResult = { records: Buffer.alloc(0), batches: 0, nextOffset: fetchOffset };
    if (fetchOffset >= upper) return empty;
    {
      const segs = this.segments;
      const chunks: Buffer[] = [];
      let total = 0;
      let batches = 0;
      let nextOffset = fetchOffset;
      let started = false;
      for (let i = floorSegment(segs, fetchOffset); i < segs.length; i++) {
        const seg = segs[i]!;
        const limit = seg.sizeBytes;
        let position = 0;
        if (!started) {
          const b = await pinned(seg, () => seg.findBatch(fetchOffset, limit));
          if (b === null) continue;
          position = b.position;
          started = true;
        }
        const minOne = opts.minOneMessage === true && total === 0;
        const r = await pinned(seg, () => seg.readFrom(position, limit, maxBytes - total, upper, minOne));
        if (r.batches > 0) {
          chunks.push(r.records);
          total += r.records.length;
          batches += r.batches;
          nextOffset = r.lastOffset + 1;
        }
        if (r.stopped || total >= maxBytes) break;
      }
      const records = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
      return { records, batches, nextOffset };
    }
  }

  /**
   * Runs a read again when one of its segments was closed under it (replaced by the cleaner or deleted with
   * file.delete.delay.ms = 0); the retry sees the current segments (or OFFSET_OUT_OF_RANGE after retention).
   */
  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof SegmentGoneError) || attempt >= 8) throw err;
      }
    }
  }

  /**
   * ListOffsets by timestamp: the earliest record with timestamp ≥ `timestamp` (below `maxOffset` when given),
   * or null. Exact for uncompressed batches (their record headers are walked) and LogAppendTime batches; for a
   * compressed CreateTime batch the answer is that batch's base offset and maxTimestamp — Kafka decompresses
   * and returns the exact record, which needs the codecs in protocol/compression.
   */
  async offsetForTimestamp(timestamp: number, opts: { maxOffset?: number } = {}): Promise<RecordTimestamp | null> {
    this.ensureReadable();
    const upper = Math.min(opts.maxOffset ?? Number.MAX_SAFE_INTEGER, this.writtenEnd);
    return this.trackRead(() =>
      this.retrying(async () => {
        const minOffset = this.logStart;
        for (const seg of this.segments) {
          const found = await pinned(seg, async () => {
            await seg.ensureLoaded();
            if (seg.maxTimestamp < timestamp || seg.nextOffset <= minOffset) return undefined;
            if (seg.baseOffset >= upper) return null;
            return (await seg.findByTimestamp(timestamp, seg.sizeBytes, upper, minOffset)) ?? undefined;
          });
          if (found !== undefined) return found;
        }
        return null;
      }),
    );
  }

  /**
   * ListOffsets MAX_TIMESTAMP (-3): the first record carrying the log's largest timestamp, or null when the log
   * is empty. Exact for uncompressed and LogAppendTime batches; for a compressed batch it answers the batch's
   * base offset with the batch's maxTimestamp (an approximation: a consumer seeking there still sees the record).
   */
  async maxTimestampOffset(): Promise<RecordTimestamp | null> {
    this.ensureReadable();
    return this.trackRead(() =>
      this.retrying(async () => {
        let best: LogSegment | null = null;
        for (const seg of this.segments) {
          await pinned(seg, () => seg.ensureLoaded());
          if (seg.sizeBytes > 0 && seg.maxTimestamp >= 0 && (best === null || seg.maxTimestamp > best.maxTimestamp)) best = seg;
        }
        if (best === null) return null;
        const b = best;
        const found = await pinned(b, () => b.findMaxTimestamp(b.sizeBytes));
        // Below the log start only when DeleteRecords cut into the segment: report the first readable offset.
        return found === null ? null : { offset: Math.max(found.offset, this.logStart), timestamp: found.timestamp };
      }),
    );
  }

  /** Counts a read so that close/delete wait for it; maps unexpected I/O errors to KAFKA_STORAGE_ERROR. */
  private async trackRead<T>(fn: () => Promise<T>): Promise<T> {
    this.inflightReads++;
    try {
      return await fn();
    } catch (err) {
      if (err instanceof KafkaError) throw err;
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `read from ${this.dir} failed: ${(err as Error).message}`);
    } finally {
      this.inflightReads--;
      if (this.inflightReads === 0) for (const w of this.readsDrained.splice(0)) w();
    }
  }

  private readsIdle(): Promise<void> {
    if (this.inflightReads === 0) return Promise.resolve();
    return new Promise((resolve) => this.readsDrained.push(resolve));
  }

  // ---------------------------------------------------------------- retention and DeleteRecords

  /**
   * Kafka's deleteOldSegments: deletes whole segments from the oldest while each one breaches a limit —
   * its successor starts at or below the log start offset (always); with 'delete' in cleanup.policy, its
   * largest timestamp (the file's mtime when it has none) is more than retention.ms before `nowMs`, or the
   * log is larger than retention.bytes by at least its size. A segment reaching past `highWatermark` is
   * never deleted. When every segment goes, including a non-empty active one, a new active segment is rolled
   * first (Kafka does the same), so the log end offset is kept. The log start offset moves to the first
   * remaining segment's base. Returns the number of segments deleted; they are renamed `*.deleted` and removed
   * after file.delete.delay.ms.
   */
  async applyRetention(nowMs: number = this.clock(), opts: RetentionOptions = {}): Promise<number> {
    if (this.failure !== null || this.state !== 'open') return 0;
    const deleted = await this.enqueueTask(async () => {
      if (this.failure !== null || this.state !== 'open') return 0;
      const doomed = await this.retentionBreaches(nowMs, Math.min(opts.highWatermark ?? this.writtenEnd, this.writtenEnd));
      if (doomed.length === 0) return 0;
      await this.rollFlush;
      if (doomed.length === this.segments.length) await this.roll(this.writtenEnd);
      const reason = doomed.map((d) => d.baseOffset);
      this.removeSegments(doomed);
      await this.retireSegments(doomed);
      this.logger.info({ dir: this.dir, segments: reason, logStartOffset: this.logStart }, 'deleted segments by retention');
      return doomed.length;
    });
    if (deleted > 0) await this.onLogStartOffsetChange?.(this);
    return deleted;
  }

  /** The leading segments `applyRetention` may delete (see there). Runs in the write queue. */
  private async retentionBreaches(nowMs: number, highWatermark: number): Promise<LogSegment[]> {
    const cfg = this.cfg;
    const byPolicy = hasCleanupPolicy(cfg, 'delete');
    let excessBytes = byPolicy && cfg.retentionBytes >= 0 ? this.sizeBytes - cfg.retentionBytes : 0;
    const doomed: LogSegment[] = [];
    const segs = this.segments;
    for (let i = 0; i < segs.length; i++) {
      const seg = segs[i]!;
      const next = segs[i + 1];
      const upperBound = next?.baseOffset ?? this.writtenEnd;
      if (highWatermark < upperBound || (next === undefined && seg.sizeBytes === 0)) break;
      let breach = next !== undefined && next.baseOffset <= this.logStart;
      if (!breach && byPolicy && excessBytes > 0 && excessBytes >= seg.sizeBytes) breach = true;
      if (!breach && byPolicy && cfg.retentionMs >= 0) {
        await seg.ensureLoaded();
        const largest = seg.maxTimestamp >= 0 ? seg.maxTimestamp : await seg.lastModifiedMs();
        breach = nowMs - largest > cfg.retentionMs;
      }
      if (!breach) break;
      excessBytes -= seg.sizeBytes;
      doomed.push(seg);
    }
    return doomed;
  }

  /**
   * DeleteRecords: moves the log start offset to `offset` (-1 = the high watermark) and deletes the segments
   * wholly below it. Resolves to the new log start offset (the partition's low watermark); never moves it
   * back. Throws KafkaError(OFFSET_OUT_OF_RANGE) when `offset` is above the high watermark (the caller's bound
   * in `opts`, else the written end).
   */
  async deleteRecordsBefore(offset: number, opts: RetentionOptions = {}): Promise<number> {
    this.ensureWritable();
    const start = await this.enqueueTask(async () => {
      if (this.failure !== null) throw this.storageError();
      const hw = Math.min(opts.highWatermark ?? this.writtenEnd, this.writtenEnd);
      const target = offset === -1 ? hw : offset;
      if (!Number.isSafeInteger(target) || target < 0 || target > hw) {
        throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `cannot delete records before ${offset}: high watermark is ${hw}`);
      }
      if (target <= this.logStart) return -1;
      this.logStart = target;
      const segs = this.segments;
      const doomed: LogSegment[] = [];
      for (let i = 0; i + 1 < segs.length && segs[i + 1]!.baseOffset <= target; i++) doomed.push(segs[i]!);
      if (doomed.length > 0) {
        await this.rollFlush;
        this.removeSegments(doomed);
        await this.retireSegments(doomed);
      }
      this.logger.info({ dir: this.dir, logStartOffset: target, segmentsDeleted: doomed.length }, 'deleted records');
      return target;
    });
    if (start >= 0) await this.onLogStartOffsetChange?.(this);
    return this.logStart;
  }

  /** Drops `doomed` (leading segments) from the segment list; the log start never falls behind the first base. */
  private removeSegments(doomed: readonly LogSegment[]): void {
    const gone = new Set(doomed);
    this.segments = this.segments.filter((s) => !gone.has(s));
    if (this.segments[0]!.baseOffset > this.logStart) this.logStart = this.segments[0]!.baseOffset;
    this.version++;
  }

  /**
   * Kafka's asynchronous delete: the segments' files are renamed `*.deleted` now (so a restart removes them
   * whatever happens next) and closed and unlinked after file.delete.delay.ms, once no read holds them.
   */
  private async retireSegments(doomed: readonly LogSegment[]): Promise<void> {
    for (const seg of doomed) {
      seg.detach();
      if (seg.fileSuffix !== '.deleted') await seg.changeSuffix('.deleted');
    }
    await fsyncDir(this.dir);
    for (const seg of doomed) this.scheduleRemoval(seg);
  }

  private scheduleRemoval(seg: LogSegment): void {
    const timer = setTimeout(() => {
      this.removeRetired(seg).catch((err: unknown) => this.logger.warn({ dir: this.dir, err }, 'removing deleted segment failed'));
    }, Math.min(this.cfg.fileDeleteDelayMs, MAX_TIMER_MS));
    timer.unref();
    this.pendingDeletes.set(seg, timer);
  }

  private async removeRetired(seg: LogSegment): Promise<void> {
    const timer = this.pendingDeletes.get(seg);
    if (timer === undefined) return;
    if (timer !== null) clearTimeout(timer);
    this.pendingDeletes.set(seg, null);
    await seg.closeWhenIdle();
    for (const f of [seg.logFile, seg.indexFile, seg.timeIndexFile]) await unlinkIfExists(f);
    this.pendingDeletes.delete(seg);
  }

  /** Removes every segment still waiting for its delete delay (close and delete do not wait for it). */
  private async removeAllRetired(): Promise<void> {
    await Promise.all([...this.pendingDeletes.keys()].map((seg) => this.removeRetired(seg).catch(() => undefined)));
  }

  // ---------------------------------------------------------------- compaction support (used by cleaner/)

  /** @internal The current segments (oldest first) and the version `swapSegments` checks. */
  cleanerView(): { segments: readonly LogSegment[]; version: number; writtenEnd: number; segmentConfig: SegmentConfig } {
    return { segments: this.segments, version: this.version, writtenEnd: this.writtenEnd, segmentConfig: this.segmentConfig() };
  }

  /**
   * @internal Atomically replaces the contiguous, inactive segments `old` with `replacement` (written by the
   * cleaner as `<base>.log.cleaned`, fsynced, base = old[0].baseOffset, same offset range). Kafka's protocol:
   * rename the replacement to `.swap` (the commit point: recovery completes a swap it finds), rename the old
   * segments to `.deleted`, rename `.swap` to the live name; each step fsyncs the directory. Resolves to the
   * log's new version, or null without touching anything when the log changed since `version` (the cleaner
   * then drops its work).
   * `hook` runs after each step, and after each old segment's rename (tests inject crashes there; a throw
   * leaves the files as a crash at that point would); an error at any step takes the log offline, as
   * an I/O error would, and the next open settles the files.
   */
  async swapSegments(
    replacement: LogSegment,
    old: readonly LogSegment[],
    version: number,
    hook?: (step: SwapStep) => Promise<void> | void,
  ): Promise<number | null> {
    this.ensureWritable();
    return this.enqueueTask(async () => {
      if (this.failure !== null) throw this.storageError();
      const at = this.segments.indexOf(old[0]!);
      const contiguous = at >= 0 && old.every((s, i) => this.segments[at + i] === s);
      if (version !== this.version || !contiguous || at + old.length >= this.segments.length) return null;
      await this.rollFlush;
      try {
        await replacement.changeSuffix('.swap');
        await fsyncDir(this.dir);
        await hook?.('renamed-to-swap');
        for (const seg of old) {
          seg.detach();
          await seg.changeSuffix('.deleted');
          await hook?.('old-renamed-deleted');
        }
        await fsyncDir(this.dir);
        await replacement.changeSuffix('');
        await fsyncDir(this.dir);
        await hook?.('swap-renamed-live');
      } catch (err) {
        this.fail(err);
        throw this.storageError();
      }
      this.segments = [...this.segments.slice(0, at), replacement, ...this.segments.slice(at + old.length)];
      this.version++;
      for (const seg of old) this.scheduleRemoval(seg);
      return this.version;
    });
  }

  // ---------------------------------------------------------------- truncation (followers)

  /**
   * Removes every batch whose last offset is ≥ `offset` (a batch containing it goes whole), for a follower
   * that diverged from its leader. Appends queued before the call are written first; appends made while it
   * runs are rejected. Below the log start, the log is emptied and restarts at `offset`.
   */
  async truncateTo(offset: number): Promise<void> {
    this.ensureWritable();
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`bad truncation offset ${offset}`);
    this.truncating = true;
    try {
      await this.enqueueTask(async () => {
        if (offset >= this.writtenEnd) return;
        await this.rollFlush;
        const segs = this.segments;
        let keep = segs.filter((s) => s.baseOffset <= offset);
        const drop = segs.filter((s) => s.baseOffset > offset);
        const emptied = keep.length === 0 || offset <= keep[0]!.baseOffset || offset < this.logStart;
        if (emptied) {
          drop.push(...keep);
          keep = [];
        }
        for (const s of drop) await s.deleteFiles();
        if (keep.length === 0) keep = [await LogSegment.create(this.dir, offset, this.segmentConfig(), this.clock())];
        this.segments = keep;
        this.version++;
        // Kafka's truncateFullyAndStartAt: an emptied log starts at the truncation offset.
        if (emptied) this.logStart = offset;
        const end = await this.active.truncateTo(offset);
        await fsyncDir(this.dir);
        this.nextOffset = end;
        this.writtenEnd = end;
        if (this.recoveryPointOffset > end) this.recoveryPointOffset = end;
        this.logger.warn({ dir: this.dir, offset, logEndOffset: end }, 'truncated log');
      });
    } finally {
      this.truncating = false;
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Writes everything queued, fsyncs all segments and indexes, writes the clean-shutdown marker and closes the
   * files. New appends are refused from the moment it is called; reads in flight finish first.
   */
  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    if (this.state === 'deleted') return;
    this.state = 'closing';
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.enqueueTask(async () => {
      await this.rollFlush;
      if (this.failure !== null) return;
      const active = this.active;
      active.onBecomeInactive();
      try {
        await active.trim();
        await active.flushAll();
        this.recoveryPointOffset = this.writtenEnd;
        await atomicWriteFile(path.join(this.dir, CLEAN_SHUTDOWN_FILE), '');
      } catch (err) {
        this.fail(err);
      }
    });
    this.state = 'closed';
    await this.readsIdle();
    await this.removeAllRetired();
    for (const seg of this.segments) await seg.close().catch(() => undefined);
    this.logger.debug({ dir: this.dir, logEndOffset: this.nextOffset, clean: this.failure === null }, 'closed log');
  }

  /**
   * Deletes the log (DeleteTopics): appends not yet written are rejected, the files are closed and the
   * directory is renamed to `<dir>.<uuid>-delete` (so a crash leaves no half-deleted partition) and removed.
   */
  async delete(): Promise<void> {
    if (this.state === 'deleted') return;
    const wasClosed = this.state === 'closed' || this.closing !== null;
    this.state = 'deleted';
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (wasClosed) {
      await this.closing;
    } else {
      for (let i = this.queue.length - 1; i >= 0; i--) {
        const e = this.queue[i]!;
        if (e.kind === 'append') {
          this.queue.splice(i, 1);
          this.pendingBytesCount -= e.sizeBytes;
          e.reject(this.closedError());
        }
      }
      while (this.draining !== null) await this.draining;
      await this.rollFlush;
      await this.readsIdle();
      await this.removeAllRetired();
      for (const seg of this.segments) await seg.close().catch(() => undefined);
    }
    this.state = 'deleted';
    const doomed = `${this.dir}.${randomUUID().replace(/-/g, '')}-delete`;
    await rename(this.dir, doomed);
    await fsyncDir(path.dirname(this.dir));
    await rm(doomed, { recursive: true, force: true });
    this.logger.info({ dir: this.dir }, 'deleted log');
  }
}

/** Runs `fn` with `seg` pinned open; SegmentGoneError when it was closed (the caller retries). */
async function pinned<T>(seg: LogSegment, fn: () => Promise<T>): Promise<T> {
  if (!seg.retain()) throw new SegmentGoneError(seg.baseOffset);
  try {
    return await fn();
  } finally {
    seg.release();
  }
}

/** Index of the last segment whose base offset is ≤ offset (0 when none). */
function floorSegment(segs: LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
