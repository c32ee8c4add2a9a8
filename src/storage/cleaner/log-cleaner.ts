/**
 * Log compaction of one partition (Kafka's LogCleaner.doClean, one log at a time):
 *
 * 1. Cleanable range: from the first dirty offset (the cleaner checkpoint; the log start when unknown) to the
 *    first uncleanable offset — the active segment's base, the high watermark, or the first dirty segment
 *    younger than min.compaction.lag.ms. The log is eligible when dirty bytes / (clean + dirty bytes) reaches
 *    min.cleanable.dirty.ratio, when its first dirty record is older than max.compaction.lag.ms, or when a
 *    tombstone's delete horizon has passed.
 * 2. Offset map: key → latest offset over the dirty range, in a bounded OffsetMap. When the map fills, the
 *    range ends at the last batch that fit; the rest is cleaned in the next pass (bounded memory, several passes).
 * 3. Rewrite every inactive segment from the log start up to the end of the mapped range, in groups that fit
 *    one segment: a record is kept unless the map holds a newer offset for its key, it has no key, or it is a
 *    tombstone in a batch whose delete horizon (KIP-534) has passed. Tombstones kept in a batch without a
 *    horizon get one (now + delete.retention.ms): a tombstone survives at least that long after its first
 *    clean. Unchanged batches are copied byte for byte; changed ones are rebuilt with their offsets, codec and
 *    producer fields; control batches are kept; a batch left empty is dropped, except for idempotent producers
 *    (an empty header keeps their last sequence, as Kafka keeps one) and for a group's last batch (the empty
 *    header keeps the group's end offset, which recovery of an interrupted swap relies on).
 * 4. Each group is written as `<base>.log.cleaned`, fsynced and swapped in by `PartitionLog.swapSegments`.
 */
import { NEVER } from '../log-config.js';
import { LogSegment, pinned } from '../log-segment.js';
import { SILENT_LOGGER, type StorageLogger } from '../logger.js';
import type { PartitionLog, SwapStep } from '../partition-log.js';
import { INT32_MAX } from '../segment-scan.js';
import { OffsetMap } from './offset-map.js';
import { DEFAULT_DECOMPRESSION_BUDGET, decompressedLimitBytes } from '../deferred-validation.js';
import { batchFacts, isUnreadable, readRawRecords, rebuildBatch, type RawRecord } from './record-rewriter.js';

/** Steps a test hook sees: the cleaned files are complete, then the swap's own steps. */
export type CleanStep = 'cleaned-written' | SwapStep;

export interface CleanOptions {
  /** Shared, bounded key → offset map (log.cleaner.dedupe.buffer.size); cleared by each pass. */
  offsetMap: OffsetMap;
  nowMs?: number;
  /** The cleaner checkpoint: offsets below it were cleaned before. Default (and when invalid): the log start. */
  firstDirtyOffset?: number;
  /** Offsets at or past it are never cleaned. Default: the written end. */
  highWatermark?: number;
  /** The earliest delete horizon left by the previous clean (Infinity when none): cleaning is due once passed. */
  earliestDeleteHorizonMs?: number;
  /** Clean whatever the dirty ratio says. */
  force?: boolean;
  /** Runs after each step of each group's swap; a throw there simulates a crash at that step. */
  hook?: (step: CleanStep) => Promise<void> | void;
  /** Checked between segments: a stopping broker abandons the clean (its .cleaned files are removed). */
  shouldStop?: () => boolean;
  logger?: StorageLogger;
}

export interface CleanableStats {
  firstDirtyOffset: number;
  firstUncleanableOffset: number;
  cleanBytes: number;
  dirtyBytes: number;
  /** dirty / (clean + dirty), 0 for an empty log. */
  dirtyRatio: number;
  /** The first dirty record is older than max.compaction.lag.ms. */
  maxLagExceeded: boolean;
}

export interface CleanResult {
  cleaned: boolean;
  /** The new cleaner checkpoint. */
  firstDirtyOffset: number;
  passes: number;
  segmentsRewritten: number;
  bytesBefore: number;
  bytesAfter: number;
  recordsRemoved: number;
  /** Smallest delete horizon carried by the cleaned segments, Infinity when none. */
  earliestDeleteHorizonMs: number;
  /** Why nothing (more) was cleaned, when that is the case. */
  skipped?: string;
  stats: CleanableStats;
}

const WRITE_CHUNK_BYTES = 1024 * 1024;

