/**
 * The partition logs of one broker across its `log.dirs`. Discovers `<topic>-<partition>` directories at
 * open, places new partitions in the dir holding the fewest, keeps each dir's
 * `recovery-point-offset-checkpoint` (so an unclean restart recovers only what was not fsynced),
 * `log-start-offset-checkpoint` (DeleteRecords survives restarts) and `cleaner-offset-checkpoint` (where each
 * compacted log's dirty section starts), and each partition's `partition.metadata` (topic id).
 * Two background tasks: retention every log.retention.check.interval.ms, and the cleaner every
 * log.cleaner.backoff.ms for logs with `compact` in cleanup.policy. Each runs one log at a time.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import {
  CLEANER_OFFSET_CHECKPOINT_FILE,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  RECOVERY_POINT_CHECKPOINT_FILE,
  readOffsetCheckpoint,
  writeOffsetCheckpoint,
  type TopicPartitionOffset,
} from './checkpoint-file.js';
import { cleanLog } from './cleaner/log-cleaner.js';
import { OffsetMap, OFFSET_MAP_SLOT_BYTES } from './cleaner/offset-map.js';
import { hasCleanupPolicy, type LogConfig } from './log-config.js';
import { SILENT_LOGGER, type StorageLogger } from './logger.js';
import { readMetaProperties, writeMetaProperties } from './meta-properties.js';
import { PartitionLog } from './partition-log.js';
import { isValidTopicId, readPartitionMetadata, writePartitionMetadata } from './partition-metadata.js';

export interface LogManagerOptions {
  /** log.flush.offset.checkpoint.interval.ms: how often recovery points are checkpointed; 0 = only at close. */
  recoveryCheckpointIntervalMs?: number;
  /** Logs opened at once during `open` (Kafka's num.recovery.threads.per.data.dir, summed over dirs). */
  openConcurrency?: number;
  /** Directory names under a log dir that are not partition logs of this manager. */
  ignoredDirNames?: readonly string[];
  clock?: () => number;
  /** log.retention.check.interval.ms (default 300000); 0 = no background retention (call `runRetention`). */
  retentionCheckIntervalMs?: number;
  /** log.cleaner.enable (default true). */
  cleanerEnable?: boolean;
  /** log.cleaner.backoff.ms: pause between cleaner rounds (default 15000). */
  cleanerBackoffMs?: number;
  /** log.cleaner.dedupe.buffer.size: memory for the cleaner's key → offset map (default 128 MiB, allocated per clean, sized to the dirty bytes). */
  cleanerDedupeBufferBytes?: number;
  /** log.cleaner.io.buffer.load.factor (default 0.9). */
  cleanerLoadFactor?: number;
  /** The partition's high watermark: retention and the cleaner never go past it. Default: the log's written end. */
  highWatermarkFor?: (topic: string, partition: number) => number | undefined;
}

export interface HostedLog {
  topic: string;
  partition: number;
  /** The log dir (one of log.dirs) holding the partition. */
  logDir: string;
  /** The partition's own directory. */
  dir: string;
  topicId: string | undefined;
  log: PartitionLog;
}

/** Resolves the config of a topic's logs found at open. */
export type LogConfigResolver = (topic: string) => Partial<LogConfig>;

const DEFAULT_CHECKPOINT_INTERVAL_MS = 60000;
const DEFAULT_RETENTION_CHECK_INTERVAL_MS = 300000;
const DEFAULT_CLEANER_BACKOFF_MS = 15000;
const DEFAULT_DEDUPE_BUFFER_BYTES = 128 * 1024 * 1024;
/** A record takes at least ~8 bytes of a batch, so a map of dirtyBytes/8 entries never needs a second pass. */
const MIN_RECORD_BYTES = 8;
const MIN_MAP_BYTES = 64 * 1024;
const DEFAULT_OPEN_CONCURRENCY = 8;
/** The KRaft metadata log lives in a log dir but is owned by the Raft layer, as in Kafka. */
const DEFAULT_IGNORED_DIRS = ['__cluster_metadata-0'];
const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;
const MAX_TOPIC_LENGTH = 249;

