/**
 * The transactional producer's state (KIP-98, transaction protocol v1), with the Java client's
 * TransactionManager semantics for a `transactional.id` — our own code, on the shared codec.
 *
 * States (`TransactionState`) and who moves them:
 *   uninitialized → initializing → ready              `initialize`: InitProducerId at the coordinator
 *   ready → in-transaction                             `begin`
 *   in-transaction → committing → ready                `commit`: flush, then EndTxn(commit)
 *   in-transaction | abortable → aborting → ready      `abort`: drop what is unsent, await what is in
 *                                                      flight, EndTxn(abort), epoch bump if needed
 *   in-transaction | committing → abortable            a failed send / offset commit / AddPartitionsToTxn
 *   any → fatal                                        fenced, not authorized, unsupported
 * A commit whose EndTxn timed out stays `committing` (and an abort `aborting`): calling it again
 * resumes it (EndTxn is safe to repeat: the coordinator answers a retry of a finished one with NONE).
 *
 * The coordinator is the leader of the id's `__transaction_state` partition (FindCoordinator key
 * type 1); it is looked up again after NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE / a lost
 * connection. COORDINATOR_LOAD_IN_PROGRESS and CONCURRENT_TRANSACTIONS (the previous transaction's
 * markers are still being written) are retried with backoff. initialize / sendOffsets / commit /
 * abort are bounded by maxBlockMs (REQUEST_TIMED_OUT after it, as Kafka's max.block.ms).
 *
 * Partitions: the sender asks `mayDrain` before a batch goes out; a partition not yet in the
 * transaction is queued for AddPartitionsToTxn and the batch waits. One AddPartitionsToTxn is in
 * flight at a time, carrying every partition queued meanwhile; the sender is woken when it answers.
 *
 * Errors. PRODUCER_FENCED / INVALID_PRODUCER_EPOCH (another producer took the id over, or the
 * coordinator aborted the transaction after transactionTimeoutMs, which bumps the epoch too) →
 * ProducerFencedError; TRANSACTIONAL_ID_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_FAILED,
 * UNSUPPORTED_VERSION and unexpected EndTxn / InitProducerId errors → ProducerFatalError. Anything
 * else that fails inside a transaction makes it abortable (TransactionAbortableError): commit
 * rejects, abort works. A batch that failed after it had its sequence leaves the broker's
 * sequence unknown: the abort then bumps the epoch (InitProducerId naming the current id and epoch,
 * KIP-360), so every partition starts again at sequence 0.
 *
 * Concurrency: one event loop. Requests go through `CoordinatorRpc` (a seam for tests); every
 * state change is checked against VALID_PREVIOUS.
 */
import type { Logger } from 'pino';
import { AddOffsetsToTxnApi, AddPartitionsToTxnApi, EndTxnApi, InitProducerIdApi, TxnOffsetCommitApi } from '../../protocol/messages/index.js';
import type { AddOffsetsToTxnResponse } from '../../protocol/messages/add-offsets-to-txn.js';
import type { AddPartitionsToTxnResponse } from '../../protocol/messages/add-partitions-to-txn.js';
import type { EndTxnResponse } from '../../protocol/messages/end-txn.js';
import type { InitProducerIdResponse } from '../../protocol/messages/init-producer-id.js';
import type { TxnOffsetCommitResponse } from '../../protocol/messages/txn-offset-commit.js';
import type { ApiSpec } from '../../protocol/schema/dsl.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { backoffMs, sleep } from '../backoff.js';
import type { Cluster, CoordinatorType } from '../cluster/cluster.js';
import type { ConsumerGroupMetadata } from '../consumer/types.js';
import { ProducerFatalError, ProducerFencedError, responseError, TransactionAbortableError, TransactionStateError } from '../errors.js';
import { NO_PRODUCER, type BatchIdentity } from './batch.js';

export type TransactionState = 'uninitialized' | 'initializing' | 'ready' | 'in-transaction' | 'committing' | 'aborting' | 'abortable' | 'fatal';

const VALID_PREVIOUS: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  uninitialized: ['initializing'], // InitProducerId timed out: the next call starts again
  initializing: ['uninitialized'],
  ready: ['initializing', 'committing', 'aborting'],
  'in-transaction': ['ready'],
  committing: ['in-transaction'],
  aborting: ['in-transaction', 'abortable'],
  abortable: ['in-transaction', 'committing'],
  fatal: ['uninitialized', 'initializing', 'ready', 'in-transaction', 'committing', 'aborting', 'abortable'],
};

