/**
 * Kafka's asynchronous segment delete: segments leaving the log (retention, DeleteRecords, a compaction swap)
 * have their files renamed `*.deleted` at once (so a restart removes them whatever happens next) and are closed
 * and unlinked after file.delete.delay.ms, once no read holds them. Close and delete of the log do not wait
 * for the delay (`removeAll`).
 */
import { fsyncDir } from './fs-util.js';
import type { LocalLog } from './local-log.js';
import { MAX_TIMER_MS } from './log-config.js';
import type { LogSegment } from './log-segment.js';

export class RetiredSegments {
  /** Segments renamed `.deleted`, waiting for file.delete.delay.ms (null: removal under way). */
  private readonly pending = new Map<LogSegment, NodeJS.Timeout | null>();

  constructor(private readonly local: LocalLog) {}

  /** Renames the segments' files `*.deleted`, fsyncs the directory and schedules their removal. */
  async retire(doomed: readonly LogSegment[]): Promise<void> {
    for (const seg of doomed) {
      seg.detach();
      if (seg.fileSuffix !== '.deleted') await seg.changeSuffix('.deleted');
    }
    await fsyncDir(this.local.dir);
    for (const seg of doomed) this.scheduleRemoval(seg);
  }

  /** Removes `seg` (already renamed `.deleted`) after file.delete.delay.ms. */
  scheduleRemoval(seg: LogSegment): void {
    const local = this.local;
    const timer = setTimeout(() => {
      this.remove(seg).catch((err: unknown) => local.logger.warn({ dir: local.dir, err }, 'removing deleted segment failed'));
    }, Math.min(local.config.fileDeleteDelayMs, MAX_TIMER_MS));
    timer.unref();
    this.pending.set(seg, timer);
  }

  /** Removes every segment still waiting for its delete delay. */
  async removeAll(): Promise<void> {
    await Promise.all([...this.pending.keys()].map((seg) => this.remove(seg).catch(() => undefined)));
  }

  private async remove(seg: LogSegment): Promise<void> {
    const timer = this.pending.get(seg);
    if (timer === undefined) return;
    if (timer !== null) clearTimeout(timer);
    this.pending.set(seg, null);
    await seg.closeWhenIdle();
    await seg.unlinkFiles();
    this.pending.delete(seg);
  }
}
