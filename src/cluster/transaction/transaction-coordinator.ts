/**
 * The transaction coordinator's request logic (Kafka's TransactionCoordinator, KIP-98 with the
 * KIP-360 epoch bumps; transaction protocol v1, as clients speak it today).
 *
 * Every change is a transition of one id's `TransactionMetadata`, written to `__transaction_state`
 * before it is applied (`appendTransition`). Ending a transaction is two writes around the markers:
 * PrepareCommit/PrepareAbort (after which EndTxn answers), then WriteTxnMarkers to every partition
 * of the transaction (`TransactionCompleter`), then CompleteCommit/CompleteAbort.
 *
 * Concurrency: one event loop, no locks. A request checks and prepares its transition in one
 * synchronous step, so the pending transition is the lock; a request that finds one answers
 * CONCURRENT_TRANSACTIONS. Awaiting a producer id is the only wait before that step, and everything
 * is checked again after it.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { TopicPartition, TransactionRecord } from './records.js';
export type { DescribedTransaction, ListedTransactions, ListTransactionsFilters } from './transaction-views.js';
import { TransactionCompleter } from './transaction-completer.js';
import { coordinatorErrorForAppendFailure } from './transaction-errors.js';
import { TransactionMetadata, topicPartitionKey, type TxnTransition } from './transaction-metadata.js';
import { describeTransactions, listTransactions, type DescribedTransaction, type ListedTransactions, type ListTransactionsFilters } from './transaction-views.js';
import { TransactionState, TRANSACTION_STATE_NAMES, isEpochExhausted } from './transaction-state.js';
import { TransactionStateManager, type CoordinatedTransaction } from './transaction-state-manager.js';
import type { Clock, ProducerIdSource, Timers, TransactionCoordinatorConfig, TransactionLogger, TransactionLogWriter, TxnMarkerSender } from './types.js';

export const CONSUMER_OFFSETS_TOPIC = '__consumer_offsets';

export interface TransactionCoordinatorOptions {
  readonly config: TransactionCoordinatorConfig;
  readonly writer: TransactionLogWriter;
  readonly markers: TxnMarkerSender;
  readonly producerIds: ProducerIdSource;
  /** The `__consumer_offsets` partition of a group (AddOffsetsToTxn adds it to the transaction). */
  readonly offsetsPartitionFor: (groupId: string) => number;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: TransactionLogger;
}

export interface ProducerIdAndEpoch {
  readonly producerId: number;
  readonly producerEpoch: number;
}

type InitDecision = { readonly kind: 'write'; readonly transition: TxnTransition } | { readonly kind: 'fence'; readonly transition: TxnTransition } | { readonly kind: 'needs-producer-id' };

export class TransactionCoordinator {
  readonly state: TransactionStateManager;
  private readonly completer: TransactionCompleter;
  private active = false;
  private closed = false;
  private readonly cleanupTimers: unknown[] = [];

  constructor(private readonly options: TransactionCoordinatorOptions) {
    this.state = new TransactionStateManager(options.config.transactionStatePartitionCount);
    this.completer = new TransactionCompleter({
      state: this.state,
      markers: options.markers,
      clock: options.clock,
      timers: options.timers,
      logger: options.logger,
      retryBackoffMs: options.config.retryBackoffMs,
      append: (t, transition, afterApply) => this.appendTransition(t, transition, afterApply, true),
    });
  }

  /** Start answering and the two cleanup timers (aborting timed-out transactions, expiring idle ids). */
  start(): void {
    if (this.closed) throw new Error('a closed transaction coordinator cannot start again; build a new one');
    if (this.active) return;
    this.active = true;
    const { config } = this.options;
    this.every(config.abortTimedOutTransactionCleanupIntervalMs, () => void this.abortTimedOutTransactions());
    this.every(config.removeExpiredTransactionalIdsIntervalMs, () => void this.expireTransactionalIds());
  }

