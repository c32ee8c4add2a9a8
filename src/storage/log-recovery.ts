/**
 * Loading a partition directory at open: find the segments, decide which ones to trust, and recover the rest.
 *
 * - Clean shutdown (the marker file exists): every segment is trusted; only the active segment's indexes are
 *   loaded now (sanity-checked, rebuilt if they fail), older ones lazily on first use.
 * - Otherwise: every segment from the one containing the recovery point onwards (all of them when no recovery
 *   point is known) is scanned batch by batch and truncated at the first incomplete or invalid batch; when a
 *   segment is cut short, every later segment is deleted, because the log must stay contiguous. Recovered
 *   segments are fsynced, so the new recovery point is the log end.
 * The marker is removed (and the directory fsynced) before the log accepts writes, so a crash after this
 * open is never mistaken for a clean shutdown.
 *
 * Before any of that, leftovers of an interrupted compaction swap are settled with Kafka's rules: `.cleaned`
 * files were never committed and are removed (the originals are intact); a `<base>.log.swap` was committed
 * (it was fsynced before the rename), so the swap is completed: every live segment inside its offset range
 * is deleted and the `.swap` becomes the segment, its indexes rebuilt. `.deleted` files are removed.
 */
import { mkdir, open, readdir, rename } from 'node:fs/promises';
import path from 'node:path';
import { BatchHeaderReader } from './batch-reader.js';
import { segmentConfigFor, type ResolvedLogConfig } from './log-config.js';
import type { FileHandleCache } from './file-handle-cache.js';
import { LogSegment } from './log-segment.js';
import type { StorageLogger } from './logger.js';
import { withTransientFile } from './open-files.js';
import {
  CLEAN_SHUTDOWN_FILE,
  INDEX_FILE_SUFFIX,
  LOG_FILE_SUFFIX,
  TIME_INDEX_FILE_SUFFIX,
  TXN_INDEX_FILE_SUFFIX,
  fsyncDir,
  offsetFileName,
  parseOffsetFileName,
  isNotFound,
  unlinkIfExists,
} from './fs-util.js';

export interface LoadOptions {
  logger: StorageLogger;
  /** Offset below which the log is known to be fsynced; undefined means "unknown" (recover everything). */
  recoveryPoint: number | undefined;
  nowMs: number;
  /** Where the segments' file handles are cached (undefined: the process-wide cache). */
  handles?: FileHandleCache;
  /** The caller fsyncs the directory right after a brand-new log is created (it writes partition.metadata). */
  dirSyncedByCaller?: boolean;
}

export interface LoadedLog {
  segments: LogSegment[];
  recoveryPoint: number;
  /** True when the directory had no clean-shutdown marker. */
  recovered: boolean;
  /** Bytes cut off during recovery. */
  truncatedBytes: number;
}

/** Suffixes of temporary files a crash may leave behind (ours and Kafka's); they are removed at load. */
const LEFTOVER_SUFFIXES = ['.tmp', '.deleted', '.cleaned', '.swap'];
const SWAP_LOG_SUFFIX = LOG_FILE_SUFFIX + '.swap';

/**
 * Completes committed compaction swaps (see the module comment). Returns the base offsets of the segments
 * that came out of a swap: their indexes must be rebuilt whatever the shutdown marker says.
 */
