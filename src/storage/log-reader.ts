/**
 * The read path of one log: fetches by offset, ListOffsets by timestamp and MAX_TIMESTAMP. Reads do not queue
 * behind appends: they are bounded by the written end (and `maxOffset`, e.g. the high watermark), so they never
 * see half-written bytes. Each segment is pinned while it is read; a read that finds its segment closed
 * (deleted or replaced by the cleaner) runs again on the current segments. Close and delete wait for reads in
 * flight (`idle`).
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { LocalLog } from './local-log.js';
import { SegmentGoneError, pinned, type LogSegment } from './log-segment.js';
import type { ReadOptions, ReadResult } from './log-types.js';
import type { RecordTimestamp } from './record-timestamps.js';

/** A read runs again at most this many times when its segments keep disappearing under it. */
const MAX_READ_RETRIES = 8;

export class LogReader {
  private inflightReads = 0;
  private readsDrained: Array<() => void> = [];

  constructor(private readonly local: LocalLog) {}

  /** See PartitionLog.read. */
  read(fetchOffset: number, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
    this.local.ensureReadable();
    return this.trackRead(() => this.retrying(() => this.readOnce(fetchOffset, maxBytes, opts)));
  }

  private async readOnce(fetchOffset: number, maxBytes: number, opts: ReadOptions): Promise<ReadResult> {
    const local = this.local;
    if (!Number.isSafeInteger(fetchOffset) || fetchOffset < local.logStart || fetchOffset > local.nextOffset) {
      throw new KafkaError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${fetchOffset} is outside [${local.logStart}, ${local.nextOffset}] of ${local.dir}`,
      );
    }
    const upper = Math.min(opts.maxOffset ?? Number.MAX_SAFE_INTEGER, local.writtenEnd);
    if (fetchOffset >= upper) return { records: Buffer.alloc(0), batches: 0, nextOffset: fetchOffset };
    const segs = local.segments;
    const chunks: Buffer[] = [];
    let total = 0;
    let batches = 0;
    let nextOffset = fetchOffset;
    let started = false;
    for (let i = floorSegment(segs, fetchOffset); i < segs.length; i++) {
      const seg = segs[i]!;
      const limit = seg.sizeBytes;
      let position = 0;
      if (!started) {
        const b = await pinned(seg, () => seg.findBatch(fetchOffset, limit));
        if (b === null) continue;
        position = b.position;
        started = true;
      }
      const minOne = opts.minOneMessage === true && total === 0;
      const r = await pinned(seg, () => seg.readFrom(position, limit, maxBytes - total, upper, minOne));
      if (r.batches > 0) {
        chunks.push(r.records);
        total += r.records.length;
        batches += r.batches;
        nextOffset = r.lastOffset + 1;
      }
      if (r.stopped || total >= maxBytes) break;
    }
    const records = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
    return { records, batches, nextOffset };
  }

  /** See PartitionLog.offsetForTimestamp. */
  offsetForTimestamp(timestamp: number, maxOffset: number | undefined): Promise<RecordTimestamp | null> {
    const local = this.local;
    local.ensureReadable();
    const upper = Math.min(maxOffset ?? Number.MAX_SAFE_INTEGER, local.writtenEnd);
    return this.trackRead(() =>
      this.retrying(async () => {
        const minOffset = local.logStart;
        for (const seg of local.segments) {
          const found = await pinned(seg, async () => {
            await seg.ensureLoaded();
            if (seg.maxTimestamp < timestamp || seg.nextOffset <= minOffset) return undefined;
            if (seg.baseOffset >= upper) return null;
            return (await seg.findByTimestamp(timestamp, seg.sizeBytes, upper, minOffset)) ?? undefined;
          });
          if (found !== undefined) return found;
        }
        return null;
      }),
    );
  }

  /** See PartitionLog.maxTimestampOffset. */
  maxTimestampOffset(): Promise<RecordTimestamp | null> {
    const local = this.local;
    local.ensureReadable();
    return this.trackRead(() =>
      this.retrying(async () => {
        let best: LogSegment | null = null;
        for (const seg of local.segments) {
          await pinned(seg, () => seg.ensureLoaded());
          if (seg.sizeBytes > 0 && seg.maxTimestamp >= 0 && (best === null || seg.maxTimestamp > best.maxTimestamp)) best = seg;
        }
        if (best === null) return null;
        const b = best;
        const found = await pinned(b, () => b.findMaxTimestamp(b.sizeBytes));
        // Below the log start only when DeleteRecords cut into the segment: report the first readable offset.
        return found === null ? null : { offset: Math.max(found.offset, local.logStart), timestamp: found.timestamp };
      }),
    );
  }

  /** Resolves once no read is in flight. */
  idle(): Promise<void> {
    if (this.inflightReads === 0) return Promise.resolve();
    return new Promise((resolve) => this.readsDrained.push(resolve));
  }

  /**
   * Runs a read again when one of its segments was closed under it (replaced by the cleaner or deleted with
   * file.delete.delay.ms = 0); the retry sees the current segments (or OFFSET_OUT_OF_RANGE after retention).
   */
  private async retrying<T>(fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof SegmentGoneError) || attempt >= MAX_READ_RETRIES) throw err;
      }
    }
  }

  /** Counts a read so that close/delete wait for it; maps unexpected I/O errors to KAFKA_STORAGE_ERROR. */
  private async trackRead<T>(fn: () => Promise<T>): Promise<T> {
    this.inflightReads++;
    try {
      return await fn();
    } catch (err) {
      if (err instanceof KafkaError) throw err;
      throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `read from ${this.local.dir} failed: ${(err as Error).message}`);
    } finally {
      this.inflightReads--;
      if (this.inflightReads === 0) for (const w of this.readsDrained.splice(0)) w();
    }
  }
}

/** Index of the last segment whose base offset is ≤ offset (0 when none). */
function floorSegment(segs: LogSegment[], offset: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  let found = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (segs[mid]!.baseOffset <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
