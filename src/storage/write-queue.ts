/**
 * The append path of one log: offsets are assigned synchronously when an append is queued (so appends are
 * ordered by call order), then a single writer drains the FIFO. Consecutive appends that belong to the same
 * segment go out in one writev (up to MAX_GROUP_APPENDS / MAX_GROUP_BYTES), then the indexes are updated in
 * memory and the flush policy decides whether to fsync. Tasks (flush, retention, DeleteRecords, the cleaner's
 * swap, truncation, close) travel through the same FIFO, so they see every earlier append.
 */
import {
  ATTRIBUTES,
  ATTR_TIMESTAMP_TYPE,
  BASE_OFFSET,
  CRC,
  MAX_TIMESTAMP,
  PARTITION_LEADER_EPOCH,
  computeBatchCrc,
  readInt64,
  writeInt64,
} from '../protocol/records/batch-header.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { FlushPolicy } from './flush-policy.js';
import type { LocalLog } from './local-log.js';
import type { AppendedBatch } from './log-segment.js';
import type { ValidationResult } from './log-validator.js';
import type { AppendResult } from './log-types.js';
import { shouldRoll } from './segment-roll.js';
import type { AbortedTxn } from './producer-state/transaction-index.js';

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
  /** Aborted transactions whose markers this append carries: indexed in the segment it lands in. */
  abortedTxns: readonly AbortedTxn[];
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

/** One writev carries at most this many appends / bytes. */
const MAX_GROUP_APPENDS = 1024;
const MAX_GROUP_BYTES = 8 * 1024 * 1024;

export class WriteQueue {
  private readonly queue: QueueItem[] = [];
  private draining: Promise<void> | null = null;
  private pendingBytesCount = 0;
  readonly flushPolicy: FlushPolicy;

  constructor(private readonly local: LocalLog) {
    this.flushPolicy = new FlushPolicy(local, (run) => this.enqueueTask(run));
  }

  /** Bytes accepted by `append` and not yet handed to the writer. */
  get pendingBytes(): number {
    return this.pendingBytesCount;
  }

  /** Resolves once the writer has nothing left to do. */
  async drained(): Promise<void> {
    while (this.draining !== null) await this.draining;
  }

  /** A follower's batches must continue the log: offsets increasing, none below the log end. Returns the first. */
  private checkFollowerOffsets(batches: Buffer, v: ValidationResult): number {
    let next = this.local.nextOffset;
    for (const info of v.batchInfos) {
      const base = readInt64(batches, info.position + BASE_OFFSET);
      if (base < next) {
        throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `out of order offsets in a follower append: batch at ${base}, log end ${next}`);
      }
      next = base + info.lastOffsetDelta + 1;
    }
    return readInt64(batches, v.batchInfos[0]!.position + BASE_OFFSET);
  }

  /**
   * Assigns offsets to validated batches — synchronously, before returning — by writing baseOffset (and
   * `leaderEpoch`) into each header in place; with `logAppendTime` ≥ 0 it also stamps maxTimestamp, sets the
   * timestamp-type attribute and recomputes the CRC. Then queues the bytes for the writer.
   */
  append(
    batches: Buffer,
    v: ValidationResult,
    leaderEpoch: number | undefined,
    logAppendTime: number,
    keepOffsets = false,
    abortedTxns: readonly AbortedTxn[] = [],
  ): Promise<AppendResult> {
    // A follower's append keeps the leader's offsets (with the gaps compaction leaves) and bytes as they are.
    const baseOffset = keepOffsets ? this.checkFollowerOffsets(batches, v) : this.local.nextOffset;
    let next = baseOffset;
    let maxTimestamp = -1;
    const metas: AppendedBatch[] = [];
    for (const info of v.batchInfos) {
      const p = info.position;
      if (keepOffsets) next = readInt64(batches, p + BASE_OFFSET);
      else writeInt64(batches, p + BASE_OFFSET, next);
      if (leaderEpoch !== undefined) batches.writeInt32BE(leaderEpoch, p + PARTITION_LEADER_EPOCH);
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
    this.local.nextOffset = next;
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
        abortedTxns,
        resolve,
        reject,
      });
      this.kick();
    });
  }

  /** Runs `run` in the write queue, after every append queued before it. */
  enqueueTask<T>(run: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ kind: 'task', run, resolve: resolve as (v: unknown) => void, reject });
      this.kick();
    });
  }

  /** Rejects every append not yet handed to the writer (the log is being deleted); tasks stay queued. */
  rejectAppends(err: () => unknown): void {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const e = this.queue[i]!;
      if (e.kind === 'append') {
        this.queue.splice(i, 1);
        this.pendingBytesCount -= e.sizeBytes;
        e.reject(err());
      }
    }
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
    const local = this.local;
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
      if (local.failure !== null) {
        this.queue.shift();
        this.pendingBytesCount -= head.sizeBytes;
        head.reject(local.storageError());
        continue;
      }
      const group: PendingAppend[] = [];
      try {
        await this.writeGroup(group);
      } catch (err) {
        local.fail(err);
        for (const e of group) e.reject(local.storageError());
      }
    }
  }

  /** Takes the next run of appends that fit in one segment, writes them with one writev, flushes if due. */
  private async writeGroup(group: PendingAppend[]): Promise<void> {
    const local = this.local;
    const first = this.queue[0] as PendingAppend;
    if (shouldRoll(local.active, first, 0, 0, local.config, local.clock)) await local.roll(first.baseOffset);
    const seg = local.active;
    let bytes = 0;
    let batchCount = 0;
    while (group.length < MAX_GROUP_APPENDS && this.queue.length > 0) {
      const e = this.queue[0]!;
      if (e.kind !== 'append') break;
      if (group.length > 0 && (bytes + e.sizeBytes > MAX_GROUP_BYTES || shouldRoll(seg, e, bytes, batchCount, local.config, local.clock))) {
        break;
      }
      this.queue.shift();
      this.pendingBytesCount -= e.sizeBytes;
      group.push(e);
      bytes += e.sizeBytes;
      batchCount += e.batches.length;
    }
    const metas: AppendedBatch[] = [];
    let records = 0;
    for (const e of group) {
      for (const b of e.batches) metas.push(b);
      records += e.records;
    }
    await seg.append(
      group.map((e) => e.buf),
      metas,
    );
    // Before the bytes become readable: a read_committed fetch must find the markers' entries with them.
    for (const e of group) for (const t of e.abortedTxns) await seg.txnIndex.append(t);
    local.writtenEnd = group[group.length - 1]!.lastOffset + 1;
    await this.flushPolicy.afterWrite(records);
    const logStartOffset = local.logStart;
    for (const e of group) {
      e.resolve({ baseOffset: e.baseOffset, lastOffset: e.lastOffset, logAppendTime: e.logAppendTime, logStartOffset });
    }
  }
}
