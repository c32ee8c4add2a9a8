/**
 * The producer: `send` partitions and serializes records, waits for buffer space (backpressure),
 * appends them to per-partition batches, and resolves with each record's partition and offset
 * once the broker acknowledges it. With a `transactionalId`, records go out in transactions
 * (`transaction()`; the state machine is transaction-manager.ts). See docs/client.md.
 */
import type { Logger } from 'pino';
import type { RecordHeaderInput } from '../../protocol/records/types.js';
import { FramePool } from '../../network/frame-pool.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { Cluster } from '../cluster/cluster.js';
import { ClientConfigError } from '../errors.js';
import { bufferSerializer, type Serializer } from '../serializers.js';
import { Accumulator } from './accumulator.js';
import { SendOp, type BatchMemory, type RecordMetadata } from './batch.js';
import { BufferPool } from './buffer-pool.js';
import { resolveProducerOptions, type ProducerOptions, type ResolvedProducerOptions } from './options.js';
import { createPartitioner, type Partitioner } from './partitioners.js';
import { estimateRecordBytes } from './record-size.js';
import { RecordSlice } from './record-slice.js';
import { Sender } from './sender.js';
import { Transaction } from './transaction.js';
import { clusterCoordinatorRpc, TransactionManager } from './transaction-manager.js';

export type HeaderValue = Buffer | string | null;

export interface ProducerMessage<K, V> {
  key?: K;
  value: V;
  /** A list keeps order and allows repeated names; an object is the shorthand. */
  headers?: ReadonlyArray<{ key: string; value: HeaderValue }> | Readonly<Record<string, HeaderValue>>;
  /** Send to this partition instead of asking the partitioner. */
  partition?: number;
  /** CreateTime in ms since the epoch. Default: when `send` was called. */
  timestamp?: number;
}

export interface ProducerRecord<K, V> {
  topic: string;
  messages: ReadonlyArray<ProducerMessage<K, V>>;
}

export type { RecordMetadata } from './batch.js';

export class Producer<K = Buffer | null, V = Buffer | null> {
  readonly cluster: Cluster;
  private readonly opts: ResolvedProducerOptions;
  private readonly pool: BufferPool;
  /**
   * Batch buffers are reused: fresh 256 KiB buffers that live until their acknowledgement get
   * promoted and drive V8 into frequent mark-compacts (see network/frame-pool.ts). A batch gives
   * its buffer back only when the broker acknowledged it on the first attempt (batch.ts).
   */
  private readonly batchPool = new FramePool({ maxRetainedBytes: 8 * 1024 * 1024 });
  private readonly acc: Accumulator;
  private readonly sender: Sender;
  private readonly partitioner: Partitioner;
  private readonly keySerializer: Serializer<K>;
  private readonly valueSerializer: Serializer<V>;
  private readonly log: Logger;
  private readonly pendingOps = new Set<Promise<RecordMetadata[]>>();
  private closing: Promise<void> | null = null;
  /** The last append that had to wait; later sends queue behind it. */
  private appendTail: Promise<void> | null = null;
  /** Set with a transactionalId. */
  private readonly txn: TransactionManager | null;

  constructor(options: ProducerOptions<K, V>) {
    this.opts = resolveProducerOptions(options as ProducerOptions<unknown, unknown>);
    this.cluster = new Cluster(options, 'producer');
    this.log = this.cluster.logger;
    this.pool = new BufferPool(this.opts.bufferMemory);
    const memory: BatchMemory = { alloc: (n) => this.batchPool.alloc(n), release: (b) => this.batchPool.release(b) };
    this.acc = new Accumulator(this.opts.batchSize, this.opts.batchMaxSize, this.opts.deliveryTimeoutMs, memory);
    this.partitioner = createPartitioner(options.partitioner);
    this.keySerializer = options.keySerializer ?? (bufferSerializer as Serializer<K>);
    this.valueSerializer = options.valueSerializer ?? (bufferSerializer as Serializer<V>);
    this.txn =
      this.opts.transactionalId === null
        ? null
        : new TransactionManager(
            {
              transactionalId: this.opts.transactionalId,
              transactionTimeoutMs: this.opts.transactionTimeoutMs,
              maxBlockMs: this.opts.maxBlockMs,
              retryBackoffMs: this.cluster.options.retryBackoffMs,
              retryBackoffMaxMs: this.cluster.options.retryBackoffMaxMs,
            },
            clusterCoordinatorRpc(this.cluster),
            this.log.child({ transactionalId: this.opts.transactionalId }),
            (identity) => this.sender.idempotence.setIdentity(identity),
            () => this.sender.wake(),
          );
    this.sender = new Sender(this.cluster, this.acc, this.pool, this.opts, this.partitioner, this.log, this.txn);
  }

  /** Reads cluster metadata. Optional: `send` connects on first use. */
  async connect(): Promise<void> {
    await this.cluster.connect();
  }

