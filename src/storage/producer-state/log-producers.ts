/**
 * A PartitionLog's producer state, its `.snapshot` files and the segments' `.txnindex` (see README.md). The
 * log calls it:
 * - `checkAndApply` where it assigns offsets to an append (synchronously, in call order): a client's
 *   batches are checked (duplicates answered, gaps and old epochs refused), a coordinator's markers too
 *   (fencing), and every batch is recorded; the aborted transactions its markers close are returned;
 * - `load` at open, `reload` after a truncation, `clear` after the log was emptied: the state is the latest
 *   snapshot at or below the log end plus a replay of the batch headers after it (no record is decoded);
 * - `maybeSnapshot` once per segment: a snapshot is taken of the state as it is (named after the offset it
 *   covers up to) and written through the write queue behind the appends it covers;
 * - `afterLogStartMoved` drops snapshots below the new log start (they cannot be replayed from).
 */
import { ATTR_CONTROL, ATTR_TRANSACTIONAL } from '../../protocol/records/batch-header.js';
import { readBatchInfo } from '../../protocol/records/batch-iterator.js';
import { ControlRecordType, controlRecordAt, decodeEndTxnMarker } from '../../protocol/records/control.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { StoredBatch } from '../batch-reader.js';
import type { LogSegment } from '../log-segment.js';
import type { LocalLog } from '../local-log.js';
import type { AppendOrigin, ValidationResult } from '../log-validator.js';
import { CorruptSnapshotError, deleteSnapshot, encodeSnapshot, listSnapshots, readSnapshot, writeSnapshot } from './producer-snapshot.js';
import { ProducerStateManager, type CompletedTxn, type DuplicateBatch, type ProducerBatch, type VerificationGuard } from './producer-state-manager.js';
import type { AbortedTxn } from './transaction-index.js';

/** What an append's producer state check decided. */
export type ProducerCheck = { duplicate: DuplicateBatch } | { duplicate: null; abortedTxns: AbortedTxn[] };

/**
 * A transaction marker's type and coordinator epoch, read from the control record in place; null for other
 * control types. A malformed control record throws CORRUPT_MESSAGE when `strict` (a coordinator's append),
 * else counts as no marker (a leader's bytes, or the log's own: they were checked when first written).
 */
