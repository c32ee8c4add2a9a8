/**
 * The sparse offset index of one segment (`.index`): entries of int32 relative offset + int32 file position.
 * An entry (o, p) says: the batch at byte p of the .log ends with offset o (it is that batch's lastOffset, as in
 * Kafka). Entries are strictly increasing in both fields.
 */
import { SparseIndex } from './sparse-index.js';

export const OFFSET_INDEX_ENTRY_BYTES = 8;

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class OffsetIndex extends SparseIndex {
  constructor(file: string, baseOffset: number, maxIndexBytes: number) {
    super(file, baseOffset, OFFSET_INDEX_ENTRY_BYTES, maxIndexBytes);
  }

  private relativeAt(i: number): number {
    return this.buf.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES);
  }

  private positionAt(i: number): number {
    return this.buf.readInt32BE(i * OFFSET_INDEX_ENTRY_BYTES + 4);
  }

  entryAt(i: number): OffsetPosition {
    return { offset: this.baseOffset + this.relativeAt(i), position: this.positionAt(i) };
  }

  /** The last entry, or (baseOffset, 0) when empty. */
  lastEntry(): OffsetPosition {
    return this.count === 0 ? { offset: this.baseOffset, position: 0 } : this.entryAt(this.count - 1);
  }

  append(offset: number, position: number): void {
    const rel = offset - this.baseOffset;
    if (!(rel >= 0 && rel <= 0x7fffffff)) throw new Error(`offset ${offset} not relative to ${this.baseOffset}`);
    if (this.count > 0 && (rel <= this.relativeAt(this.count - 1) || position <= this.positionAt(this.count - 1))) {
      throw new Error(`index entry (${offset}, ${position}) is not after the last entry`);
    }
    const at = this.reserve();
    this.buf.writeInt32BE(rel, at);
    this.buf.writeInt32BE(position, at + 4);
    this.count++;
  }

  /** The last entry with offset ≤ `target`, or (baseOffset, 0): where a scan for `target` may start. */
  lookup(target: number): OffsetPosition {
    const i = this.floorIndex(target - this.baseOffset, (k) => this.relativeAt(k));
    return i < 0 ? { offset: this.baseOffset, position: 0 } : this.entryAt(i);
  }

  /** Drops the entries with offset ≥ `offset` (log truncation). */
  truncateTo(offset: number): void {
    const i = this.floorIndex(offset - this.baseOffset - 1, (k) => this.relativeAt(k));
    this.keep(i + 1);
  }

  /** Drops the entries whose position is ≥ `position`. */
  truncateToPosition(position: number): void {
    const i = this.floorIndex(position - 1, (k) => this.positionAt(k));
    this.keep(i + 1);
  }

  /** Loads and sanity-checks the file against the .log size; false means "rebuild me". */
  loadChecked(logSizeBytes: number): Promise<boolean> {
    return this.load((i) => {
      const rel = this.relativeAt(i);
      const pos = this.positionAt(i);
      if (rel < 0 || pos < 0 || pos >= logSizeBytes) return false;
      return i === 0 || (rel > this.relativeAt(i - 1) && pos > this.positionAt(i - 1));
    });
  }
}
