/**
 * Kafka's flush.messages / flush.ms for one log. By default (NEVER_FLUSH) nothing is forced: the OS page cache
 * writes data back. `flushNow` runs inside the write queue, so it covers every append written before it; the
 * flush.ms timer queues a flush the same way.
 */
import { MAX_TIMER_MS, NEVER_FLUSH } from './log-config.js';
import type { LocalLog } from './local-log.js';

export class FlushPolicy {
  private unflushedRecords = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Number of fsyncs forced by flush.messages, flush.ms or `flush()` since open. */
  flushes = 0;

  constructor(
    private readonly local: LocalLog,
    /** Queues a task behind the appends already queued (the write queue's `enqueueTask`). */
    private readonly enqueue: (run: () => Promise<void>) => Promise<void>,
  ) {}

  /** After a group of appends was written: fsync now when flush.messages / flush.ms=0 say so, else arm the timer. */
  async afterWrite(records: number): Promise<void> {
    this.unflushedRecords += records;
    const cfg = this.local.config;
    if (this.unflushedRecords >= cfg.flushMessages || cfg.flushMs === 0) {
      await this.flushNow();
    } else {
      this.armTimer();
    }
  }

  /** Runs inside the queue: waits for roll flushes, fsyncs the active segment, advances the recovery point. */
  async flushNow(): Promise<void> {
    this.cancelTimer();
    const local = this.local;
    const target = local.writtenEnd;
    await local.rollFlush;
    if (local.failure !== null) throw local.storageError();
    try {
      await local.active.syncLog();
    } catch (err) {
      local.fail(err);
      throw local.storageError();
    }
    this.unflushedRecords = 0;
    this.flushes++;
    if (target > local.recoveryPoint) local.recoveryPoint = target;
  }

  /** After a config change: a pending timer is re-armed with the new flush.ms. */
  reconfigure(): void {
    if (this.timer === null) return;
    this.cancelTimer();
    this.armTimer();
  }

  cancelTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private armTimer(): void {
    const local = this.local;
    if (this.timer !== null || local.config.flushMs >= NEVER_FLUSH || this.unflushedRecords === 0) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        if (local.state !== 'open' || local.failure !== null) return;
        this.enqueue(() => this.flushNow()).catch((err: unknown) => {
          local.logger.error({ dir: local.dir, err }, 'timed flush failed');
        });
      },
      Math.min(local.config.flushMs, MAX_TIMER_MS),
    );
    this.timer.unref();
  }
}
