/**
 * A PartitionLog's leader epoch cache and its `leader-epoch-checkpoint` file (Kafka's layout: one per
 * partition directory). The log keeps it current itself:
 * - an append made with `leaderEpoch` (a leader's) assigns that epoch at the append's base offset; any other
 *   append (a follower's, origin 'replication', whose batches keep the leader's epochs) assigns each batch's
 *   partitionLeaderEpoch at its base offset; -1 (no epoch recorded) assigns nothing;
 * - truncation cuts it from the end, a log start moved by retention or DeleteRecords cuts it from the start.
 * At open the file is read and cut to the recovered log (Kafka's LogLoader); a missing or unreadable file
 * is rebuilt from the batch headers.
 *
 * Writes are atomic (temp file, fsync, rename). Every change is written through the log's write queue,
 * queued before the append that caused it, so the file is on disk before that append's bytes are: after
 * a crash the file may be ahead of the log (open cuts it) but never behind it. Changes are rare (once per
 * leader epoch), so the hot path costs one comparison per append.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BASE_OFFSET, PARTITION_LEADER_EPOCH, readInt64 } from '../protocol/records/batch-header.js';
import { atomicWriteFile, isNotFound } from './fs-util.js';
import {
  EpochCheckpointError,
  LEADER_EPOCH_CHECKPOINT_FILE,
  LeaderEpochCache,
  formatEpochCheckpoint,
  parseEpochCheckpoint,
} from './leader-epoch-cache.js';
import type { LocalLog } from './local-log.js';
import type { ValidationResult } from './log-validator.js';

export class LogEpochs {
  readonly cache = new LeaderEpochCache();
  readonly file: string;

  constructor(private readonly local: LocalLog) {
    this.file = path.join(local.dir, LEADER_EPOCH_CHECKPOINT_FILE);
  }

  /**
   * Loads the checkpoint and cuts it to [logStart, logEnd) of the loaded log, or rebuilds it from the
   * segments' batch headers when the file is missing or malformed. Writes the file when that changed it.
   */
  async load(): Promise<void> {
    const local = this.local;
    let text: string | null = null;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    let entries = null;
    if (text !== null) {
      try {
        entries = parseEpochCheckpoint(text);
      } catch (err) {
        if (!(err instanceof EpochCheckpointError)) throw err;
        local.logger.warn({ dir: local.dir, err }, 'rebuilding an unreadable leader-epoch-checkpoint');
      }
    }
    let changed: boolean;
    if (entries !== null) {
      for (const e of entries) this.cache.assign(e.epoch, e.startOffset);
      // Entries of batches lost in recovery, or below a log start moved after the last write.
      changed = this.cache.truncateFromEnd(local.nextOffset);
      changed = this.cache.truncateFromStart(local.logStart) || changed;
    } else {
      await this.rebuild();
      // A brand-new or epoch-less log needs no file; a malformed one is replaced.
      changed = this.cache.size > 0 || text !== null;
    }
    if (changed) await this.write();
  }

  /** Kafka's fallback: every batch header of every segment, oldest first (no record is decoded). */
  private async rebuild(): Promise<void> {
    const local = this.local;
    for (const seg of local.segments) {
      try {
        await seg.forEachBatchHeader((b) => {
          if (b.partitionLeaderEpoch >= 0 && b.magic === 2) this.cache.assign(b.partitionLeaderEpoch, b.baseOffset);
        });
      } catch (err) {
        // A header the loader did not check (a trusted segment): what was read so far stands.
        local.logger.warn({ dir: local.dir, segment: seg.baseOffset, err }, 'epoch cache rebuild stopped at a corrupt header');
      }
    }
    this.cache.truncateFromEnd(local.nextOffset);
    this.cache.truncateFromStart(local.logStart);
    local.logger.info({ dir: local.dir, entries: this.cache.size }, 'rebuilt the leader epoch cache from the log');
  }

  /**
   * Assigns the epochs of an append whose first offset is `baseOffset` (called as its offsets are assigned).
   * Returns true when the cache changed (the caller then queues `write`).
   */
  noteAppend(batches: Buffer, v: ValidationResult, baseOffset: number, leaderEpoch: number | undefined, keepsOffsets = false): boolean {
    if (leaderEpoch !== undefined) return leaderEpoch >= 0 && this.cache.assign(leaderEpoch, baseOffset);
    let changed = false;
    let next = baseOffset;
    for (const info of v.batchInfos) {
      // A follower's batches keep the leader's offsets (with compaction's gaps): the header says where each starts.
      if (keepsOffsets) next = readInt64(batches, info.position + BASE_OFFSET);
      // Validated batches are v2: the epoch is at its fixed header position.
      const epoch = batches.readInt32BE(info.position + PARTITION_LEADER_EPOCH);
      if (epoch >= 0) changed = this.cache.assign(epoch, next) || changed;
      next += info.lastOffsetDelta + 1;
    }
    return changed;
  }

  /** In the write queue, after a truncation to `offset` of a log that started at `startBefore`. */
  async afterTruncation(startBefore: number, offset: number): Promise<void> {
    // Below the log start the log was emptied and restarts (Kafka's truncateFullyAndStartAt clears the cache).
    const changed = offset < startBefore ? this.cache.clear() : this.cache.truncateFromEnd(this.local.nextOffset);
    if (changed) await this.write();
  }

  /** In the write queue, after the log was emptied and restarted (truncateFullyAndStartAt). */
  async afterFullTruncation(): Promise<void> {
    if (this.cache.clear()) await this.write();
  }

  /** In the write queue, after retention or DeleteRecords (maybe) moved the log start. */
  async afterLogStartMoved(): Promise<void> {
    if (this.cache.truncateFromStart(this.local.logStart)) await this.write();
  }

  /**
   * Writes the checkpoint as the cache is now (atomic; in the write queue once the log is open). A failure
   * takes the log offline, like any failed write of the log.
   */
  async write(): Promise<void> {
    if (this.local.state === 'deleted') return; // the directory is going away with the cache
    try {
      await atomicWriteFile(this.file, formatEpochCheckpoint(this.cache.entries()));
    } catch (err) {
      this.local.fail(err);
      throw this.local.storageError();
    }
  }
}
