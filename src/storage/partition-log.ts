/**
 * The log of one partition: an ordered list of segments, the last one active. See README.md for the
 * lifecycle and concurrency rules. In short:
 * - `append` validates the batches, assigns offsets synchronously (patching baseOffset in each header), and
 *   queues the bytes; one writer drains the queue, coalescing queued appends into one writev per segment
 *   (write-queue.ts).
 * - `read` returns stored bytes, never past what has been written (`writtenEndOffset`) (log-reader.ts).
 * - Flushing follows Kafka's flush.messages / flush.ms; by default the OS page cache decides (flush-policy.ts).
 * - The leader epoch cache (`leader-epoch-checkpoint`) follows appends, truncation and the log start
 *   (log-epochs.ts); it answers `endOffsetForEpoch`.
 * - Retention, DeleteRecords and the cleaner's swap also run in the write queue; segments leaving the log are
 *   renamed `*.deleted` and closed/removed after file.delete.delay.ms, once no read holds them
 *   (log-retention.ts, segment-swap.ts, retired-segments.ts).
 * This class is the public face: it checks the log's state, validates appends and routes every call to the
 * part that does the work; the shared state (segments, offsets) is a LocalLog.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { FileHandleCache } from './file-handle-cache.js';
import {
  NEVER,
  resolveLogConfig,
  segmentConfigFor,
  timestampBounds,
  type LogConfig,
  type ResolvedLogConfig,
  type SegmentConfig,
} from './log-config.js';
import type { EpochEndOffset, EpochEntry } from './leader-epoch-cache.js';
import { LogEpochs } from './log-epochs.js';
import { LogProducers } from './producer-state/log-producers.js';
import type { ProducerStateEntry, VerificationGuard } from './producer-state/producer-state-manager.js';
import type { AbortedTxn } from './producer-state/transaction-index.js';
import { loadLog } from './log-recovery.js';
import { LocalLog } from './local-log.js';
import { LogReader } from './log-reader.js';
import { deleteOldSegments, deleteRecordsBefore } from './log-retention.js';
import type { LogSegment } from './log-segment.js';
import type { AppendOptions, AppendResult, ReadOptions, ReadResult, RetentionOptions, SwapStep } from './log-types.js';
import { AppendSequencer } from './append-sequencer.js';
import type { ByteBudget } from './byte-budget.js';
import { DEFAULT_DECOMPRESSION_BUDGET, needsPreparation, prepareBatches } from './deferred-validation.js';
import { validateBatches, type ValidateOptions, type ValidationResult } from './log-validator.js';
import { SILENT_LOGGER, type StorageLogger } from './logger.js';
import type { RecordTimestamp } from './record-timestamps.js';
import { RetiredSegments } from './retired-segments.js';
import { swapSegments } from './segment-swap.js';
import { WriteQueue } from './write-queue.js';

export type { RecordTimestamp } from './record-timestamps.js';
export { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config.js';
export type { AppendOptions, AppendResult, ReadOptions, ReadResult, RetentionOptions, SwapStep } from './log-types.js';

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
  /**
   * Where the segments' `.log` handles are cached; they are opened on demand and the least recently used idle
   * ones closed beyond its capacity. Default: the process-wide cache sized from the open-files limit.
   */
  fileHandles?: FileHandleCache;
  /**
   * The caller fsyncs the log's directory right after opening a brand-new log (LogManager writes
   * partition.metadata there), so the open need not do it too.
   */
  dirSyncedByCaller?: boolean;
  /** Bounds the memory decompressing client batches may hold at once; default: one budget for the process. */
  decompressionBudget?: ByteBudget;
  /** producer.id.expiration.ms (default 86400000, one day): idle idempotent producers are forgotten. */
  producerIdExpirationMs?: number;
}

/** Kafka's producer.id.expiration.ms default. */
export const DEFAULT_PRODUCER_ID_EXPIRATION_MS = 86_400_000;

