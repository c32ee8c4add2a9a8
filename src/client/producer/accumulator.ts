/**
 * Per-partition queues of batches. `append` adds a record to the partition's open batch; the
 * sender takes ready head batches and puts failed ones back in their place (by `seq`) for a retry.
 *
 * A batch is ready (no more lingering, and the sticky partitioner moves on) once it reaches
 * batchSize, but it keeps taking records until the sender takes it or it reaches batchMaxSize
 * (the idea of KIP-782). Under light load the sender takes a batch as soon as it is ready, so
 * batches stay at batchSize; when every in-flight slot is busy, the records that arrive meanwhile
 * join the waiting batch instead of queueing many batchSize batches, each of which would cost a
 * Produce request of its own (Kafka allows one batch per partition per request).
 */
import type { RecordHeaderInput } from '../../protocol/records/types.js';
import { PLAIN_MEMORY, ProducerBatch, type BatchMemory, type SendOp } from './batch.js';

export class PartitionQueue {
  readonly batches: ProducerBatch[] = [];
  nextSeq = 0;
  /** Batches of this partition currently in flight. */
  inFlight = 0;
  /** Size of the last batch sent: the next one starts with a buffer that large (fewer regrowths). */
  lastBatchBytes = 0;
  constructor(readonly topic: string, readonly partition: number) {}
}

export interface AppendResult {
  /** The batch the record went into just reached batchSize (ready to send). */
  batchFull: boolean;
  /** A batch was closed by this append (the previous one was full). */
  closedPrevious: boolean;
}

export class Accumulator {
  private readonly queues = new Map<string, PartitionQueue[]>();
  /** Queues holding at least one batch not in flight. */
  readonly nonEmpty = new Set<PartitionQueue>();
  /** Batches queued or in flight. */
  pendingBatches = 0;

  constructor(
    private readonly batchSizeBytes: number,
    private readonly batchMaxBytes: number,
    private readonly deliveryTimeoutMs: number,
    private readonly memory: BatchMemory = PLAIN_MEMORY,
  ) {}

  queue(topic: string, partition: number): PartitionQueue {
    let list = this.queues.get(topic);
    if (!list) this.queues.set(topic, (list = []));
    return (list[partition] ??= new PartitionQueue(topic, partition));
  }

  /** Adds one record (`sizeBytes`: its estimate, reserved in bufferMemory) to its partition's open batch. */
  append(
    topic: string,
    partition: number,
    key: Buffer | null,
    value: Buffer | null,
    headers: readonly RecordHeaderInput[] | undefined,
    timestamp: number,
    sizeBytes: number,
    op: SendOp,
    index: number,
    nowMs: number,
  ): AppendResult {
    const q = this.queue(topic, partition);
    let last = q.batches[q.batches.length - 1];
    let closedPrevious = false;
    let batchFull = false;
    if (last && !last.closed && last.count > 0) {
      const after = last.sizeBytes + sizeBytes;
      if (after > this.batchMaxBytes) {
        closedPrevious = !last.ready; // a ready batch already told the partitioner
        last.ready = true;
        last.closed = true;
      } else if (!last.ready && after > this.batchSizeBytes) {
        last.ready = true; // as full as Kafka's batch.size allows: this record joins it anyway
        batchFull = true;
      }
    }
    if (!last || last.closed) {
      const capacity = Math.max(this.batchSizeBytes, Math.min(q.lastBatchBytes, this.batchMaxBytes));
      last = new ProducerBatch(topic, partition, q.nextSeq++, nowMs, nowMs + this.deliveryTimeoutMs, this.memory, capacity);
      q.batches.push(last);
      this.pendingBatches++;
    }
    last.add(key, value, headers, timestamp, sizeBytes, op, index);
    this.nonEmpty.add(q);
    if (!last.ready && last.sizeBytes >= this.batchSizeBytes) {
      last.ready = true;
      batchFull = true;
    }
    if (last.sizeBytes >= this.batchMaxBytes) last.closed = true;
    return { batchFull, closedPrevious };
  }

  /** Removes and returns the head batch of `q` (to send it). */
  takeHead(q: PartitionQueue): ProducerBatch {
    const b = q.batches.shift()!;
    b.ready = true;
    b.closed = true;
    if (q.batches.length === 0) this.nonEmpty.delete(q);
    q.inFlight++;
    q.lastBatchBytes = b.sizeBytes;
    return b;
  }

  /** Puts a batch back for a retry, before every batch that came after it. */
  requeue(b: ProducerBatch): void {
    const q = this.queue(b.topic, b.partition);
    q.inFlight--;
    let i = 0;
    while (i < q.batches.length && q.batches[i]!.seq < b.seq) i++;
    q.batches.splice(i, 0, b);
    this.nonEmpty.add(q);
  }

  /**
   * Replaces a sent batch the broker refused as too large by its two halves, queued where it
   * was (they are new batches: the count of pending batches grows by one).
   */
  requeueSplit(b: ProducerBatch): [ProducerBatch, ProducerBatch] {
    const halves = b.split();
    const q = this.queue(b.topic, b.partition);
    q.inFlight--;
    let i = 0;
    while (i < q.batches.length && q.batches[i]!.seq < b.seq) i++;
    q.batches.splice(i, 0, ...halves);
    this.nonEmpty.add(q);
    this.pendingBatches++;
    return halves;
  }

  /** A sent batch is finished (acknowledged or failed for good). */
  finishInFlight(b: ProducerBatch): void {
    this.queue(b.topic, b.partition).inFlight--;
    this.pendingBatches--;
  }

  /** A queued (never sent, or waiting to retry) head batch is finished (expired / failed). */
  dropHead(q: PartitionQueue): ProducerBatch {
    const b = q.batches.shift()!;
    if (q.batches.length === 0) this.nonEmpty.delete(q);
    this.pendingBatches--;
    return b;
  }

  /** Every queued batch (not in flight), for close-with-failure. */
  *queued(): Generator<ProducerBatch> {
    for (const q of this.nonEmpty) yield* q.batches;
  }

  clearQueued(): void {
    for (const q of this.nonEmpty) {
      this.pendingBatches -= q.batches.length;
      q.batches.length = 0;
    }
    this.nonEmpty.clear();
  }
}
