/**
 * Retention and DeleteRecords for one log: which leading segments go, and moving the log start offset. Both
 * functions run inside the write queue (PartitionLog queues them); the segments they remove are retired
 * (renamed `*.deleted`, removed after file.delete.delay.ms, see retired-segments.ts).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { hasCleanupPolicy } from './log-config.js';
import type { LocalLog } from './local-log.js';
import type { LogSegment } from './log-segment.js';
import type { RetiredSegments } from './retired-segments.js';

/**
 * Kafka's deleteOldSegments (see PartitionLog.applyRetention for the rules). Returns the number of segments
 * deleted.
 */
export async function deleteOldSegments(
  local: LocalLog,
  retired: RetiredSegments,
  nowMs: number,
  highWatermark: number | undefined,
): Promise<number> {
  if (local.failure !== null || local.state !== 'open') return 0;
  const doomed = await retentionBreaches(local, nowMs, Math.min(highWatermark ?? local.writtenEnd, local.writtenEnd));
  if (doomed.length === 0) return 0;
  await local.rollFlush;
  if (doomed.length === local.segments.length) await local.roll(local.writtenEnd);
  const reason = doomed.map((d) => d.baseOffset);
  await removeAndRetire(local, retired, doomed);
  local.logger.info({ dir: local.dir, segments: reason, logStartOffset: local.logStart }, 'deleted segments by retention');
  return doomed.length;
}

/** The leading segments `deleteOldSegments` may delete. */
async function retentionBreaches(local: LocalLog, nowMs: number, highWatermark: number): Promise<LogSegment[]> {
  const cfg = local.config;
  const byPolicy = hasCleanupPolicy(cfg, 'delete');
  let excessBytes = byPolicy && cfg.retentionBytes >= 0 ? local.sizeBytes - cfg.retentionBytes : 0;
  const doomed: LogSegment[] = [];
  const segs = local.segments;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    const next = segs[i + 1];
    const upperBound = next?.baseOffset ?? local.writtenEnd;
    if (highWatermark < upperBound || (next === undefined && seg.sizeBytes === 0)) break;
    let breach = next !== undefined && next.baseOffset <= local.logStart;
    if (!breach && byPolicy && excessBytes > 0 && excessBytes >= seg.sizeBytes) breach = true;
    if (!breach && byPolicy && cfg.retentionMs >= 0) {
      await seg.ensureLoaded();
      const largest = seg.maxTimestamp >= 0 ? seg.maxTimestamp : await seg.lastModifiedMs();
      breach = nowMs - largest > cfg.retentionMs;
    }
    if (!breach) break;
    excessBytes -= seg.sizeBytes;
    doomed.push(seg);
  }
  return doomed;
}

/**
 * DeleteRecords (see PartitionLog.deleteRecordsBefore): moves the log start offset to `offset` (-1 = the high
 * watermark) and deletes the segments wholly below it. Returns the new log start offset, or -1 when it did
 * not move.
 */
export async function deleteRecordsBefore(
  local: LocalLog,
  retired: RetiredSegments,
  offset: number,
  highWatermark: number | undefined,
): Promise<number> {
  if (local.failure !== null) throw local.storageError();
  const hw = Math.min(highWatermark ?? local.writtenEnd, local.writtenEnd);
  const target = offset === -1 ? hw : offset;
  if (!Number.isSafeInteger(target) || target < 0 || target > hw) {
    throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `cannot delete records before ${offset}: high watermark is ${hw}`);
  }
  if (target <= local.logStart) return -1;
  local.logStart = target;
  const segs = local.segments;
  const doomed: LogSegment[] = [];
  for (let i = 0; i + 1 < segs.length && segs[i + 1]!.baseOffset <= target; i++) doomed.push(segs[i]!);
  if (doomed.length > 0) {
    await local.rollFlush;
    await removeAndRetire(local, retired, doomed);
  }
  local.logger.info({ dir: local.dir, logStartOffset: target, segmentsDeleted: doomed.length }, 'deleted records');
  return target;
}

async function removeAndRetire(local: LocalLog, retired: RetiredSegments, doomed: readonly LogSegment[]): Promise<void> {
  local.removeSegments(doomed);
  await retired.retire(doomed);
}
