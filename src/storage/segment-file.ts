/**
 * The open `.log` file of one segment and the names of its three files (`<base>.log|.index|.timeindex` plus a
 * suffix): renaming them together, pinning the file open while reads use it, closing and unlinking.
 */
import { constants } from 'node:fs';
import { open, rename, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, offsetFileName, unlinkIfExists } from './fs-util.js';

/**
 * Suffix after `.log` / `.index` / `.timeindex`: '' for a live segment; compaction writes `.cleaned`, renames
 * to `.swap` (committed) and back to ''; deletion renames to `.deleted` (Kafka's names).
 */
export type SegmentFileSuffix = '' | '.cleaned' | '.swap' | '.deleted';

/** Thrown by `pinned` on a segment that was closed after deletion or replacement; readers retry. */
export class SegmentGoneError extends Error {
  constructor(baseOffset: number) {
    super(`segment ${baseOffset} was removed`);
  }
}

/** Runs `fn` with `seg` pinned open; SegmentGoneError when it was closed (the caller retries). */
export async function pinned<T>(seg: { baseOffset: number; retain(): boolean; release(): void }, fn: () => Promise<T>): Promise<T> {
  if (!seg.retain()) throw new SegmentGoneError(seg.baseOffset);
  try {
    return await fn();
  } finally {
    seg.release();
  }
}

export class SegmentFile {
  /** Reads in progress (see `retain`); a removed segment closes its file when the last one ends. */
  private refs = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    readonly fh: FileHandle,
    private current: SegmentFileSuffix,
  ) {}

  /**
   * Creates `<base>.log<suffix>`, replacing any leftover file with that name, `preallocateBytes` long (sparse)
   * when that is above 0.
   */
  static async create(dir: string, baseOffset: number, suffix: SegmentFileSuffix, preallocateBytes: number): Promise<SegmentFile> {
    const file = path.join(dir, offsetFileName(baseOffset, LOG_FILE_SUFFIX) + suffix);
    const fh = await open(file, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o644);
    try {
      if (preallocateBytes > 0) await fh.truncate(preallocateBytes);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
    return new SegmentFile(dir, baseOffset, fh, suffix);
  }

  /** Opens the live `<base>.log` and reads its size. */
  static async open(dir: string, baseOffset: number): Promise<{ file: SegmentFile; sizeBytes: number }> {
    const fh = await open(path.join(dir, offsetFileName(baseOffset, LOG_FILE_SUFFIX)), constants.O_RDWR);
    try {
      const { size } = await fh.stat();
      return { file: new SegmentFile(dir, baseOffset, fh, ''), sizeBytes: size };
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  get suffix(): SegmentFileSuffix {
    return this.current;
  }

  private name(kind: string): string {
    return path.join(this.dir, offsetFileName(this.baseOffset, kind) + this.current);
  }

  get logFile(): string {
    return this.name(LOG_FILE_SUFFIX);
  }

  get indexFile(): string {
    return this.name(INDEX_FILE_SUFFIX);
  }

  get timeIndexFile(): string {
    return this.name(TIME_INDEX_FILE_SUFFIX);
  }

  /**
   * Renames the three files to carry `suffix` (missing index files are skipped: they are rebuilt from the
   * .log). The .log goes last, so whoever sees `<base>.log<suffix>` sees a finished rename; the caller fsyncs
   * the directory. The open file handle keeps working across renames.
   */
  async changeSuffix(suffix: SegmentFileSuffix): Promise<void> {
    const from = [this.indexFile, this.timeIndexFile, this.logFile];
    this.current = suffix;
    const to = [this.indexFile, this.timeIndexFile, this.logFile];
    for (let i = 0; i < from.length; i++) {
      try {
        await rename(from[i]!, to[i]!);
      } catch (err) {
        if (i === from.length - 1 || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }

  /** Pins the file for a read; false once it has been closed (the reader must look again). */
  retain(): boolean {
    if (this.closed) return false;
    this.refs++;
    return true;
  }

  release(): void {
    this.refs--;
    if (this.refs === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Closes the file once no read holds it. */
  async closeWhenIdle(): Promise<void> {
    while (this.refs > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.fh.close();
  }

  /** Removes the three files (with their current suffix); missing ones are skipped. */
  async unlink(): Promise<void> {
    await unlinkIfExists(this.logFile);
    await unlinkIfExists(this.indexFile);
    await unlinkIfExists(this.timeIndexFile);
  }
}
