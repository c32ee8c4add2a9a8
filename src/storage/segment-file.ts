/**
 * One segment's `.log` file and the names of its three files (`<base>.log|.index|.timeindex` plus a suffix):
 * the handle, opened on demand and closed by the FileHandleCache when idle; renaming the files together;
 * pinning the segment while reads use it; closing for good and unlinking.
 *
 * Two counts: `users` are operations using the handle right now (`use`, `acquire`): the cache never closes a
 * handle in use, so a read or write in flight is never cut; `refs` are reads pinning the segment across
 * several operations (`retain`): a retired segment is closed for good and unlinked only once they are done.
 */
import { constants } from 'node:fs';
import { open, rename, stat, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { defaultFileHandleCache, type CachedHandle, type FileHandleCache } from './file-handle-cache.js';
import { INDEX_FILE_SUFFIX, LOG_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX, TXN_INDEX_FILE_SUFFIX, offsetFileName, unlinkIfExists } from './fs-util.js';
import { withTransientFile } from './open-files.js';

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

export class SegmentFile implements CachedHandle {
  private fh: FileHandle | null = null;
  private opening: Promise<FileHandle> | null = null;
  /** A rename of the files in progress: opens wait for it, so they never look for a name in transition. */
  private renaming: Promise<void> | null = null;
  private users = 0;
  private usersIdle: Array<() => void> = [];
  private refs = 0;
  private refsIdle: Array<() => void> = [];
  /** Closed for good (deleted, replaced, or the log closed): no handle is opened again. */
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly baseOffset: number,
    private current: SegmentFileSuffix,
    private readonly cache: FileHandleCache,
  ) {}

  /**
   * Creates `<base>.log<suffix>`, replacing any leftover file with that name, `preallocateBytes` long (sparse)
   * when that is above 0. The new handle stays open in the cache (a rolled segment is about to be written),
   * unless `lazy` and the cache is full: then it is closed at once and opened on first use.
   */
  static async create(
    dir: string,
    baseOffset: number,
    suffix: SegmentFileSuffix,
    preallocateBytes: number,
    cache: FileHandleCache = defaultFileHandleCache(),
    lazy = false,
  ): Promise<SegmentFile> {
    const file = new SegmentFile(dir, baseOffset, suffix, cache);
    const flags = constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC;
    if (lazy && !cache.tryReserve()) {
      await withTransientFile(async () => {
        const fh = await open(file.logFile, flags, 0o644);
        try {
          if (preallocateBytes > 0) await fh.truncate(preallocateBytes);
        } finally {
          await fh.close();
        }
      });
      return file;
    }
    if (!lazy) await cache.reserve();
    let fh: FileHandle;
    try {
      fh = await open(file.logFile, flags, 0o644);
    } catch (err) {
      cache.freeSlot(false);
      throw err;
    }
    file.fh = fh;
    cache.opened(file);
    if (preallocateBytes > 0) {
      try {
        await file.use((h) => h.truncate(preallocateBytes));
      } catch (err) {
        await file.close().catch(() => undefined);
        throw err;
      }
    }
    return file;
  }

  /** The live `<base>.log` of an existing segment and its size; its handle is opened on first use. */
  static async open(dir: string, baseOffset: number, cache: FileHandleCache = defaultFileHandleCache()): Promise<{ file: SegmentFile; sizeBytes: number }> {
    const file = new SegmentFile(dir, baseOffset, '', cache);
    const { size } = await stat(file.logFile);
    return { file, sizeBytes: size };
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

  get txnIndexFile(): string {
    return this.name(TXN_INDEX_FILE_SUFFIX);
  }

  /** True while the handle is open (for tests and metrics). */
  get isOpen(): boolean {
    return this.fh !== null;
  }

  // ---------------------------------------------------------------- the handle

  /** Runs `fn` with the open handle (opening it if the cache closed it); the handle stays open until `fn` settles. */
  async use<T>(fn: (fh: FileHandle) => Promise<T>): Promise<T> {
    const fh = await this.acquire();
    try {
      return await fn(fh);
    } finally {
      this.releaseHandle();
    }
  }

  /** The open handle, kept open until the matching `releaseHandle` (for reads that span several awaits). */
  async acquire(): Promise<FileHandle> {
    if (this.closed) throw new SegmentGoneError(this.baseOffset);
    this.users++;
    try {
      if (this.fh !== null) {
        this.cache.touch(this);
        return this.fh;
      }
      this.opening ??= this.openHandle();
      return await this.opening;
    } catch (err) {
      this.releaseHandle();
      throw err;
    }
  }

  releaseHandle(): void {
    this.users--;
    if (this.users > 0) return;
    for (const w of this.usersIdle.splice(0)) w();
    if (this.fh !== null) this.cache.becameIdle();
  }

  private async openHandle(): Promise<FileHandle> {
    await this.cache.reserve();
    try {
      while (this.renaming !== null) await this.renaming.catch(() => undefined);
      const fh = await open(this.logFile, constants.O_RDWR);
      this.fh = fh;
      this.cache.opened(this);
      return fh;
    } catch (err) {
      this.cache.freeSlot(false);
      throw err;
    } finally {
      this.opening = null;
    }
  }

  /** CachedHandle: no operation uses the handle. */
  get idle(): boolean {
    return this.users === 0;
  }

  /** CachedHandle: the cache closes the idle handle to make room; the next `use` opens it again. */
  evict(): void {
    const fh = this.fh;
    if (fh === null) return;
    this.fh = null;
    // Closing only drops the descriptor: written bytes are in the page cache and fsync works from any handle.
    fh.close()
      .catch(() => undefined)
      .finally(() => this.cache.freeSlot(true));
  }

  // ---------------------------------------------------------------- names

  /**
   * Renames the segment's files to carry `suffix` (missing index files are skipped: they are rebuilt from the
   * .log). The .log goes last, so whoever sees `<base>.log<suffix>` sees a finished rename; the caller fsyncs
   * the directory. An open handle keeps working across renames; a handle being opened finishes first.
   */
  async changeSuffix(suffix: SegmentFileSuffix): Promise<void> {
    while (this.opening !== null || this.renaming !== null) await (this.opening ?? this.renaming)!.catch(() => undefined);
    this.renaming = this.renameAll(suffix);
    try {
      await this.renaming;
    } finally {
      this.renaming = null;
    }
  }

  private async renameAll(suffix: SegmentFileSuffix): Promise<void> {
    const from = [this.indexFile, this.timeIndexFile, this.txnIndexFile, this.logFile];
    this.current = suffix;
    const to = [this.indexFile, this.timeIndexFile, this.txnIndexFile, this.logFile];
    for (let i = 0; i < from.length; i++) {
      try {
        await rename(from[i]!, to[i]!);
      } catch (err) {
        if (i === from.length - 1 || (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }

  // ---------------------------------------------------------------- pins and closing

  /** Pins the segment for a read; false once it has been closed (the reader must look again). */
  retain(): boolean {
    if (this.closed) return false;
    this.refs++;
    return true;
  }

  release(): void {
    this.refs--;
    if (this.refs === 0) for (const w of this.refsIdle.splice(0)) w();
  }

  /** Closes the file for good once no read pins it. */
  async closeWhenIdle(): Promise<void> {
    while (this.refs > 0) await new Promise<void>((resolve) => this.refsIdle.push(resolve));
    await this.close();
  }

  /** Closes the file for good: operations already using the handle finish first; later ones get SegmentGoneError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.users > 0) await new Promise<void>((resolve) => this.usersIdle.push(resolve));
    const fh = this.fh;
    if (fh === null) return;
    this.fh = null;
    this.cache.forget(this);
    try {
      await fh.close();
    } finally {
      this.cache.freeSlot(false);
    }
  }

  /** Removes the segment's files (with their current suffix); missing ones are skipped. */
  async unlink(): Promise<void> {
    await unlinkIfExists(this.logFile);
    await unlinkIfExists(this.indexFile);
    await unlinkIfExists(this.timeIndexFile);
    await unlinkIfExists(this.txnIndexFile);
  }
}