export class PartitionLog {
  private readonly local: LocalLog;
  private readonly queue: WriteQueue;
  private readonly reader: LogReader;
  private readonly retired: RetiredSegments;
  private closing: Promise<void> | null = null;
  private readonly onLogStartOffsetChange: ((log: PartitionLog) => Promise<void> | void) | undefined;
  private readonly sequencer = new AppendSequencer();
  private readonly decompressionBudget: ByteBudget;
  /** The leader epoch cache and its leader-epoch-checkpoint (log-epochs.ts). */
  private readonly epochs: LogEpochs;
  /** Idempotent producers' sequences and the `.snapshot` files (producer-state/). */
  private readonly producers: LogProducers;

  private constructor(
    readonly dir: string,
    config: ResolvedLogConfig,
    logger: StorageLogger,
    readonly clock: () => number,
    segments: LogSegment[],
    recoveryPoint: number,
    options: PartitionLogOptions,
  ) {
    this.local = new LocalLog(dir, config, logger, clock, segments, recoveryPoint, options.logStartOffset, options.fileHandles);
    this.queue = new WriteQueue(this.local);
    this.reader = new LogReader(this.local);
    this.retired = new RetiredSegments(this.local);
    this.onLogStartOffsetChange = options.onLogStartOffsetChange;
    this.decompressionBudget = options.decompressionBudget ?? DEFAULT_DECOMPRESSION_BUDGET;
    this.epochs = new LogEpochs(this.local);
    this.producers = new LogProducers(this.local, { expirationMs: options.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS });
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
    const loaded = await loadLog(dir, cfg, {
      logger,
      recoveryPoint: options.recoveryPoint,
      nowMs: clock(),
      handles: options.fileHandles,
      dirSyncedByCaller: options.dirSyncedByCaller,
    });
    const log = new PartitionLog(dir, cfg, logger, clock, loaded.segments, loaded.recoveryPoint, options);
    try {
      await log.epochs.load();
      await log.producers.load(clock(), !loaded.recovered);
    } catch (err) {
      await log.local.closeSegments();
      throw err;
    }
    logger.debug(
      { dir, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset, recovered: loaded.recovered },
      'opened partition log',
    );
    return log;
  }

  // ---------------------------------------------------------------- state

  get config(): Readonly<ResolvedLogConfig> {
    return this.local.config;
  }

  /** First offset in the log (Kafka's log start offset): retention and DeleteRecords move it forward. */
  get logStartOffset(): number {
    return this.local.logStart;
  }

  /** Next offset to assign (Kafka's LEO); includes appends not yet written. */
  get logEndOffset(): number {
    return this.local.nextOffset;
  }

  /** Offsets below this are in the file and readable. */
  get writtenEndOffset(): number {
    return this.local.writtenEnd;
  }

  /** Offsets below this are fsynced. */
  get recoveryPoint(): number {
    return this.local.recoveryPoint;
  }

  /** Bytes of batches written to the segments. */
  get sizeBytes(): number {
    return this.local.sizeBytes;
  }

  get segmentCount(): number {
    return this.local.segments.length;
  }

  /** Base offsets of the segments, oldest first. */
  get segmentBaseOffsets(): number[] {
    return this.local.segments.map((s) => s.baseOffset);
  }

  /** Bytes accepted by `append` and not yet handed to the writer (for backpressure and metrics). */
  get pendingBytes(): number {
    return this.queue.pendingBytes;
  }

  /** Number of fsyncs forced by flush.messages, flush.ms or `flush()` since open. */
  get flushCount(): number {
    return this.queue.flushPolicy.flushes;
  }

  /** Applies new config values; segments already created keep their index size. */
  updateConfig(config: Partial<LogConfig>): void {
    this.local.config = resolveLogConfig({ ...this.local.config, ...config });
    this.queue.flushPolicy.reconfigure();
  }

  // ---------------------------------------------------------------- append and flush