function markerAt(buf: Buffer, pos: number, size: number, strict = false): { isAborted: boolean; coordinatorEpoch: number } | null {
  try {
    const { type, value } = controlRecordAt(buf, pos, size);
    if (type !== ControlRecordType.Abort && type !== ControlRecordType.Commit) return null;
    return { isAborted: type === ControlRecordType.Abort, coordinatorEpoch: decodeEndTxnMarker(value).coordinatorEpoch };
  } catch (err) {
    if (strict) throw err instanceof KafkaError ? err : new KafkaError(ErrorCode.CORRUPT_MESSAGE, `malformed control record: ${String(err)}`);
    return null;
  }
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

/**
 * Snapshots kept per log: a crash replays from the newest one at or below the recovered log end, a
 * follower's truncation from the newest below its cut; older ones would only matter for deeper cuts
 * (which then replay from the log start, correctly but slowly).
 */
const MAX_SNAPSHOTS = 10;

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

  /**
   * Applies the batch headers of [from, to) from the segments (a control batch is read whole: its marker
   * type is in its record). The aborted-transaction index entries of that range are written anew: what the
   * files held may be behind the log after a crash, or ahead of it after a truncation.
   */
  private async replay(from: number, to: number): Promise<void> {
    const segs = this.local.segments;
    let batches = 0;
    for (let i = 0; i < segs.length; i += 1) {
      const seg = segs[i]!;
      const next = segs[i + 1];
      if ((next !== undefined && next.baseOffset <= from) || (seg.baseOffset >= to && seg !== segs.at(-1))) continue;
      await seg.txnIndex.truncateTo(from);
      if (from >= to) continue;
      const headers: StoredBatch[] = [];
      await seg.forEachBatchHeader((b) => {
        if (b.lastOffset >= from && b.baseOffset < to && b.magic === 2) headers.push(b);
      });
      for (const b of headers) {
        const marker = b.producerId >= 0 && (b.attributes & ATTR_CONTROL) !== 0 ? await this.markerOf(seg, b) : undefined;
        const done = this.state.applyBatch(storedBatch(b), b.baseOffset, marker ?? undefined);
        if (done?.isAborted) await seg.txnIndex.append(this.abortedEntry(done));
        batches += 1;
      }
    }
    if (batches > 0) this.local.logger.debug({ dir: this.name, from, to, batches, producers: this.state.size }, 'replayed producer state from the log');
  }

  private async markerOf(seg: LogSegment, b: StoredBatch): Promise<{ isAborted: boolean; coordinatorEpoch: number } | null> {
    const bytes = await seg.readBatch(b);
    return markerAt(bytes, 0, bytes.length);
  }

  private abortedEntry(done: CompletedTxn): AbortedTxn {
    return { producerId: done.producerId, firstOffset: done.firstOffset, lastOffset: done.lastOffset, lastStableOffset: this.state.lastStableOffsetAfter(done) };
  }

  /**
   * Where offsets are assigned to an append at `baseOffset`. A client's batches are checked first — a
   * duplicate of a retained batch returns its original offsets and nothing is recorded; a bad epoch or
   * sequence throws (KafkaError) and nothing is recorded. A coordinator's transaction markers are checked
   * for fencing. Then every batch is recorded; the aborted transactions the append's markers close are
   * returned, for the write queue to index in the segment the markers land in. `keepsOffsets`: a follower's
   * batches carry the leader's offsets. `verification` (a client's append with KIP-890 verification on): a
   * transactional batch opening a transaction here must carry the guard its verification started with.
   */
  checkAndApply(batches: Buffer, v: ValidationResult, baseOffset: number, origin: AppendOrigin, keepsOffsets: boolean, verification?: { guard: VerificationGuard | null }): ProducerCheck {
    // Each header read once; a marker's record only for control batches (rare), so the common append
    // (no producer id) costs one header read per batch.
    const headers = v.batchInfos.map((info) => readBatchInfo(batches, info.position, info.sizeBytes));
    let markers: Map<number, { isAborted: boolean; coordinatorEpoch: number } | null> | null = null;
    for (let i = 0; i < headers.length; i += 1) {
      const b = headers[i]!;
      const info = v.batchInfos[i]!;
      if (b.producerId < 0) continue;
      if (b.isControl) {
        const marker = markerAt(batches, info.position, info.sizeBytes, origin === 'coordinator');
        (markers ??= new Map()).set(i, marker);
        if (origin === 'coordinator' && marker !== null) this.state.checkMarker(b, marker.coordinatorEpoch, this.name);
      } else if (origin === 'client') {
        if (b.isTransactional && b.baseSequence < 0) throw new KafkaError(ErrorCode.INVALID_RECORD, `transactional batch of producer ${b.producerId} has no sequence`);
        const duplicate = this.state.checkClientBatch(b, this.name);
        if (duplicate !== null) return { duplicate };
        if (verification !== undefined) this.state.checkVerified(b, verification.guard, this.name);
      }
    }
    const abortedTxns: AbortedTxn[] = [];
    let next = baseOffset;
    for (let i = 0; i < headers.length; i += 1) {
      const b = headers[i]!;
      // A follower's batches carry the leader's offsets (with compaction's gaps).
      if (keepsOffsets) next = b.baseOffset;
      const done = this.state.applyBatch(b, next, markers?.get(i) ?? undefined);
      if (done?.isAborted) abortedTxns.push(this.abortedEntry(done));
      next += b.lastOffsetDelta + 1;
    }
    return { duplicate: null, abortedTxns };
  }

  /**
   * Takes a snapshot of the state when the log has rolled since the last one (and there is anything to keep);
   * returns the write to queue, or null. The bytes are taken now; the file is written by the caller's queue.
   */
  maybeSnapshot(): (() => Promise<void>) | null {
    const base = this.local.segments.at(-1)!.baseOffset;
    if (base === this.snapshotSegmentBase) return null;
    this.snapshotSegmentBase = base;
    // Taken even with no producer (as Kafka does at a roll): after a crash the replay starts here instead of
    // at the log start.
    return this.snapshotNow(true);
  }

  /**
   * A snapshot of the state as it is now, at the offset it covers up to (rolls; clean shutdown, where a log
   * without producers needs none: the next open replays its last two segments only). The oldest beyond
   * MAX_SNAPSHOTS are deleted with the write.
   */
  snapshotNow(evenIfEmpty = false): (() => Promise<void>) | null {
    const offset = this.local.nextOffset;
    if ((this.state.size === 0 && !evenIfEmpty) || this.snapshots.includes(offset)) return null;
    const bytes = encodeSnapshot(this.state.entries());
    this.snapshots.push(offset);
    this.snapshots.sort((a, b) => a - b);
    const stale = this.snapshots.length > MAX_SNAPSHOTS ? this.snapshots.splice(0, this.snapshots.length - MAX_SNAPSHOTS) : [];
    return async () => {
      if (this.local.state === 'deleted') return;
      await writeSnapshot(this.local.dir, offset, bytes);
      for (const s of stale) await deleteSnapshot(this.local.dir, s);
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
