/**
 * A producer batch: the records of one partition that travel in one RecordBatch, the `send()`
 * calls waiting on them, and their retry state.
 *
 * Records are encoded into the batch's buffer as they are added (as Kafka's MemoryRecordsBuilder
 * does), so no per-record object outlives `send()`: keys, values and the caller's message objects
 * die young instead of being promoted while the batch waits for its acknowledgement. Sealing
 * writes the header and CRC (or compresses the records); the sealed bytes are re-sent as they are
 * on retries, so an idempotent batch keeps its producer id, epoch and base sequence (given at its
 * first drain) on every attempt. Only a producer reset (KIP-360) gives it new ones: `resequence`
 * rewrites those header fields and the CRC in a copy of the sealed bytes.
 */
import { CompressionType } from '../../protocol/compression/types.js';
import { BASE_SEQUENCE, computeBatchCrc, CRC, PRODUCER_EPOCH, PRODUCER_ID, RECORD_BATCH_OVERHEAD, writeInt64 } from '../../protocol/records/batch-header.js';
import { decodeRecordBatchesSync } from '../../protocol/records/decode-batches.js';
import { recordBodySize, writeRecord } from '../../protocol/records/record-encoder.js';
import { sealCompressedRecordBatch, sealRecordBatch, type SealOptions } from '../../protocol/records/record-batch.js';
import type { RecordHeaderInput } from '../../protocol/records/types.js';
import { sizeOfVarint } from '../../protocol/records/varint.js';

/** Where batch buffers come from and go back to (a FramePool, or plain allocation). */
export interface BatchMemory {
  alloc(size: number): Buffer;
  release(buf: Buffer): void;
}

export const NO_PRODUCER: BatchIdentity = { producerId: -1, producerEpoch: -1 };

export const PLAIN_MEMORY: BatchMemory = { alloc: (n) => Buffer.allocUnsafe(n), release: () => undefined };

/** Producer id and epoch a batch is sealed with (-1s without idempotence). */
export interface BatchIdentity {
  producerId: number;
  producerEpoch: number;
}

/** An idempotent batch's producer id, epoch and the sequence of its first record (KIP-98). */
export interface BatchSequence extends BatchIdentity {
  baseSequence: number;
}


export interface RecordMetadata {
  topic: string;
  partition: number;
  /** -1 with acks=0 (the broker does not answer). */
  offset: number;
  /** CreateTime given or stamped by the producer, or the broker's LogAppendTime if the topic uses it. */
  timestamp: number;
}

/**
 * One `send()` call: resolves when every record in it is acknowledged, rejects on the first failure.
 * Results are kept in typed arrays and turned into RecordMetadata objects only when the send
 * resolves: tens of thousands of objects waiting for acknowledgements would be promoted by the
 * young-generation GC, while the arrays cost it nothing.
 */
export class SendOp {
  private readonly partitions: Int32Array;
  private readonly offsets: Float64Array;
  private readonly timestamps: Float64Array;
  private remaining: number;
  private settled = false;
  readonly promise: Promise<RecordMetadata[]>;
  private resolveFn!: (r: RecordMetadata[]) => void;
  private rejectFn!: (e: Error) => void;

  constructor(
    count: number,
    private readonly topic = '',
  ) {
    this.partitions = new Int32Array(count);
    this.offsets = new Float64Array(count);
    this.timestamps = new Float64Array(count);
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

  complete(index: number, partition: number, offset: number, timestamp: number): void {
    this.partitions[index] = partition;
    this.offsets[index] = offset;
    this.timestamps[index] = timestamp;
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
    const n = this.partitions.length;
    const results = new Array<RecordMetadata>(n);
    for (let i = 0; i < n; i++) {
      results[i] = { topic: this.topic, partition: this.partitions[i]!, offset: this.offsets[i]!, timestamp: this.timestamps[i]! };
    }
    this.resolveFn(results);
  }
}

export class ProducerBatch {
  readonly ops: SendOp[] = [];
  readonly opIndexes: number[] = [];
  /** CreateTime of each record, for its RecordMetadata. */
  private readonly timestamps: number[] = [];
  /** Encoded records from RECORD_BATCH_OVERHEAD to `end`; the header is written when sealed. */
  private buf: Buffer | null = null;
  private end = RECORD_BATCH_OVERHEAD;
  private baseTimestamp = 0;
  private maxTimestamp = -1;
  /** Encoded size, batch header included, against batchSize. */
  sizeBytes = RECORD_BATCH_OVERHEAD;
  /** Bytes reserved in the BufferPool for this batch's records (their estimates). */
  memoryBytes = 0;
  /** Reached batchSize (or was sent): no lingering; it may still grow up to batchMaxSize until sent. */
  ready = false;
  /** No more records are added once the batch reaches batchMaxSize or has been sent. */
  closed = false;
  attempts = 0;
  retryAtMs = 0;
  /** The sealed batch, once built. */
  bytes: Buffer | null = null;
  /** How many times the records of this batch were halved after MESSAGE_TOO_LARGE. */
  splitDepth = 0;
  /** Idempotence: set at the first drain and kept across retries; null without idempotence or before. */
  sequence: BatchSequence | null = null;

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
    private readonly memory: BatchMemory = PLAIN_MEMORY,
    /** Buffer size to start with (the batch grows by doubling). */
    private readonly initialCapacity = 16_384,
  ) {}

  get count(): number {
    return this.ops.length;
  }

