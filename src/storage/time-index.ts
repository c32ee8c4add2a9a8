/**
 * The sparse time index of one segment (`.timeindex`): entries of int64 timestamp + int32 relative offset.
 * An entry (t, o) says: t is the largest batch maxTimestamp up to and including the batch ending at offset o,
 * so every batch with a timestamp above t comes after o. Timestamps are strictly increasing.
 */
import { readInt64, writeInt64 } from '../protocol/records/batch-header.js';
import { SparseIndex } from './sparse-index.js';

export const TIME_INDEX_ENTRY_BYTES = 12;

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex extends SparseIndex {
  constructor(file: string, baseOffset: number, maxIndexBytes: number) {
    super(file, baseOffset, TIME_INDEX_ENTRY_BYTES, maxIndexBytes);
  }

  private timestampAt(i: number): number {
    return readInt64(this.buf, i * TIME_INDEX_ENTRY_BYTES);
  }

  private relativeAt(i: number): number {
    return this.buf.readInt32BE(i * TIME_INDEX_ENTRY_BYTES + 8);
  }

  entryAt(i: number): TimestampOffset {
    return { timestamp: this.timestampAt(i), offset: this.baseOffset + this.relativeAt(i) };
  }

  /** The last entry, or (-1, baseOffset) when empty. */
  lastEntry(): TimestampOffset {
    return this.count === 0 ? { timestamp: -1, offset: this.baseOffset } : this.entryAt(this.count - 1);
  }

  /** Appends (timestamp, offset) if timestamp is above the last entry's; returns whether it did. */
  maybeAppend(timestamp: number, offset: number): boolean {
    if (this.count > 0 && timestamp <= this.timestampAt(this.count - 1)) return false;
    if (this.count === 0 && timestamp < 0) return false;
    const rel = offset - this.baseOffset;
    if (!(rel >= 0 && rel <= 0x7fffffff)) throw new Error(`offset ${offset} not relative to ${this.baseOffset}`);
    if (this.count > 0 && rel < this.relativeAt(this.count - 1)) {
      throw new Error(`time index offset ${offset} goes backwards`);
    }
    const at = this.reserve();
    writeInt64(this.buf, at, timestamp);
    this.buf.writeInt32BE(rel, at + 8);
    this.count++;
    return true;
  }

  /** The last entry with timestamp ≤ `timestamp`, or (-1, baseOffset): where a search for `timestamp` may start. */
  lookup(timestamp: number): TimestampOffset {
    const i = this.floorIndex(timestamp, (k) => this.timestampAt(k));
    return i < 0 ? { timestamp: -1, offset: this.baseOffset } : this.entryAt(i);
  }

  /** Drops the entries with offset ≥ `offset` (log truncation). */
  truncateTo(offset: number): void {
    let n = this.count;
    while (n > 0 && this.baseOffset + this.relativeAt(n - 1) >= offset) n--;
    this.keep(n);
  }

  /** Loads and sanity-checks the file; false means "rebuild me". */
  loadChecked(): Promise<boolean> {
    return this.load((i) => {
      const rel = this.relativeAt(i);
      if (rel < 0) return false;
      return i === 0 || (this.timestampAt(i) > this.timestampAt(i - 1) && rel >= this.relativeAt(i - 1));
    });
  }
}
