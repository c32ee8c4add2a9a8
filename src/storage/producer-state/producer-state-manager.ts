/**
 * The idempotent and transactional producers of one partition (Kafka's ProducerStateManager): for each
 * producer id its epoch, its open transaction and the metadata of its last NUM_BATCHES_TO_RETAIN batches;
 * the open transactions and the closed ones whose markers are not yet below the high watermark give the
 * first unstable offset (what holds read_committed consumers back). Client appends are checked against it
 * (`checkClientBatch`): an older epoch is refused, a batch repeating one of the retained ones is a duplicate
 * (answered with the original offsets, not written again), and sequences must follow on without gaps. Every
 * append, a client's or a follower's, updates it (`applyBatch`), so a follower that becomes leader keeps
 * deduplicating; snapshots (producer-snapshot.ts) and a replay of the log rebuild it (log-producers.ts).
 *
 * Sequence rules (Kafka's ProducerAppendInfo.checkSequence, KIP-360):
 * - an unknown producer (never seen, or expired, or its batches gone with the log start) may start at any
 *   sequence: the broker cannot tell a gap from a forgotten past;
 * - a known producer with a new, higher epoch must start at sequence 0;
 * - within an epoch the batch must start right after the last sequence (wrapping at 2^31 - 1 to 0).
 * Not thread-safe and needs no locks: the log calls it synchronously where it assigns offsets.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { BatchInfo } from '../../protocol/records/types.js';
import { incrementSequence } from '../../protocol/records/batch-header.js';

/** Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN: as many as a producer may have in flight. */
export const NUM_BATCHES_TO_RETAIN = 5;
const MAX_SEQUENCE = 0x7fffffff;

/**
 * The header fields of one batch that producer state is about (as the protocol's header reader gives
 * them; `lastOffsetDelta` equals the sequence span of a producer's batch).
 */
export type ProducerBatch = Pick<BatchInfo, 'producerId' | 'producerEpoch' | 'baseSequence' | 'lastOffsetDelta' | 'maxTimestamp' | 'isTransactional' | 'isControl'>;

/** One retained batch: its last sequence and offset, and how many it spans (the rest follows). */
export interface BatchMetadata {
  lastSeq: number;
  lastOffset: number;
  offsetDelta: number;
  timestampMs: number;
}

export interface ProducerStateEntry {
  producerId: number;
  producerEpoch: number;
  /** Oldest first, at most NUM_BATCHES_TO_RETAIN. */
  batches: BatchMetadata[];
  /** The largest timestamp of the last batch (what expiration measures from). */
  lastTimestampMs: number;
  /** The epoch of the coordinator that wrote the producer's last transaction marker (-1: none). */
  coordinatorEpoch: number;
  /** The first offset of the producer's open transaction, -1 when none is open. */
  currentTxnFirstOffset: number;
}

/**
 * A token a partition leader hands out when it asks a transaction's coordinator whether the partition is
 * in the producer's transaction (KIP-890 part 1, Kafka's VerificationGuard): the append that carries it
 * back may open the transaction here; one with another (or none) may not. Compared by identity.
 */
export class VerificationGuard {
  private static count = 0;
  /** For logs. */
  readonly id = ++VerificationGuard.count;
}

/** A transaction closed by a marker at `lastOffset`. */
export interface CompletedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  isAborted: boolean;
}

/** The offsets a duplicate batch was first written at. */
export interface DuplicateBatch {
  firstOffset: number;
  lastOffset: number;
}

export { incrementSequence };

function inSequence(lastSeq: number, nextSeq: number): boolean {
  return nextSeq === lastSeq + 1 || (nextSeq === 0 && lastSeq === MAX_SEQUENCE);
}

