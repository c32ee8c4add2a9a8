/**
 * The Raft log seam: what the quorum state machine needs of `__cluster_metadata-0`. Two implementations:
 * `MemoryRaftLog` (simulator, unit tests) and `FileRaftLog` (a PartitionLog on disk). Offsets are
 * exclusive ends throughout (`endOffset` is the next offset to assign), as in Kafka.
 *
 * The epoch cache is storage's LeaderEpochCache (FileRaftLog uses its PartitionLog's): for each epoch, the
 * offset of its first batch. It answers `endOffsetForEpoch`, the question a leader asks to find where a
 * follower diverged.
 */
import { ATTR_CONTROL, PARTITION_LEADER_EPOCH } from '../../protocol/records/batch-header.js';
import { iterateBatchHeaders } from '../../protocol/records/batch-iterator.js';
import { decodeRecordBatchesSync } from '../../protocol/records/decode-batches.js';
import { buildRecordBatchSync } from '../../protocol/records/record-batch.js';
import type { BatchInfo } from '../../protocol/records/types.js';
import type { EpochEntry } from '../../storage/leader-epoch-cache.js';
import type { SnapshotContents, SnapshotId } from './types.js';

export type { EpochEntry } from '../../storage/leader-epoch-cache.js';

export interface OffsetAndEpoch {
  readonly offset: number;
  readonly epoch: number;
}

/** One record to append: data records carry only a value; control records carry their key too. */
export interface RaftRecord {
  readonly key?: Buffer | null;
  readonly value: Buffer;
}

export interface LeaderAppend {
  readonly records: readonly RaftRecord[];
  /** A control batch (LeaderChangeMessage): skipped by listeners. */
  readonly control?: boolean;
}

export interface AppendedOffsets {
  readonly baseOffset: number;
  readonly lastOffset: number;
}

export interface RaftLog {
  /** First offset held in the log (the latest snapshot's end offset once the log was trimmed to it). */
  startOffset(): number;
  /** Next offset to assign. */
  endOffset(): number;
  /** Offsets below this are durable (fsynced). */
  flushedOffset(): number;
  /** The epoch of the last batch, or of the snapshot the log starts at, or 0 for an empty log. */
  lastFetchedEpoch(): number;
  /**
   * Kafka's endOffsetForEpoch: the end of `epoch` in this log (the start offset of the next larger epoch,
   * or endOffset for the latest) and the largest epoch ≤ `epoch` present; {-1, -1} when none is.
   */
  endOffsetForEpoch(epoch: number): OffsetAndEpoch;
  /** Each append becomes one batch in `epoch`; offsets are assigned in call order. */
  appendAsLeader(batches: readonly LeaderAppend[], epoch: number, timestampMs: number): Promise<AppendedOffsets[]>;
  /** Whole batches read from the leader; the first must start at endOffset(). */
  appendAsFollower(batches: Buffer): Promise<void>;
  /** Removes every batch at or after `offset` (a follower that diverged). */
  truncateTo(offset: number): Promise<void>;
  /** Whole batches from the one containing `fromOffset`, up to about `maxBytes` (at least one batch). */
  read(fromOffset: number, maxBytes: number): Promise<Buffer>;
  /** Makes everything appended durable. */
  flush(): Promise<void>;

  latestSnapshotId(): SnapshotId | null;
  /** Writes a snapshot (durably) of the state below `contents.id.endOffset`. */
  createSnapshot(contents: SnapshotContents): Promise<void>;
  readSnapshot(id: SnapshotId): Promise<SnapshotContents | null>;
  /** The snapshot's bytes as stored (what FetchSnapshot serves). */
  readSnapshotBytes(id: SnapshotId): Promise<Buffer | null>;
  /**
   * A follower installs a snapshot fetched from the leader: the bytes are stored durably and the log is
   * emptied and restarted at `id.endOffset` (every batch below it is covered by the snapshot).
   */
  installSnapshot(id: SnapshotId, bytes: Buffer): Promise<void>;
}

/** A decoded batch of the Raft log. */
export interface RaftBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly epoch: number;
  readonly isControl: boolean;
  readonly appendTimestampMs: number;
  readonly sizeBytes: number;
  readonly records: readonly RaftRecord[];
}

/** Decodes whole batches (CRC checked): what a follower or a listener reads. */
export function decodeRaftBatches(bytes: Buffer): RaftBatch[] {
  return decodeRecordBatchesSync(bytes).map((b) => ({
    baseOffset: b.baseOffset,
    lastOffset: b.lastOffset,
    epoch: b.partitionLeaderEpoch,
    isControl: b.isControl,
    appendTimestampMs: b.maxTimestamp,
    sizeBytes: b.size,
    records: b.records.map((r) => ({ key: r.key === null ? null : Buffer.from(r.key), value: Buffer.from(r.value ?? Buffer.alloc(0)) })),
  }));
}

/** Headers of the whole batches in `bytes`. */
export function batchHeaders(bytes: Buffer): BatchInfo[] {
  return Array.from(iterateBatchHeaders(bytes));
}

export function buildRaftBatch(baseOffset: number, epoch: number, timestampMs: number, append: LeaderAppend): Buffer {
  const buf = buildRecordBatchSync({
    baseOffset,
    partitionLeaderEpoch: epoch,
    control: append.control === true,
    now: timestampMs,
    records: append.records.map((r) => ({ key: r.key ?? null, value: r.value, timestamp: timestampMs })),
  });
  // buildRecordBatchSync already wrote the epoch; asserted because the divergence check depends on it.
  if (buf.readInt32BE(PARTITION_LEADER_EPOCH) !== epoch) throw new Error('batch epoch not written');
  return buf;
}

export function isControlBatch(info: BatchInfo): boolean {
  return (info.attributes & ATTR_CONTROL) !== 0;
}

/**
 * endOffsetForEpoch shared by both logs, over the epoch cache's entries (ascending): the largest epoch ≤
 * `epoch` and where it ends (the next epoch's start, or the log end for the latest); {-1, -1} when no epoch
 * ≤ `epoch` is known, except that the snapshot the log starts at counts as the epoch it ends in. Unlike
 * Kafka's partition answer (LeaderEpochCache.endOffsetFor), an epoch above every known one answers the
 * latest epoch and the log end, as KafkaMetadataLog does for the Raft log.
 */
export function endOffsetForEpoch(entries: readonly EpochEntry[], snapshot: SnapshotId | null, logEndOffset: number, epoch: number): OffsetAndEpoch {
  let floor: EpochEntry | undefined;
  let r: OffsetAndEpoch | undefined;
  for (const e of entries) {
    if (e.epoch <= epoch) floor = e;
    else {
      r = floor === undefined ? { offset: -1, epoch: -1 } : { offset: e.startOffset, epoch: floor.epoch };
      break;
    }
  }
  r ??= floor === undefined ? { offset: -1, epoch: -1 } : { offset: logEndOffset, epoch: floor.epoch };
  if (r.epoch !== -1 || snapshot === null) return r;
  if (snapshot.epoch <= epoch) {
    const first = entries[0];
    return { offset: first === undefined ? logEndOffset : first.startOffset, epoch: snapshot.epoch };
  }
  return r;
}
