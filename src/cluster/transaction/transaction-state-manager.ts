/**
 * Which `__transaction_state` partitions this coordinator holds, and the transactional ids of each
 * (Kafka's TransactionStateManager cache, loadingPartitions and the per-partition coordinator epoch).
 *
 * Ownership: a partition is `loading` from `beginLoad` (the broker became its leader at
 * `coordinatorEpoch`) until `completeLoad`; meanwhile its ids answer COORDINATOR_LOAD_IN_PROGRESS.
 * Ids of partitions not held here answer NOT_COORDINATOR. `unload` drops a partition's ids without
 * writing anything; the next leader reads them back from the log.
 *
 * Loading replays the partition's records in offset order: the latest record per transactional id
 * wins and a tombstone deletes it, so a compacted and an uncompacted log load the same state.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { offsetsPartitionFor } from '../group/partitioner.js';
import type { TransactionRecord } from './records.js';
import { TransactionMetadata } from './transaction-metadata.js';
import { TRANSACTION_STATE_NAMES, TransactionState, isExpirationAllowed } from './transaction-state.js';

/** Same hash as groups: abs(Java String.hashCode) % transaction.state.log.num.partitions. */
export function transactionStatePartitionFor(transactionalId: string, partitionCount: number): number {
  return offsetsPartitionFor(transactionalId, partitionCount);
}

export interface TransactionPartitionState {
  readonly partition: number;
  readonly coordinatorEpoch: number;
  loading: boolean;
  readonly transactions: Map<string, TransactionMetadata>;
}

/** A transactional id's metadata with the epoch of the partition it was found in. */
export interface CoordinatedTransaction {
  readonly partition: number;
  readonly coordinatorEpoch: number;
  readonly metadata: TransactionMetadata;
}

export class TransactionStateManager {
  private readonly partitions = new Map<number, TransactionPartitionState>();

  constructor(readonly partitionCount: number) {
    if (!Number.isInteger(partitionCount) || partitionCount <= 0) throw new RangeError(`partitionCount must be a positive integer, got ${partitionCount}`);
  }

  partitionFor(transactionalId: string): number {
    return transactionStatePartitionFor(transactionalId, this.partitionCount);
  }

  /** The partition becomes led here at `coordinatorEpoch`: forget anything held for it and start loading. */
  beginLoad(partition: number, coordinatorEpoch: number): void {
    this.checkPartition(partition);
    const held = this.partitions.get(partition);
    if (held && held.coordinatorEpoch > coordinatorEpoch) throw new Error(`partition ${partition} is held at epoch ${held.coordinatorEpoch}, not loading the older ${coordinatorEpoch}`);
    this.partitions.set(partition, { partition, coordinatorEpoch, loading: true, transactions: new Map() });
  }

  /** One record of the partition being loaded, in offset order. */
  replay(partition: number, record: TransactionRecord): void {
    const p = this.partitions.get(partition);
    if (!p || !p.loading) throw new Error(`partition ${partition} is not loading`);
    if (this.partitionFor(record.transactionalId) !== partition) throw new Error(`${record.transactionalId} does not belong to partition ${partition}`);
    if (record.value !== null && (record.value.state === TransactionState.Dead || record.value.state === TransactionState.PrepareEpochFence)) {
      // Kafka never writes these (expiry writes a tombstone, a fence writes PrepareAbort): the log is not one we wrote.
      throw new Error(`${record.transactionalId}: a ${TRANSACTION_STATE_NAMES[record.value.state]} record in __transaction_state-${partition}`);
    }
    if (record.value === null) p.transactions.delete(record.transactionalId);
    else p.transactions.set(record.transactionalId, TransactionMetadata.fromLog(record.transactionalId, record.value));
  }

  /** The partition's ids are served from now on; returns those whose markers must be (re)sent. */
  completeLoad(partition: number): TransactionMetadata[] {
    const p = this.partitions.get(partition);
    if (!p || !p.loading) throw new Error(`partition ${partition} is not loading`);
    p.loading = false;
    return [...p.transactions.values()].filter((m) => m.state === TransactionState.PrepareCommit || m.state === TransactionState.PrepareAbort);
  }

