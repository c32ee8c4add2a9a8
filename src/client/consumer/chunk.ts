/**
 * A chunk: the records of one partition from one fetch response, waiting to be (or being) handed
 * to the application. Control batches are dropped and, for read_committed, so are the batches
 * of aborted transactions (Kafka's rule: a producer's transactional batches are skipped from the
 * first offset of an aborted transaction until its ABORT marker).
 */
import type { AbortedTransaction } from '../../protocol/messages/fetch.js';
import { ControlRecordType, decodeControlKey } from '../../protocol/records/control.js';
import type { DecodedBatch, KafkaRecord } from '../../protocol/records/types.js';
import type { PartitionState } from './partition-state.js';

export class Chunk {
  private bi = 0;
  private ri = 0;

  constructor(
    readonly state: PartitionState,
    readonly epoch: number,
    /** Records below this offset (the start of a batch fetched mid-way) are skipped. */
    readonly fetchOffset: number,
    readonly batches: readonly DecodedBatch[],
    /** Where the partition continues after this chunk. */
    readonly nextOffset: number,
    readonly highWatermark: number,
  ) {}

  /** The partition is still assigned and nothing moved its position since this was fetched. */
  get valid(): boolean {
    return this.state.assigned && this.state.epoch === this.epoch;
  }

  /** The next record, or null at the end; `batch` tells its timestamp type. */
  next(): { record: KafkaRecord; batch: DecodedBatch } | null {
    while (this.bi < this.batches.length) {
      const batch = this.batches[this.bi]!;
      while (this.ri < batch.records.length) {
        const record = batch.records[this.ri++]!;
        if (record.offset >= this.fetchOffset) return { record, batch };
      }
      this.bi++;
      this.ri = 0;
    }
    return null;
  }
}

/** The data batches to deliver out of everything a fetch returned for one partition. */
export function deliverableBatches(batches: readonly DecodedBatch[], readCommitted: boolean, aborted: readonly AbortedTransaction[] | null): DecodedBatch[] {
  if (!readCommitted || !aborted || aborted.length === 0) return batches.filter((b) => !b.isControl);
  const pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  const abortedProducers = new Set<number>();
  let next = 0;
  const out: DecodedBatch[] = [];
  for (const b of batches) {
    while (next < pending.length && pending[next]!.firstOffset <= b.lastOffset) abortedProducers.add(pending[next++]!.producerId);
    if (b.isControl) {
      const first = b.records[0];
      if (b.isTransactional && first && decodeControlKey(first.key).type === ControlRecordType.Abort) abortedProducers.delete(b.producerId);
      continue;
    }
    if (b.isTransactional && abortedProducers.has(b.producerId)) continue;
    out.push(b);
  }
  return out;
}
