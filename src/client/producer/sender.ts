/**
 * Moves ready batches from the accumulator to partition leaders: one Produce request per broker
 * holding at most one batch per partition, at most maxInFlight requests per broker, requests
 * written in the order they were formed. Handles responses: acknowledged batches resolve their
 * records; retriable failures (stale leader, network, timeouts) go back into their partition
 * queue in send order after a backoff, with a metadata refresh when the leader may have moved;
 * everything else fails the batch's records.
 *
 * Ordering: batches of a partition are sent in order and a retried batch goes back before every
 * later batch still queued.
 * - Idempotent (the default; idempotence.ts): each batch carries the producer id, epoch and a base
 *   sequence given at its first drain, kept on every retry, and the broker writes a partition's
 *   batches only in sequence order and each once (a duplicate of one of its last 5 is answered NONE
 *   with the original offset). The sender drains a retried batch only when it is the earliest
 *   unresolved one of its partition and nothing new of that partition while a retry waits, so
 *   later batches that the broker refused meanwhile (OUT_OF_ORDER_SEQUENCE_NUMBER) follow it in
 *   sequence order: records land exactly once, in order, with up to 5 requests in flight.
 * - Not idempotent (idempotent: false, acks 0/1, or a cluster without InitProducerId): as in
 *   Kafka, with maxInFlight > 1 a later batch already in flight can land before an earlier one
 *   that is retried, and a retried batch may be written twice; maxInFlightRequestsPerConnection 1
 *   keeps the order.
 * - Transactional (`txn`, transaction-manager.ts): requests carry the transactional id and batches
 *   the transactional attribute; a batch goes out only once its partition is in the transaction
 *   (AddPartitionsToTxn); while the transaction is abortable, aborting or the producer fatal,
 *   queued batches fail at once (Java's abortUndrainedBatches); every batch failure is reported.
 */
import type { Logger } from 'pino';
import { ProduceApi } from '../../protocol/messages/index.js';
import type { ProduceRequest, ProduceResponse } from '../../protocol/messages/produce.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { backoffMs } from '../backoff.js';
import type { Cluster } from '../cluster/cluster.js';
import { responseError, timeoutError } from '../errors.js';
import type { Accumulator, PartitionQueue } from './accumulator.js';
import { NO_PRODUCER, type ProducerBatch } from './batch.js';
import type { BufferPool } from './buffer-pool.js';
import { IdempotenceState } from './idempotence.js';
import type { ResolvedProducerOptions } from './options.js';
import type { Partitioner } from './partitioners.js';

/** Errors after which the partition's leader may have moved: refresh metadata before retrying. */
const STALE_METADATA = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.KAFKA_STORAGE_ERROR,
]);

/** What the sender asks of a transactional producer's TransactionManager. */
export interface TransactionGate {
  readonly transactionalId: string;
  /** Fail every queued batch with this (abortable, aborting, fatal), or null. */
  drainError(): KafkaError | null;
  /** May a batch of this partition go out? False: it is being added to the transaction (the sender is woken after). */
  mayDrain(topic: string, partition: number): boolean;
  /** A batch failed for good (`sequenced`: it had been given a sequence). */
  onBatchFailed(err: Error, sequenced: boolean): void;
}

interface ResponseSlot {
  batches: ProducerBatch[];
  settled: boolean;
  res: ProduceResponse | null;
  err: Error | null;
}

export class Sender {
  private drainScheduled = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAtMs = Number.POSITIVE_INFINITY;
  private readonly inFlightByNode = new Map<number, number>();
  /** Per broker, the promise of the last request written: requests go out in the order formed. */
  private readonly writeChain = new Map<number, Promise<void>>();
  /** Per broker, requests awaiting their response, in the order formed. */
  private readonly responseOrder = new Map<number, ResponseSlot[]>();
  /** While > 0 every batch is ready regardless of lingerMs (flush / close). */
  flushing = 0;
  /** Producer id, epoch and per-partition sequences (a no-op when idempotence is off). */
  readonly idempotence: IdempotenceState;