  /**
   * Appends one or more v2 batches. Validates them (unless `opts.validated` is given), then assigns offsets by
   * writing baseOffset (and leaderEpoch) into each header in place — in call order — and, for LogAppendTime
   * topics, stamps maxTimestamp, sets the timestamp-type attribute and recomputes the CRC. The buffer belongs to
   * the log until the promise settles. Client batches that are compressed (or large) are decompressed within a
   * bound and walked asynchronously first, and batches in another codec than `opts.recompressTo` rebuilt
   * (deferred-validation.ts); later appends wait for them, so offsets still follow call order. Otherwise the
   * offsets are assigned synchronously within this call.
   * Resolves once the bytes are in the file, and fsynced when flush.messages / flush.ms=0 say so.
   * Rejects with KafkaError: validation codes, RECORD_LIST_TOO_LARGE (set larger than segment.bytes),
   * NOT_LEADER_OR_FOLLOWER (closed or truncating), KAFKA_STORAGE_ERROR (I/O failure).
   */
  async append(batches: Buffer, opts: AppendOptions = {}): Promise<AppendResult> {
    this.local.ensureWritable();
    const rules = this.validateOptions(opts);
    const v = opts.validated ?? validateBatches(batches, rules);
    if (v.sizeBytes !== batches.length) throw new Error('opts.validated does not describe this buffer');
    const recompressTo = opts.recompressTo ?? null;
    if (this.sequencer.idle && !needsPreparation(v, recompressTo)) return this.handOver(batches, v, opts);
    const prepared = needsPreparation(v, recompressTo)
      ? prepareBatches(batches, v, { validate: rules, recompressTo, budget: this.decompressionBudget })
      : Promise.resolve(batches);
    return this.sequencer.run(prepared, (ready) => {
      this.local.ensureWritable();
      // A rebuilt set was made by the broker from records just validated: its headers are checked again (sizes,
      // CRC), its records are not walked twice.
      const checked = ready === batches ? v : validateBatches(ready, { maxMessageBytes: rules.maxMessageBytes, origin: 'coordinator' });
      return this.handOver(ready, checked, opts);
    });
  }

  /** Assigns offsets to a validated set and queues it for writing. */
  private handOver(batches: Buffer, v: ValidationResult, opts: AppendOptions): Promise<AppendResult> {
    const cfg = this.local.config;
    if (v.batches === 0) return Promise.resolve({ baseOffset: -1, lastOffset: -1, logAppendTime: -1, logStartOffset: this.logStartOffset });
    if (batches.length > cfg.segmentBytes) {
      return Promise.reject(
        new KafkaError(ErrorCode.RECORD_LIST_TOO_LARGE, `record set of ${batches.length} bytes is larger than segment.bytes ${cfg.segmentBytes}`),
      );
    }
    // A follower stores the leader's batches byte for byte: its offsets, epochs and LogAppendTime stamps.
    const follower = opts.origin === 'replication';
    // Producer state first: a refused batch (old epoch, sequence gap, fenced marker) changes nothing, a
    // duplicate of a retained batch is answered with its original offsets and not written again (Kafka's UnifiedLog).
    const snapshot = this.producers.maybeSnapshot();
    if (snapshot !== null) void this.queue.enqueueTask(() => this.persistSnapshot(snapshot)).catch(() => undefined);
    const checked = this.producers.checkAndApply(batches, v, this.local.nextOffset, opts.origin ?? 'client', follower, opts.transactionVerification);
    if (checked.duplicate !== null) {
      const { firstOffset, lastOffset } = checked.duplicate;
      return Promise.resolve({ baseOffset: firstOffset, lastOffset, logAppendTime: -1, logStartOffset: this.logStartOffset, duplicate: true });
    }
    const logAppendTime = !follower && cfg.messageTimestampType === 'LogAppendTime' ? (opts.logAppendTimeMs ?? this.clock()) : -1;
    // Queued ahead of the bytes: the checkpoint never misses an epoch that is in the log.
    const leaderEpoch = follower ? undefined : opts.leaderEpoch;
    if (this.epochs.noteAppend(batches, v, this.local.nextOffset, leaderEpoch, follower)) void this.persistEpochs().catch(() => undefined);
    return this.queue.append(batches, v, leaderEpoch, logAppendTime, follower, checked.abortedTxns);
  }