  /** Encodes one record into the batch. `estimate` is what bufferMemory reserved for it. */
  add(
    key: Buffer | null,
    value: Buffer | null,
    headers: readonly RecordHeaderInput[] | undefined,
    timestamp: number,
    estimate: number,
    op: SendOp,
    index: number,
  ): void {
    const offsetDelta = this.ops.length;
    if (offsetDelta === 0) this.baseTimestamp = timestamp;
    const timestampDelta = timestamp - this.baseTimestamp;
    const body = recordBodySize(offsetDelta, timestampDelta, key, value, headers);
    const need = sizeOfVarint(body) + body;
    const buf = this.room(need);
    this.end = writeRecord(buf, this.end, body, offsetDelta, timestampDelta, key, value, headers);
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    this.timestamps.push(timestamp);
    this.ops.push(op);
    this.opIndexes.push(index);
    this.sizeBytes += need;
    this.memoryBytes += estimate;
  }

  /** A buffer with `need` free bytes after `end`: grown by doubling (records copied once). */
  private room(need: number): Buffer {
    const buf = this.buf;
    if (buf !== null && this.end + need <= buf.length) return buf;
    const size = Math.max(buf === null ? this.initialCapacity : buf.length * 2, this.end + need);
    const grown = this.memory.alloc(size);
    if (buf !== null) {
      buf.copy(grown, 0, 0, this.end);
      this.memory.release(buf);
    }
    return (this.buf = grown);
  }

  /**
   * Header and CRC (compressing the records if asked); the result is kept in `bytes`. A
   * transactional producer's batches carry the transactional attribute (resequence keeps it).
   */
  seal(compression: CompressionType, id: BatchIdentity | BatchSequence = this.sequence ?? NO_PRODUCER, transactional = false): Buffer | Promise<Buffer> {
    if (this.bytes) return this.bytes;
    const baseSequence = 'baseSequence' in id ? id.baseSequence : -1;
    const o: SealOptions = { count: this.count, baseTimestamp: this.baseTimestamp, maxTimestamp: this.maxTimestamp, producerId: id.producerId, producerEpoch: id.producerEpoch, baseSequence, transactional };
    const buf = this.buf!;
    if (compression === CompressionType.None) return (this.bytes = sealRecordBatch(buf.subarray(0, this.end), o));
    return sealCompressedRecordBatch(buf.subarray(RECORD_BATCH_OVERHEAD, this.end), compression, o).then((bytes) => {
      // The raw records were only read by the compressor; the sealed copy is what travels.
      if (this.buf === buf) {
        this.buf = null;
        this.memory.release(buf);
      }
      return (this.bytes = bytes);
    });
  }

  /**
   * New producer id, epoch and base sequence (after a producer reset). Only while the batch is not
   * in a request: sealed bytes are copied, patched and their CRC recomputed, never changed under a
   * socket write.
   */
  resequence(seq: BatchSequence): void {
    this.sequence = seq;
    if (this.bytes === null) return;
    const b = Buffer.from(this.bytes);
    writeInt64(b, PRODUCER_ID, seq.producerId);
    b.writeInt16BE(seq.producerEpoch, PRODUCER_EPOCH);
    b.writeInt32BE(seq.baseSequence, BASE_SEQUENCE);
    b.writeUInt32BE(computeBatchCrc(b), CRC);
    this.bytes = b;
  }

  /**
   * Gives the batch buffer back for reuse: only once the broker acknowledged this batch on its
   * first attempt, which proves no socket write still reads it.
   */
  recycle(): void {
    if (this.buf !== null && this.attempts === 1) this.memory.release(this.buf);
    this.buf = null;
    this.bytes = null;
  }

  /**
   * Two batches holding this one's records, first half then second, for a broker that refused the
   * batch as too large (as Kafka's producer splits on MESSAGE_TOO_LARGE). The records are decoded
   * from the sealed bytes and encoded again; memory is shared out in proportion, so the totals stay
   * exact for the buffer pool.
   */
  split(): [ProducerBatch, ProducerBatch] {
    const [decoded] = decodeRecordBatchesSync(this.bytes!, { verifyCrc: false });
    const records = decoded!.records;
    const n = this.count;
    const mid = n >>> 1;
    const depth = this.splitDepth + 1;
    const halves: [ProducerBatch, ProducerBatch] = [
      new ProducerBatch(this.topic, this.partition, this.seq, this.createdMs, this.deadlineMs, this.memory, this.initialCapacity),
      new ProducerBatch(this.topic, this.partition, this.seq + 2 ** -depth, this.createdMs, this.deadlineMs, this.memory, this.initialCapacity),
    ];
    const firstMemory = Math.floor((this.memoryBytes * mid) / n);
    halves.forEach((h, i) => {
      const [from, to] = i === 0 ? [0, mid] : [mid, n];
      for (let r = from; r < to; r++) {
        const rec = records[r]!;
        h.add(rec.key, rec.value, rec.headers, this.timestamps[r]!, 0, this.ops[r]!, this.opIndexes[r]!);
      }
      h.memoryBytes = i === 0 ? firstMemory : this.memoryBytes - firstMemory;
      h.splitDepth = depth;
      h.attempts = this.attempts;
      h.ready = true;
      h.closed = true;
    });
    return halves;
  }

  complete(baseOffset: number, logAppendTimeMs: number): void {
    for (let i = 0; i < this.ops.length; i++) {
      const ts = logAppendTimeMs >= 0 ? logAppendTimeMs : this.timestamps[i]!;
      this.ops[i]!.complete(this.opIndexes[i]!, this.partition, baseOffset < 0 ? -1 : baseOffset + i, ts);
    }
  }

  fail(err: Error): void {
    for (const op of this.ops) op.fail(err);
  }
}
