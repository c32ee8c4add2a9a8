/**
 * The Raft log on disk: a PartitionLog in `<metadataLogDir>/__cluster_metadata-0/`, next to
 *
 * - `leader-epoch-checkpoint`: the epoch cache, owned and kept by the PartitionLog as for any partition
 *   (storage/log-epochs.ts): leader appends assign their epoch, follower appends their batches' epochs,
 *   truncation and the log start cut it; rebuilt from the batch headers when missing or unreadable.
 * - snapshots `<20-digit endOffset>-<10-digit epoch>.checkpoint` (see snapshot-format.ts), each written to
 *   a temp file, fsynced, renamed, then the directory fsynced.
 *
 * Methods are called one at a time by the RaftClient's serial chain; nothing here is safe to interleave.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PartitionLog } from '../../storage/partition-log.js';
import { atomicWriteFile, fsyncDir, INDEX_FILE_SUFFIX, isNotFound, LOG_FILE_SUFFIX, offsetFileName, TIME_INDEX_FILE_SUFFIX, unlinkIfExists } from '../../storage/fs-util.js';
import { LEADER_EPOCH_CHECKPOINT_FILE } from '../../storage/leader-epoch-cache.js';
import { SILENT_LOGGER, type StorageLogger } from '../../storage/logger.js';
import {
  batchHeaders,
  buildRaftBatch,
  endOffsetForEpoch,
  type AppendedOffsets,
  type LeaderAppend,
  type OffsetAndEpoch,
  type RaftLog,
} from './raft-log.js';
import { compareSnapshotIds, decodeSnapshot, encodeSnapshot, parseSnapshotFileName, snapshotFileName } from './snapshot-format.js';
import type { SnapshotContents, SnapshotId } from './types.js';

export const METADATA_LOG_DIR_NAME = '__cluster_metadata-0';
export { LEADER_EPOCH_CHECKPOINT_FILE } from '../../storage/leader-epoch-cache.js';

/** Metadata batches are small, but a snapshot-sized batch must fit (Kafka's 8 MiB default for KRaft). */
const MAX_BATCH_BYTES = 8 * 1024 * 1024 + 1024;
export interface FileRaftLogOptions {
  logger?: StorageLogger;
  clock?: () => number;
}

export class FileRaftLog implements RaftLog {
  private flushed: number;
  private snapshots: SnapshotId[];
  private baseSnapshot: SnapshotId | null;

  private constructor(
    readonly dir: string,
    private log: PartitionLog,
    snapshots: SnapshotId[],
    private readonly options: FileRaftLogOptions,
  ) {
    this.flushed = log.logEndOffset;
    this.snapshots = snapshots.sort(compareSnapshotIds);
    this.baseSnapshot = this.snapshots.find((s) => s.endOffset === log.logStartOffset) ?? null;
  }

  static async open(metadataLogDir: string, options: FileRaftLogOptions = {}): Promise<FileRaftLog> {
    const dir = path.join(metadataLogDir, METADATA_LOG_DIR_NAME);
    await mkdir(dir, { recursive: true });
    const log = await FileRaftLog.openPartition(dir, options);
    const snapshots: SnapshotId[] = [];
    for (const name of await readdir(dir)) {
      if (name.endsWith('.checkpoint.tmp')) await unlinkIfExists(path.join(dir, name)); // a torn snapshot write
      const id = parseSnapshotFileName(name);
      if (id !== null) snapshots.push(id);
    }
    return new FileRaftLog(dir, log, snapshots, options);
  }

  private static openPartition(dir: string, options: FileRaftLogOptions): Promise<PartitionLog> {
    return PartitionLog.open(dir, { maxMessageBytes: MAX_BATCH_BYTES }, options.logger ?? SILENT_LOGGER, { clock: options.clock });
  }

  startOffset(): number {
    return this.log.logStartOffset;
  }

  endOffset(): number {
    return this.log.logEndOffset;
  }

  flushedOffset(): number {
    return this.flushed;
  }

  lastFetchedEpoch(): number {
    return this.log.latestEpoch() ?? this.baseSnapshot?.epoch ?? 0;
  }

  endOffsetForEpoch(epoch: number): OffsetAndEpoch {
    return endOffsetForEpoch(this.log.epochEntries(), this.baseSnapshot, this.log.logEndOffset, epoch);
  }

  async appendAsLeader(appends: readonly LeaderAppend[], epoch: number, timestampMs: number): Promise<AppendedOffsets[]> {
    const out: AppendedOffsets[] = [];
    const parts: Buffer[] = [];
    let next = this.log.logEndOffset;
    for (const a of appends) {
      parts.push(buildRaftBatch(next, epoch, timestampMs, a));
      out.push({ baseOffset: next, lastOffset: next + a.records.length - 1 });
      next += a.records.length;
    }
    // The PartitionLog assigns `epoch` at the base offset in its epoch cache (and checkpoints it).
    const r = await this.log.append(Buffer.concat(parts), { origin: 'coordinator', leaderEpoch: epoch });
    if (r.baseOffset !== out[0]!.baseOffset) throw new Error(`raft log assigned ${r.baseOffset}, expected ${out[0]!.baseOffset}`);
    return out;
  }