  // ---------------------------------------------------------------- leader epochs

  /** The latest leader epoch that wrote to the log (or was assigned by `assignEpochStartOffset`), or null. */
  latestEpoch(): number | null {
    return this.epochs.cache.latestEpoch();
  }

  /**
   * Kafka's endOffsetForEpoch (OffsetForLeaderEpoch, a follower's truncation): the largest epoch ≤ `epoch`
   * in the log and the offset where it ends — the next epoch's start, or the log end offset for the latest;
   * {-1, -1} for epoch -1 or an epoch above every known one (see LeaderEpochCache.endOffsetFor).
   */
  endOffsetForEpoch(epoch: number): EpochEndOffset {
    return this.epochs.cache.endOffsetFor(epoch, this.logEndOffset);
  }

  /**
   * A new leader records that its epoch starts at `offset` (its log end offset when it takes over, as Kafka's
   * Partition.makeLeader) before it appends anything; resolves once the checkpoint is written.
   */
  assignEpochStartOffset(epoch: number, offset: number): Promise<void> {
    this.local.ensureWritable();
    return this.epochs.cache.assign(epoch, offset) ? this.persistEpochs() : Promise.resolve();
  }

  /** The leader epoch cache's entries, oldest first. */
  epochEntries(): readonly EpochEntry[] {
    return this.epochs.cache.entries();
  }