  /**
   * Gets the transactional producer id (InitProducerId at the transaction coordinator): a producer
   * that used the same transactionalId before is fenced, and a transaction it left open is aborted.
   * Optional: the first `transaction()` does it.
   */
  async initTransactions(): Promise<void> {
    const txn = this.requireTransactional('initTransactions');
    if (this.closing) throw new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'producer is closed');
    await txn.initialize();
  }

  /**
   * Opens a transaction (one at a time): its sends, and the offsets given to `sendOffsets`,
   * become visible to read_committed consumers together on `commit()`, or never (`abort()`).
   */
  async transaction(): Promise<Transaction<ProducerRecord<K, V>>> {
    const txn = this.requireTransactional('transaction');
    if (this.closing) throw new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'producer is closed');
    await txn.initialize();
    const seq = txn.begin();
    return new Transaction<ProducerRecord<K, V>>(
      {
        send: (record) => this.send(record),
        flush: () => this.flush(),
        dropUnsent: () => this.dropUnsent(),
      },
      txn,
      seq,
    );
  }

  private requireTransactional(what: string): TransactionManager {
    if (!this.txn) throw new ClientConfigError(`${what}() needs the transactionalId option`);
    return this.txn;
  }

  /** Bytes of bufferMemory taken by records not yet acknowledged. */
  get bufferedBytes(): number {
    return this.pool.used;
  }

  /**
   * Sends records to one topic. Resolves, in message order, with each record's partition, offset
   * and timestamp once all are acknowledged; rejects with a KafkaError if any fails.
   * Waits (up to maxBlockMs) for topic metadata and for bufferMemory space.
   */
  async send(record: ProducerRecord<K, V>): Promise<RecordMetadata[]> {
    if (this.closing) throw new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'producer is closed');
    // A transactional producer sends inside its open transaction only.
    const txnError = this.txn?.sendError() ?? null;
    if (txnError) throw txnError;
    const { topic, messages } = record;
    const op = new SendOp(messages.length, topic);
    if (messages.length === 0) return op.promise;
    const tracked = op.promise;
    this.pendingOps.add(tracked);
    const untrack = (): void => void this.pendingOps.delete(tracked);
    tracked.then(untrack, untrack);
    if (this.txn) {
      // Any failed send makes the transaction abortable (also one that failed before a batch).
      const txn = this.txn;
      const seq = txn.transactionSequence;
      tracked.catch((err: unknown) => txn.onSendFailed(err, seq));
    }
    // Appends run synchronously unless they must wait (metadata, bufferMemory); a waiting append
    // holds back later sends so records keep the order of send() calls.
    const state = { finished: false };
    const run = (): Promise<void> => this.appendRecords(topic, messages, op, state).catch((err: unknown) => op.fail(err as Error));
    const p = this.appendTail ? this.appendTail.then(run) : run();
    if (this.appendTail || !state.finished) {
      this.appendTail = p;
      void p.then(() => {
        if (this.appendTail === p) this.appendTail = null;
      });
    }
    await p;
    return op.promise;
  }

  /** Runs synchronously to the end unless it has to wait (no `await` on the fast path). */
  private async appendRecords(topic: string, messages: ReadonlyArray<ProducerMessage<K, V>>, op: SendOp, state: { finished: boolean }): Promise<void> {
    let info = this.cluster.metadata.topic(topic);
    if (!info || info.partitions.length === 0) {
      await this.cluster.connect();
      info = await this.cluster.waitForTopic(topic, { timeoutMs: this.opts.maxBlockMs, allowAutoTopicCreation: this.opts.allowAutoTopicCreation });
      this.throwIfTransactionStopped();
    }
    const partitionCount = info.partitions.length;
    let available: number[] | null = null;
    const now = Date.now();
    // Each record takes its bufferMemory and goes into its batch at once while memory is free. Once
    // it is not, the rest are prepared in slices of about batchSize bytes, memory reserved per
    // slice, so a producer blocked on bufferMemory waits once per slice rather than once per record.
    const slice = new RecordSlice();
    for (let i = 0; i < messages.length; i++) {
      if (op.isSettled) return;
      const m = messages[i]!;
      const key = m.key === undefined ? null : this.keySerializer.serialize(m.key, topic);
      const value = this.valueSerializer.serialize(m.value, topic);
      const headers = m.headers === undefined ? undefined : toHeaderList(m.headers);
      let partition = m.partition;
      if (partition === undefined) {
        available ??= info.partitions.filter((p) => p.leader >= 0).map((p) => p.partition);
        partition = this.partitioner.partition({ topic, key, value, partitionCount, availablePartitions: available });
        // The sticky partitioner moves on when a batch closes: place the slice so far first.
        if (key === null && slice.length > 0 && slice.lastPartition() !== partition) {
          const wait = this.appendSlice(topic, slice, op);
          if (wait) await wait;
          slice.clear();
          if (op.isSettled) return;
          partition = this.partitioner.partition({ topic, key, value, partitionCount, availablePartitions: available });
        }
      }
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
        throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${partition} of '${topic}' does not exist (it has ${partitionCount})`);
      }
      const size = estimateRecordBytes(key, value, headers);
      if (size > this.opts.maxRequestSize) {
        throw new KafkaError(ErrorCode.MESSAGE_TOO_LARGE, `record ${i} is about ${size} bytes, more than maxRequestSize ${this.opts.maxRequestSize}`);
      }
      if (slice.length > 0 && slice.bytes + size > this.opts.batchSize) {
        const wait = this.appendSlice(topic, slice, op);
        if (wait) await wait;
        slice.clear();
        if (op.isSettled) return;
      }
      const timestamp = m.timestamp ?? now;
      if (!Number.isSafeInteger(timestamp)) throw new KafkaError(ErrorCode.INVALID_TIMESTAMP, `record ${i}: timestamp ${String(timestamp)} is not an integer (ms since the epoch)`);
      // Fast path: memory is free and nothing is queued before this record — straight into its batch.
      if (slice.length === 0 && this.pool.tryReserve(size)) {
        const res = this.acc.append(topic, partition, key, value, headers, timestamp, size, op, i, now);
        if (res.closedPrevious || res.batchFull) this.partitioner.onBatchClosed?.(topic, partition);
        this.txn?.notePartition(topic, partition);
        continue;
      }
      slice.push(i, partition, size, key, value, headers, timestamp);
    }
    if (slice.length > 0) {
      const wait = this.appendSlice(topic, slice, op);
      if (wait) await wait;
    }
    this.sender.wake();
    state.finished = true;
  }

  /** Reserves memory for the slice and appends it: synchronously (null) when memory is free. */
  private appendSlice(topic: string, slice: RecordSlice, op: SendOp): Promise<void> | null {
    const bytes = slice.bytes;
    if (this.pool.tryReserve(bytes)) {
      this.placeSlice(topic, slice, op);
      return null;
    }
    this.sender.wake(); // let queued batches go while we wait for room
    const records = slice.copy();
    return this.pool.reserve(bytes, this.opts.maxBlockMs).then(() => {
      const stopped = this.txn?.drainError() ?? null;
      if ((this.closing && this.sender.flushing === 0) || op.isSettled || stopped) {
        this.pool.release(bytes);
        if (!op.isSettled) throw stopped ?? new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'producer is closed');
        return;
      }
      this.placeSlice(topic, records, op);
    });
  }

  private placeSlice(topic: string, slice: RecordSlice, op: SendOp): void {
    const now = Date.now();
    for (let i = 0; i < slice.length; i++) {
      const partition = slice.partitions[i]!;
      const res = this.acc.append(topic, partition, slice.keys[i]!, slice.values[i]!, slice.headers[i], slice.timestamps[i]!, slice.sizes[i]!, op, slice.indexes[i]!, now);
      if (res.closedPrevious || res.batchFull) this.partitioner.onBatchClosed?.(topic, partition);
      this.txn?.notePartition(topic, partition);
    }
    this.sender.wake();
  }

  /** An append that waited (metadata) must not land in a transaction that is aborting or failed meanwhile. */
  private throwIfTransactionStopped(): void {
    const stopped = this.txn?.drainError() ?? null;
    if (stopped) throw stopped;
  }

  /** Abort: the sender fails every queued batch (the manager is aborting); waits until every send settled. */
  private async dropUnsent(): Promise<void> {
    this.sender.wake();
    while (this.pendingOps.size > 0) await Promise.allSettled([...this.pendingOps]);
  }

  /** Sends every buffered record now and resolves when all sent so far are settled. */
  async flush(): Promise<void> {
    this.sender.flushing++;
    try {
      this.sender.wake();
      while (this.pendingOps.size > 0) await Promise.allSettled([...this.pendingOps]);
    } finally {
      this.sender.flushing--;
    }
  }

  /**
   * Flushes (unless `timeoutMs` passes first — remaining records then fail) and closes the
   * connections. Further `send` calls fail.
   */
  close(opts: { timeoutMs?: number } = {}): Promise<void> {
    this.closing ??= (async () => {
      const timeoutMs = opts.timeoutMs ?? this.opts.deliveryTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const flushed = await Promise.race([
        this.flush().then(() => true),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs))),
      ]);
      clearTimeout(timer);
      const err = new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'producer closed before these records were sent');
      if (!flushed) this.sender.failQueued(err);
      this.pool.rejectAll(err);
      this.sender.stop();
      this.batchPool.close();
      this.cluster.close();
    })();
    return this.closing;
  }
}

function toHeaderList(h: NonNullable<ProducerMessage<unknown, unknown>['headers']>): RecordHeaderInput[] {
  if (Array.isArray(h)) return h as RecordHeaderInput[];
  const out: RecordHeaderInput[] = [];
  const map = h as Readonly<Record<string, HeaderValue>>;
  for (const k of Object.keys(map)) {
    const v = map[k];
    if (v !== undefined) out.push({ key: k, value: v });
  }
  return out;
}