/** Step 1: where the dirty section starts and ends, and whether the log is worth cleaning. */
export async function cleanableStats(
  log: PartitionLog,
  firstDirtyOffset: number,
  nowMs: number,
  highWatermark?: number,
): Promise<CleanableStats> {
  const { segments, writtenEnd } = log.cleanerView();
  const cfg = log.config;
  const logStart = log.logStartOffset;
  const firstDirty = firstDirtyOffset < logStart || firstDirtyOffset > writtenEnd ? logStart : firstDirtyOffset;
  const inactive = segments.slice(0, -1);
  for (const seg of inactive) await pinned(seg, () => seg.ensureLoaded());
  let firstUncleanable = Math.min(segments[segments.length - 1]!.baseOffset, highWatermark ?? writtenEnd);
  let cleanBytes = 0;
  let dirtyBytes = 0;
  let firstDirtySegment: LogSegment | undefined;
  for (const seg of inactive) {
    if (seg.nextOffset <= firstDirty) {
      cleanBytes += seg.sizeBytes;
      continue;
    }
    if (seg.baseOffset >= firstUncleanable) break;
    // min.compaction.lag.ms: a segment holding a record younger than the lag ends the cleanable range.
    if (cfg.minCompactionLagMs > 0 && seg.maxTimestamp > nowMs - cfg.minCompactionLagMs) {
      firstUncleanable = Math.max(seg.baseOffset, firstDirty);
      break;
    }
    firstDirtySegment ??= seg;
    dirtyBytes += seg.sizeBytes;
  }
  const total = cleanBytes + dirtyBytes;
  const firstTimestamp = firstDirtySegment?.rollingBasedTimestamp ?? -1;
  return {
    firstDirtyOffset: firstDirty,
    firstUncleanableOffset: Math.max(firstUncleanable, firstDirty),
    cleanBytes,
    dirtyBytes,
    dirtyRatio: total === 0 ? 0 : dirtyBytes / total,
    maxLagExceeded: cfg.maxCompactionLagMs < NEVER && firstTimestamp >= 0 && nowMs - firstTimestamp > cfg.maxCompactionLagMs,
  };
}

/** Cleans `log` when it is eligible (or `force`). See the module comment. */
export async function cleanLog(log: PartitionLog, opts: CleanOptions): Promise<CleanResult> {
  const nowMs = opts.nowMs ?? log.clock();
  const logger = opts.logger ?? SILENT_LOGGER;
  const cfg = log.config;
  const stats = await cleanableStats(log, opts.firstDirtyOffset ?? log.logStartOffset, nowMs, opts.highWatermark);
  const result: CleanResult = {
    cleaned: false,
    firstDirtyOffset: stats.firstDirtyOffset,
    passes: 0,
    segmentsRewritten: 0,
    bytesBefore: 0,
    bytesAfter: 0,
    recordsRemoved: 0,
    earliestDeleteHorizonMs: opts.earliestDeleteHorizonMs ?? Number.POSITIVE_INFINITY,
    stats,
  };
  const horizonDue = result.earliestDeleteHorizonMs <= nowMs;
  const dirtyEnough = stats.dirtyBytes > 0 && (stats.dirtyRatio >= cfg.minCleanableDirtyRatio || stats.maxLagExceeded);
  if (!(opts.force === true || dirtyEnough || horizonDue)) {
    result.skipped = `dirty ratio ${stats.dirtyRatio.toFixed(3)} below ${cfg.minCleanableDirtyRatio}`;
    return result;
  }
  const map = opts.offsetMap;
  let firstDirty = stats.firstDirtyOffset;
  const upper = stats.firstUncleanableOffset;
  for (;;) {
    if (opts.shouldStop?.() === true) {
      result.skipped = 'stopped';
      break;
    }
    const view = log.cleanerView();
    map.clear();
    let end = firstDirty;
    if (firstDirty < upper) {
      end = await buildOffsetMap(log, view.segments.slice(0, -1), firstDirty, upper, map, logger);
      if (end === firstDirty) {
        throw new Error(`offset map of ${map.maxEntries} entries cannot hold one batch at offset ${firstDirty} of ${log.dir}`);
      }
    } else if (result.passes > 0) {
      break;
    }
    // A pass with nothing dirty (a delete horizon is due) rewrites the clean section only.
    const limit = end > firstDirty ? end : upper;
    const toClean = view.segments.slice(0, -1).filter((s) => s.baseOffset < limit);
    if (toClean.length === 0) break;
    result.earliestDeleteHorizonMs = Number.POSITIVE_INFINITY;
    let version: number | null = view.version;
    for (const group of groupSegments(toClean, log)) {
      if (opts.shouldStop?.() === true) {
        result.skipped = 'stopped';
        return result;
      }
      const written = await writeCleaned(log, group, map, nowMs, view.segmentConfig, logger);
      try {
        await opts.hook?.('cleaned-written');
        version = await log.swapSegments(written.segment, group, version, opts.hook);
      } catch (err) {
        await written.segment.close().catch(() => undefined);
        throw err;
      }
      if (version === null) {
        await written.segment.deleteFiles();
        result.skipped = 'the log changed while it was being cleaned';
        return result;
      }
      result.cleaned = true;
      result.segmentsRewritten += group.length;
      result.bytesBefore += group.reduce((n, s) => n + s.sizeBytes, 0);
      result.bytesAfter += written.segment.sizeBytes;
      result.recordsRemoved += written.recordsRemoved;
      result.earliestDeleteHorizonMs = Math.min(result.earliestDeleteHorizonMs, written.earliestDeleteHorizonMs);
    }
    result.passes++;
    firstDirty = Math.max(firstDirty, end);
    result.firstDirtyOffset = firstDirty;
    if (firstDirty >= upper) break;
  }
  if (result.cleaned) {
    logger.info(
      {
        dir: log.dir,
        passes: result.passes,
        segments: result.segmentsRewritten,
        bytesBefore: result.bytesBefore,
        bytesAfter: result.bytesAfter,
        recordsRemoved: result.recordsRemoved,
      },
      'cleaned log',
    );
  }
  return result;
}

