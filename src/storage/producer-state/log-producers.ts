/**
 * A PartitionLog's producer state and its `.snapshot` files (see README.md). The log calls it:
 * - `checkAndApply` where it assigns offsets to an append (synchronously, in call order): a client's
 *   batches are checked (duplicates answered, gaps and old epochs refused) and every batch is recorded;
 * - `load` at open, `reload` after a truncation, `clear` after the log was emptied: the state is the latest
 *   snapshot at or below the log end plus a replay of the batch headers after it (no record is decoded);
 * - `maybeSnapshot` once per segment: a snapshot is taken of the state as it is (named after the offset it
 *   covers up to) and written through the write queue behind the appends it covers;
 * - `afterLogStartMoved` drops snapshots below the new log start (they cannot be replayed from).
 */
import { ATTRIBUTES, ATTR_CONTROL, ATTR_TRANSACTIONAL, BASE_OFFSET, BASE_SEQUENCE, LAST_OFFSET_DELTA, MAX_TIMESTAMP, PRODUCER_EPOCH, PRODUCER_ID, readInt64 } from '../../protocol/records/batch-header.js';
import type { StoredBatch } from '../batch-reader.js';
import type { LocalLog } from '../local-log.js';
import type { ValidationResult } from '../log-validator.js';
import { CorruptSnapshotError, deleteSnapshot, encodeSnapshot, listSnapshots, readSnapshot, writeSnapshot } from './producer-snapshot.js';
import { ProducerStateManager, type DuplicateBatch, type ProducerBatch } from './producer-state-manager.js';

function batchAt(buf: Buffer, pos: number): ProducerBatch {
  const attributes = buf.readInt16BE(pos + ATTRIBUTES);
  return {
    producerId: readInt64(buf, pos + PRODUCER_ID),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE),
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA),
    maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP),
    isTransactional: (attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (attributes & ATTR_CONTROL) !== 0,
  };
}

function storedBatch(b: StoredBatch): ProducerBatch {
  return {
    producerId: b.producerId,
    producerEpoch: b.producerEpoch,
    baseSequence: b.baseSequence,
    lastOffsetDelta: b.lastOffset - b.baseOffset,
    maxTimestamp: b.maxTimestamp,
    isTransactional: (b.attributes & ATTR_TRANSACTIONAL) !== 0,
    isControl: (b.attributes & ATTR_CONTROL) !== 0,
  };
}

export interface LogProducersOptions {
  /** producer.id.expiration.ms: producers idle this long are not loaded back from a snapshot. */
  expirationMs: number;
}

export class LogProducers {
  readonly state = new ProducerStateManager();
  /** Offsets of the snapshot files in the directory, ascending. */
  private snapshots: number[] = [];
  /** The active segment's base when the last snapshot was taken: a new one means the log rolled. */
  private snapshotSegmentBase = -1;

  constructor(
    private readonly local: LocalLog,
    private readonly options: LogProducersOptions,
  ) {}

  private get name(): string {
    return this.local.dir;
  }

  /**
   * At open: snapshots above the recovered log end go (the batches they covered were lost), then the state is
   * rebuilt. `cleanShutdown`: without any snapshot (a log written before they existed) only the last two
   * segments are replayed, as Kafka does after a clean shutdown, instead of the whole log.
   */
  async load(nowMs: number, cleanShutdown: boolean): Promise<void> {
    this.snapshots = await listSnapshots(this.local.dir);
    let from: number | undefined;
    if (this.snapshots.length === 0 && cleanShutdown) from = this.local.segments.at(-2)?.baseOffset;
    await this.rebuild(nowMs, from);
    this.snapshotSegmentBase = this.local.segments.at(-1)!.baseOffset;
  }

  /** After a truncation (in the write queue): the state as it was at the new log end. */
  reload(nowMs: number): Promise<void> {
    return this.rebuild(nowMs);
  }

  /** After the log was emptied and restarted at `offset` (in the write queue). */
  async clear(offset: number): Promise<void> {
    for (const s of this.snapshots) await deleteSnapshot(this.local.dir, s);
    this.snapshots = [];
    this.state.clear(offset);
  }