  async appendAsFollower(bytes: Buffer): Promise<void> {
    let expected = this.log.logEndOffset;
    for (const h of batchHeaders(bytes)) {
      if (h.baseOffset !== expected) throw new Error(`follower append at ${h.baseOffset}, log ends at ${expected}`);
      expected = h.lastOffset + 1;
    }
    // The leader's offsets are kept: PartitionLog assigns the same ones since the first batch starts at its end;
    // it records the batches' epochs in its epoch cache (origin 'replication' keeps them).
    await this.log.append(bytes, { origin: 'replication' });
    if (this.log.logEndOffset !== expected) throw new Error(`follower append ended at ${this.log.logEndOffset}, expected ${expected}`);
  }

  async truncateTo(offset: number): Promise<void> {
    if (offset >= this.log.logEndOffset) return;
    await this.log.truncateTo(offset); // cuts the epoch cache too
    if (this.flushed > this.log.logEndOffset) this.flushed = this.log.logEndOffset;
  }

  async read(fromOffset: number, maxBytes: number): Promise<Buffer> {
    if (fromOffset >= this.log.logEndOffset) return Buffer.alloc(0);
    return (await this.log.read(fromOffset, maxBytes, { minOneMessage: true })).records;
  }

  async flush(): Promise<void> {
    const target = this.log.logEndOffset;
    await this.log.flush();
    if (target > this.flushed) this.flushed = target;
  }

  latestSnapshotId(): SnapshotId | null {
    return this.snapshots[this.snapshots.length - 1] ?? null;
  }

  async createSnapshot(contents: SnapshotContents): Promise<void> {
    await this.storeSnapshot(contents.id, encodeSnapshot(contents));
  }

  private async storeSnapshot(id: SnapshotId, bytes: Buffer): Promise<void> {
    await atomicWriteFile(path.join(this.dir, snapshotFileName(id)), bytes);
    if (!this.snapshots.some((s) => compareSnapshotIds(s, id) === 0)) this.snapshots = [...this.snapshots, id].sort(compareSnapshotIds);
  }

  async readSnapshot(id: SnapshotId): Promise<SnapshotContents | null> {
    const bytes = await this.readSnapshotBytes(id);
    return bytes === null ? null : decodeSnapshot(id, bytes);
  }

  async readSnapshotBytes(id: SnapshotId): Promise<Buffer | null> {
    try {
      return await readFile(path.join(this.dir, snapshotFileName(id)));
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /**
   * Stores the snapshot, then replaces the log by an empty one starting at its end offset: PartitionLog
   * cannot move its start past its end, so the segments are deleted and an empty segment named after the
   * snapshot's end offset is created before the log is reopened.
   */
  async installSnapshot(id: SnapshotId, bytes: Buffer): Promise<void> {
    decodeSnapshot(id, bytes); // refuse a torn snapshot before dropping anything
    await this.storeSnapshot(id, bytes);
    await this.log.close();
    for (const name of await readdir(this.dir)) {
      // The epoch cache goes with the batches (Kafka's truncateFullyAndStartAt clears it): the reopened
      // empty log rebuilds it empty.
      const dropped = name === '.kafka_cleanshutdown' || name === LEADER_EPOCH_CHECKPOINT_FILE;
      if (dropped || name.endsWith(LOG_FILE_SUFFIX) || name.endsWith(INDEX_FILE_SUFFIX) || name.endsWith(TIME_INDEX_FILE_SUFFIX)) {
        await unlinkIfExists(path.join(this.dir, name));
      }
    }
    await writeFile(path.join(this.dir, offsetFileName(id.endOffset, LOG_FILE_SUFFIX)), Buffer.alloc(0));
    await fsyncDir(this.dir);
    this.log = await FileRaftLog.openPartition(this.dir, this.options);
    if (this.log.logStartOffset !== id.endOffset || this.log.logEndOffset !== id.endOffset) {
      throw new Error(`log reset to snapshot ${snapshotFileName(id)} starts at ${this.log.logStartOffset}..${this.log.logEndOffset}`);
    }
    this.baseSnapshot = id;
    this.flushed = id.endOffset;
  }

  /** Deletes the segments wholly below the latest snapshot (Kafka's snapshot-driven log cleaning). */
  async trimToLatestSnapshot(): Promise<void> {
    const id = this.latestSnapshotId();
    if (id === null || id.endOffset <= this.log.logStartOffset || id.endOffset > this.log.writtenEndOffset) return;
    await this.log.deleteRecordsBefore(id.endOffset);
    this.baseSnapshot = id;
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
