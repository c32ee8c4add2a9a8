/**
 * One transactional id's state on its coordinator (Kafka's TransactionMetadata).
 *
 * Changes are two-phase, because the state is only as good as `__transaction_state`: a
 * `prepare*` method checks the change is legal, marks it pending and returns the transition (the
 * record to write); `completeTransition` applies it once the write is acknowledged, and
 * `abandonTransition` forgets it if the write failed. Nothing but `completeTransition` changes the
 * durable fields, so the in-memory state never runs ahead of what the log holds. At most one
 * transition is pending: callers check `hasPendingTransition` first and answer
 * CONCURRENT_TRANSACTIONS; preparing a second one is a bug and throws.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { compareTopicPartitions, type TopicPartition, type TransactionLogEntry, type TransactionRecord } from './records.js';
import {
  MAX_PRODUCER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  TRANSACTION_STATE_NAMES,
  TransactionState,
  canTransition,
  isEpochExhausted,
} from './transaction-state.js';

/** The target of a pending change (Kafka's TxnTransitMetadata): what is written, plus what is not persisted. */
export interface TxnTransition extends TransactionLogEntry {
  /** Not persisted (Kafka's value v0/v1 has no field for it): lost on reload, as in Kafka. */
  readonly lastProducerEpoch: number;
  /** A PrepareAbort that bumps the epoch to fence the current producer (InitProducerId on an Ongoing id, or a timeout). */
  readonly fencesProducer: boolean;
}

export function topicPartitionKey(tp: TopicPartition): string {
  // ':' cannot occur in a topic name ([a-zA-Z0-9._-]), so the key is unambiguous.
  return `${tp.topic}:${tp.partition}`;
}

export class TransactionMetadata {
  producerId: number;
  previousProducerId: number;
  nextProducerId: number;
  producerEpoch: number;
  lastProducerEpoch: number;
  txnTimeoutMs: number;
  state: TransactionState;
  /** The partitions of the open transaction, by `topicPartitionKey`. */
  readonly topicPartitions = new Map<string, TopicPartition>();
  txnStartTimestampMs: number;
  txnLastUpdateTimestampMs: number;
  clientTransactionVersion: number;
  private pending: TxnTransition | null = null;

  constructor(
    readonly transactionalId: string,
    init: Omit<TransactionLogEntry, 'topicPartitions'> & { readonly lastProducerEpoch: number; readonly topicPartitions?: readonly TopicPartition[] },
  ) {
    this.producerId = init.producerId;
    this.previousProducerId = init.previousProducerId;
    this.nextProducerId = init.nextProducerId;
    this.producerEpoch = init.producerEpoch;
    this.lastProducerEpoch = init.lastProducerEpoch;
    this.txnTimeoutMs = init.txnTimeoutMs;
    this.state = init.state;
    this.txnStartTimestampMs = init.txnStartTimestampMs;
    this.txnLastUpdateTimestampMs = init.txnLastUpdateTimestampMs;
    this.clientTransactionVersion = init.clientTransactionVersion;
    for (const tp of init.topicPartitions ?? []) this.topicPartitions.set(topicPartitionKey(tp), tp);
  }

  /** A transactional id seen for the first time: Empty, with a fresh producer id and no epoch yet (Kafka's -1). */
  static fresh(transactionalId: string, producerId: number, txnTimeoutMs: number, nowMs: number): TransactionMetadata {
    return new TransactionMetadata(transactionalId, {
      producerId,
      previousProducerId: NO_PRODUCER_ID,
      nextProducerId: NO_PRODUCER_ID,
      producerEpoch: NO_PRODUCER_EPOCH,
      lastProducerEpoch: NO_PRODUCER_EPOCH,
      txnTimeoutMs,
      state: TransactionState.Empty,
      txnStartTimestampMs: -1,
      txnLastUpdateTimestampMs: nowMs,
      clientTransactionVersion: 0,
    });
  }