  /** Final: stop timers and marker retries; writes in flight settle but change nothing that matters (the broker unloads). */
  close(): void {
    this.active = false;
    this.closed = true;
    for (const h of this.cleanupTimers) this.options.timers.clearTimeout(h);
    this.cleanupTimers.length = 0;
    this.completer.close();
  }

  // ---- ownership: the broker calls these when the metadata image moves a partition ----

  beginLoad(partition: number, coordinatorEpoch: number): void {
    this.state.beginLoad(partition, coordinatorEpoch);
  }

  replay(partition: number, record: TransactionRecord): void {
    this.state.replay(partition, record);
  }

  /** Serve the partition; transactions it left in PrepareCommit/PrepareAbort get their markers (again). */
  completeLoad(partition: number): void {
    const toComplete = this.state.completeLoad(partition);
    const p = this.state.partitionState(partition)!;
    for (const metadata of toComplete) this.completer.complete({ partition, coordinatorEpoch: p.coordinatorEpoch, metadata });
  }

  unload(partition: number, coordinatorEpoch?: number): boolean {
    return this.state.unload(partition, coordinatorEpoch);
  }

  partitionFor(transactionalId: string): number {
    return this.state.partitionFor(transactionalId);
  }

  // ---- the APIs ----

  /** InitProducerId. A null transactional id is an idempotent producer: a new id at epoch 0, nothing stored. */
  async initProducerId(transactionalId: string | null, txnTimeoutMs: number, expected?: ProducerIdAndEpoch): Promise<ProducerIdAndEpoch> {
    if (transactionalId === null) return { producerId: await this.generateProducerId(), producerEpoch: 0 };
    if (transactionalId === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'the transactional id is empty');
    if (!(Number.isInteger(txnTimeoutMs) && txnTimeoutMs > 0 && txnTimeoutMs <= this.options.config.transactionMaxTimeoutMs)) {
      throw new KafkaError(ErrorCode.INVALID_TRANSACTION_TIMEOUT, `transaction timeout ${txnTimeoutMs} ms is not in (0, ${this.options.config.transactionMaxTimeoutMs}] (transaction.max.timeout.ms)`);
    }
    let spareProducerId: number | undefined;
    // At most: generate for a new id, generate for a rotation, decide. Every await is followed by a fresh look.
    for (let attempt = 0; attempt < 4; attempt += 1) {
      let t = this.state.get(transactionalId);
      if (!t) {
        if (spareProducerId === undefined) {
          spareProducerId = await this.generateProducerId();
          continue;
        }
        t = this.state.putIfAbsent(TransactionMetadata.fresh(transactionalId, spareProducerId, txnTimeoutMs, this.options.clock.now()));
        if (t.metadata.producerId === spareProducerId) spareProducerId = undefined;
      }
      const decision = this.decideInit(t.metadata, txnTimeoutMs, expected, spareProducerId);
      if (decision.kind === 'needs-producer-id') {
        spareProducerId = await this.generateProducerId();
        continue;
      }
      if (decision.kind === 'fence') {
        // Abort the open transaction with a bumped epoch (never handed out); the client retries and gets the next one.
        await this.appendTransition(t, decision.transition, () => this.completer.complete(t));
        throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS, `aborting the open transaction of ${transactionalId} first`);
      }
      await this.appendTransition(t, decision.transition);
      return { producerId: decision.transition.producerId, producerEpoch: decision.transition.producerEpoch };
    }
    throw new Error(`initProducerId(${transactionalId}) did not settle`);
  }

  private decideInit(m: TransactionMetadata, txnTimeoutMs: number, expected: ProducerIdAndEpoch | undefined, spareProducerId: number | undefined): InitDecision {
    if (m.hasPendingTransition) throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS, `${m.transactionalId} has a ${TRANSACTION_STATE_NAMES[m.pendingState!]} transition in flight`);
    // KIP-360: a producer that names its id and epoch is fenced unless it is the current one, the id
    // was just created, or it retries a rotation it never heard back from.
    if (expected !== undefined) {
      const valid =
        m.producerEpoch === -1 || expected.producerId === m.producerId || (expected.producerId === m.previousProducerId && isEpochExhausted(expected.producerEpoch));
      if (!valid) throw new KafkaError(ErrorCode.PRODUCER_FENCED, `producer ${expected.producerId} epoch ${expected.producerEpoch} is not the current producer of ${m.transactionalId}`);
    }
    const now = this.options.clock.now();
    switch (m.state) {
      case TransactionState.PrepareCommit:
      case TransactionState.PrepareAbort:
        throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS, `${m.transactionalId} is completing a transaction (${m.stateName})`);
      case TransactionState.Empty:
      case TransactionState.CompleteCommit:
      case TransactionState.CompleteAbort:
        if (m.isProducerEpochExhausted && (expected === undefined || expected.producerEpoch === m.producerEpoch)) {
          if (spareProducerId === undefined) return { kind: 'needs-producer-id' };
          return { kind: 'write', transition: m.prepareProducerIdRotation(spareProducerId, txnTimeoutMs, now, expected !== undefined) };
        }
        return { kind: 'write', transition: m.prepareIncrementProducerEpoch(txnTimeoutMs, expected?.producerEpoch, now) };
      case TransactionState.Ongoing:
        return { kind: 'fence', transition: m.prepareFenceAndAbort(now) };
      case TransactionState.Dead:
      case TransactionState.PrepareEpochFence:
        throw new Error(`${m.transactionalId} is ${m.stateName}, a state that is never entered`);
    }
  }

  /** AddPartitionsToTxn v0-3 (one transaction per call). */
  async addPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[]): Promise<void> {
    if (transactionalId === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'the transactional id is empty');
    const t = this.state.get(transactionalId);
    if (!t) throw new KafkaError(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `no transactional id ${transactionalId}`);
    const m = t.metadata;
    if (m.producerId !== producerId) throw new KafkaError(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `${transactionalId} has producer id ${m.producerId}, not ${producerId}`);
    if (m.producerEpoch !== producerEpoch) throw new KafkaError(ErrorCode.PRODUCER_FENCED, `${transactionalId} is at epoch ${m.producerEpoch}, not ${producerEpoch}`);
    if (m.hasPendingTransition) throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS, `${transactionalId} has a transition in flight`);
    if (m.state === TransactionState.PrepareCommit || m.state === TransactionState.PrepareAbort) throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS, `${transactionalId} is completing a transaction`);
    // Already in the transaction: nothing to write.
    if (m.state === TransactionState.Ongoing && m.containsAll(partitions)) return;
    await this.appendTransition(t, m.prepareAddPartitions(partitions, this.options.clock.now()));
  }

  /** AddOffsetsToTxn: the group's `__consumer_offsets` partition joins the transaction. */
  async addOffsets(transactionalId: string, producerId: number, producerEpoch: number, groupId: string): Promise<void> {
    await this.addPartitions(transactionalId, producerId, producerEpoch, [{ topic: CONSUMER_OFFSETS_TOPIC, partition: this.options.offsetsPartitionFor(groupId) }]);
  }

  /**
   * EndTxn (protocol v1: the client's epoch must be the current one). Answers once the Prepare*
   * record is durable; markers follow. A retry of an EndTxn that already completed answers OK.
   */
  async endTransaction(transactionalId: string, producerId: number, producerEpoch: number, commit: boolean): Promise<ProducerIdAndEpoch> {
    if (transactionalId === '') throw new KafkaError(ErrorCode.INVALID_REQUEST, 'the transactional id is empty');
    const t = this.state.get(transactionalId);
    if (!t) throw new KafkaError(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `no transactional id ${transactionalId}`);
    const m = t.metadata;
    const result = commit ? 'commit' : 'abort';
    const invalidState = (): KafkaError => new KafkaError(ErrorCode.INVALID_TXN_STATE, `cannot ${result} ${transactionalId}: it is ${m.stateName}`);
    if (m.producerId !== producerId) throw new KafkaError(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `${transactionalId} has producer id ${m.producerId}, not ${producerId}`);
    if (m.producerEpoch !== producerEpoch) throw new KafkaError(ErrorCode.PRODUCER_FENCED, `${transactionalId} is at epoch ${m.producerEpoch}, not ${producerEpoch}`);
    if (m.hasPendingTransition) throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS, `${transactionalId} has a transition in flight`);
    switch (m.state) {
      case TransactionState.Ongoing: {
        const transition = m.prepareAbortOrCommit(commit ? TransactionState.PrepareCommit : TransactionState.PrepareAbort, this.options.clock.now());
        await this.appendTransition(t, transition, () => this.completer.complete(t));
        return { producerId: m.producerId, producerEpoch: m.producerEpoch };
      }
      case TransactionState.CompleteCommit:
        if (commit) return { producerId: m.producerId, producerEpoch: m.producerEpoch };
        throw invalidState();
      case TransactionState.CompleteAbort:
        if (!commit) return { producerId: m.producerId, producerEpoch: m.producerEpoch };
        throw invalidState();
      case TransactionState.PrepareCommit:
        if (commit) throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS, `${transactionalId} is already committing`);
        throw invalidState();
      case TransactionState.PrepareAbort:
        if (!commit) throw new KafkaError(ErrorCode.CONCURRENT_TRANSACTIONS, `${transactionalId} is already aborting`);
        throw invalidState();
      case TransactionState.Empty:
        throw invalidState();
      case TransactionState.Dead:
      case TransactionState.PrepareEpochFence:
        throw new Error(`${transactionalId} is ${m.stateName}, a state that is never entered`);
    }
  }

  /** The abort timer: every Ongoing transaction past its timeout is aborted with a bumped epoch (fencing its producer). */
  async abortTimedOutTransactions(): Promise<void> {
    const now = this.options.clock.now();
    const aborts = this.state.timedOutTransactions(now).map(async (t) => {
      try {
        const transition = t.metadata.prepareFenceAndAbort(now);
        await this.appendTransition(t, transition, () => this.completer.complete(t));
        this.options.logger.info({ transactionalId: t.metadata.transactionalId, producerId: t.metadata.producerId }, 'aborting a transaction that timed out');
      } catch (err) {
        this.options.logger.warn({ transactionalId: t.metadata.transactionalId, err }, 'could not abort a timed-out transaction; the next run retries');
      }
    });
    await Promise.all(aborts);
  }

  /** The expiry timer: idle ids past transactional.id.expiration.ms get a tombstone and are forgotten. */
  async expireTransactionalIds(): Promise<void> {
    const expired = this.state.expiredTransactionalIds(this.options.clock.now(), this.options.config.transactionalIdExpirationMs);
    const writes = [...expired].map(async ([partition, list]) => {
      const coordinatorEpoch = list[0]!.coordinatorEpoch;
      const dead = list.map((t) => ({ t, transition: t.metadata.prepareDead() }));
      try {
        await this.options.writer.append(partition, coordinatorEpoch, dead.map(({ t, transition }) => t.metadata.recordFor(transition)));
      } catch (err) {
        for (const { t, transition } of dead) if (this.state.isCurrent(t.metadata, coordinatorEpoch)) t.metadata.abandonTransition(transition);
        this.options.logger.warn({ partition, err }, 'could not write tombstones for expired transactional ids; the next run retries');
        return;
      }
      for (const { t, transition } of dead) {
        if (t.metadata.pendingTransition === transition && this.state.remove(t.metadata, coordinatorEpoch)) {
          this.options.logger.debug({ transactionalId: t.metadata.transactionalId }, 'transactional id expired');
        }
      }
    });
    await Promise.all(writes);
  }

  /** DescribeTransactions: one answer per id. */
  describeTransactions(transactionalIds: readonly string[]): DescribedTransaction[] {
    return describeTransactions(this.state, this.active, transactionalIds);
  }

  /** ListTransactions over every partition coordinated here. */
  listTransactions(filters: ListTransactionsFilters = {}): ListedTransactions {
    return listTransactions(this.state, this.active, this.options.clock.now(), filters);
  }

  /**
   * AddPartitionsToTxn v4+ with verifyOnly (KIP-890 part 1: a partition leader asks before it
   * accepts a transactional produce). Nothing is written; per partition NONE if it is in the
   * transaction, TRANSACTION_ABORTABLE if not; the id-level errors apply to every partition.
   */
  verifyPartitions(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[]): Map<string, ErrorCode> {
    const all = (code: ErrorCode): Map<string, ErrorCode> => new Map(partitions.map((tp) => [topicPartitionKey(tp), code]));
    if (transactionalId === '') return all(ErrorCode.INVALID_REQUEST);
    let t: CoordinatedTransaction | undefined;
    try {
      t = this.state.get(transactionalId);
    } catch (err) {
      if (err instanceof KafkaError) return all(err.code);
      throw err;
    }
    const m = t?.metadata;
    if (!m || m.producerId !== producerId) return all(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    if (m.producerEpoch !== producerEpoch) return all(ErrorCode.PRODUCER_FENCED);
    if (m.state === TransactionState.PrepareCommit || m.state === TransactionState.PrepareAbort) return all(ErrorCode.CONCURRENT_TRANSACTIONS);
    return new Map(partitions.map((tp) => [topicPartitionKey(tp), m.containsAll([tp]) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE]));
  }

  // ---- writing ----

  /**
   * Write `transition` and apply it once durable. On failure the transition is abandoned (unless
   * `keepPendingOnError`: the completer retries the same Complete* write), and the mapped
   * coordinator error is thrown. If the partition was unloaded or reloaded meanwhile, nothing is
   * applied and the answer is NOT_COORDINATOR. `afterApply` runs in the same tick as the apply.
   */
  private async appendTransition(t: CoordinatedTransaction, transition: TxnTransition, afterApply?: () => void, keepPendingOnError = false): Promise<void> {
    const m = t.metadata;
    try {
      await this.options.writer.append(t.partition, t.coordinatorEpoch, [m.recordFor(transition)]);
    } catch (err) {
      if (!keepPendingOnError && this.state.isCurrent(m, t.coordinatorEpoch)) m.abandonTransition(transition);
      throw coordinatorErrorForAppendFailure(err);
    }
    if (!this.state.isCurrent(m, t.coordinatorEpoch)) {
      throw new KafkaError(ErrorCode.NOT_COORDINATOR, `__transaction_state-${t.partition} moved while ${m.transactionalId} was being written`);
    }
    // Nothing else may replace a pending transition; if something did, the lock is broken.
    if (m.pendingTransition !== transition) throw new Error(`${m.transactionalId}: the transition just written is no longer the pending one`);
    m.completeTransition(transition);
    afterApply?.();
  }

  private async generateProducerId(): Promise<number> {
    try {
      return await this.options.producerIds.generate();
    } catch (err) {
      throw err instanceof KafkaError ? err : new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `no producer id: ${String(err)}`);
    }
  }

  private every(intervalMs: number, fn: () => void): void {
    const index = this.cleanupTimers.length;
    const arm = (): void => {
      this.cleanupTimers[index] = this.options.timers.setTimeout(() => {
        if (!this.active) return;
        fn();
        arm();
      }, intervalMs);
      (this.cleanupTimers[index] as { unref?: () => void } | null)?.unref?.();
    };
    arm();
  }
}
