/**
 * The LogManager's background tasks: retention every log.retention.check.interval.ms and the cleaner every
 * log.cleaner.backoff.ms for logs with `compact` in cleanup.policy. Each runs one log at a time, and one
 * round at a time: a round asked for while one runs (timer or caller) waits for it.
 */
import { cleanLog } from './cleaner/log-cleaner.js';
import { OffsetMap, OFFSET_MAP_SLOT_BYTES } from './cleaner/offset-map.js';
import { hasCleanupPolicy } from './log-config.js';
import { partitionKey, type HostedLog } from './log-dirs.js';
import type { StorageLogger } from './logger.js';
import type { PartitionLog } from './partition-log.js';

/** What the schedulers see of their LogManager. */
export interface SchedulerHost {
  readonly logs: ReadonlyMap<string, HostedLog>;
  readonly logger: StorageLogger;
  isOpen(): boolean;
  now(): number;
  /** The partition's high watermark: retention and the cleaner never go past it. */
  highWatermark(h: HostedLog): number | undefined;
}

/** A map of dirtyBytes/8 entries never needs a second pass: a record takes at least ~8 bytes of a batch. */
const MIN_RECORD_BYTES = 8;
const MIN_MAP_BYTES = 64 * 1024;

/** Runs `task` every `intervalMs` on an unref'd timer; a failure is logged as `failed`. */
export function every(intervalMs: number, task: () => Promise<unknown>, logger: StorageLogger, failed: string): NodeJS.Timeout {
  const timer = setInterval(() => {
    task().catch((err: unknown) => logger.error({ err }, failed));
  }, intervalMs);
  timer.unref();
  return timer;
}

/** Runs rounds one at a time. */
class Rounds {
  private current: Promise<void> | null = null;

  async run(round: () => Promise<void>): Promise<void> {
    while (this.current !== null) await this.current.catch(() => undefined);
    const run = round();
    this.current = run;
    try {
      await run;
    } finally {
      this.current = null;
    }
  }

  /** Resolves when the round in progress (if any) has ended, however it ended. */
  async idle(): Promise<void> {
    await this.current?.catch(() => undefined);
  }
}

export class RetentionScheduler {
  private timer: NodeJS.Timeout | null = null;
  private readonly rounds = new Rounds();

  constructor(private readonly host: SchedulerHost) {}

  start(intervalMs: number): void {
    this.timer = every(intervalMs, () => this.runOnce(), this.host.logger, 'retention check failed');
  }

  /** Stops the timer; a round in progress finishes its current log (`idle`). */
  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  idle(): Promise<void> {
    return this.rounds.idle();
  }

  /** One round: `applyRetention` on every log, in turn. Resolves to the number of segments deleted. */
  async runOnce(nowMs?: number): Promise<number> {
    const host = this.host;
    let deleted = 0;
    await this.rounds.run(async () => {
      for (const h of [...host.logs.values()]) {
        if (!host.isOpen()) return;
        try {
          deleted += await h.log.applyRetention(nowMs ?? host.now(), { highWatermark: host.highWatermark(h) });
        } catch (err) {
          host.logger.warn({ dir: h.dir, err }, 'retention of a log failed');
        }
      }
    });
    return deleted;
  }
}

export interface CleanerSettings {
  enable: boolean;
  backoffMs: number;
  dedupeBufferBytes: number;
  loadFactor: number;
}

export class CleanerScheduler {
  private timer: NodeJS.Timeout | null = null;
  private readonly rounds = new Rounds();
  /** Cleaner state per partition: checkpoint (first dirty offset) and the earliest pending delete horizon. */
  private readonly state = new Map<string, { firstDirtyOffset: number; earliestDeleteHorizonMs: number }>();

  constructor(
    private readonly host: SchedulerHost,
    private readonly settings: CleanerSettings,
    /** Writes the cleaner-offset-checkpoint; called after a round that cleaned something. */
    private readonly checkpoint: () => Promise<void>,
  ) {}

  /** A log found at open with a cleaner checkpoint. */
  restore(key: string, firstDirtyOffset: number): void {
    // After a restart the delete horizons of cleaned tombstones are unknown: one clean finds them again.
    this.state.set(key, { firstDirtyOffset, earliestDeleteHorizonMs: 0 });
  }

  forget(key: string): void {
    this.state.delete(key);
  }

  /** The cleaner checkpoint of a log, null when it was never cleaned. */
  firstDirtyOffset(h: HostedLog): number | null {
    return this.state.get(partitionKey(h.topic, h.partition))?.firstDirtyOffset ?? null;
  }

  /** Schedules the next round log.cleaner.backoff.ms from now (and after each round) while the host is open. */
  schedule(): void {
    if (!this.host.isOpen() || !this.settings.enable) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.runOnce()
        .catch((err: unknown) => this.host.logger.error({ err }, 'log cleaner round failed'))
        .finally(() => this.schedule());
    }, this.settings.backoffMs);
    this.timer.unref();
  }

  /** Stops the timer; a round in progress checks the host's state between segments (`idle`). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  idle(): Promise<void> {
    return this.rounds.idle();
  }

  /** One round (see LogManager.runCleaner). Resolves to the number of logs cleaned. */
  async runOnce(opts: { nowMs?: number; force?: boolean } = {}): Promise<number> {
    const host = this.host;
    let cleaned = 0;
    await this.rounds.run(async () => {
      for (const h of [...host.logs.values()]) {
        if (!host.isOpen()) return;
        if (!hasCleanupPolicy(h.log.config, 'compact')) continue;
        const k = partitionKey(h.topic, h.partition);
        const prior = this.state.get(k);
        try {
          const result = await cleanLog(h.log, {
            offsetMap: this.offsetMapFor(h.log),
            nowMs: opts.nowMs ?? host.now(),
            firstDirtyOffset: prior?.firstDirtyOffset,
            earliestDeleteHorizonMs: prior?.earliestDeleteHorizonMs,
            highWatermark: host.highWatermark(h),
            force: opts.force,
            shouldStop: () => !host.isOpen(),
            logger: host.logger,
          });
          this.state.set(k, {
            firstDirtyOffset: result.firstDirtyOffset,
            earliestDeleteHorizonMs: result.cleaned ? result.earliestDeleteHorizonMs : (prior?.earliestDeleteHorizonMs ?? Infinity),
          });
          if (result.cleaned) cleaned++;
        } catch (err) {
          if (host.isOpen() && host.logs.get(k) === h) host.logger.warn({ dir: h.dir, err }, 'cleaning a log failed');
        }
      }
    });
    if (cleaned > 0 && host.isOpen()) await this.checkpoint();
    return cleaned;
  }

  /** A map sized for the log's inactive bytes (never more than log.cleaner.dedupe.buffer.size). */
  private offsetMapFor(log: PartitionLog): OffsetMap {
    const bytes = Math.min(
      this.settings.dedupeBufferBytes,
      Math.max(MIN_MAP_BYTES, Math.ceil((log.sizeBytes / MIN_RECORD_BYTES) * OFFSET_MAP_SLOT_BYTES)),
    );
    return new OffsetMap(bytes, this.settings.loadFactor);
  }
}
