/**
 * A producer batch: the records of one partition that travel in one RecordBatch, the `send()`
 * calls waiting on them, and their retry state. Its bytes are built once and re-sent as they are
 * on retries (so a later switch to idempotence keeps the same sequence numbers).
 */
import { RECORD_BATCH_OVERHEAD } from '../../protocol/records/batch-header.js';
import type { RecordInput } from '../../protocol/records/types.js';

export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 with acks=0 (the broker does not answer). */
  offset: number;
  /** CreateTime given or stamped by the producer, or the broker's LogAppendTime if the topic uses it. */
  timestamp: number;
}

/** One `send()` call: resolves when every record in it is acknowledged, rejects on the first failure. */
export class SendOp {
  readonly results: RecordMetadata[];
  private remaining: number;
  private settled = false;
  readonly promise: Promise<RecordMetadata[]>;
  private resolveFn!: (r: RecordMetadata[]) => void;
  private rejectFn!: (e: Error) => void;

  constructor(count: number) {
    this.results = new Array<RecordMetadata>(count);
    this.remaining = count;
    this.promise = new Promise<RecordMetadata[]>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    if (count === 0) this.finish();
  }

  get isSettled(): boolean {
    return this.settled;
  }

  complete(index: number, md: RecordMetadata): void {
    this.results[index] = md;
    if (--this.remaining === 0) this.finish();
  }

  fail(err: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.rejectFn(err);
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveFn(this.results);
  }
}

export class ProducerBatch {
  readonly records: RecordInput[] = [];
  readonly ops: SendOp[] = [];
  readonly opIndexes: number[] = [];
  /** Estimated encoded size (batch header included), against batchSize. */
  sizeBytes = RECORD_BATCH_OVERHEAD;
  /** Bytes reserved in the BufferPool for this batch's records. */
  memoryBytes = 0;
  /** Reached batchSize (or was sent): no lingering; it may still grow up to batchMaxSize until sent. */
  ready = false;
  /** No more records are added once the batch reaches batchMaxSize or has been sent. */
  closed = false;
  attempts = 0;
  retryAtMs = 0;
  bytes: Buffer | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    /**
     * Position in its partition's send order (retries go back to their place). Halves of a split
     * batch take fractions: the second half of a batch split at depth d gets seq + 2^-(d+1), so
     * every piece sorts after the earlier ones and before the next whole batch.
     */
    readonly seq: number,
    readonly createdMs: number,
    /** deliveryTimeoutMs after creation: the batch fails if not acknowledged by then. */
    readonly deadlineMs: number,
  ) {}

  /** How many times the records of this batch were halved after MESSAGE_TOO_LARGE. */
  splitDepth = 0;

  add(record: RecordInput, sizeBytes: number, op: SendOp, index: number): void {
    this.records.push(record);
    this.ops.push(op);
    this.opIndexes.push(index);
    this.sizeBytes += sizeBytes;
    this.memoryBytes += sizeBytes;
  }

  /**
   * Two batches holding this one's records, first half then second, for a broker that refused the
   * batch as too large (as Kafka's producer splits on MESSAGE_TOO_LARGE). Sizes and memory are
   * shared out in proportion, so the totals stay exact for the buffer pool.
   */
  split(): [ProducerBatch, ProducerBatch] {
    const n = this.records.length;
    const mid = n >>> 1;
    const depth = this.splitDepth + 1;
    const halves: [ProducerBatch, ProducerBatch] = [
      new ProducerBatch(this.topic, this.partition, this.seq, this.createdMs, this.deadlineMs),
      new ProducerBatch(this.topic, this.partition, this.seq + 2 ** -depth, this.createdMs, this.deadlineMs),
    ];
    const recordBytes = this.sizeBytes - RECORD_BATCH_OVERHEAD;
    const firstMemory = Math.floor((this.memoryBytes * mid) / n);
    const firstBytes = Math.floor((recordBytes * mid) / n);
    halves.forEach((h, i) => {
      const [from, to] = i === 0 ? [0, mid] : [mid, n];
      for (let r = from; r < to; r++) {
        h.records.push(this.records[r]!);
        h.ops.push(this.ops[r]!);
        h.opIndexes.push(this.opIndexes[r]!);
      }
      h.memoryBytes = i === 0 ? firstMemory : this.memoryBytes - firstMemory;
      h.sizeBytes = RECORD_BATCH_OVERHEAD + (i === 0 ? firstBytes : recordBytes - firstBytes);
      h.splitDepth = depth;
      h.attempts = this.attempts;
      h.ready = true;
      h.closed = true;
    });
    return halves;
  }

  complete(baseOffset: number, logAppendTimeMs: number): void {
    for (let i = 0; i < this.records.length; i++) {
      const ts = logAppendTimeMs >= 0 ? logAppendTimeMs : this.records[i]!.timestamp!;
      this.ops[i]!.complete(this.opIndexes[i]!, { topic: this.topic, partition: this.partition, offset: baseOffset < 0 ? -1 : baseOffset + i, timestamp: ts });
    }
  }

  fail(err: Error): void {
    for (const op of this.ops) op.fail(err);
  }
}