  /** Writes a producer state snapshot (in the write queue); a failure takes the log offline, as a failed append would. */
  private async persistSnapshot(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      this.local.fail(err);
      throw this.local.storageError();
    }
  }

  // ---------------------------------------------------------------- idempotent producers

  /** The producers this log knows (DescribeProducers), as they are now. */
  producerStates(): ProducerStateEntry[] {
    return [...this.producers.state.entries()].map((e) => ({ ...e, batches: [...e.batches] }));
  }

  /**
   * KIP-890 part 1, before a transactional produce is appended: null when the producer's transaction is
   * already open here, else the guard to verify with its coordinator and pass back with the append.
   */
  maybeStartTransactionVerification(producerId: number, producerEpoch: number): VerificationGuard | null {
    return this.producers.state.maybeStartVerification(producerId, producerEpoch);
  }

  /**
   * The first offset of the earliest transaction that is open, or complete with its marker not yet below the
   * high watermark; null when none. The last stable offset is the lesser of this and the high watermark.
   */
  firstUnstableOffset(): number | null {
    return this.producers.state.firstUnstableOffset();
  }

  /** The replica's high watermark moved: transactions whose markers are now below it are stable. */
  onHighWatermarkUpdated(highWatermark: number): void {
    this.producers.state.onHighWatermarkUpdated(highWatermark);
  }

  /**
   * The aborted transactions overlapping [fetchOffset, upperBoundOffset) (a read_committed fetch's
   * abortedTransactions), from the aborted-transaction indexes of the segments from the one holding
   * fetchOffset on (a transaction's entry lives with its marker, at or after any offset it covers), until
   * an entry shows that every transaction starting below the bound had ended (Kafka's UnifiedLog).
   */
  async abortedTransactions(fetchOffset: number, upperBoundOffset: number): Promise<AbortedTxn[]> {
    const out: AbortedTxn[] = [];
    const segs = this.local.segments;
    for (let i = 0; i < segs.length; i += 1) {
      const next = segs[i + 1];
      if (next !== undefined && next.baseOffset <= fetchOffset) continue;
      const { entries, complete } = await segs[i]!.txnIndex.collect(fetchOffset, upperBoundOffset);
      out.push(...entries);
      if (complete) break;
    }
    return out;
  }

  /** Forgets producers idle longer than producer.id.expiration.ms (Kafka checks every producer.id.expiration.check.interval.ms). */
  removeExpiredProducers(nowMs: number = this.clock()): number {
    return this.producers.removeExpired(nowMs);
  }

  /** Writes leader-epoch-checkpoint from the write queue. */
  private persistEpochs(): Promise<void> {
    return this.queue.enqueueTask(() => this.epochs.write());
  }

  /** Validation rules for an append: size, origin, and KIP-937 timestamp bounds on CreateTime topics. */
  private validateOptions(opts: AppendOptions): ValidateOptions {
    const cfg = this.local.config;
    const { beforeMaxMs, afterMaxMs } = timestampBounds(cfg);
    const checkTimestamps = cfg.messageTimestampType === 'CreateTime' && (beforeMaxMs < NEVER || afterMaxMs < NEVER);
    return {
      maxMessageBytes: cfg.maxMessageBytes,
      origin: opts.origin,
      timestamps: checkTimestamps && opts.origin !== 'replication' ? { nowMs: this.clock(), beforeMaxMs, afterMaxMs } : undefined,
      requireKeys: cfg.cleanupPolicy?.includes('compact') ?? false,
    };
  }

  /** Fsyncs everything written so far (queued behind pending appends). */
  flush(): Promise<void> {
    const local = this.local;
    if (local.failure !== null) return Promise.reject(local.storageError());
    if (local.state === 'closed' || local.state === 'deleted') return Promise.reject(local.closedError());
    return this.queue.enqueueTask(() => this.queue.flushPolicy.flushNow());
  }

  // ---------------------------------------------------------------- read

  /**
   * Whole stored batches starting with the one containing `fetchOffset`, up to `maxBytes` (but at least one
   * batch with minOneMessage), none reaching `maxOffset`, never past the written end. Continues into the next
   * segments when a segment ends before the budget does.
   * Throws KafkaError(OFFSET_OUT_OF_RANGE) when fetchOffset < logStartOffset or > logEndOffset.
   */
  async read(fetchOffset: number, maxBytes: number, opts: ReadOptions = {}): Promise<ReadResult> {
    return this.reader.read(fetchOffset, maxBytes, opts);
  }

  /**
   * ListOffsets by timestamp: the earliest record with timestamp ≥ `timestamp` (below `maxOffset` when given),
   * or null. Exact for uncompressed batches (their record headers are walked) and LogAppendTime batches; for a
   * compressed CreateTime batch the answer is that batch's base offset and maxTimestamp — Kafka decompresses
   * and returns the exact record, which needs the codecs in protocol/compression.
   */
  async offsetForTimestamp(timestamp: number, opts: { maxOffset?: number } = {}): Promise<RecordTimestamp | null> {
    return this.reader.offsetForTimestamp(timestamp, opts.maxOffset);
  }

  /**
   * ListOffsets MAX_TIMESTAMP (-3): the first record carrying the log's largest timestamp, or null when the log
   * is empty. Exact for uncompressed and LogAppendTime batches; for a compressed batch it answers the batch's
   * base offset with the batch's maxTimestamp (an approximation: a consumer seeking there still sees the record).
   */
  async maxTimestampOffset(): Promise<RecordTimestamp | null> {
    return this.reader.maxTimestampOffset();
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
    if (this.local.failure !== null || this.local.state !== 'open') return 0;
    const deleted = await this.queue.enqueueTask(async () => {
      const n = await deleteOldSegments(this.local, this.retired, nowMs, opts.highWatermark);
      await this.epochs.afterLogStartMoved();
      await this.producers.afterLogStartMoved();
      return n;
    });
    if (deleted > 0) await this.onLogStartOffsetChange?.(this);
    return deleted;
  }

  /**
   * DeleteRecords: moves the log start offset to `offset` (-1 = the high watermark) and deletes the segments
   * wholly below it. Resolves to the new log start offset (the partition's low watermark); never moves it
   * back. Throws KafkaError(OFFSET_OUT_OF_RANGE) when `offset` is above the high watermark (the caller's bound
   * in `opts`, else the written end).
   */
  async deleteRecordsBefore(offset: number, opts: RetentionOptions = {}): Promise<number> {
    this.local.ensureWritable();
    const start = await this.queue.enqueueTask(async () => {
      const moved = await deleteRecordsBefore(this.local, this.retired, offset, opts.highWatermark);
      await this.epochs.afterLogStartMoved();
      await this.producers.afterLogStartMoved();
      return moved;
    });
    if (start >= 0) await this.onLogStartOffsetChange?.(this);
    return this.logStartOffset;
  }

  // ---------------------------------------------------------------- compaction support (used by cleaner/)

  /** @internal The current segments (oldest first) and the version `swapSegments` checks. */
  cleanerView(): { segments: readonly LogSegment[]; version: number; writtenEnd: number; segmentConfig: SegmentConfig } {
    const local = this.local;
    return { segments: local.segments, version: local.version, writtenEnd: local.writtenEnd, segmentConfig: segmentConfigFor(local.config, local.handles) };
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
    this.local.ensureWritable();
    return this.queue.enqueueTask(() => swapSegments(this.local, this.retired, replacement, old, version, hook));
  }

  // ---------------------------------------------------------------- truncation (followers)

  /**
   * Removes every batch whose last offset is ≥ `offset` (a batch containing it goes whole), for a follower
   * that diverged from its leader. Appends queued before the call are written first; appends made while it
   * runs are rejected. Below the log start, the log is emptied and restarts at `offset`.
   */
  async truncateTo(offset: number): Promise<void> {
    this.local.ensureWritable();
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`bad truncation offset ${offset}`);
    this.local.truncating = true;
    try {
      await this.queue.enqueueTask(async () => {
        const start = this.local.logStart;
        await this.local.truncateTo(offset);
        await this.epochs.afterTruncation(start, offset);
        await this.producers.reload(this.clock());
      });
    } finally {
      this.local.truncating = false;
    }
  }

  /**
   * Empties the log and restarts it at `offset` (Kafka's truncateFullyAndStartAt), for a follower whose log
   * end is below its leader's log start: nothing it holds can be kept contiguous with what it will fetch.
   * The epoch cache is cleared with it.
   */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    this.local.ensureWritable();
    if (!Number.isSafeInteger(offset) || offset < 0) throw new RangeError(`bad log start offset ${offset}`);
    this.local.truncating = true;
    try {
      await this.queue.enqueueTask(async () => {
        await this.local.truncateFullyAndStartAt(offset);
        await this.epochs.afterFullTruncation();
        await this.producers.clear(offset);
      });
    } finally {
      this.local.truncating = false;
    }
    await this.onLogStartOffsetChange?.(this);
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
    const local = this.local;
    if (local.state === 'deleted') return;
    local.state = 'closing';
    this.queue.flushPolicy.cancelTimer();
    // Kafka writes a snapshot at the log end on a clean shutdown: the next open replays nothing.
    const snapshot = this.producers.snapshotNow();
    if (snapshot !== null) await this.queue.enqueueTask(() => this.persistSnapshot(snapshot)).catch(() => undefined);
    await this.queue.enqueueTask(() => local.markCleanShutdown());
    local.state = 'closed';
    await this.releaseFiles();
    local.logger.debug({ dir: this.dir, logEndOffset: local.nextOffset, clean: local.failure === null }, 'closed log');
  }

  /**
   * Deletes the log (DeleteTopics): appends not yet written are rejected, the files are closed and the
   * directory is renamed to `<dir>.<uuid>-delete` (so a crash leaves no half-deleted partition) and removed.
   */
  async delete(): Promise<void> {
    const local = this.local;
    if (local.state === 'deleted') return;
    const wasClosed = local.state === 'closed' || this.closing !== null;
    local.state = 'deleted';
    this.queue.flushPolicy.cancelTimer();
    if (wasClosed) {
      await this.closing;
    } else {
      this.queue.rejectAppends(() => local.closedError());
      await this.queue.drained();
      await local.rollFlush;
      await this.releaseFiles();
    }
    local.state = 'deleted';
    await local.deleteDir();
    local.logger.info({ dir: this.dir }, 'deleted log');
  }

  /** Waits for reads in flight, removes retired segments now, closes every segment. */
  private async releaseFiles(): Promise<void> {
    await this.reader.idle();
    await this.retired.removeAll();
    await this.local.closeSegments();
  }
}