export interface Coordinator {
  type: CoordinatorType;
  key: string;
}

/** How the manager reaches coordinators: the cluster's, or a script in tests. */
export interface CoordinatorRpc {
  /** One request to the coordinator; transport failures throw KafkaError (NETWORK_EXCEPTION, REQUEST_TIMED_OUT). */
  request<Res>(coordinator: Coordinator, api: ApiSpec, body: (version: number) => object): Promise<Res>;
  /** The coordinator moved or is unreachable: look it up again next time. */
  invalidate(coordinator: Coordinator): void;
  readonly closed: boolean;
}

export function clusterCoordinatorRpc(cluster: Cluster): CoordinatorRpc {
  return {
    get closed() {
      return cluster.isClosed;
    },
    async request<Res>(c: Coordinator, api: ApiSpec, body: (version: number) => object): Promise<Res> {
      if (cluster.metadata.brokers().length === 0) await cluster.connect();
      const link = await cluster.coordinator(c.type, c.key);
      return link.request<Res>(api, body);
    },
    invalidate(c: Coordinator): void {
      cluster.invalidateCoordinator(c.type, c.key);
    },
  };
}

export interface TransactionManagerOptions {
  transactionalId: string;
  transactionTimeoutMs: number;
  /** Bound of initialize, sendOffsets, and the EndTxn of commit and abort. */
  maxBlockMs: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
}

/** One partition's offset to commit with the transaction: the next offset to read. */
export interface TxnOffset {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string | null;
}

/** After these the coordinator is looked up again. */
const COORDINATOR_MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NETWORK_EXCEPTION, ErrorCode.REQUEST_TIMED_OUT]);
/** Per-partition answers of AddPartitionsToTxn that are retried (OPERATION_NOT_ATTEMPTED: another partition failed). */
const ADD_RETRIED = new Set<number>([ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.OPERATION_NOT_ATTEMPTED]);
const FENCED = new Set<number>([ErrorCode.PRODUCER_FENCED, ErrorCode.INVALID_PRODUCER_EPOCH]);
const ALWAYS_FATAL = new Set<number>([ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.UNSUPPORTED_VERSION]);

export class TransactionManager {
  private stateNow: TransactionState = 'uninitialized';
  /** Producer id and epoch from InitProducerId. */
  identity: BatchIdentity = NO_PRODUCER;
  private fatalError: ProducerFatalError | null = null;
  private abortableError: TransactionAbortableError | null = null;
  /** What batches and sends dropped by an abort fail with (one per abort). */
  private abortedError: TransactionStateError | null = null;
  /** Counts transactions: a handle or a late callback of an earlier one is told apart by it. */
  private sequence = 0;
  private initializing: Promise<void> | null = null;
  private ending: { commit: boolean; promise: Promise<void> } | null = null;

  // Per transaction
  private readonly added = new Set<string>();
  private readonly pendingAdd = new Map<string, { topic: string; partition: number }>();
  private adding: Promise<void> | null = null;
  private readonly groupsAdded = new Set<string>();
  private readonly offsetOps = new Set<Promise<void>>();
  /** An AddPartitionsToTxn or AddOffsetsToTxn was sent: the coordinator may have an open transaction. */
  private maybeStarted = false;
  /** One of them was answered NONE: it does. */
  private confirmedStarted = false;
  /** A batch failed after it had a sequence: bump the epoch when aborting. */
  private bumpEpoch = false;
  /** EndTxn of the current commit / abort succeeded (a resumed abort goes straight to the bump). */
  private endTxnDone = false;

  private readonly txnCoordinator: Coordinator;

  constructor(
    private readonly opts: TransactionManagerOptions,
    private readonly rpc: CoordinatorRpc,
    private readonly log: Logger,
    /** The producer id and epoch changed: the idempotence state takes them. */
    private readonly onIdentity: (identity: BatchIdentity) => void,
    /** Partitions were added or the state changed: the sender drains again. */
    private readonly onChange: () => void,
  ) {
    this.txnCoordinator = { type: 'transaction', key: opts.transactionalId };
  }

  get transactionalId(): string {
    return this.opts.transactionalId;
  }