  /** Loaded from `__transaction_state`: lastProducerEpoch is not persisted, so it is unknown (Kafka does the same). */
  static fromLog(transactionalId: string, entry: TransactionLogEntry): TransactionMetadata {
    return new TransactionMetadata(transactionalId, { ...entry, lastProducerEpoch: NO_PRODUCER_EPOCH });
  }

  get hasPendingTransition(): boolean {
    return this.pending !== null;
  }

  get pendingState(): TransactionState | null {
    return this.pending?.state ?? null;
  }

  get pendingTransition(): TxnTransition | null {
    return this.pending;
  }

  get isProducerEpochExhausted(): boolean {
    return isEpochExhausted(this.producerEpoch);
  }

  get stateName(): string {
    return TRANSACTION_STATE_NAMES[this.state];
  }

  /** Sorted, so records and answers do not depend on insertion order. */
  partitionList(): TopicPartition[] {
    return [...this.topicPartitions.values()].sort(compareTopicPartitions);
  }

  containsAll(partitions: readonly TopicPartition[]): boolean {
    return partitions.every((tp) => this.topicPartitions.has(topicPartitionKey(tp)));
  }

  /** InitProducerId on an idle id: next epoch (Kafka's prepareIncrementProducerEpoch, KIP-360 retries included). */
  prepareIncrementProducerEpoch(newTxnTimeoutMs: number, expectedProducerEpoch: number | undefined, nowMs: number): TxnTransition {
    const bumped = this.producerEpoch + 1;
    let epoch: number;
    let lastEpoch: number;
    if (expectedProducerEpoch === undefined) {
      epoch = bumped;
      lastEpoch = NO_PRODUCER_EPOCH;
    } else if (this.producerEpoch === NO_PRODUCER_EPOCH || expectedProducerEpoch === this.producerEpoch) {
      epoch = bumped;
      lastEpoch = this.producerEpoch;
    } else if (expectedProducerEpoch === this.lastProducerEpoch) {
      // A retry of a bump whose answer the producer never got: hand out the same epoch again.
      epoch = this.producerEpoch;
      lastEpoch = this.lastProducerEpoch;
    } else {
      throw new KafkaError(
        ErrorCode.PRODUCER_FENCED,
        `expected epoch ${expectedProducerEpoch} of ${this.transactionalId} is neither the current ${this.producerEpoch} nor the previous ${this.lastProducerEpoch}`,
      );
    }
    // Checked after the fencing rules: a stale producer of an exhausted id is fenced, not a bug (Kafka throws here).
    if (epoch !== this.producerEpoch && this.isProducerEpochExhausted) throw new Error(`producer id ${this.producerId} of ${this.transactionalId} has no epoch left; rotate it instead`);
    return this.prepare(TransactionState.Empty, { producerEpoch: epoch, lastProducerEpoch: lastEpoch, txnTimeoutMs: newTxnTimeoutMs, topicPartitions: [], txnStartTimestampMs: -1, nowMs });
  }

  /** InitProducerId when the epoch is exhausted: a new producer id at epoch 0. */
  prepareProducerIdRotation(newProducerId: number, newTxnTimeoutMs: number, nowMs: number, recordLastEpoch: boolean): TxnTransition {
    if (this.state === TransactionState.Ongoing || this.state === TransactionState.PrepareCommit || this.state === TransactionState.PrepareAbort) {
      throw new Error(`cannot rotate the producer id of ${this.transactionalId} while a transaction is ${this.stateName}`);
    }
    return this.prepare(TransactionState.Empty, {
      producerId: newProducerId,
      producerEpoch: 0,
      lastProducerEpoch: recordLastEpoch ? this.producerEpoch : NO_PRODUCER_EPOCH,
      txnTimeoutMs: newTxnTimeoutMs,
      topicPartitions: [],
      txnStartTimestampMs: -1,
      nowMs,
    });
  }

