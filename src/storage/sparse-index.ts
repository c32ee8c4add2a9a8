/**
 * Shared machinery of the two per-segment sparse indexes (.index and .timeindex): fixed-size big-endian
 * entries held in memory and mirrored to a file. Entries are appended in memory by the writer and persisted
 * in bulk (`persist`) on flush, roll and close; an index of a segment that recovery scans is always rebuilt,
 * so an index file only has to be exact for segments below the recovery point, which are persisted and
 * fsynced when they roll.
 */
import { open, readFile } from 'node:fs/promises';
import { constants } from 'node:fs';
import { isNotFound, writeFully } from './fs-util.js';
import { withTransientFile } from './open-files.js';

const EMPTY = Buffer.alloc(0);

export abstract class SparseIndex {
  protected buf: Buffer;
  protected count = 0;
  /** Entries [0, persistedCount) are in the file; the file holds no more than that. */
  private persistedCount = 0;
  /** Set when entries were removed, so the file must be cut before the next write. */
  private fileTooLong = true;
  readonly maxEntries: number;

  /** Detached indexes (of segments being deleted) never write their file again. */
  detached = false;

  protected constructor(
    /** Mutable: a segment's files change suffix (.cleaned, .swap, .deleted) during compaction and deletion. */
    public file: string,
    readonly baseOffset: number,
    readonly entryBytes: number,
    maxIndexBytes: number,
  ) {
    this.maxEntries = Math.max(1, Math.floor(maxIndexBytes / entryBytes));
    // Allocated on the first entry: most segments of a broker with many partitions never get one.
    this.buf = EMPTY;
  }

  get entries(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.maxEntries;
  }

  get sizeBytes(): number {
    return this.count * this.entryBytes;
  }

  /** Room for one more entry in `buf`, growing it geometrically. Never refuses (see `isFull` for rolling). */
  protected reserve(): number {
    const at = this.count * this.entryBytes;
    if (at + this.entryBytes > this.buf.length) {
      const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.entryBytes * 64));
      this.buf.copy(grown, 0, 0, at);
      this.buf = grown;
    }
    return at;
  }

  /** Removes every entry. */
  reset(): void {
    this.count = 0;
    this.persistedCount = 0;
    this.fileTooLong = true;
  }

  /** Keeps the first `n` entries. */
  protected keep(n: number): void {
    if (n >= this.count) return;
    this.count = n;
    if (this.persistedCount > n) {
      this.persistedCount = n;
      this.fileTooLong = true;
    }
  }

  /** Binary search: index of the last entry whose key (given by `keyAt`) is ≤ `target`, or -1. */
  protected floorIndex(target: number, keyAt: (i: number) => number): number {
    let lo = 0;
    let hi = this.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (keyAt(mid) <= target) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Writes the entries not yet in the file (cutting the file first if entries were removed); fsync if asked. */
  async persist(sync: boolean): Promise<void> {
    if (this.detached) return;
    if (!this.fileTooLong && this.persistedCount === this.count && !sync) return;
    await withTransientFile(async () => {
      const fh = await open(this.file, constants.O_WRONLY | constants.O_CREAT, 0o644);
      try {
        if (this.fileTooLong) {
          await fh.truncate(this.persistedCount * this.entryBytes);
          this.fileTooLong = false;
        }
        const from = this.persistedCount * this.entryBytes;
        const to = this.count * this.entryBytes;
        if (to > from) await writeFully(fh, [Buffer.from(this.buf.subarray(from, to))], from);
        this.persistedCount = this.count;
        if (sync) await fh.sync();
      } finally {
        await fh.close();
      }
    });
  }

  /**
   * Loads the file into memory and checks it with `entryValid(i)` (called for each entry in order after
   * loading). Returns false when the file is missing or fails the check; the index is then empty and the
   * caller rebuilds it from the log.
   */
  async load(entryValid: (i: number) => boolean): Promise<boolean> {
    let data: Buffer;
    try {
      data = await withTransientFile(() => readFile(this.file));
    } catch (err) {
      if (isNotFound(err)) {
        this.reset();
        return false;
      }
      throw err;
    }
    if (data.length % this.entryBytes !== 0) {
      this.reset();
      return false;
    }
    this.buf = data.length > 0 ? data : EMPTY;
    this.count = data.length / this.entryBytes;
    for (let i = 0; i < this.count; i++) {
      if (!entryValid(i)) {
        this.reset();
        return false;
      }
    }
    this.persistedCount = this.count;
    this.fileTooLong = false;
    return true;
  }
}
