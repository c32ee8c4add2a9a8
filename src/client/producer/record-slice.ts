import type { RecordHeaderInput } from '../../protocol/records/types.js';

/**
 * Records of one `send` that wait, once bufferMemory ran out, for room before going into their
 * batches (the Producer's slow path): parallel arrays, no object per record, reused from slice to
 * slice.
 */
export class RecordSlice {
  readonly indexes: number[] = [];
  readonly partitions: number[] = [];
  readonly sizes: number[] = [];
  readonly keys: Array<Buffer | null> = [];
  readonly values: Array<Buffer | null> = [];
  readonly headers: Array<RecordHeaderInput[] | undefined> = [];
  readonly timestamps: number[] = [];
  bytes = 0;

  get length(): number {
    return this.indexes.length;
  }

  lastPartition(): number {
    return this.partitions[this.partitions.length - 1]!;
  }

  push(index: number, partition: number, size: number, key: Buffer | null, value: Buffer | null, headers: RecordHeaderInput[] | undefined, timestamp: number): void {
    this.indexes.push(index);
    this.partitions.push(partition);
    this.sizes.push(size);
    this.keys.push(key);
    this.values.push(value);
    this.headers.push(headers);
    this.timestamps.push(timestamp);
    this.bytes += size;
  }

  clear(): void {
    this.indexes.length = this.partitions.length = this.sizes.length = 0;
    this.keys.length = this.values.length = this.headers.length = this.timestamps.length = 0;
    this.bytes = 0;
  }

  /** A copy that survives the caller's `clear()` (for an append that has to wait). */
  copy(): RecordSlice {
    const c = new RecordSlice();
    for (let i = 0; i < this.length; i++) c.push(this.indexes[i]!, this.partitions[i]!, this.sizes[i]!, this.keys[i]!, this.values[i]!, this.headers[i], this.timestamps[i]!);
    return c;
  }
}
