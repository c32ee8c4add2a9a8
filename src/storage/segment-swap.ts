/**
 * The log's side of the compaction swap (Kafka's replaceSegments); recovery's side is `completeSwaps` in
 * log-recovery.ts. Runs inside the write queue.
 */
import { fsyncDir } from './fs-util.js';
import type { LocalLog } from './local-log.js';
import type { LogSegment } from './log-segment.js';
import type { SwapStep } from './log-types.js';
import type { RetiredSegments } from './retired-segments.js';

/**
 * Replaces the contiguous, inactive segments `old` with `replacement` (see PartitionLog.swapSegments):
 * `.cleaned` → `.swap` (the commit point), old segments → `.deleted`, `.swap` → live, each step followed by a
 * directory fsync. Returns the log's new version, or null without touching anything when the log changed
 * since `version`. Any error takes the log offline, as an I/O error would.
 */
export async function swapSegments(
  local: LocalLog,
  retired: RetiredSegments,
  replacement: LogSegment,
  old: readonly LogSegment[],
  version: number,
  hook: ((step: SwapStep) => Promise<void> | void) | undefined,
): Promise<number | null> {
  if (local.failure !== null) throw local.storageError();
  const at = local.segments.indexOf(old[0]!);
  const contiguous = at >= 0 && old.every((s, i) => local.segments[at + i] === s);
  if (version !== local.version || !contiguous || at + old.length >= local.segments.length) return null;
  await local.rollFlush;
  try {
    // The cleaner keeps transactional batches and markers as they are, so the replaced segments' aborted
    // transactions carry over whole (fsynced with the replacement, before the commit point).
    for (const seg of old) for (const e of await seg.txnIndex.all()) await replacement.txnIndex.append(e);
    await replacement.txnIndex.flush();
    await replacement.changeSuffix('.swap');
    await fsyncDir(local.dir);
    await hook?.('renamed-to-swap');
    for (const seg of old) {
      seg.detach();
      await seg.changeSuffix('.deleted');
      await hook?.('old-renamed-deleted');
    }
    await fsyncDir(local.dir);
    await replacement.changeSuffix('');
    await fsyncDir(local.dir);
    await hook?.('swap-renamed-live');
  } catch (err) {
    local.fail(err);
    throw local.storageError();
  }
  local.segments = [...local.segments.slice(0, at), replacement, ...local.segments.slice(at + old.length)];
  local.version++;
  for (const seg of old) retired.scheduleRemoval(seg);
  return local.version;
}