/**
 * Step 2: puts the keys of the dirty range [from, to) into `map`, in offset order, whole batches only. Returns
 * the offset after the last batch mapped: `to` when everything fit, less when the map filled up.
 */
async function buildOffsetMap(
  log: PartitionLog,
  segments: readonly LogSegment[],
  from: number,
  to: number,
  map: OffsetMap,
  logger: StorageLogger,
): Promise<number> {
  const limitBytes = recordsLimitBytes(log);
  let end = from;
  for (const seg of segments) {
    if (seg.nextOffset <= from) continue;
    if (seg.baseOffset >= to) break;
    const full = await pinned(seg, async () => {
      for await (const { batch, bytes } of seg.batches()) {
        if (batch.lastOffset < from) continue;
        if (batch.lastOffset >= to) return true;
        const facts = batchFacts(bytes);
        // Control batches carry no keys of the topic (Kafka leaves them out of the map too).
        if (!facts.isControl) {
          if (facts.recordsCount > map.remaining) return true;
          const records = await readRawRecords(bytes, limitBytes);
          if (isUnreadable(records)) warnUnreadable(logger, log, seg, facts.baseOffset, facts.lastOffset, records.unreadable);
          else for (const r of records) if (r.key !== null && r.offset >= from) map.put(r.key, r.offset);
        }
        end = batch.lastOffset + 1;
      }
      return false;
    });
    if (full) break;
  }
  return Math.min(end, to);
}

/** What a stored batch may decompress to, as on produce (deferred-validation.ts). */
function recordsLimitBytes(log: PartitionLog): number {
  return decompressedLimitBytes(log.config.maxMessageBytes, DEFAULT_DECOMPRESSION_BUDGET);
}

/** Segments already warned about (`dir` + base offset), so each unreadable segment is logged once, not every pass. */
const warnedSegments = new Set<string>();
const MAX_WARNED_SEGMENTS = 10_000;

function warnUnreadable(logger: StorageLogger, log: PartitionLog, seg: LogSegment, baseOffset: number, lastOffset: number, why: string): void {
  const key = `${log.dir}\u0000${seg.baseOffset}`;
  if (warnedSegments.has(key)) return;
  if (warnedSegments.size >= MAX_WARNED_SEGMENTS) warnedSegments.clear();
  warnedSegments.add(key);
  logger.warn(
    { dir: log.dir, segment: seg.baseOffset, baseOffset, lastOffset, reason: why },
    'cleaner: a batch cannot be read and is kept as it is (further ones in this segment are not logged); see docs/storage.md, repairing a partition',
  );
}

/**
 * Kafka's groupSegmentsBySize: consecutive segments whose total size fits segment.bytes, whose index entries
 * fit one index, and whose offsets fit relative to the first base.
 */
