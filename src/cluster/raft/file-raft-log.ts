/**
 * The Raft log on disk: a PartitionLog in `<metadataLogDir>/__cluster_metadata-0/`, next to
 *
 * - `leader-epoch-checkpoint`: the epoch cache in Kafka's text format (version 0, a count, then
 *   `<epoch> <startOffset>` lines), rewritten atomically whenever the cache changes. It is rebuilt from the
 *   batches when missing or unreadable (the metadata log is small), and cut to the log end on open.
 * - snapshots `<20-digit endOffset>-<10-digit epoch>.checkpoint` (see snapshot-format.ts), each written to
 *   a temp file, fsynced, renamed, then the directory fsynced.
 *
 * Methods are called one at a time by the RaftClient's serial chain; nothing here is safe to interleave.
 */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PartitionLog } from '../../storage/partition-log.js';
import { atomicWriteFile, fsyncDir, INDEX_FILE_SUFFIX, isNotFound, LOG_FILE_SUFFIX, offsetFileName, TIME_INDEX_FILE_SUFFIX, unlinkIfExists } from '../../storage/fs-util.js';
import { SILENT_LOGGER, type StorageLogger } from '../../storage/logger.js';
import {
  batchHeaders,
  buildRaftBatch,
  EpochCache,
  endOffsetForEpoch,
  type AppendedOffsets,
  type EpochEntry,
  type LeaderAppend,
  type OffsetAndEpoch,
  type RaftLog,
} from './raft-log.js';
import { compareSnapshotIds, decodeSnapshot, encodeSnapshot, parseSnapshotFileName, snapshotFileName } from './snapshot-format.js';
import type { SnapshotContents, SnapshotId } from './types.js';

export const METADATA_LOG_DIR_NAME = '__cluster_metadata-0';
export const LEADER_EPOCH_CHECKPOINT_FILE = 'leader-epoch-checkpoint';

/** Metadata batches are small, but a snapshot-sized batch must fit (Kafka's 8 MiB default for KRaft). */
const MAX_BATCH_BYTES = 8 * 1024 * 1024 + 1024;
/** Bytes read per step when rebuilding the epoch cache. */
const SCAN_BYTES = 4 * 1024 * 1024;

export interface FileRaftLogOptions {
  logger?: StorageLogger;
  clock?: () => number;
}

export function formatEpochCheckpoint(entries: readonly EpochEntry[]): string {
  return ['0', String(entries.length), ...entries.map((e) => `${e.epoch} ${e.startOffset}`)].join('\n') + '\n';
}

export function parseEpochCheckpoint(text: string): EpochEntry[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length < 2 || lines[0]!.trim() !== '0') throw new Error('leader-epoch-checkpoint: bad version line');
  const count = Number(lines[1]);
  if (!Number.isSafeInteger(count) || count !== lines.length - 2) throw new Error('leader-epoch-checkpoint: bad count');
  return lines.slice(2).map((l) => {
    const [e, o] = l.trim().split(/\s+/).map(Number);
    if (!Number.isSafeInteger(e) || !Number.isSafeInteger(o)) throw new Error(`leader-epoch-checkpoint: bad line '${l}'`);
    return { epoch: e!, startOffset: o! };
  });
}

export class FileRaftLog implements RaftLog {
  private flushed: number;
  private snapshots: SnapshotId[];
  private baseSnapshot: SnapshotId | null;

  private constructor(
    readonly dir: string,
    private log: PartitionLog,
    private readonly cache: EpochCache,
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
    const cache = await FileRaftLog.loadEpochCache(dir, log);
    const raftLog = new FileRaftLog(dir, log, cache, snapshots, options);
    await raftLog.writeEpochCheckpoint();
    return raftLog;
  }

  private static openPartition(dir: string, options: FileRaftLogOptions): Promise<PartitionLog> {
    return PartitionLog.open(dir, { maxMessageBytes: MAX_BATCH_BYTES }, options.logger ?? SILENT_LOGGER, { clock: options.clock });
  }

