/**
 * The state every part of a PartitionLog shares (Kafka's LocalLog): the segment list, the offsets (log end,
 * written end, recovery point, log start), the lifecycle state and the failure that takes the log offline.
 * It also rolls segments (the old one is fsynced in the background, `rollFlush`), truncates for followers and
 * writes the clean-shutdown marker. Mutating methods run inside the write queue (see write-queue.ts).
 */
import { randomUUID } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { CLEAN_SHUTDOWN_FILE, atomicWriteFile, fsyncDir } from './fs-util.js';
import { segmentConfigFor, type ResolvedLogConfig } from './log-config.js';
import type { FileHandleCache } from './file-handle-cache.js';
import { LogSegment } from './log-segment.js';
import type { StorageLogger } from './logger.js';

export type LogState = 'open' | 'closing' | 'closed' | 'deleted';

export class LocalLog {
  segments: LogSegment[];
  /** Next offset to assign (Kafka's LEO); includes appends not yet written. */
  nextOffset: number;
  /** Offsets below this are in the file and readable. */
  writtenEnd: number;
  /** Offsets below this are fsynced. */
  recoveryPoint: number;
  logStart: number;
  /** Bumped whenever segments are removed or rewritten (not on roll): the cleaner's optimistic check. */
  version = 0;
  state: LogState = 'open';
  truncating = false;
  failure: Error | null = null;
  /** The background fsync of rolled segments; whatever removes or rewrites segments waits for it. */
  rollFlush: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    public config: ResolvedLogConfig,
    readonly logger: StorageLogger,
    readonly clock: () => number,
    segments: LogSegment[],
    recoveryPoint: number,
    logStartOffset: number | undefined,
    /** The cache holding this log's segment file handles (undefined: the process-wide one). */
    readonly handles: FileHandleCache | undefined,
  ) {
    this.segments = segments;
    this.nextOffset = segments[segments.length - 1]!.nextOffset;
    this.writtenEnd = this.nextOffset;
    this.recoveryPoint = recoveryPoint;
    // Kafka: max(checkpointed log start, first segment base), never past the log end.
    this.logStart = Math.min(Math.max(logStartOffset ?? 0, segments[0]!.baseOffset), this.nextOffset);
  }

  get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  /** Bytes of batches written to the segments. */
  get sizeBytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.sizeBytes;
    return n;
  }

  // ---------------------------------------------------------------- state checks and errors

  ensureWritable(): void {
    if (this.failure !== null) throw this.storageError();
    if (this.state !== 'open') throw this.closedError();
    if (this.truncating) throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `log ${this.dir} is being truncated`);
  }

  ensureReadable(): void {
    if (this.failure !== null) throw this.storageError();
    if (this.state === 'closed' || this.state === 'deleted') throw this.closedError();
  }

  storageError(): KafkaError {
    return new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log ${this.dir} is offline: ${this.failure?.message ?? ''}`);
  }

  closedError(): KafkaError {
    return this.state === 'deleted'
      ? new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `log ${this.dir} was deleted`)
      : new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `log ${this.dir} is closed`);
  }

  /** Takes the log offline after an I/O error on the write path (the first error is kept). */
  fail(err: unknown): void {
    if (this.failure !== null) return;
    this.failure = err instanceof Error ? err : new Error(String(err));
    this.logger.error({ dir: this.dir, err: this.failure }, 'log I/O failed; partition is offline');
  }

  // ---------------------------------------------------------------- segment list

  /** Starts a new active segment at `baseOffset`; the old one is persisted and fsynced in the background. */
  async roll(baseOffset: number): Promise<void> {
    const old = this.active;
    old.onBecomeInactive();
    const seg = await LogSegment.create(this.dir, baseOffset, segmentConfigFor(this.config, this.handles), this.clock());
    this.segments = [...this.segments, seg];
    this.logger.info({ dir: this.dir, baseOffset, previous: old.baseOffset }, 'rolled log segment');
    this.rollFlush = this.rollFlush.then(async () => {
      if (this.failure !== null) return;
      try {
        await old.trim();
        await old.flushAll();
        await fsyncDir(this.dir);
        if (baseOffset > this.recoveryPoint) this.recoveryPoint = baseOffset;
      } catch (err) {
        this.fail(err);
      }
    });
  }

  /** Drops `doomed` (leading segments) from the segment list; the log start never falls behind the first base. */
  removeSegments(doomed: readonly LogSegment[]): void {
    const gone = new Set(doomed);
    this.segments = this.segments.filter((s) => !gone.has(s));
    if (this.segments[0]!.baseOffset > this.logStart) this.logStart = this.segments[0]!.baseOffset;
    this.version++;
  }

  /**
   * Removes every batch whose last offset is ≥ `offset` (see PartitionLog.truncateTo). Runs in the write
   * queue, after the appends queued before it.
   */
  async truncateTo(offset: number): Promise<void> {
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
    if (keep.length === 0) keep = [await LogSegment.create(this.dir, offset, segmentConfigFor(this.config, this.handles), this.clock())];
    this.segments = keep;
    this.version++;
    // Kafka's truncateFullyAndStartAt: an emptied log starts at the truncation offset.
    if (emptied) this.logStart = offset;
    const end = await this.active.truncateTo(offset);
    await fsyncDir(this.dir);
    this.nextOffset = end;
    this.writtenEnd = end;
    if (this.recoveryPoint > end) this.recoveryPoint = end;
    this.logger.warn({ dir: this.dir, offset, logEndOffset: end }, 'truncated log');
  }

  /**
   * Kafka's truncateFullyAndStartAt: every segment goes and the log restarts, empty, at `offset` (a follower
   * whose fetch offset fell below its leader's log start). Runs in the write queue.
   */
  async truncateFullyAndStartAt(offset: number): Promise<void> {
    await this.rollFlush;
    for (const s of this.segments) await s.deleteFiles();
    this.segments = [await LogSegment.create(this.dir, offset, segmentConfigFor(this.config, this.handles), this.clock())];
    this.version++;
    this.logStart = offset;
    this.nextOffset = offset;
    this.writtenEnd = offset;
    this.recoveryPoint = offset;
    await fsyncDir(this.dir);
    this.logger.warn({ dir: this.dir, offset }, 'emptied the log; it restarts at the leader\'s log start');
  }

  // ---------------------------------------------------------------- close and delete

  /**
   * The last task of a clean close: appends the final time-index entry, fsyncs log and indexes and writes
   * `.kafka_cleanshutdown`. An error leaves the log offline (the next open recovers it).
   */
  async markCleanShutdown(): Promise<void> {
    await this.rollFlush;
    if (this.failure !== null) return;
    const active = this.active;
    active.onBecomeInactive();
    try {
      await active.trim();
      await active.flushAll();
      this.recoveryPoint = this.writtenEnd;
      await atomicWriteFile(path.join(this.dir, CLEAN_SHUTDOWN_FILE), '');
    } catch (err) {
      this.fail(err);
    }
  }

  /** Closes every segment's file (errors ignored: the log is going away). */
  async closeSegments(): Promise<void> {
    for (const seg of this.segments) await seg.close().catch(() => undefined);
  }

  /**
   * Renames the directory to `<dir>.<uuid>-delete` (a crash leaves no half-deleted partition), then
   * removes it. As Kafka's logDeleteDirName, the topic part is shortened so the name fits the 255-byte
   * file name limit: a 249-character topic name is legal, and the rename failed with ENAMETOOLONG.
   */
  async deleteDir(): Promise<void> {
    const base = path.basename(this.dir);
    const dash = base.lastIndexOf('-');
    const suffix = `${base.slice(dash)}.${randomUUID().replace(/-/g, '')}-delete`;
    const topicPart = base.slice(0, dash);
    const doomed = path.join(path.dirname(this.dir), `${topicPart.slice(0, Math.max(0, 255 - Buffer.byteLength(suffix)))}${suffix}`);
    await rename(this.dir, doomed);
    await fsyncDir(path.dirname(this.dir));
    await rm(doomed, { recursive: true, force: true });
  }
}