  /** AddPartitionsToTxn / AddOffsetsToTxn: Ongoing with the union of partitions; a new transaction starts its clock. */
  prepareAddPartitions(added: readonly TopicPartition[], nowMs: number): TxnTransition {
    const starts = this.state === TransactionState.Empty || this.state === TransactionState.CompleteCommit || this.state === TransactionState.CompleteAbort;
    const union = new Map(this.topicPartitions);
    for (const tp of added) union.set(topicPartitionKey(tp), tp);
    return this.prepare(TransactionState.Ongoing, { topicPartitions: [...union.values()], txnStartTimestampMs: starts ? nowMs : this.txnStartTimestampMs, nowMs });
  }

  /** EndTxn from the client (transaction protocol v1: the epoch does not change). */
  prepareAbortOrCommit(target: TransactionState.PrepareCommit | TransactionState.PrepareAbort, nowMs: number): TxnTransition {
    return this.prepare(target, { nowMs });
  }

  /**
   * Abort the open transaction with a bumped epoch, so its markers fence the producer that opened it
   * (InitProducerId from a new instance, or the transaction timed out). Kafka goes through an
   * in-memory PrepareEpochFence state and bumps the epoch before the write; here the bump is part
   * of the PrepareAbort record itself, so a failed write leaves nothing to undo.
   */
  prepareFenceAndAbort(nowMs: number): TxnTransition {
    if (this.producerEpoch >= MAX_PRODUCER_EPOCH) throw new Error(`cannot fence ${this.transactionalId}: epoch ${this.producerEpoch} would overflow`);
    return this.prepare(TransactionState.PrepareAbort, { producerEpoch: this.producerEpoch + 1, lastProducerEpoch: NO_PRODUCER_EPOCH, fencesProducer: true, nowMs });
  }

  /** Every marker is written: CompleteCommit / CompleteAbort, no partitions left. */
  prepareComplete(nowMs: number): TxnTransition {
    const target = this.state === TransactionState.PrepareCommit ? TransactionState.CompleteCommit : TransactionState.CompleteAbort;
    return this.prepare(target, { topicPartitions: [], lastProducerEpoch: this.producerEpoch, nowMs });
  }

  /** Expiry: a tombstone is written; the id is dropped once it is durable. */
  prepareDead(): TxnTransition {
    return this.prepare(TransactionState.Dead, { topicPartitions: [], nowMs: this.txnLastUpdateTimestampMs });
  }

  private prepare(
    state: TransactionState,
    change: {
      producerId?: number;
      producerEpoch?: number;
      lastProducerEpoch?: number;
      txnTimeoutMs?: number;
      topicPartitions?: readonly TopicPartition[];
      txnStartTimestampMs?: number;
      fencesProducer?: boolean;
      nowMs: number;
    },
  ): TxnTransition {
    if (this.pending !== null) throw new Error(`${this.transactionalId}: preparing ${TRANSACTION_STATE_NAMES[state]} while ${TRANSACTION_STATE_NAMES[this.pending.state]} is pending`);
    if (!canTransition(this.state, state)) throw new Error(`${this.transactionalId}: ${this.stateName} → ${TRANSACTION_STATE_NAMES[state]} is not a valid transition`);
    const producerId = change.producerId ?? this.producerId;
    const producerEpoch = change.producerEpoch ?? this.producerEpoch;
    if (producerId < 0) throw new Error(`${this.transactionalId}: illegal producer id ${producerId}`);
    if (state !== TransactionState.Dead && (producerEpoch < 0 || producerEpoch > MAX_PRODUCER_EPOCH)) throw new Error(`${this.transactionalId}: illegal producer epoch ${producerEpoch}`);
    const transition: TxnTransition = {
      producerId,
      // As Kafka: every transition records the producer id it replaces.
      previousProducerId: this.producerId,
      nextProducerId: NO_PRODUCER_ID,
      producerEpoch,
      lastProducerEpoch: change.lastProducerEpoch ?? this.lastProducerEpoch,
      txnTimeoutMs: change.txnTimeoutMs ?? this.txnTimeoutMs,
      state,
      topicPartitions: [...(change.topicPartitions ?? this.topicPartitions.values())].sort(compareTopicPartitions),
      txnLastUpdateTimestampMs: change.nowMs,
      txnStartTimestampMs: change.txnStartTimestampMs ?? this.txnStartTimestampMs,
      clientTransactionVersion: 0,
      fencesProducer: change.fencesProducer ?? false,
    };
    this.pending = transition;
    return transition;
  }