  private static async loadEpochCache(dir: string, log: PartitionLog): Promise<EpochCache> {
    try {
      const entries = parseEpochCheckpoint(await readFile(path.join(dir, LEADER_EPOCH_CHECKPOINT_FILE), 'utf8'));
      const cache = new EpochCache(entries);
      cache.truncateFrom(log.logEndOffset); // epochs of batches lost in recovery
      return cache;
    } catch (err) {
      if (!isNotFound(err) && !(err instanceof Error && err.message.startsWith('leader-epoch-checkpoint'))) throw err;
    }
    const cache = new EpochCache();
    let offset = log.logStartOffset;
    while (offset < log.logEndOffset) {
      const r = await log.read(offset, SCAN_BYTES, { minOneMessage: true });
      if (r.batches === 0) break;
      for (const h of batchHeaders(r.records)) cache.assign(h.partitionLeaderEpoch, h.baseOffset);
      offset = r.nextOffset;
    }
    return cache;
  }

  private writeEpochCheckpoint(): Promise<void> {
    return atomicWriteFile(path.join(this.dir, LEADER_EPOCH_CHECKPOINT_FILE), formatEpochCheckpoint(this.cache.all()));
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
    return this.cache.latestEpoch() ?? this.baseSnapshot?.epoch ?? 0;
  }

  endOffsetForEpoch(epoch: number): OffsetAndEpoch {
    return endOffsetForEpoch(this.cache, this.baseSnapshot, this.log.logEndOffset, epoch);
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
    const changed = this.cache.assign(epoch, out[0]!.baseOffset);
    const r = await this.log.append(Buffer.concat(parts), { origin: 'coordinator', leaderEpoch: epoch });
    if (r.baseOffset !== out[0]!.baseOffset) throw new Error(`raft log assigned ${r.baseOffset}, expected ${out[0]!.baseOffset}`);
    if (changed) await this.writeEpochCheckpoint();
    return out;
  }

  async appendAsFollower(bytes: Buffer): Promise<void> {
    let expected = this.log.logEndOffset;
    let changed = false;
    for (const h of batchHeaders(bytes)) {
      if (h.baseOffset !== expected) throw new Error(`follower append at ${h.baseOffset}, log ends at ${expected}`);
      changed = this.cache.assign(h.partitionLeaderEpoch, h.baseOffset) || changed;
      expected = h.lastOffset + 1;
    }
    // The leader's offsets are kept: PartitionLog assigns the same ones since the first batch starts at its end.
    await this.log.append(bytes, { origin: 'replication' });
    if (this.log.logEndOffset !== expected) throw new Error(`follower append ended at ${this.log.logEndOffset}, expected ${expected}`);
    if (changed) await this.writeEpochCheckpoint();
  }

  async truncateTo(offset: number): Promise<void> {
    if (offset >= this.log.logEndOffset) return;
    await this.log.truncateTo(offset);
    if (this.cache.truncateFrom(this.log.logEndOffset)) await this.writeEpochCheckpoint();
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
      if (name.endsWith(LOG_FILE_SUFFIX) || name.endsWith(INDEX_FILE_SUFFIX) || name.endsWith(TIME_INDEX_FILE_SUFFIX) || name === '.kafka_cleanshutdown') {
        await unlinkIfExists(path.join(this.dir, name));
      }
    }
    await writeFile(path.join(this.dir, offsetFileName(id.endOffset, LOG_FILE_SUFFIX)), Buffer.alloc(0));
    await fsyncDir(this.dir);
    this.log = await FileRaftLog.openPartition(this.dir, this.options);
    if (this.log.logStartOffset !== id.endOffset || this.log.logEndOffset !== id.endOffset) {
      throw new Error(`log reset to snapshot ${snapshotFileName(id)} starts at ${this.log.logStartOffset}..${this.log.logEndOffset}`);
    }
    this.cache.clear();
    await this.writeEpochCheckpoint();
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