/** Kafka's topic name rules; the name becomes a directory name, so this is also a path-safety check. */
export function validateTopicName(topic: string): void {
  if (topic.length === 0 || topic === '.' || topic === '..' || topic.length > MAX_TOPIC_LENGTH || !LEGAL_TOPIC.test(topic)) {
    throw new KafkaError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `invalid topic name '${topic}': use 1-${MAX_TOPIC_LENGTH} of [a-zA-Z0-9._-], not '.' or '..'`,
    );
  }
}

/** `<topic>-<partition>` → parts; the partition follows the LAST '-'. Null for other names. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const dash = name.lastIndexOf('-');
  if (dash <= 0) return null;
  const topic = name.slice(0, dash);
  const digits = name.slice(dash + 1);
  if (!/^\d{1,10}$/.test(digits)) return null;
  const partition = Number(digits);
  if (partition > 0x7fffffff || String(partition) !== digits) return null;
  if (topic.length > MAX_TOPIC_LENGTH || topic === '.' || topic === '..' || !LEGAL_TOPIC.test(topic)) return null;
  return { topic, partition };
}

function key(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export class LogManager {
  readonly logDirs: readonly string[];
  private readonly logs = new Map<string, HostedLog>();
  private readonly creating = new Map<string, Promise<PartitionLog>>();
  private readonly opts: Required<Omit<LogManagerOptions, 'clock' | 'highWatermarkFor'>> &
    Pick<LogManagerOptions, 'clock' | 'highWatermarkFor'>;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private cleanerTimer: NodeJS.Timeout | null = null;
  private checkpointing: Promise<void> = Promise.resolve();
  private retentionRun: Promise<void> | null = null;
  private cleanerRun: Promise<void> | null = null;
  /** Cleaner state per partition: checkpoint (first dirty offset) and the earliest pending delete horizon. */
  private readonly cleanerState = new Map<string, { firstDirtyOffset: number; earliestDeleteHorizonMs: number }>();
  private state: 'new' | 'open' | 'closed' = 'new';

  constructor(logDirs: readonly string[], private readonly logger: StorageLogger = SILENT_LOGGER, options: LogManagerOptions = {}) {
    if (logDirs.length === 0) throw new KafkaError(ErrorCode.INVALID_CONFIG, 'log.dirs is empty');
    this.logDirs = logDirs.map((d) => path.resolve(d));
    if (new Set(this.logDirs).size !== this.logDirs.length) {
      throw new KafkaError(ErrorCode.INVALID_CONFIG, `log.dirs lists a directory twice: ${logDirs.join(',')}`);
    }
    this.opts = {
      recoveryCheckpointIntervalMs: options.recoveryCheckpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS,
      openConcurrency: Math.max(1, options.openConcurrency ?? DEFAULT_OPEN_CONCURRENCY),
      ignoredDirNames: options.ignoredDirNames ?? DEFAULT_IGNORED_DIRS,
      clock: options.clock,
      retentionCheckIntervalMs: options.retentionCheckIntervalMs ?? DEFAULT_RETENTION_CHECK_INTERVAL_MS,
      cleanerEnable: options.cleanerEnable ?? true,
      cleanerBackoffMs: options.cleanerBackoffMs ?? DEFAULT_CLEANER_BACKOFF_MS,
      cleanerDedupeBufferBytes: options.cleanerDedupeBufferBytes ?? DEFAULT_DEDUPE_BUFFER_BYTES,
      cleanerLoadFactor: options.cleanerLoadFactor ?? 0.9,
      highWatermarkFor: options.highWatermarkFor,
    };
  }

  /**
   * Creates missing log dirs, removes leftovers of deletions (`*-delete`), and opens every partition log
   * found, recovering from each dir's recovery-point checkpoint. `configFor` gives each topic's config
   * (defaults when omitted). Throws when a partition exists in two log dirs.
   */
  async open(configFor: LogConfigResolver = () => ({})): Promise<void> {
    if (this.state !== 'new') throw new Error('LogManager.open called twice');
    const jobs: Array<() => Promise<void>> = [];
    const seen = new Map<string, string>();
    for (const logDir of this.logDirs) {
      await mkdir(logDir, { recursive: true });
      const recoveryPoints = await this.readCheckpoint(logDir, RECOVERY_POINT_CHECKPOINT_FILE);
      const logStartOffsets = await this.readCheckpoint(logDir, LOG_START_OFFSET_CHECKPOINT_FILE);
      const cleanerOffsets = await this.readCheckpoint(logDir, CLEANER_OFFSET_CHECKPOINT_FILE);
      for (const entry of await readdir(logDir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const dir = path.join(logDir, entry.name);
        if (entry.name.endsWith('-delete')) {
          this.logger.info({ dir }, 'removing partially deleted log');
          await rm(dir, { recursive: true, force: true });
          continue;
        }
        if (this.opts.ignoredDirNames.includes(entry.name)) continue;
        const tp = parsePartitionDirName(entry.name);
        if (tp === null) {
          this.logger.debug({ dir }, 'ignoring directory that is not a partition log');
          continue;
        }
        const k = key(tp.topic, tp.partition);
        const other = seen.get(k);
        if (other !== undefined) {
          throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `partition ${k} exists in two log dirs: ${other} and ${logDir}; remove one`);
        }
        seen.set(k, logDir);
        jobs.push(async () => {
          const log = await PartitionLog.open(dir, configFor(tp.topic), this.logger, {
            recoveryPoint: recoveryPoints.get(k),
            logStartOffset: logStartOffsets.get(k),
            clock: this.opts.clock,
            onLogStartOffsetChange: () => this.checkpointLogStartOffsets(logDir),
          });
          const cleaned = cleanerOffsets.get(k);
          // After a restart the delete horizons of cleaned tombstones are unknown: one clean finds them again.
          if (cleaned !== undefined) this.cleanerState.set(k, { firstDirtyOffset: cleaned, earliestDeleteHorizonMs: 0 });
          let topicId: string | undefined;
          try {
            topicId = (await readPartitionMetadata(dir)) ?? undefined;
          } catch (err) {
            this.logger.warn({ dir, err }, 'ignoring unreadable partition.metadata');
          }
          this.logs.set(k, { topic: tp.topic, partition: tp.partition, logDir, dir, topicId, log });
        });
      }
    }
    try {
      await runLimited(jobs, this.opts.openConcurrency);
    } catch (err) {
      await Promise.all([...this.logs.values()].map((h) => h.log.close().catch(() => undefined)));
      this.logs.clear();
      throw err;
    }
    this.state = 'open';
    this.logger.info({ logDirs: this.logDirs, partitions: this.logs.size }, 'log manager opened');
    if (this.opts.recoveryCheckpointIntervalMs > 0) {
      this.checkpointTimer = setInterval(() => {
        this.checkpointRecoveryPoints().catch((err: unknown) =>
          this.logger.error({ err }, 'writing recovery-point checkpoints failed'),
        );
      }, this.opts.recoveryCheckpointIntervalMs);
      this.checkpointTimer.unref();
    }
    if (this.opts.retentionCheckIntervalMs > 0) {
      this.retentionTimer = setInterval(() => {
        this.runRetention().catch((err: unknown) => this.logger.error({ err }, 'retention check failed'));
      }, this.opts.retentionCheckIntervalMs);
      this.retentionTimer.unref();
    }
    if (this.opts.cleanerEnable) this.scheduleCleaner();
  }

  /**
   * Reads one of a log dir's offset checkpoints. An unreadable one is ignored: without recovery points every
   * unclean log is recovered from its first segment (slower, never wrong); without log start offsets a
   * DeleteRecords inside a segment is forgotten; without cleaner offsets the next clean starts at the log start.
   */
  private async readCheckpoint(logDir: string, file: string): Promise<Map<string, number>> {
    const points = new Map<string, number>();
    try {
      for (const e of await readOffsetCheckpoint(path.join(logDir, file))) points.set(key(e.topic, e.partition), e.offset);
    } catch (err) {
      this.logger.warn({ logDir, file, err }, 'ignoring unreadable checkpoint');
    }
    return points;
  }

  // ---------------------------------------------------------------- retention

  /**
   * One retention round (what the timer runs): `applyRetention` on every log, in turn; logs without 'delete' in
   * cleanup.policy only lose segments below their log start offset. Resolves to the number of segments deleted.
   */
  async runRetention(nowMs?: number): Promise<number> {
    while (this.retentionRun !== null) await this.retentionRun.catch(() => undefined);
    let deleted = 0;
    const run = (async () => {
      for (const h of [...this.logs.values()]) {
        if (this.state !== 'open') return;
        try {
          deleted += await h.log.applyRetention(nowMs ?? this.now(), { highWatermark: this.highWatermark(h) });
        } catch (err) {
          this.logger.warn({ dir: h.dir, err }, 'retention of a log failed');
        }
      }
    })();
    this.retentionRun = run;
    try {
      await run;
    } finally {
      this.retentionRun = null;
    }
    return deleted;
  }

  private now(): number {
    return (this.opts.clock ?? Date.now)();
  }

  private highWatermark(h: HostedLog): number | undefined {
    return this.opts.highWatermarkFor?.(h.topic, h.partition);
  }

  // ---------------------------------------------------------------- cleaner

  private scheduleCleaner(): void {
    if (this.state !== 'open' || !this.opts.cleanerEnable) return;
    this.cleanerTimer = setTimeout(() => {
      this.cleanerTimer = null;
      this.runCleaner()
        .catch((err: unknown) => this.logger.error({ err }, 'log cleaner round failed'))
        .finally(() => this.scheduleCleaner());
    }, this.opts.cleanerBackoffMs);
    this.cleanerTimer.unref();
  }

  /**
   * One cleaner round (what the timer runs): cleans, one at a time, every log with 'compact' in cleanup.policy
   * that is eligible (dirty ratio, max.compaction.lag.ms, a due delete horizon), then writes the
   * cleaner-offset-checkpoint. `force` ignores the dirty ratio. Resolves to the number of logs cleaned.
   */
  async runCleaner(opts: { nowMs?: number; force?: boolean } = {}): Promise<number> {
    while (this.cleanerRun !== null) await this.cleanerRun.catch(() => undefined);
    let cleaned = 0;
    const run = (async () => {
      for (const h of [...this.logs.values()]) {
        if (this.state !== 'open') return;
        if (!hasCleanupPolicy(h.log.config, 'compact')) continue;
        const k = key(h.topic, h.partition);
        const prior = this.cleanerState.get(k);
        try {
          const result = await cleanLog(h.log, {
            offsetMap: this.offsetMapFor(h.log),
            nowMs: opts.nowMs ?? this.now(),
            firstDirtyOffset: prior?.firstDirtyOffset,
            earliestDeleteHorizonMs: prior?.earliestDeleteHorizonMs,
            highWatermark: this.highWatermark(h),
            force: opts.force,
            shouldStop: () => this.state !== 'open',
            logger: this.logger,
          });
          this.cleanerState.set(k, {
            firstDirtyOffset: result.firstDirtyOffset,
            earliestDeleteHorizonMs: result.cleaned ? result.earliestDeleteHorizonMs : (prior?.earliestDeleteHorizonMs ?? Infinity),
          });
          if (result.cleaned) cleaned++;
        } catch (err) {
          if (this.state === 'open' && this.logs.get(k) === h) this.logger.warn({ dir: h.dir, err }, 'cleaning a log failed');
        }
      }
    })();
    this.cleanerRun = run;
    try {
      await run;
    } finally {
      this.cleanerRun = null;
    }
    if (cleaned > 0 && this.state === 'open') await this.checkpointCleanerOffsets();
    return cleaned;
  }

  /** A map sized for the log's inactive bytes (never more than log.cleaner.dedupe.buffer.size). */
  private offsetMapFor(log: PartitionLog): OffsetMap {
    const bytes = Math.min(
      this.opts.cleanerDedupeBufferBytes,
      Math.max(MIN_MAP_BYTES, Math.ceil((log.sizeBytes / MIN_RECORD_BYTES) * OFFSET_MAP_SLOT_BYTES)),
    );
    return new OffsetMap(bytes, this.opts.cleanerLoadFactor);
  }

  private ensureOpen(): void {
    if (this.state !== 'open') throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `log manager is ${this.state}`);
  }

  getLog(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(key(topic, partition))?.log;
  }

  /** The topic id recorded in the partition's partition.metadata, if any. */
  getTopicId(topic: string, partition: number): string | undefined {
    return this.logs.get(key(topic, partition))?.topicId;
  }

  listLogs(): HostedLog[] {
    return [...this.logs.values()];
  }

  /**
   * Returns the partition's log, creating it in the log dir with the fewest partitions when it does not exist
   * (Kafka's getOrCreateLog). With `topicId`, writes partition.metadata, or checks it against the stored id:
   * a mismatch throws KafkaError(INCONSISTENT_TOPIC_ID). An existing log keeps its config.
   */
  async createLog(topic: string, partition: number, config: Partial<LogConfig> = {}, topicId?: string): Promise<PartitionLog> {
    this.ensureOpen();
    validateTopicName(topic);
    if (!Number.isInteger(partition) || partition < 0 || partition > 0x7fffffff) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `invalid partition ${partition}`);
    }
    if (topicId !== undefined && !isValidTopicId(topicId)) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `invalid topic id '${topicId}'`);
    }
    const k = key(topic, partition);
    const pending = this.creating.get(k);
    if (pending !== undefined) {
      await pending;
      return this.createLog(topic, partition, config, topicId);
    }
    const existing = this.logs.get(k);
    if (existing !== undefined) {
      if (topicId !== undefined) await this.recordTopicId(existing, topicId);
      return existing.log;
    }
    const job = (async () => {
      const logDir = this.nextLogDir();
      const dir = path.join(logDir, k);
      const log = await PartitionLog.open(dir, config, this.logger, {
        clock: this.opts.clock,
        onLogStartOffsetChange: () => this.checkpointLogStartOffsets(logDir),
      });
      const hosted: HostedLog = { topic, partition, logDir, dir, topicId: undefined, log };
      try {
        const stored = await readPartitionMetadata(dir);
        hosted.topicId = stored ?? undefined;
        if (topicId !== undefined) await this.recordTopicId(hosted, topicId);
      } catch (err) {
        await log.close();
        throw err;
      }
      this.logs.set(k, hosted);
      this.logger.info({ topic, partition, dir }, 'created log');
      return log;
    })();
    this.creating.set(k, job);
    try {
      return await job;
    } finally {
      this.creating.delete(k);
    }
  }

  private async recordTopicId(hosted: HostedLog, topicId: string): Promise<void> {
    if (hosted.topicId === topicId) return;
    if (hosted.topicId !== undefined) {
      throw new KafkaError(
        ErrorCode.INCONSISTENT_TOPIC_ID,
        `${hosted.dir} belongs to topic id ${hosted.topicId}, not ${topicId}`,
      );
    }
    await writePartitionMetadata(hosted.dir, topicId);
    hosted.topicId = topicId;
  }

  /** Kafka's placement rule: the log dir currently holding the fewest partitions (first on ties). */
  private nextLogDir(): string {
    const counts = new Map<string, number>(this.logDirs.map((d) => [d, 0]));
    for (const h of this.logs.values()) counts.set(h.logDir, (counts.get(h.logDir) ?? 0) + 1);
    let best = this.logDirs[0]!;
    for (const d of this.logDirs) if (counts.get(d)! < counts.get(best)!) best = d;
    return best;
  }

  /** Deletes the partition's log and directory; false when it was not hosted. */
  async deleteLog(topic: string, partition: number): Promise<boolean> {
    const k = key(topic, partition);
    await this.creating.get(k)?.catch(() => undefined);
    const hosted = this.logs.get(k);
    if (hosted === undefined) return false;
    this.logs.delete(k);
    this.cleanerState.delete(k);
    await hosted.log.delete();
    return true;
  }

  /**
   * Writes each log dir's recovery-point-offset-checkpoint from the logs' current recovery points, and the
   * log-start-offset-checkpoint with it.
   */
  checkpointRecoveryPoints(): Promise<void> {
    return this.serialized(async () => {
      for (const logDir of this.logDirs) {
        await this.writeCheckpoint(logDir, RECOVERY_POINT_CHECKPOINT_FILE, (h) => h.log.recoveryPoint);
        await this.writeLogStartOffsets(logDir);
      }
    });
  }

  /**
   * Writes the log-start-offset-checkpoint of `logDir` (all dirs when omitted). Kafka lists only logs whose
   * start offset is past their first segment's base (a DeleteRecords inside a segment): the others' start
   * offset is read from their files.
   */
  checkpointLogStartOffsets(logDir?: string): Promise<void> {
    return this.serialized(async () => {
      for (const d of logDir === undefined ? this.logDirs : [logDir]) await this.writeLogStartOffsets(d);
    });
  }

  private writeLogStartOffsets(logDir: string): Promise<void> {
    return this.writeCheckpoint(logDir, LOG_START_OFFSET_CHECKPOINT_FILE, (h) =>
      h.log.logStartOffset > h.log.segmentBaseOffsets[0]! ? h.log.logStartOffset : null,
    );
  }

  /** Writes each log dir's cleaner-offset-checkpoint (first dirty offset of every compacted log cleaned so far). */
  checkpointCleanerOffsets(): Promise<void> {
    return this.serialized(async () => {
      for (const logDir of this.logDirs) {
        await this.writeCheckpoint(logDir, CLEANER_OFFSET_CHECKPOINT_FILE, (h) => {
          return this.cleanerState.get(key(h.topic, h.partition))?.firstDirtyOffset ?? null;
        });
      }
    });
  }

  private async writeCheckpoint(logDir: string, file: string, offsetOf: (h: HostedLog) => number | null): Promise<void> {
    const entries: TopicPartitionOffset[] = [];
    for (const h of this.logs.values()) {
      const offset = h.logDir === logDir ? offsetOf(h) : null;
      if (offset !== null) entries.push({ topic: h.topic, partition: h.partition, offset });
    }
    await writeOffsetCheckpoint(path.join(logDir, file), entries);
  }

  /** Checkpoint writes run one at a time (they replace the same files). */
  private serialized(fn: () => Promise<void>): Promise<void> {
    this.checkpointing = this.checkpointing.catch(() => undefined).then(fn);
    return this.checkpointing;
  }

  /** Hook for the broker: the meta.properties of every log dir (null where missing). */
  async readMetaProperties(): Promise<Map<string, Map<string, string> | null>> {
    const out = new Map<string, Map<string, string> | null>();
    for (const d of this.logDirs) {
      await mkdir(d, { recursive: true });
      out.set(d, await readMetaProperties(d));
    }
    return out;
  }

  /** Hook for the broker: writes meta.properties (e.g. version, cluster.id, node.id) into every log dir. */
  async writeMetaProperties(props: Record<string, string>): Promise<void> {
    for (const d of this.logDirs) {
      await mkdir(d, { recursive: true });
      await writeMetaProperties(d, props);
    }
  }

  /** Closes every log (clean shutdown markers) and writes the final recovery-point checkpoints. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    if (this.checkpointTimer !== null) clearInterval(this.checkpointTimer);
    if (this.retentionTimer !== null) clearInterval(this.retentionTimer);
    if (this.cleanerTimer !== null) clearTimeout(this.cleanerTimer);
    this.checkpointTimer = this.retentionTimer = this.cleanerTimer = null;
    await Promise.all([...this.creating.values()].map((p) => p.catch(() => undefined)));
    // The cleaner checks the state between segments; retention finishes its current log.
    await this.cleanerRun?.catch(() => undefined);
    await this.retentionRun?.catch(() => undefined);
    const results = await Promise.allSettled([...this.logs.values()].map((h) => h.log.close()));
    if (wasOpen) {
      await this.checkpointRecoveryPoints();
      await this.checkpointCleanerOffsets();
    }
    this.logs.clear();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    this.logger.info({ logDirs: this.logDirs }, 'log manager closed');
  }
}

/** Runs `jobs` with at most `limit` in flight; rejects with the first failure after all started ones settle. */
async function runLimited(jobs: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  let firstError: unknown = null;
  const worker = async (): Promise<void> => {
    while (next < jobs.length && firstError === null) {
      const job = jobs[next++]!;
      try {
        await job();
      } catch (err) {
        firstError ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  if (firstError !== null) throw firstError;
}