function groupSegments(segments: readonly LogSegment[], log: PartitionLog): LogSegment[][] {
  const cfg = log.config;
  const groups: LogSegment[][] = [];
  let current: LogSegment[] = [];
  let bytes = 0;
  let offsetEntries = 0;
  let timeEntries = 0;
  for (const seg of segments) {
    const fits =
      current.length > 0 &&
      bytes + seg.sizeBytes <= cfg.segmentBytes &&
      offsetEntries + seg.offsetIndex.entries <= seg.offsetIndex.maxEntries &&
      timeEntries + seg.timeIndex.entries + 1 <= seg.timeIndex.maxEntries &&
      seg.nextOffset - 1 - current[0]!.baseOffset <= INT32_MAX;
    if (current.length > 0 && !fits) {
      groups.push(current);
      current = [];
      bytes = 0;
      offsetEntries = 0;
      timeEntries = 0;
    }
    current.push(seg);
    bytes += seg.sizeBytes;
    offsetEntries += seg.offsetIndex.entries;
    timeEntries += seg.timeIndex.entries;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

interface WrittenSegment {
  segment: LogSegment;
  recordsRemoved: number;
  earliestDeleteHorizonMs: number;
}

/** Step 3 for one group: writes the retained batches to `<base>.log.cleaned` and fsyncs it with its indexes. */
async function writeCleaned(
  log: PartitionLog,
  group: readonly LogSegment[],
  map: OffsetMap,
  nowMs: number,
  segmentConfig: ReturnType<PartitionLog['cleanerView']>['segmentConfig'],
  logger: StorageLogger,
): Promise<WrittenSegment> {
  const cfg = log.config;
  const limitBytes = recordsLimitBytes(log);
  const out = await LogSegment.create(log.dir, group[0]!.baseOffset, { ...segmentConfig, preallocateBytes: 0 }, nowMs, '.cleaned');
  let bufs: Buffer[] = [];
  let metas: Array<{ sizeBytes: number; lastOffset: number; maxTimestamp: number }> = [];
  let pendingBytes = 0;
  const emit = async (buf: Buffer, lastOffset: number): Promise<void> => {
    bufs.push(buf);
    metas.push({ sizeBytes: buf.length, lastOffset, maxTimestamp: batchFacts(buf).maxTimestamp });
    pendingBytes += buf.length;
    if (pendingBytes >= WRITE_CHUNK_BYTES) await flush();
  };
  const flush = async (): Promise<void> => {
    if (bufs.length > 0) await out.append(bufs, metas);
    bufs = [];
    metas = [];
    pendingBytes = 0;
  };
  let recordsRemoved = 0;
  let earliestHorizon = Number.POSITIVE_INFINITY;
  let last: { bytes: Buffer; written: boolean } | null = null;
  try {
    for (const seg of group) {
      await pinned(seg, async () => {
        for await (const { bytes } of seg.batches()) {
          const facts = batchFacts(bytes);
          last = { bytes, written: true };
          if (facts.isControl) {
            await emit(bytes, facts.lastOffset);
            continue;
          }
          const records = await readRawRecords(bytes, limitBytes);
          if (isUnreadable(records)) {
            // Kept as it is: the cleaner never drops what it cannot read (docs/storage.md: repairing a partition).
            warnUnreadable(logger, log, seg, facts.baseOffset, facts.lastOffset, records.unreadable);
            await emit(bytes, facts.lastOffset);
            continue;
          }
          const horizon = facts.deleteHorizonMs;
          const keep = (r: RawRecord): boolean =>
            r.key !== null && map.get(r.key) <= r.offset && !(r.isTombstone && horizon !== null && nowMs >= horizon);
          const retained = records.filter(keep);
          recordsRemoved += records.length - retained.length;
          const needsHorizon = horizon === null && retained.some((r) => r.isTombstone);
          const newHorizon = horizon ?? (needsHorizon ? nowMs + cfg.deleteRetentionMs : null);
          if (newHorizon !== null && retained.some((r) => r.isTombstone)) earliestHorizon = Math.min(earliestHorizon, newHorizon);
          if (retained.length === records.length && !needsHorizon) {
            await emit(bytes, facts.lastOffset);
          } else if (retained.length > 0 || facts.producerId >= 0) {
            await emit(await rebuildBatch(bytes, retained, retained.length > 0 ? newHorizon : null), facts.lastOffset);
          } else {
            last.written = false;
          }
        }
      });
    }
    const tail = last as { bytes: Buffer; written: boolean } | null;
    if (tail !== null && !tail.written) await emit(await rebuildBatch(tail.bytes, [], null), batchFacts(tail.bytes).lastOffset);
    await flush();
    out.onBecomeInactive();
    await out.flushAll();
  } catch (err) {
    await out.deleteFiles().catch(() => undefined);
    throw err;
  }
  return { segment: out, recordsRemoved, earliestDeleteHorizonMs: earliestHorizon };
}