async function completeSwaps(dir: string, names: string[], logger: StorageLogger): Promise<Set<number>> {
  const swapped = new Set<number>();
  const swaps = names
    .map((n) => parseOffsetFileName(n, SWAP_LOG_SUFFIX))
    .filter((b): b is number => b !== null)
    .sort((a, b) => a - b);
  if (swaps.length === 0) return swapped;
  const live = names.map((n) => parseOffsetFileName(n, LOG_FILE_SUFFIX)).filter((b): b is number => b !== null);
  for (const base of swaps) {
    const swapFile = path.join(dir, offsetFileName(base, SWAP_LOG_SUFFIX));
    const end = await nextOffsetOfFile(swapFile, base);
    for (const old of live) {
      if (old < base || old >= end) continue;
      logger.warn({ dir, segment: old, swap: base }, 'completing compaction swap: deleting replaced segment');
      for (const suffix of [LOG_FILE_SUFFIX, INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX]) {
        await unlinkIfExists(path.join(dir, offsetFileName(old, suffix)));
      }
      // The replacement's own aborted-transaction index (below) holds what the replaced ones did.
      if (old !== base) await unlinkIfExists(path.join(dir, offsetFileName(old, TXN_INDEX_FILE_SUFFIX)));
    }
    for (const suffix of [INDEX_FILE_SUFFIX, TIME_INDEX_FILE_SUFFIX]) {
      await unlinkIfExists(path.join(dir, offsetFileName(base, suffix) + '.swap'));
    }
    // Renamed before the .log: once the .log.swap is gone the aborted transactions must be in place.
    try {
      await rename(path.join(dir, offsetFileName(base, TXN_INDEX_FILE_SUFFIX) + '.swap'), path.join(dir, offsetFileName(base, TXN_INDEX_FILE_SUFFIX)));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    await rename(swapFile, path.join(dir, offsetFileName(base, LOG_FILE_SUFFIX)));
    swapped.add(base);
  }
  await fsyncDir(dir);
  return swapped;
}

/** Offset after the last whole batch of a segment file (a header walk; the cleaner fsynced the file). */
function nextOffsetOfFile(file: string, baseOffset: number): Promise<number> {
  return withTransientFile(() => walkOffsets(file, baseOffset));
}

async function walkOffsets(file: string, baseOffset: number): Promise<number> {
  const fh = await open(file, 'r');
  try {
    const reader = new BatchHeaderReader(fh, 0, (await fh.stat()).size);
    let next = baseOffset;
    try {
      for (let b = await reader.next(); b !== null; b = await reader.next()) next = b.lastOffset + 1;
    } catch {
      // A corrupt header ends the walk; recovery of the segment truncates there.
    }
    return next;
  } finally {
    await fh.close();
  }
}

export async function loadLog(dir: string, config: ResolvedLogConfig, opts: LoadOptions): Promise<LoadedLog> {
  const { logger } = opts;
  // mkdir answers the directory it created: a brand-new log has nothing to list (saves two directory reads).
  const created = (await mkdir(dir, { recursive: true })) !== undefined;
  const swapped = created ? new Set<number>() : await completeSwaps(dir, await readdir(dir), logger);
  const names = created ? [] : await readdir(dir);
  const clean = names.includes(CLEAN_SHUTDOWN_FILE);
  const bases = new Set<number>();
  for (const name of names) {
    const base = parseOffsetFileName(name, LOG_FILE_SUFFIX);
    if (base !== null) bases.add(base);
  }
  for (const name of names) {
    const indexBase = parseOffsetFileName(name, INDEX_FILE_SUFFIX) ?? parseOffsetFileName(name, TIME_INDEX_FILE_SUFFIX) ?? parseOffsetFileName(name, TXN_INDEX_FILE_SUFFIX);
    const orphanIndex = indexBase !== null && !bases.has(indexBase);
    if (orphanIndex || LEFTOVER_SUFFIXES.some((s) => name.endsWith(s))) {
      logger.warn({ dir, file: name }, 'removing leftover file');
      await unlinkIfExists(path.join(dir, name));
    }
  }
  const sorted = [...bases].sort((a, b) => a - b);
  const segConfig = segmentConfigFor(config, opts.handles);
  const segments: LogSegment[] = [];
  try {
    for (const base of sorted) segments.push(await LogSegment.open(dir, base, segConfig, opts.nowMs));
    if (segments.length === 0) {
      segments.push(await LogSegment.create(dir, 0, segConfig, opts.nowMs, '', true));
      if (opts.dirSyncedByCaller !== true) await fsyncDir(dir);
    }
    let truncatedBytes = 0;
    if (clean || sorted.length === 0) {
      // Trusted, or brand new (the segment just created is empty and loaded).
      await segments[segments.length - 1]!.ensureLoaded();
    } else {
      truncatedBytes = await recoverSegments(dir, segments, opts);
    }
    for (const seg of segments) {
      // A segment that came out of a swap has no trustworthy indexes; recovery above may have rebuilt it already.
      if (swapped.has(seg.baseOffset) && !seg.isLoaded) await seg.recover(seg.baseOffset);
    }
    if (clean) {
      await unlinkIfExists(path.join(dir, CLEAN_SHUTDOWN_FILE));
      await fsyncDir(dir);
    }
    const active = segments[segments.length - 1]!;
    return { segments, recoveryPoint: active.nextOffset, recovered: !clean && sorted.length > 0, truncatedBytes };
  } catch (err) {
    await Promise.all(segments.map((s) => s.close().catch(() => undefined)));
    throw err;
  }
}

/** Recovers segments in place (the array is cut when later segments are deleted); returns bytes truncated. */
async function recoverSegments(dir: string, segments: LogSegment[], opts: LoadOptions): Promise<number> {
  const { logger } = opts;
  const rp = opts.recoveryPoint ?? 0;
  let start = 0;
  for (let i = 0; i < segments.length; i++) if (segments[i]!.baseOffset <= rp) start = i;
  let expected = segments[start]!.baseOffset;
  let truncatedBytes = 0;
  logger.info(
    { dir, recoveryPoint: opts.recoveryPoint ?? null, segments: segments.length - start },
    'no clean shutdown marker: recovering segments',
  );
  for (let i = start; i < segments.length; i++) {
    const seg = segments[i]!;
    const result = await seg.recover(expected);
    truncatedBytes += result.truncatedBytes;
    if (result.truncatedBytes > 0) {
      logger.warn({ dir, segment: seg.baseOffset, bytes: result.truncatedBytes, reason: result.reason }, 'truncated log segment');
    }
    // Recovery rewrote the indexes with fsync; make the data it accepted durable as well.
    seg.unsynced = true;
    await seg.syncLog();
    expected = seg.nextOffset;
    const next = segments[i + 1];
    const brokenHere = result.reason !== null || (next !== undefined && next.baseOffset < seg.nextOffset);
    if (brokenHere && next !== undefined) {
      const dropped = segments.splice(i + 1);
      for (const d of dropped) {
        logger.warn({ dir, segment: d.baseOffset }, 'deleting segment after a truncated one');
        await d.deleteFiles();
      }
      await fsyncDir(dir);
      break;
    }
  }
  return truncatedBytes;
}