  private async rebuild(nowMs: number, replayFrom?: number): Promise<void> {
    const local = this.local;
    const end = local.nextOffset;
    for (const s of this.snapshots.filter((o) => o > end || o < local.logStart)) await deleteSnapshot(local.dir, s);
    this.snapshots = this.snapshots.filter((o) => o <= end && o >= local.logStart);
    this.state.clear(replayFrom ?? local.logStart);
    while (this.snapshots.length > 0) {
      const offset = this.snapshots.at(-1)!;
      try {
        for (const e of await readSnapshot(local.dir, offset)) {
          if (e.currentTxnFirstOffset >= 0 || nowMs - e.lastTimestampMs < this.options.expirationMs) this.state.load(e);
        }
        this.state.mapEndOffset = offset;
        break;
      } catch (err) {
        if (!(err instanceof CorruptSnapshotError)) throw err;
        local.logger.warn({ dir: local.dir, offset, err: err.message }, 'deleting an unreadable producer state snapshot');
        await deleteSnapshot(local.dir, offset);
        this.snapshots.pop();
      }
    }
    await this.replay(this.state.mapEndOffset, end);
    this.state.mapEndOffset = end;
  }

  /** Applies the batch headers of [from, to) from the segments. */
  private async replay(from: number, to: number): Promise<void> {
    if (from >= to) return;
    const segs = this.local.segments;
    let batches = 0;
    for (let i = 0; i < segs.length; i += 1) {
      const seg = segs[i]!;
      const next = segs[i + 1];
      if ((next !== undefined && next.baseOffset <= from) || seg.baseOffset >= to) continue;
      await seg.forEachBatchHeader((b) => {
        if (b.lastOffset < from || b.baseOffset >= to || b.magic !== 2) return;
        this.state.applyBatch(storedBatch(b), b.baseOffset);
        batches += 1;
      });
    }
    if (batches > 0) this.local.logger.debug({ dir: this.name, from, to, batches, producers: this.state.size }, 'replayed producer state from the log');
  }

  /**
   * Where offsets are assigned to an append at `baseOffset`: a client's batches are checked first — a
   * duplicate of a retained batch returns its original offsets and nothing is recorded; a bad epoch or
   * sequence throws (KafkaError) and nothing is recorded — then every batch is recorded. `keepsOffsets`: a
   * follower's batches carry the leader's offsets.
   */
  checkAndApply(batches: Buffer, v: ValidationResult, baseOffset: number, client: boolean, keepsOffsets: boolean): DuplicateBatch | null {
    if (client) {
      for (const info of v.batchInfos) {
        const b = batchAt(batches, info.position);
        if (b.producerId < 0) continue;
        const duplicate = this.state.checkClientBatch(b, this.name);
        if (duplicate !== null) return duplicate;
      }
    }
    let next = baseOffset;
    for (const info of v.batchInfos) {
      if (keepsOffsets) next = readInt64(batches, info.position + BASE_OFFSET);
      this.state.applyBatch(batchAt(batches, info.position), next);
      next += info.lastOffsetDelta + 1;
    }
    return null;
  }

  /**
   * Takes a snapshot of the state when the log has rolled since the last one (and there is anything to keep);
   * returns the write to queue, or null. The bytes are taken now; the file is written by the caller's queue.
   */
  maybeSnapshot(): (() => Promise<void>) | null {
    const base = this.local.segments.at(-1)!.baseOffset;
    if (base === this.snapshotSegmentBase) return null;
    this.snapshotSegmentBase = base;
    return this.snapshotNow();
  }

  /** A snapshot of the state as it is now, at the offset it covers up to (clean shutdown, rolls). */
  snapshotNow(): (() => Promise<void>) | null {
    const offset = this.local.nextOffset;
    if (this.state.size === 0 || this.snapshots.includes(offset)) return null;
    const bytes = encodeSnapshot(this.state.entries());
    this.snapshots.push(offset);
    this.snapshots.sort((a, b) => a - b);
    return async () => {
      if (this.local.state === 'deleted') return;
      await writeSnapshot(this.local.dir, offset, bytes);
    };
  }

  /** Drops the snapshots below the log start (in the write queue, after retention or DeleteRecords). */
  async afterLogStartMoved(): Promise<void> {
    const start = this.local.logStart;
    // The newest one below the start is still the state there, but no replay can start from it: the
    // batches after it are gone.
    for (const s of this.snapshots.filter((o) => o < start)) await deleteSnapshot(this.local.dir, s);
    this.snapshots = this.snapshots.filter((o) => o >= start);
  }

  removeExpired(nowMs: number): number {
    return this.state.removeExpired(nowMs, this.options.expirationMs);
  }
}