  /** Stop coordinating the partition (it is led elsewhere now). With an epoch, only if held at that epoch or older. */
  unload(partition: number, coordinatorEpoch?: number): boolean {
    const p = this.partitions.get(partition);
    if (!p || (coordinatorEpoch !== undefined && p.coordinatorEpoch > coordinatorEpoch)) return false;
    this.partitions.delete(partition);
    return true;
  }

  partitionState(partition: number): TransactionPartitionState | undefined {
    return this.partitions.get(partition);
  }

  get isAnyLoading(): boolean {
    for (const p of this.partitions.values()) if (p.loading) return true;
    return false;
  }

  /**
   * The id's metadata (undefined if this coordinator has never seen it). Throws NOT_COORDINATOR when
   * its partition is not held here, COORDINATOR_LOAD_IN_PROGRESS while it loads.
   */
  get(transactionalId: string): CoordinatedTransaction | undefined {
    const p = this.loadedPartitionOf(transactionalId);
    const metadata = p.transactions.get(transactionalId);
    return metadata ? { partition: p.partition, coordinatorEpoch: p.coordinatorEpoch, metadata } : undefined;
  }

  /** Kafka's putTransactionStateIfNotExists: the metadata already held for the id wins. */
  putIfAbsent(metadata: TransactionMetadata): CoordinatedTransaction {
    const p = this.loadedPartitionOf(metadata.transactionalId);
    const held = p.transactions.get(metadata.transactionalId);
    if (!held) p.transactions.set(metadata.transactionalId, metadata);
    return { partition: p.partition, coordinatorEpoch: p.coordinatorEpoch, metadata: held ?? metadata };
  }

  /**
   * Whether `metadata` is still what this coordinator holds for its id at `coordinatorEpoch` — false
   * once the partition was unloaded, reloaded or the id expired. Completions of writes and marker
   * retries check this before touching anything.
   */
  isCurrent(metadata: TransactionMetadata, coordinatorEpoch: number): boolean {
    const p = this.partitions.get(this.partitionFor(metadata.transactionalId));
    return p !== undefined && !p.loading && p.coordinatorEpoch === coordinatorEpoch && p.transactions.get(metadata.transactionalId) === metadata;
  }

  /** Drop an expired id (its tombstone is durable). */
  remove(metadata: TransactionMetadata, coordinatorEpoch: number): boolean {
    if (!this.isCurrent(metadata, coordinatorEpoch)) return false;
    this.partitions.get(this.partitionFor(metadata.transactionalId))!.transactions.delete(metadata.transactionalId);
    return true;
  }

  /** Every id of every loaded partition. */
  *loaded(): IterableIterator<CoordinatedTransaction> {
    for (const p of this.partitions.values()) {
      if (p.loading) continue;
      for (const metadata of p.transactions.values()) yield { partition: p.partition, coordinatorEpoch: p.coordinatorEpoch, metadata };
    }
  }

  /** Kafka's timedOutTransactions: Ongoing, nothing pending, open longer than its timeout. */
  timedOutTransactions(nowMs: number): CoordinatedTransaction[] {
    return [...this.loaded()].filter(({ metadata: m }) => !m.hasPendingTransition && m.state === TransactionState.Ongoing && m.txnStartTimestampMs + m.txnTimeoutMs < nowMs);
  }

  /** Idle ids past `transactional.id.expiration.ms`, grouped by partition (one tombstone batch each). */
  expiredTransactionalIds(nowMs: number, expirationMs: number): Map<number, CoordinatedTransaction[]> {
    const byPartition = new Map<number, CoordinatedTransaction[]>();
    for (const t of this.loaded()) {
      const m = t.metadata;
      if (m.hasPendingTransition || !isExpirationAllowed(m.state) || m.txnLastUpdateTimestampMs > nowMs - expirationMs) continue;
      let list = byPartition.get(t.partition);
      if (!list) byPartition.set(t.partition, (list = []));
      list.push(t);
    }
    return byPartition;
  }

  private loadedPartitionOf(transactionalId: string): TransactionPartitionState {
    const partition = this.partitionFor(transactionalId);
    const p = this.partitions.get(partition);
    if (!p) throw new KafkaError(ErrorCode.NOT_COORDINATOR, `__transaction_state-${partition} is not led here`);
    if (p.loading) throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `__transaction_state-${partition} is loading`);
    return p;
  }

  private checkPartition(partition: number): void {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.partitionCount) throw new RangeError(`no __transaction_state partition ${partition} (of ${this.partitionCount})`);
  }
}
