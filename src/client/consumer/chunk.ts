/**
 * A chunk: the records of one partition from one fetch response, waiting to be (or being) handed
 * to the application. Batches are decoded when the application reaches them (see chunk-entry.ts),
 * straight into ConsumerRecords. Control batches are dropped and, for read_committed, so are the
 * batches of aborted transactions (Kafka's rule: a producer's transactional batches are skipped
 * from the first offset of an aborted transaction until its ABORT marker).
 *
 * A corrupt batch or a throwing deserializer ends the chunk with a ChunkFailure, raised once the
 * records before it have been handed out; its offset is where the partition's position stops.
 */
import type { AbortedTransaction } from '../../protocol/messages/fetch.js';
import { ControlRecordType } from '../../protocol/records/control.js';
import type { RecordFactory } from '../../protocol/records/record-decoder.js';
import type { BatchInfo, TimestampType } from '../../protocol/records/types.js';
import { controlTypeOf, decodeEntry, prepareEntries, type Entry } from './chunk-entry.js';
import type { PartitionState } from './partition-state.js';
import { consumerRecordFactory, DeserializeFailure, type Deserializers } from './record-factory.js';
import type { ConsumerRecord } from './types.js';

/** Why a chunk ended early: `corrupt` (bad data: the partition stops until seek) or a deserializer's error. */
export class ChunkFailure {
  constructor(
    /** The first offset not handed out. */
    readonly offset: number,
    readonly error: Error,
    readonly corrupt: boolean,
  ) {}
}

export interface ChunkOptions<K, V> {
  verifyCrc: boolean;
  /** read_committed: the response's aborted transactions (null for read_uncommitted). */
  aborted: readonly AbortedTransaction[] | null;
  deserializers: Deserializers<K, V>;
}

/** Kafka's aborted-transaction filter, applied batch by batch in offset order. */
class AbortFilter {
  private readonly pending: AbortedTransaction[];
  private next = 0;
  private readonly producers = new Set<number>();

  constructor(aborted: readonly AbortedTransaction[]) {
    this.pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /** Whether data batch `b` belongs to an aborted transaction; `abortMarker` is set for control batches. */
  skips(b: BatchInfo, abortMarker: () => boolean): boolean {
    while (this.next < this.pending.length && this.pending[this.next]!.firstOffset <= b.lastOffset) this.producers.add(this.pending[this.next++]!.producerId);
    if (b.isControl) {
      if (b.isTransactional && abortMarker()) this.producers.delete(b.producerId);
      return true;
    }
    return b.isTransactional && this.producers.has(b.producerId);
  }
}

export class Chunk<K = Buffer | null, V = Buffer | null> {
  /** Decompression of compressed batches on the thread pool; await it before reading. Null if none. */
  readonly ready: Promise<void> | null;
  private readonly entries: Entry[];
  private ei = 0;
  /** Decoded records of the current batch (record-at-a-time reading). */
  private current: Array<ConsumerRecord<K, V>> = [];
  private ri = 0;
  private failure: ChunkFailure | null = null;
  private readonly abortFilter: AbortFilter | null;
  private readonly verifyCrc: boolean;
  private readonly deserializers: Deserializers<K, V>;
  private makers: Partial<Record<TimestampType, RecordFactory<ConsumerRecord<K, V>>>> = {};

  constructor(
    readonly state: PartitionState,
    readonly epoch: number,
    /** Records below this offset (the start of a batch fetched mid-way) are skipped. */
    readonly fetchOffset: number,
    private readonly buf: Buffer,
    infos: readonly BatchInfo[],
    /** Where the partition continues after this chunk. */
    readonly nextOffset: number,
    readonly highWatermark: number,
    options: ChunkOptions<K, V>,
  ) {
    this.verifyCrc = options.verifyCrc;
    this.deserializers = options.deserializers;
    this.abortFilter = options.aborted && options.aborted.length > 0 ? new AbortFilter(options.aborted) : null;
    const prepared = prepareEntries(buf, infos, options.verifyCrc);
    this.entries = prepared.entries;
    this.ready = prepared.ready;
  }

  /** The partition is still assigned and nothing moved its position since this was fetched. */
  get valid(): boolean {
    return this.state.assigned && this.state.epoch === this.epoch;
  }

  /** Everything was handed out. */
  get done(): boolean {
    return this.ri >= this.current.length && this.ei >= this.entries.length && this.failure === null;
  }

  /** The next record, or null at the end. Throws ChunkFailure. */
  next(): ConsumerRecord<K, V> | null {
    if (this.ri < this.current.length) return this.current[this.ri++]!;
    this.current = [];
    this.ri = 0;
    for (;;) {
      this.throwFailure();
      if (this.ei >= this.entries.length) return null;
      this.decodeNext(this.current);
      if (this.current.length > 0) return this.current[this.ri++]!;
    }
  }

  /** Every remaining record (up to a failure, which the next call throws). Throws ChunkFailure. */
  rest(): Array<ConsumerRecord<K, V>> {
    const out = this.ri === 0 ? this.current : this.current.slice(this.ri);
    this.current = [];
    this.ri = 0;
    if (out.length === 0) this.throwFailure();
    while (this.ei < this.entries.length && this.failure === null) this.decodeNext(out);
    if (out.length === 0) this.throwFailure();
    return out;
  }

  private throwFailure(): void {
    const f = this.failure;
    if (f === null) return;
    this.failure = null;
    this.ei = this.entries.length;
    throw f;
  }

  private maker(type: TimestampType): RecordFactory<ConsumerRecord<K, V>> {
    return (this.makers[type] ??= consumerRecordFactory(this.state.topic, this.state.partition, type, this.deserializers));
  }

  /** Appends the next batch's deliverable records to `out`, or records the failure it hits. */
  private decodeNext(out: Array<ConsumerRecord<K, V>>): void {
    const entry = this.entries[this.ei++]!;
    const info = entry.info;
    const before = out.length;
    try {
      if (this.abortFilter) {
        if (this.abortFilter.skips(info, () => controlTypeOf(this.buf, entry, this.verifyCrc) === ControlRecordType.Abort)) return;
      } else if (info.isControl) {
        return;
      }
      if (info.lastOffset < this.fetchOffset) return;
      const make = this.maker(info.timestampType);
      // A legacy wrapper's baseOffset is only known once decoded.
      if (info.baseOffset >= this.fetchOffset && info.magic === 2) decodeEntry(this.buf, entry, this.verifyCrc, make, out);
      else this.decodeFrom(entry, make, out);
    } catch (err) {
      if (err instanceof DeserializeFailure) {
        this.failure = new ChunkFailure(err.offset, err.cause as Error, false);
      } else {
        out.length = before;
        this.failure = new ChunkFailure(Math.max(info.baseOffset, this.fetchOffset), err as Error, true);
      }
    }
  }

  /** The first batch of a fetch may start before the fetch offset: those records are neither built nor deserialized. */
  private decodeFrom(entry: Entry, make: RecordFactory<ConsumerRecord<K, V>>, out: Array<ConsumerRecord<K, V>>): void {
    const from = this.fetchOffset;
    const some: Array<ConsumerRecord<K, V> | null> = [];
    try {
      decodeEntry(this.buf, entry, this.verifyCrc, (o, t, k, v, h) => (o < from ? null : make(o, t, k, v, h)), some);
    } finally {
      for (const r of some) if (r !== null) out.push(r);
    }
  }
}
