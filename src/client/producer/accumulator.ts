/**
 * Per-partition queues of batches. `append` adds a record to the partition's open batch (or a new
 * one when it would pass batchSize); the sender takes ready head batches and puts failed ones
 * back in their place (by `seq`) for a retry.
 */
import type { RecordInput } from '../../protocol/records/types.js';
import { ProducerBatch, type SendOp } from './batch.js';

export class PartitionQueue {
  readonly batches: ProducerBatch[] = [];
  nextSeq = 0;
  /** Batches of this partition currently in flight. */
  inFlight = 0;
  constructor(readonly topic: string, readonly partition: number) {}
}

export interface AppendResult {
  /** The batch the record went into is now full (ready to send). */
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

  constructor(private readonly batchSizeBytes: number, private readonly deliveryTimeoutMs: number) {}

  queue(topic: string, partition: number): PartitionQueue {
    let list = this.queues.get(topic);
    if (!list) this.queues.set(topic, (list = []));
    return (list[partition] ??= new PartitionQueue(topic, partition));
  }

  append(topic: string, partition: number, record: RecordInput, sizeBytes: number, op: SendOp, index: number, nowMs: number): AppendResult {
    const q = this.queue(topic, partition);
    let last = q.batches[q.batches.length - 1];
    let closedPrevious = false;
    if (last && !last.closed && last.records.length > 0 && last.sizeBytes + sizeBytes > this.batchSizeBytes) {
      last.closed = true;
      closedPrevious = true;
    }
    if (!last || last.closed) {
      last = new ProducerBatch(topic, partition, q.nextSeq++, nowMs, nowMs + this.deliveryTimeoutMs);
      q.batches.push(last);
      this.pendingBatches++;
    }
    last.add(record, sizeBytes, op, index);
    this.nonEmpty.add(q);
    const batchFull = last.sizeBytes >= this.batchSizeBytes;
    if (batchFull) last.closed = true;
    return { batchFull, closedPrevious };
  }

  /** Removes and returns the head batch of `q` (to send it). */
  takeHead(q: PartitionQueue): ProducerBatch {
    const b = q.batches.shift()!;
    b.closed = true;
    if (q.batches.length === 0) this.nonEmpty.delete(q);
    q.inFlight++;
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