  /** The write of `transition` is acknowledged: apply it (Kafka's completeTransitionTo, with its sanity checks). */
  completeTransition(transition: TxnTransition): void {
    if (this.pending !== transition) throw new Error(`${this.transactionalId}: completing a transition that is not the pending one`);
    const t = transition;
    const fail = (why: string): never => {
      throw new Error(`${this.transactionalId}: cannot complete ${this.stateName} → ${TRANSACTION_STATE_NAMES[t.state]}: ${why}`);
    };
    const sameProducer = t.producerId === this.producerId && t.producerEpoch === this.producerEpoch;
    switch (t.state) {
      case TransactionState.Empty: {
        const bump = t.producerEpoch === this.producerEpoch + 1 || (t.producerEpoch === 0 && t.producerId !== this.producerId);
        if ((t.producerEpoch !== this.producerEpoch && !bump) || t.topicPartitions.length > 0 || t.txnStartTimestampMs !== -1) fail('not an epoch bump of an idle id');
        this.txnTimeoutMs = t.txnTimeoutMs;
        this.producerEpoch = t.producerEpoch;
        this.lastProducerEpoch = t.lastProducerEpoch;
        this.producerId = t.producerId;
        this.previousProducerId = t.previousProducerId;
        break;
      }
      case TransactionState.Ongoing:
        if (!sameProducer || t.txnTimeoutMs !== this.txnTimeoutMs) fail('producer or timeout changed');
        if (![...this.topicPartitions.values()].every((tp) => t.topicPartitions.some((x) => topicPartitionKey(x) === topicPartitionKey(tp)))) fail('partitions were removed');
        this.txnStartTimestampMs = t.txnStartTimestampMs;
        for (const tp of t.topicPartitions) this.topicPartitions.set(topicPartitionKey(tp), tp);
        break;
      case TransactionState.PrepareCommit:
      case TransactionState.PrepareAbort: {
        const epochOk = t.fencesProducer ? t.producerEpoch === this.producerEpoch + 1 : t.producerEpoch === this.producerEpoch;
        if (!epochOk || t.producerId !== this.producerId || t.topicPartitions.length !== this.topicPartitions.size || t.txnStartTimestampMs !== this.txnStartTimestampMs) fail('the transaction changed');
        if (t.fencesProducer) {
          this.producerEpoch = t.producerEpoch;
          this.lastProducerEpoch = t.lastProducerEpoch;
        }
        break;
      }
      case TransactionState.CompleteCommit:
      case TransactionState.CompleteAbort:
        if (!sameProducer || t.txnTimeoutMs !== this.txnTimeoutMs || t.txnStartTimestampMs === -1) fail('the transaction changed');
        this.topicPartitions.clear();
        break;
      case TransactionState.Dead:
      case TransactionState.PrepareEpochFence:
        fail('this state is never applied (a Dead id is removed, a fence is a PrepareAbort)');
    }
    this.txnLastUpdateTimestampMs = t.txnLastUpdateTimestampMs;
    this.clientTransactionVersion = t.clientTransactionVersion;
    this.state = t.state;
    this.pending = null;
  }

  /** The write of `transition` failed (or will be retried by someone else): forget it. */
  abandonTransition(transition: TxnTransition): void {
    if (this.pending === transition) this.pending = null;
  }

  /** The record that makes `transition` durable (a tombstone for Dead). */
  recordFor(transition: TxnTransition): TransactionRecord {
    if (transition.state === TransactionState.Dead) return { transactionalId: this.transactionalId, value: null };
    const { lastProducerEpoch: _last, fencesProducer: _fence, ...entry } = transition;
    return { transactionalId: this.transactionalId, value: entry };
  }
}