function firstSeqOf(b: BatchMetadata): number {
  return b.offsetDelta > b.lastSeq ? MAX_SEQUENCE - (b.offsetDelta - b.lastSeq) + 1 : b.lastSeq - b.offsetDelta;
}

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerStateEntry>();
  /** Open transactions: producer id → first offset (Kafka's ongoingTxns). */
  private readonly ongoing = new Map<number, number>();
  /** Transactions whose markers are not yet below the high watermark, in marker order (Kafka's unreplicatedTxns). */
  private unreplicated: CompletedTxn[] = [];
  /**
   * Producers with a verification in flight (KIP-890): the guard an append must carry to open their
   * transaction here. Not persisted: a leader change or restart makes the producer verify again.
   */
  private readonly verifications = new Map<number, { guard: VerificationGuard; producerEpoch: number }>();
  /** Offsets below this are reflected in the state. */
  mapEndOffset = 0;

  get size(): number {
    return this.producers.size;
  }

  entry(producerId: number): ProducerStateEntry | undefined {
    return this.producers.get(producerId);
  }

  entries(): IterableIterator<ProducerStateEntry> {
    return this.producers.values();
  }

  /**
   * Checks a client's batch (producerId ≥ 0) before it gets offsets: the original offsets when it repeats
   * one of the producer's retained batches, null when it may be appended. Throws INVALID_PRODUCER_EPOCH
   * for an older epoch and OUT_OF_ORDER_SEQUENCE_NUMBER for a gap or a new epoch not starting at 0.
   */
  checkClientBatch(b: ProducerBatch, topicPartition: string): DuplicateBatch | null {
    const e = this.producers.get(b.producerId);
    if (e === undefined) return null;
    if (b.producerEpoch < e.producerEpoch) {
      throw new KafkaError(
        ErrorCode.INVALID_PRODUCER_EPOCH,
        `Epoch of producer ${b.producerId} in ${topicPartition} is ${b.producerEpoch}, which is smaller than the last seen epoch ${e.producerEpoch}`,
      );
    }
    if (b.isControl) return null;
    const lastSeq = incrementSequence(b.baseSequence, b.lastOffsetDelta);
    if (b.producerEpoch === e.producerEpoch) {
      for (const m of e.batches) {
        if (m.lastSeq === lastSeq && firstSeqOf(m) === b.baseSequence) return { firstOffset: m.lastOffset - m.offsetDelta, lastOffset: m.lastOffset };
      }
      const last = e.batches.at(-1)?.lastSeq ?? -1;
      if (!inSequence(last, b.baseSequence)) {
        throw new KafkaError(
          ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
          `Out of order sequence number for producer ${b.producerId} in ${topicPartition}: ${b.baseSequence} (incoming seq. number), ${last} (current end sequence number)`,
        );
      }
    } else if (b.baseSequence !== 0) {
      throw new KafkaError(
        ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        `Invalid sequence number for new epoch of producer ${b.producerId} in ${topicPartition}: ${b.producerEpoch} (request epoch), ${b.baseSequence} (seq. number), ${e.producerEpoch} (current producer epoch)`,
      );
    }
    return null;
  }

  /** True when the producer has a transaction open here at this epoch (Kafka's hasOngoingTransaction). */
  hasOngoingTransaction(producerId: number, producerEpoch: number): boolean {
    const e = this.producers.get(producerId);
    return e !== undefined && e.currentTxnFirstOffset >= 0 && e.producerEpoch === producerEpoch;
  }

  /**
   * Before a transactional produce is verified with the coordinator: null when the producer's transaction is
   * already open here (nothing to verify), else the guard the verified append must carry (the same one while
   * a verification at this epoch is pending, as Kafka's VerificationStateEntry).
   */
  maybeStartVerification(producerId: number, producerEpoch: number): VerificationGuard | null {
    if (this.hasOngoingTransaction(producerId, producerEpoch)) return null;
    const v = this.verifications.get(producerId);
    if (v !== undefined && v.producerEpoch >= producerEpoch) return v.guard;
    const guard = new VerificationGuard();
    this.verifications.set(producerId, { guard, producerEpoch });
    return guard;
  }

  /**
   * With verification on: a client's transactional batch that would open a transaction here must carry the
   * guard its verification started with (INVALID_TXN_STATE otherwise: the coordinator does not know the
   * partition is in the transaction, or the transaction ended since).
   */
  checkVerified(b: ProducerBatch, guard: VerificationGuard | null, topicPartition: string): void {
    if (!b.isTransactional || b.isControl || this.hasOngoingTransaction(b.producerId, b.producerEpoch)) return;
    const v = this.verifications.get(b.producerId);
    if (guard === null || v === undefined || v.guard !== guard) {
      throw new KafkaError(ErrorCode.INVALID_TXN_STATE, `Transactional batch of producer ${b.producerId} (epoch ${b.producerEpoch}) in ${topicPartition} was not verified to be part of an ongoing transaction`);
    }
  }

  /**
   * Checks a transaction marker a coordinator writes (WriteTxnMarkers): an epoch older than the producer's is
   * INVALID_PRODUCER_EPOCH, a coordinator epoch older than the last marker's TRANSACTION_COORDINATOR_FENCED.
   */
  checkMarker(b: ProducerBatch, coordinatorEpoch: number, topicPartition: string): void {
    const e = this.producers.get(b.producerId);
    if (e === undefined) return;
    if (b.producerEpoch < e.producerEpoch) {
      throw new KafkaError(ErrorCode.INVALID_PRODUCER_EPOCH, `Marker epoch ${b.producerEpoch} of producer ${b.producerId} in ${topicPartition} is older than ${e.producerEpoch}`);
    }
    if (coordinatorEpoch < e.coordinatorEpoch) {
      throw new KafkaError(
        ErrorCode.TRANSACTION_COORDINATOR_FENCED,
        `Marker of producer ${b.producerId} in ${topicPartition} from coordinator epoch ${coordinatorEpoch}, older than ${e.coordinatorEpoch}`,
      );
    }
  }

  /**
   * Records an appended batch whose first offset is `baseOffset` (any origin; batches without a producer id
   * are ignored). A transaction marker (`marker` given) closes the producer's open transaction: returned.
   */
  applyBatch(b: ProducerBatch, baseOffset: number, marker?: { isAborted: boolean; coordinatorEpoch: number }): CompletedTxn | null {
    const lastOffset = baseOffset + b.lastOffsetDelta;
    if (lastOffset + 1 > this.mapEndOffset) this.mapEndOffset = lastOffset + 1;
    if (b.producerId < 0) return null;
    let e = this.producers.get(b.producerId);
    if (e === undefined) {
      e = { producerId: b.producerId, producerEpoch: b.producerEpoch, batches: [], lastTimestampMs: -1, coordinatorEpoch: -1, currentTxnFirstOffset: -1 };
      this.producers.set(b.producerId, e);
    } else if (b.producerEpoch > e.producerEpoch) {
      // A new epoch starts its sequences afresh (an epoch bump, or a fenced predecessor).
      e.producerEpoch = b.producerEpoch;
      e.batches = [];
    }
    e.lastTimestampMs = Math.max(e.lastTimestampMs, b.maxTimestamp);
    if (b.isControl) {
      if (marker === undefined) return null; // another control type (none reaches partition logs today)
      // A transaction marker closes the producer's open transaction (one with no data starts at the marker).
      const done: CompletedTxn = { producerId: b.producerId, firstOffset: e.currentTxnFirstOffset >= 0 ? e.currentTxnFirstOffset : baseOffset, lastOffset, isAborted: marker.isAborted };
      e.currentTxnFirstOffset = -1;
      e.coordinatorEpoch = marker.coordinatorEpoch;
      this.ongoing.delete(b.producerId);
      // A verification started before the transaction ended must not let a late batch open a new one.
      this.verifications.delete(b.producerId);
      this.unreplicated.push(done);
      return done;
    }
    if (b.isTransactional && e.currentTxnFirstOffset < 0) {
      e.currentTxnFirstOffset = baseOffset;
      this.ongoing.set(b.producerId, baseOffset);
      // Open now: its next batches need no verification, and the guard has done its work.
      this.verifications.delete(b.producerId);
    }
    e.batches.push({ lastSeq: incrementSequence(b.baseSequence, b.lastOffsetDelta), lastOffset, offsetDelta: b.lastOffsetDelta, timestampMs: b.maxTimestamp });
    if (e.batches.length > NUM_BATCHES_TO_RETAIN) e.batches.shift();
    return null;
  }

  /**
   * Kafka's lastStableOffset(completedTxn), stored with an aborted transaction's index entry: the first offset
   * of the earliest transaction still open (another producer's), else the offset after the marker.
   */
  lastStableOffsetAfter(done: CompletedTxn): number {
    let first = Number.POSITIVE_INFINITY;
    for (const [pid, offset] of this.ongoing) if (pid !== done.producerId && offset < first) first = offset;
    return Number.isFinite(first) ? first : done.lastOffset + 1;
  }

  /**
   * The first offset a read_committed consumer may not read past: the earliest open transaction's first
   * offset or the earliest completed one whose marker is not yet below the high watermark; null when none.
   */
  firstUnstableOffset(): number | null {
    let first = Number.POSITIVE_INFINITY;
    for (const offset of this.ongoing.values()) if (offset < first) first = offset;
    for (const t of this.unreplicated) if (t.firstOffset < first) first = t.firstOffset;
    return Number.isFinite(first) ? first : null;
  }

  /** Completed transactions whose markers are now below the high watermark no longer hold the LSO back. */
  onHighWatermarkUpdated(highWatermark: number): void {
    if (this.unreplicated.length > 0 && this.unreplicated[0]!.lastOffset < highWatermark) this.unreplicated = this.unreplicated.filter((t) => t.lastOffset >= highWatermark);
  }

  /** Open transactions (producer id → first offset), for DescribeTransactions-like views and tests. */
  ongoingTransactions(): ReadonlyMap<number, number> {
    return this.ongoing;
  }

  /** Adds an entry read from a snapshot. */
  load(entry: ProducerStateEntry): void {
    this.producers.set(entry.producerId, entry);
    if (entry.currentTxnFirstOffset >= 0) this.ongoing.set(entry.producerId, entry.currentTxnFirstOffset);
  }

  clear(mapEndOffset: number): void {
    this.producers.clear();
    this.ongoing.clear();
    this.verifications.clear();
    this.unreplicated = [];
    this.mapEndOffset = mapEndOffset;
  }

  /**
   * Forgets producers idle for `expirationMs` (producer.id.expiration.ms, measured from their last batch's
   * timestamp) that have no open transaction. Returns how many went.
   */
  removeExpired(nowMs: number, expirationMs: number): number {
    let n = 0;
    for (const [id, e] of this.producers) {
      if (e.currentTxnFirstOffset < 0 && nowMs - e.lastTimestampMs >= expirationMs) {
        this.producers.delete(id);
        n += 1;
      }
    }
    return n;
  }
}