  get state(): TransactionState {
    return this.stateNow;
  }

  /** The number of the open (or last) transaction. */
  get transactionSequence(): number {
    return this.sequence;
  }

  get fatal(): ProducerFatalError | null {
    return this.fatalError;
  }

  private transition(to: TransactionState): void {
    const from = this.stateNow;
    if (!VALID_PREVIOUS[to].includes(from)) throw new Error(`transaction manager: invalid transition ${from} → ${to}`);
    this.stateNow = to;
    this.log.debug({ transactionalId: this.opts.transactionalId, from, to }, 'transaction state');
  }

  // ------------------------------------------------------------------ lifecycle

  /** InitProducerId at the coordinator (fences older producers of the id). Idempotent once ready. */
  initialize(): Promise<void> {
    if (this.fatalError) return Promise.reject(this.fatalError);
    if (this.initializing) return this.initializing;
    if (this.stateNow !== 'uninitialized') return Promise.resolve();
    this.transition('initializing');
    const p = this.initProducerId(NO_PRODUCER, Date.now() + this.opts.maxBlockMs).then(
      (id) => {
        this.setIdentity(id);
        this.transition('ready');
      },
      (err: unknown) => {
        const e = this.fatalIfFatal(err, 'InitProducerId');
        if (!this.fatalError) this.transition('uninitialized');
        throw e;
      },
    );
    this.initializing = p.finally(() => {
      this.initializing = null;
    });
    return this.initializing;
  }

  /** Opens a transaction (nothing is sent until its first batch or offsets). Returns its number. */
  begin(): number {
    if (this.fatalError) throw this.fatalError;
    if (this.stateNow !== 'ready') {
      throw new TransactionStateError(
        this.stateNow === 'uninitialized' || this.stateNow === 'initializing'
          ? 'the producer has no producer id yet (producer.transaction() initializes it)'
          : `a transaction is already open (${this.stateNow}): commit or abort it before starting another`,
      );
    }
    this.transition('in-transaction');
    this.sequence++;
    return this.sequence;
  }

  /** Is transaction `seq` the open one (also while it commits or aborts)? */
  isOpen(seq: number): boolean {
    return seq === this.sequence && (this.stateNow === 'in-transaction' || this.stateNow === 'committing' || this.stateNow === 'aborting' || this.stateNow === 'abortable');
  }

  /** Why `send` may not add records now (null: it may). */
  sendError(): KafkaError | null {
    if (this.fatalError) return this.fatalError;
    switch (this.stateNow) {
      case 'in-transaction':
        return null;
      case 'abortable':
        return this.abortableError;
      case 'committing':
        return new TransactionStateError('the transaction is committing: wait for commit() before sending in the next transaction');
      case 'aborting':
        return new TransactionStateError('the transaction is aborting: wait for abort() before sending in the next transaction');
      default:
        return new TransactionStateError(`transactional producer '${this.opts.transactionalId}' sends inside a transaction: const txn = await producer.transaction(); await txn.send(...)`);
    }
  }

  /** What queued batches and waiting appends fail with now (null: they go on). */
  drainError(): KafkaError | null {
    if (this.fatalError) return this.fatalError;
    if (this.stateNow === 'abortable') return this.abortableError;
    if (this.stateNow === 'aborting') return (this.abortedError ??= new TransactionStateError('the transaction was aborted before these records were sent'));
    return null;
  }

  // ------------------------------------------------------------------ partitions

  /** A record was appended for this partition: start adding it to the transaction now (overlaps the linger). */
  notePartition(topic: string, partition: number): void {
    this.mayDrain(topic, partition);
  }

  /** May a batch of this partition be sent? If it is not in the transaction yet, it is added (the sender is woken). */
  mayDrain(topic: string, partition: number): boolean {
    const key = `${topic}\0${partition}`;
    if (this.added.has(key)) return true;
    if (!this.acceptsPartitions()) return false;
    if (!this.pendingAdd.has(key)) {
      this.pendingAdd.set(key, { topic, partition });
      this.startAdding();
    }
    return false;
  }

  private acceptsPartitions(): boolean {
    return !this.fatalError && (this.stateNow === 'in-transaction' || this.stateNow === 'committing');
  }