  constructor(
    private readonly cluster: Cluster,
    private readonly acc: Accumulator,
    private readonly pool: BufferPool,
    private readonly opts: ResolvedProducerOptions,
    private readonly partitioner: Partitioner,
    private readonly log: Logger,
    private readonly txn: TransactionGate | null = null,
  ) {
    this.idempotence = new IdempotenceState(cluster, opts.idempotence, log, () => this.wake(), txn !== null);
  }

  /** Runs a drain pass soon (coalesced within the current tick). */
  wake(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  /** Stop timers (producer closed). */
  stop(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
    this.wakeAtMs = Number.POSITIVE_INFINITY;
  }

  private wakeAt(atMs: number): void {
    if (atMs >= this.wakeAtMs) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAtMs = atMs;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.wakeAtMs = Number.POSITIVE_INFINITY;
      this.drain();
    }, Math.max(0, atMs - Date.now()));
  }

  /** When the head batch of `q` may be sent (Infinity: never by time alone; <= now: ready). */
  private readyAt(q: PartitionQueue): number {
    const head = q.batches[0]!;
    const lingerDone = head.ready || q.batches.length > 1 || this.flushing > 0 ? head.retryAtMs : Math.max(head.retryAtMs, head.createdMs + this.opts.lingerMs);
    return lingerDone;
  }

  private drain(): void {
    const stop = this.txn?.drainError() ?? this.idempotence.fatal ?? null;
    if (stop) {
      this.failQueued(stop);
      return;
    }
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    const byNode = new Map<number, PartitionQueue[]>();
    for (const q of [...this.acc.nonEmpty]) {
      this.expire(q, now);
      if (q.batches.length === 0) continue;
      const head = q.batches[0]!;
      next = Math.min(next, head.deadlineMs);
      const at = this.readyAt(q);
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      const leader = this.cluster.metadata.leaderOf(q.topic, q.partition);
      if (leader < 0 || !this.cluster.metadata.broker(leader)) {
        this.cluster.requestMetadataRefresh(`no leader for ${q.topic}-${q.partition}`);
        next = Math.min(next, now + this.cluster.options.retryBackoffMs);
        continue;
      }
      let list = byNode.get(leader);
      if (!list) byNode.set(leader, (list = []));
      list.push(q);
    }
    for (const [node, queues] of byNode) this.drainNode(node, queues, now);
    if (next !== Number.POSITIVE_INFINITY) this.wakeAt(next);
  }

  private drainNode(node: number, queues: PartitionQueue[], now: number): void {
    while ((this.inFlightByNode.get(node) ?? 0) < this.opts.maxInFlight) {
      const batches: ProducerBatch[] = [];
      let size = 0;
      for (const q of queues) {
        if (q.batches.length === 0 || this.readyAt(q) > now) continue;
        const head = q.batches[0]!;
        if (batches.length > 0 && size + head.sizeBytes > this.opts.maxRequestSize) continue;
        if (this.txn && !this.txn.mayDrain(q.topic, q.partition)) continue;
        if (!this.idempotence.mayDrain(head)) continue;
        const wasOpen = !head.ready;
        batches.push(this.acc.takeHead(q));
        this.idempotence.onDrained(head);
        size += head.sizeBytes;
        if (wasOpen) this.partitioner.onBatchClosed?.(q.topic, q.partition);
      }
      if (batches.length === 0) return;
      this.send(node, batches);
    }
  }

  /** Fails head batches past their delivery deadline (they are not in flight). */
  private expire(q: PartitionQueue, now: number): void {
    while (q.batches.length > 0 && q.batches[0]!.deadlineMs <= now) {
      const b = this.acc.dropHead(q);
      this.finish(b, timeoutError(`${b.count} record(s) for ${b.topic}-${b.partition} expired: not acknowledged within deliveryTimeoutMs ${this.opts.deliveryTimeoutMs}`), false);
    }
  }

  /** Seals with the batch's own producer id, epoch and sequence (-1s without idempotence). */
  private build(b: ProducerBatch): Buffer | Promise<Buffer> {
    return b.seal(this.opts.compression, b.sequence ?? NO_PRODUCER, this.txn !== null);
  }

  private send(node: number, batches: ProducerBatch[]): void {
    this.inFlightByNode.set(node, (this.inFlightByNode.get(node) ?? 0) + 1);
    for (const b of batches) b.attempts++;
    const built = batches.map((b) => this.build(b));
    const link = this.cluster.link(node);
    const prev = this.writeChain.get(node);
    const allSync = built.every((x) => Buffer.isBuffer(x));
    let written: Promise<ProduceResponse | null>;
    if (allSync && !prev) {
      written = this.write(link, batches, built as Buffer[]);
    } else {
      const ready = (prev ?? Promise.resolve()).then(() => Promise.all(built));
      written = ready.then((bufs) => this.write(link, batches, bufs));
      const chained = ready.then(
        () => undefined,
        () => undefined,
      );
      this.writeChain.set(node, chained);
      void chained.then(() => {
        if (this.writeChain.get(node) === chained) this.writeChain.delete(node);
      });
    }
    const slot: ResponseSlot = { batches, settled: false, res: null, err: null };
    let order = this.responseOrder.get(node);
    if (!order) this.responseOrder.set(node, (order = []));
    order.push(slot);
    written.then(
      (res) => this.settle(node, slot, res, null),
      (err: unknown) => this.settle(node, slot, null, err instanceof Error ? err : new Error(String(err))),
    );
  }

  /**
   * Responses are handled in the order their requests were formed, per broker: promise chains of
   * different lengths (async sealing, a reconnect) could otherwise let a later request's answer
   * be handled first, and idempotence must see an earlier batch's failure before a later batch's
   * OUT_OF_ORDER_SEQUENCE_NUMBER. Every request settles (response, connection loss or timeout).
   */
  private settle(node: number, slot: ResponseSlot, res: ProduceResponse | null, err: Error | null): void {
    slot.settled = true;
    slot.res = res;
    slot.err = err;
    const order = this.responseOrder.get(node)!;
    while (order.length > 0 && order[0]!.settled) {
      const s = order.shift()!;
      this.onResponse(node, s.batches, s.res, s.err);
    }
  }

  private write(link: ReturnType<Cluster['link']>, batches: ProducerBatch[], bufs: Buffer[]): Promise<ProduceResponse | null> {
    const topics = new Map<string, Array<{ index: number; records: Buffer }>>();
    batches.forEach((b, i) => {
      let parts = topics.get(b.topic);
      if (!parts) topics.set(b.topic, (parts = []));
      parts.push({ index: b.partition, records: bufs[i]! });
    });
    const body: ProduceRequest = {
      transactionalId: this.txn?.transactionalId ?? null,
      acks: this.opts.acks,
      timeoutMs: this.opts.requestTimeoutMs,
      topicData: [...topics].map(([name, partitionData]) => ({ name, partitionData })),
    };
    if (this.opts.acks === 0) return link.sendNoResponse(ProduceApi, body).then(() => null);
    return link.request<ProduceResponse>(ProduceApi, body, { timeoutMs: this.opts.requestTimeoutMs + 5_000 });
  }

  private onResponse(node: number, batches: ProducerBatch[], res: ProduceResponse | null, err: Error | null): void {
    this.inFlightByNode.set(node, (this.inFlightByNode.get(node) ?? 1) - 1);
    if (err) {
      this.log.debug({ node, err: err.message, batches: batches.length }, 'produce request failed');
      for (const b of batches) this.retryOrFail(b, err);
    } else if (res === null) {
      for (const b of batches) this.complete(b, -1, -1);
    } else {
      const byKey = new Map<string, ProduceResponse['responses'][number]['partitionResponses'][number]>();
      for (const t of res.responses) for (const p of t.partitionResponses) byKey.set(`${t.name}\0${p.index}`, p);
      for (const b of batches) {
        const p = byKey.get(`${b.topic}\0${b.partition}`);
        if (!p) this.retryOrFail(b, new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `Produce response has no entry for ${b.topic}-${b.partition}`));
        else if (p.errorCode === ErrorCode.NONE) this.complete(b, p.baseOffset, p.logAppendTimeMs);
        // Brokers before 2.x answer a duplicate of an idempotent batch this way: it is written.
        else if (p.errorCode === ErrorCode.DUPLICATE_SEQUENCE_NUMBER && b.sequence !== null) this.complete(b, p.baseOffset, p.logAppendTimeMs);
        else this.onBatchError(b, responseError(p.errorCode, `produce to ${b.topic}-${b.partition}`, p.errorMessage ?? p.recordErrors[0]?.batchIndexErrorMessage));
      }
    }
    this.drain();
  }

  private complete(b: ProducerBatch, baseOffset: number, logAppendTimeMs: number): void {
    this.acc.finishInFlight(b);
    this.idempotence.onAcked(b);
    this.pool.release(b.memoryBytes);
    // With acks=0 nothing proves the socket has finished with the bytes: leave them to the GC.
    if (this.opts.acks !== 0) b.recycle();
    b.complete(baseOffset, logAppendTimeMs);
  }

  /** Fails a batch for good (`wasInRequest`: it came back from a request, else it was queued). */
  private finish(b: ProducerBatch, err: Error, wasInRequest: boolean): void {
    this.idempotence.onFailed(b, wasInRequest);
    this.pool.release(b.memoryBytes);
    this.txn?.onBatchFailed(err, b.sequence !== null);
    b.fail(err);
  }

  /** A partition's error in a Produce response: idempotence decides its own codes first. */
  private onBatchError(b: ProducerBatch, err: KafkaError): void {
    const verdict = this.idempotence.verdict(b, err);
    if (verdict === 'fail') {
      this.acc.finishInFlight(b);
      this.finish(b, err, true);
    } else {
      this.retryOrFail(b, err, verdict === 'retry');
    }
  }

  private retryOrFail(b: ProducerBatch, err: Error, forceRetriable = false): void {
    if (err instanceof KafkaError && err.code === ErrorCode.MESSAGE_TOO_LARGE && b.count > 1 && !this.cluster.isClosed) {
      // The topic's max.message.bytes is below our batch: send the records in halves (not a retry).
      const halves = this.acc.requeueSplit(b);
      this.idempotence.onSplit(b, halves);
      const [a, c] = halves;
      this.log.debug({ topic: b.topic, partition: b.partition, records: b.count, halves: [a.count, c.count] }, 'batch too large: split');
      return;
    }
    const now = Date.now();
    const retriable = forceRetriable || (err instanceof KafkaError && err.retriable);
    const wait = backoffMs(b.attempts - 1, this.cluster.options.retryBackoffMs, this.cluster.options.retryBackoffMaxMs);
    if (err instanceof KafkaError && STALE_METADATA.has(err.code)) this.cluster.requestMetadataRefresh(`${ErrorCode[err.code]} from ${b.topic}-${b.partition}`);
    if (retriable && b.attempts <= this.opts.retries && now + wait < b.deadlineMs && !this.cluster.isClosed) {
      this.log.debug({ topic: b.topic, partition: b.partition, attempt: b.attempts, wait, err: err.message }, 'retrying batch');
      b.retryAtMs = now + wait;
      this.idempotence.onRequeued(b);
      this.acc.requeue(b);
      return;
    }
    this.acc.finishInFlight(b);
    this.finish(b, err, true);
  }

  /** Fails every queued batch (close without flush, or a fatal idempotence error). */
  failQueued(err: Error): void {
    for (const b of [...this.acc.queued()]) this.finish(b, err, false);
    this.acc.clearQueued();
  }
}
