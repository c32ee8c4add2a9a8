/** When the active segment must give way to a new one (Kafka's LogSegment.shouldRoll). */
import type { ResolvedLogConfig } from './log-config.js';
import type { AppendedBatch, LogSegment } from './log-segment.js';

/** What the roll rules need to know of a queued append. */
export interface RollCandidate {
  sizeBytes: number;
  lastOffset: number;
  maxTimestamp: number;
  batches: readonly AppendedBatch[];
}

/**
 * Kafka's roll rules: the append would push the segment past segment.bytes; the segment's first batch is
 * older than segment.ms relative to the new batch's timestamp (or, with no timestamp, the segment's age);
 * an index could fill up; or an offset would not fit relative to the base. Empty segments never roll.
 * `extraBytes`/`extraBatches` describe appends already grouped for the same write.
 */
export function shouldRoll(
  seg: LogSegment,
  e: RollCandidate,
  extraBytes: number,
  extraBatches: number,
  cfg: ResolvedLogConfig,
  clock: () => number,
): boolean {
  const size = seg.sizeBytes + extraBytes;
  if (size === 0) return false;
  if (size + e.sizeBytes > cfg.segmentBytes) return true;
  const batches = extraBatches + e.batches.length;
  if (seg.offsetIndex.entries + batches > seg.offsetIndex.maxEntries) return true;
  if (seg.timeIndex.entries + batches + 1 > seg.timeIndex.maxEntries) return true;
  if (!seg.canHoldOffset(e.lastOffset)) return true;
  const rolling = seg.rollingBasedTimestamp;
  const waitedMs = rolling !== undefined && rolling >= 0 ? e.maxTimestamp - rolling : clock() - seg.createdMs;
  return waitedMs > cfg.segmentMs;
}