  private startAdding(): void {
    if (this.adding) return; // the running loop takes partitions queued meanwhile
    const p = this.addLoop()
      .catch((err: unknown) => this.fail(err, 'AddPartitionsToTxn'))
      .finally(() => {
        if (this.adding === p) this.adding = null;
        // Partitions queued after the loop's last check would wait for nobody.
        if (this.pendingAdd.size > 0 && this.acceptsPartitions()) this.startAdding();
        this.onChange();
      });
    this.adding = p;
  }

  private async addLoop(): Promise<void> {
    // Let the current drain pass queue all its partitions: they go in one request.
    await Promise.resolve();
    for (let attempt = 0; this.pendingAdd.size > 0 && this.acceptsPartitions(); ) {
      if (this.rpc.closed) throw new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'producer is closed');
      const batch = [...this.pendingAdd];
      const byTopic = new Map<string, number[]>();
      for (const [, tp] of batch) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
      const id = this.identity;
      this.maybeStarted = true;
      let retry: KafkaError | null = null;
      try {
        const res = await this.rpc.request<AddPartitionsToTxnResponse>(this.txnCoordinator, AddPartitionsToTxnApi, () => ({
          transactions: [],
          v3AndBelowTransactionalId: this.opts.transactionalId,
          v3AndBelowProducerId: id.producerId,
          v3AndBelowProducerEpoch: id.producerEpoch,
          v3AndBelowTopics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
        }));
        let addedAny = false;
        for (const t of res.resultsByTopicV3AndBelow) {
          for (const p of t.resultsByPartition) {
            const key = `${t.name}\0${p.partitionIndex}`;
            if (p.partitionErrorCode === ErrorCode.NONE) {
              if (this.pendingAdd.delete(key)) this.added.add(key);
              addedAny = true;
              this.confirmedStarted = true;
              continue;
            }
            const err = responseError(p.partitionErrorCode, `AddPartitionsToTxn ${t.name}-${p.partitionIndex} for '${this.opts.transactionalId}'`);
            if (ADD_RETRIED.has(err.code) || COORDINATOR_MOVED.has(err.code)) {
              if (retry === null || retry.code === ErrorCode.OPERATION_NOT_ATTEMPTED) retry = err;
              continue;
            }
            throw err; // fatal or abortable: fail() decides
          }
        }
        if (addedAny) this.onChange();
        // A partition the response does not name is asked for again (after a backoff: something is off).
        const answered = new Set(res.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => `${t.name}\0${p.partitionIndex}`)));
        if (retry === null && batch.some(([key]) => !answered.has(key))) retry = new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'AddPartitionsToTxn response left partitions out');
        if (retry !== null && COORDINATOR_MOVED.has(retry.code)) this.rpc.invalidate(this.txnCoordinator);
      } catch (err) {
        if (!(err instanceof KafkaError) || !err.retriable) throw err;
        if (COORDINATOR_MOVED.has(err.code)) this.rpc.invalidate(this.txnCoordinator);
        retry = err;
      }
      if (retry === null) {
        attempt = 0;
        continue;
      }
      const wait = backoffMs(attempt++, this.opts.retryBackoffMs, this.opts.retryBackoffMaxMs);
      this.log.debug({ err: retry.message, wait }, 'AddPartitionsToTxn: retrying');
      await sleep(wait);
    }
  }

  // ------------------------------------------------------------------ offsets

  /** AddOffsetsToTxn, then TxnOffsetCommit at the group's coordinator: the offsets commit with the transaction. */
  sendOffsets(group: ConsumerGroupMetadata, offsets: readonly TxnOffset[]): Promise<void> {
    const err = this.sendError();
    if (err) return Promise.reject(err);
    const seq = this.sequence;
    const op = this.doSendOffsets(group, offsets).catch((e: unknown) => {
      if (seq === this.sequence) this.fail(e, 'sendOffsets');
      throw this.fatalError ?? (this.stateNow === 'abortable' ? this.abortableError : null) ?? e;
    });
    const tracked = op.catch(() => undefined);
    this.offsetOps.add(tracked);
    void tracked.then(() => this.offsetOps.delete(tracked));
    return op;
  }

  private async doSendOffsets(group: ConsumerGroupMetadata, offsets: readonly TxnOffset[]): Promise<void> {
    const deadline = Date.now() + this.opts.maxBlockMs;
    const id = this.identity;
    const stillWanted = (): KafkaError | null => this.fatalError ?? (this.stateNow === 'in-transaction' || this.stateNow === 'committing' ? null : this.drainError());
    if (!this.groupsAdded.has(group.groupId)) {
      this.maybeStarted = true;
      await this.retrying('AddOffsetsToTxn', this.txnCoordinator, deadline, stillWanted, async () => {
        const res = await this.rpc.request<AddOffsetsToTxnResponse>(this.txnCoordinator, AddOffsetsToTxnApi, () => ({
          transactionalId: this.opts.transactionalId,
          producerId: id.producerId,
          producerEpoch: id.producerEpoch,
          groupId: group.groupId,
        }));
        if (res.errorCode !== ErrorCode.NONE) throw responseError(res.errorCode, `AddOffsetsToTxn for group '${group.groupId}'`);
      });
      this.groupsAdded.add(group.groupId);
      this.confirmedStarted = true;
    }
    const groupCoordinator: Coordinator = { type: 'group', key: group.groupId };
    let remaining = [...offsets];
    await this.retrying('TxnOffsetCommit', groupCoordinator, deadline, stillWanted, async () => {
      const byTopic = new Map<string, TxnOffset[]>();
      for (const o of remaining) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), o]);
      const res = await this.rpc.request<TxnOffsetCommitResponse>(groupCoordinator, TxnOffsetCommitApi, () => ({
        transactionalId: this.opts.transactionalId,
        groupId: group.groupId,
        producerId: id.producerId,
        producerEpoch: id.producerEpoch,
        generationId: group.generationId,
        memberId: group.memberId,
        groupInstanceId: group.groupInstanceId,
        topics: [...byTopic].map(([name, list]) => ({
          name,
          partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata ?? null })),
        })),
      }));
      const failed: TxnOffset[] = [];
      let worst: KafkaError | null = null;
      const codes = new Map<string, number>();
      for (const t of res.topics) for (const p of t.partitions) codes.set(`${t.name}\0${p.partitionIndex}`, p.errorCode);
      for (const o of remaining) {
        const code = codes.get(`${o.topic}\0${o.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR;
        if (code === ErrorCode.NONE) continue;
        failed.push(o);
        const err = responseError(code, `TxnOffsetCommit ${o.topic}-${o.partition} for group '${group.groupId}'`);
        if (worst === null || (worst.retriable && !err.retriable)) worst = err;
      }
      remaining = failed;
      if (worst) throw worst;
    });
  }

  // ------------------------------------------------------------------ commit / abort

  /** Flushes (`flush`: every send of the transaction settled), then EndTxn(commit). */
  commit(flush: () => Promise<void>): Promise<void> {
    if (this.ending) return this.ending.commit ? this.ending.promise : Promise.reject(new TransactionStateError('the transaction is aborting'));
    if (this.fatalError) return Promise.reject(this.fatalError);
    if (this.stateNow === 'abortable') return Promise.reject(this.abortableError!);
    if (this.stateNow === 'aborting') return Promise.reject(new TransactionStateError('an abort of this transaction timed out: call abort() again'));
    if (this.stateNow !== 'in-transaction' && this.stateNow !== 'committing') return Promise.reject(new TransactionStateError('no transaction is open'));
    return this.end(true, flush);
  }

  /** Drops what is not sent (`drain`: queued batches fail, in-flight ones settle), then EndTxn(abort). */
  abort(drain: () => Promise<void>): Promise<void> {
    if (this.ending) return this.ending.commit ? Promise.reject(new TransactionStateError('the transaction is committing')) : this.ending.promise;
    if (this.fatalError) return Promise.reject(this.fatalError);
    if (this.stateNow === 'committing') return Promise.reject(new TransactionStateError('a commit of this transaction timed out: call commit() again (Kafka does not allow an abort after it)'));
    if (this.stateNow !== 'in-transaction' && this.stateNow !== 'abortable' && this.stateNow !== 'aborting') return Promise.reject(new TransactionStateError('no transaction is open'));
    return this.end(false, drain);
  }

  private end(commit: boolean, settle: () => Promise<void>): Promise<void> {
    const p = (commit ? this.runCommit(settle) : this.runAbort(settle)).finally(() => {
      this.ending = null;
    });
    this.ending = { commit, promise: p };
    return p;
  }

  private async runCommit(flush: () => Promise<void>): Promise<void> {
    if (this.stateNow === 'in-transaction') this.transition('committing');
    await flush();
    await this.quiesce();
    if (this.fatalError) throw this.fatalError;
    if (this.stateNow === 'abortable') throw this.abortableError!;
    if (this.maybeStarted && !this.endTxnDone) await this.endTxn(true);
    this.finishTransaction('committed');
  }

  private async runAbort(drain: () => Promise<void>): Promise<void> {
    if (this.stateNow !== 'aborting') this.transition('aborting');
    this.onChange(); // the sender fails what is queued
    await drain();
    await this.quiesce();
    if (this.fatalError) throw this.fatalError;
    const deadline = Date.now() + this.opts.maxBlockMs;
    if (this.maybeStarted && !this.endTxnDone) await this.endTxn(false);
    if (this.bumpEpoch) {
      // A batch's fate is unknown to us: new epoch, sequences from 0 (the coordinator keeps the id).
      const prev = this.identity;
      const id = await this.initProducerId(prev, deadline).catch((err: unknown) => {
        throw this.fatalIfFatal(err, 'InitProducerId (epoch bump after abort)');
      });
      this.log.info({ transactionalId: this.opts.transactionalId, previous: prev, producerId: id.producerId, producerEpoch: id.producerEpoch }, 'epoch bumped after the abort');
      this.setIdentity(id);
    }
    this.finishTransaction('aborted');
  }

  /** Waits until no AddPartitionsToTxn / offsets request of the transaction is running. */
  private async quiesce(): Promise<void> {
    while (this.adding || this.offsetOps.size > 0) {
      await this.adding;
      await Promise.allSettled([...this.offsetOps]);
    }
  }

  private async endTxn(committed: boolean): Promise<void> {
    const what = committed ? 'EndTxn(commit)' : 'EndTxn(abort)';
    const id = this.identity;
    try {
      await this.retrying(what, this.txnCoordinator, Date.now() + this.opts.maxBlockMs, () => this.fatalError, async () => {
        const res = await this.rpc.request<EndTxnResponse>(this.txnCoordinator, EndTxnApi, () => ({ transactionalId: this.opts.transactionalId, producerId: id.producerId, producerEpoch: id.producerEpoch, committed }));
        // Nothing reached the coordinator (a lost AddPartitionsToTxn that was never applied): nothing to end.
        if (res.errorCode === ErrorCode.INVALID_TXN_STATE && !this.confirmedStarted && !committed) return;
        if (res.errorCode !== ErrorCode.NONE) throw responseError(res.errorCode, `${what} for '${this.opts.transactionalId}'`);
      });
    } catch (err) {
      // Retriable ones only reach here as a timeout: the caller may call again. The rest is fatal.
      if (err instanceof KafkaError && err.retriable) throw err;
      throw this.toFatal(err, what);
    }
    this.endTxnDone = true;
  }

  private finishTransaction(outcome: 'committed' | 'aborted'): void {
    this.added.clear();
    this.pendingAdd.clear();
    this.groupsAdded.clear();
    this.maybeStarted = false;
    this.confirmedStarted = false;
    this.bumpEpoch = false;
    this.endTxnDone = false;
    this.abortableError = null;
    this.abortedError = null;
    this.transition('ready');
    this.log.debug({ transactionalId: this.opts.transactionalId, transaction: this.sequence, outcome }, 'transaction ended');
    this.onChange();
  }

  // ------------------------------------------------------------------ failures

  /** A batch failed for good (`sequenced`: it had a sequence, so the broker's next one is unknown). */
  onBatchFailed(err: Error, sequenced: boolean): void {
    if (sequenced) this.bumpEpoch = true;
    this.fail(err, 'produce');
  }

  /** A send of transaction `seq` rejected (also before any batch: metadata, serialization, size). */
  onSendFailed(err: unknown, seq: number): void {
    if (seq !== this.sequence || err === this.abortedError || err === this.abortableError || err === this.fatalError) return;
    this.fail(err, 'send');
  }

  /** Fatal codes make the producer fatal; anything else inside a transaction makes it abortable. */
  private fail(err: unknown, what: string): void {
    if (this.fatalError) return;
    if (err instanceof KafkaError && (FENCED.has(err.code) || ALWAYS_FATAL.has(err.code))) {
      this.toFatal(err, what);
      return;
    }
    if (this.stateNow !== 'in-transaction' && this.stateNow !== 'committing') return; // aborting: expected; abortable: already
    const message = err instanceof Error ? err.message : String(err);
    this.abortableError = new TransactionAbortableError(`transaction of '${this.opts.transactionalId}' must be aborted: ${what} failed: ${message}`, err);
    this.log.warn({ transactionalId: this.opts.transactionalId, err: message }, 'transaction is abortable');
    this.transition('abortable');
    this.onChange();
  }

  /** The fatal error for `err` if it is fatal (and the state becomes fatal), else `err` itself. */
  private fatalIfFatal(err: unknown, what: string): unknown {
    if (err instanceof KafkaError && !err.retriable) return this.toFatal(err, what);
    return err;
  }

  private toFatal(err: unknown, what: string): ProducerFatalError {
    if (this.fatalError) return this.fatalError;
    const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
    const message = err instanceof Error ? err.message : String(err);
    const id = this.opts.transactionalId;
    this.fatalError = FENCED.has(code)
      ? new ProducerFencedError(code, `producer of transactional id '${id}' is fenced (${what}: ${message}): another producer with this id started, or the coordinator aborted the transaction after transactionTimeoutMs ${this.opts.transactionTimeoutMs}; close this producer`, err)
      : new ProducerFatalError(code, `producer of transactional id '${id}' cannot go on (${what}: ${message}); close it`, err);
    this.log.error({ transactionalId: id, err: message }, 'transactional producer failed: every further call fails');
    this.transition('fatal');
    this.onChange();
    return this.fatalError;
  }

  // ------------------------------------------------------------------ requests

  private setIdentity(id: BatchIdentity): void {
    this.identity = id;
    this.onIdentity(id);
  }

  /** InitProducerId for the transactional id (`prev`: the current id and epoch for a bump, KIP-360). */
  private async initProducerId(prev: BatchIdentity, deadlineMs: number): Promise<BatchIdentity> {
    let out: BatchIdentity = NO_PRODUCER;
    await this.retrying('InitProducerId', this.txnCoordinator, deadlineMs, () => this.fatalError, async () => {
      const res = await this.rpc.request<InitProducerIdResponse>(this.txnCoordinator, InitProducerIdApi, (v) => ({
        transactionalId: this.opts.transactionalId,
        transactionTimeoutMs: this.opts.transactionTimeoutMs,
        producerId: v >= 3 ? prev.producerId : -1,
        producerEpoch: v >= 3 ? prev.producerEpoch : -1,
      }));
      if (res.errorCode !== ErrorCode.NONE) throw responseError(res.errorCode, `InitProducerId for transactional id '${this.opts.transactionalId}'`);
      out = { producerId: res.producerId, producerEpoch: res.producerEpoch };
    });
    this.log.debug({ transactionalId: this.opts.transactionalId, producerId: out.producerId, producerEpoch: out.producerEpoch }, 'transactional producer id');
    return out;
  }

  /**
   * Runs `attempt` until it succeeds. Retriable errors wait (backoff) and go again — after a new
   * coordinator lookup when the coordinator moved — until `deadlineMs` (then REQUEST_TIMED_OUT);
   * `stop` ends the loop early (the transaction is aborting, the producer fatal).
   */
  private async retrying(what: string, c: Coordinator, deadlineMs: number, stop: () => KafkaError | null, attempt: () => Promise<void>): Promise<void> {
    for (let n = 0; ; n++) {
      if (this.rpc.closed) throw new KafkaError(ErrorCode.NETWORK_EXCEPTION, `${what}: producer is closed`);
      const stopped = stop();
      if (stopped) throw stopped;
      try {
        await attempt();
        return;
      } catch (err) {
        if (!(err instanceof KafkaError) || !err.retriable) throw err;
        if (COORDINATOR_MOVED.has(err.code)) this.rpc.invalidate(c);
        const wait = backoffMs(n, this.opts.retryBackoffMs, this.opts.retryBackoffMaxMs);
        if (Date.now() + wait > deadlineMs) throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `${what} did not succeed within maxBlockMs ${this.opts.maxBlockMs} (last error: ${err.message}); call again to retry`);
        this.log.debug({ what, err: err.message, attempt: n, wait }, 'transaction request: retrying');
        await sleep(wait);
      }
    }
  }
}
