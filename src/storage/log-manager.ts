/**
 * The partition logs of one broker across its `log.dirs`. Discovers `<topic>-<partition>` directories at
 * open (log-dirs.ts), places new partitions in the dir holding the fewest, and keeps each partition's
 * `partition.metadata` (topic id). Each dir's offset checkpoints are written by LogCheckpoints
 * (log-checkpoints.ts); the two background tasks, retention and the cleaner, are in log-schedulers.ts.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { LogConfig } from './log-config.js';
import { LogCheckpoints } from './log-checkpoints.js';
import { discoverPartitionDirs, partitionKey as key, runLimited, validateTopicName, type HostedLog } from './log-dirs.js';
import { CleanerScheduler, RetentionScheduler, type SchedulerHost } from './log-schedulers.js';
import type { FileHandleCache } from './file-handle-cache.js';
import { SILENT_LOGGER, type StorageLogger } from './logger.js';
import { readMetaProperties, writeMetaProperties } from './meta-properties.js';
import { DEFAULT_PRODUCER_ID_EXPIRATION_MS, PartitionLog } from './partition-log.js';
import { isValidTopicId, readPartitionMetadata, writePartitionMetadata } from './partition-metadata.js';

export { parsePartitionDirName, validateTopicName, type HostedLog } from './log-dirs.js';

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
  /**
   * Where segment `.log` handles are cached (opened on demand, least recently used idle ones closed beyond its
   * capacity). Default: the process-wide cache, sized from the open-files limit (open-files.ts).
   */
  fileHandles?: FileHandleCache;
  /** Logs created or closed at once by `createLogs` and `close` (default 32). */
  bulkConcurrency?: number;
  /** producer.id.expiration.ms (default one day): idempotent producers idle this long are forgotten. */
  producerIdExpirationMs?: number;
  /** producer.id.expiration.check.interval.ms (default 600000); 0 = never checked in the background. */
  producerIdExpirationCheckIntervalMs?: number;
}

/** Resolves the config of a topic's logs found at open. */
export type LogConfigResolver = (topic: string) => Partial<LogConfig>;

const DEFAULT_CHECKPOINT_INTERVAL_MS = 60000;
const DEFAULT_PRODUCER_EXPIRATION_CHECK_INTERVAL_MS = 600000;
const DEFAULT_RETENTION_CHECK_INTERVAL_MS = 300000;
const DEFAULT_CLEANER_BACKOFF_MS = 15000;
const DEFAULT_DEDUPE_BUFFER_BYTES = 128 * 1024 * 1024;
const DEFAULT_OPEN_CONCURRENCY = 8;
/** Each job holds at most a couple of descriptors and waits mostly on fsync, which the file system batches. */
const DEFAULT_BULK_CONCURRENCY = 32;
/** The KRaft metadata log lives in a log dir but is owned by the Raft layer, as in Kafka. */
const DEFAULT_IGNORED_DIRS = ['__cluster_metadata-0'];

export class LogManager {
  readonly logDirs: readonly string[];
  private readonly logs = new Map<string, HostedLog>();
  private readonly creating = new Map<string, Promise<PartitionLog>>();
  /** Partitions per log dir (Kafka's placement rule picks the dir holding the fewest). */
  private readonly perDir = new Map<string, number>();
  private readonly opts: Required<Omit<LogManagerOptions, 'clock' | 'highWatermarkFor' | 'fileHandles'>> &
    Pick<LogManagerOptions, 'clock' | 'highWatermarkFor' | 'fileHandles'>;
  private readonly checkpoints: LogCheckpoints;
  /** replication-offset-checkpoint as read at open, by partition key. */
  private readonly checkpointedHighWatermarks = new Map<string, number>();
  private readonly retention: RetentionScheduler;
  private readonly cleaner: CleanerScheduler;
  private state: 'new' | 'open' | 'closed' = 'new';
  private producerExpiryTimer: NodeJS.Timeout | null = null;

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
      fileHandles: options.fileHandles,
      bulkConcurrency: Math.max(1, options.bulkConcurrency ?? DEFAULT_BULK_CONCURRENCY),
      producerIdExpirationMs: options.producerIdExpirationMs ?? DEFAULT_PRODUCER_ID_EXPIRATION_MS,
      producerIdExpirationCheckIntervalMs: options.producerIdExpirationCheckIntervalMs ?? DEFAULT_PRODUCER_EXPIRATION_CHECK_INTERVAL_MS,
    };
    for (const d of this.logDirs) this.perDir.set(d, 0);
    const host: SchedulerHost = {
      logs: this.logs,
      logger,
      isOpen: () => this.state === 'open',
      now: () => (this.opts.clock ?? Date.now)(),
      highWatermark: (h) => this.opts.highWatermarkFor?.(h.topic, h.partition),
    };
    this.checkpoints = new LogCheckpoints(this.logDirs, this.logs, logger);
    this.retention = new RetentionScheduler(host);
    this.cleaner = new CleanerScheduler(
      host,
      {
        enable: this.opts.cleanerEnable,
        backoffMs: this.opts.cleanerBackoffMs,
        dedupeBufferBytes: this.opts.cleanerDedupeBufferBytes,
        loadFactor: this.opts.cleanerLoadFactor,
      },
      () => this.checkpointCleanerOffsets(),
    );
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
      const found = await discoverPartitionDirs(logDir, this.opts.ignoredDirNames, this.logger);
      const checkpoints = await this.checkpoints.read(logDir);
      for (const { topic, partition, dir } of found) {
        const k = key(topic, partition);
        const other = seen.get(k);
        if (other !== undefined) {
          throw new KafkaError(ErrorCode.KAFKA_STORAGE_ERROR, `partition ${k} exists in two log dirs: ${other} and ${logDir}; remove one`);
        }
        seen.set(k, logDir);
        const hw = checkpoints.highWatermarks.get(k);
        if (hw !== undefined) this.checkpointedHighWatermarks.set(k, hw);
        jobs.push(async () => {
          const log = await PartitionLog.open(dir, configFor(topic), this.logger, {
            recoveryPoint: checkpoints.recoveryPoints.get(k),
            logStartOffset: checkpoints.logStartOffsets.get(k),
            clock: this.opts.clock,
            onLogStartOffsetChange: () => this.checkpointLogStartOffsets(logDir),
            fileHandles: this.opts.fileHandles,
            producerIdExpirationMs: this.opts.producerIdExpirationMs,
          });
          const cleaned = checkpoints.cleanerOffsets.get(k);
          if (cleaned !== undefined) this.cleaner.restore(k, cleaned);
          let topicId: string | undefined;
          try {
            topicId = (await readPartitionMetadata(dir)) ?? undefined;
          } catch (err) {
            this.logger.warn({ dir, err }, 'ignoring unreadable partition.metadata');
          }
          this.addHosted({ topic, partition, logDir, dir, topicId, log });
        });
      }
    }
    try {
      await runLimited(jobs, this.opts.openConcurrency);
    } catch (err) {
      await this.closeAll().catch(() => undefined);
      this.logs.clear();
      throw err;
    }
    this.state = 'open';
    this.logger.info({ logDirs: this.logDirs, partitions: this.logs.size }, 'log manager opened');
    if (this.opts.recoveryCheckpointIntervalMs > 0) this.checkpoints.start(this.opts.recoveryCheckpointIntervalMs);
    if (this.opts.retentionCheckIntervalMs > 0) this.retention.start(this.opts.retentionCheckIntervalMs);
    if (this.opts.cleanerEnable) this.cleaner.schedule();
    if (this.opts.producerIdExpirationCheckIntervalMs > 0) {
      this.producerExpiryTimer = setInterval(() => this.removeExpiredProducers(), this.opts.producerIdExpirationCheckIntervalMs);
      this.producerExpiryTimer.unref();
    }
  }

  /** Forgets idle idempotent producers in every log (what the producer.id.expiration.check.interval.ms timer runs). */
  removeExpiredProducers(nowMs: number = (this.opts.clock ?? Date.now)()): number {
    let n = 0;
    for (const h of this.logs.values()) n += h.log.removeExpiredProducers(nowMs);
    if (n > 0) this.logger.info({ producers: n }, 'removed expired producer ids');
    return n;
  }

  // ---------------------------------------------------------------- background tasks

  /**
   * One retention round (what the timer runs): `applyRetention` on every log, in turn; logs without 'delete' in
   * cleanup.policy only lose segments below their log start offset. Resolves to the number of segments deleted.
   */
  runRetention(nowMs?: number): Promise<number> {
    return this.retention.runOnce(nowMs);
  }

  /**
   * One cleaner round (what the timer runs): cleans, one at a time, every log with 'compact' in cleanup.policy
   * that is eligible (dirty ratio, max.compaction.lag.ms, a due delete horizon), then writes the
   * cleaner-offset-checkpoint. `force` ignores the dirty ratio. Resolves to the number of logs cleaned.
   */
  runCleaner(opts: { nowMs?: number; force?: boolean } = {}): Promise<number> {
    return this.cleaner.runOnce(opts);
  }

  /**
   * Writes each log dir's recovery-point-offset-checkpoint from the logs' current recovery points, and the
   * log-start-offset-checkpoint with it.
   */
  checkpointRecoveryPoints(): Promise<void> {
    return this.checkpoints.recoveryPoints();
  }

  /**
   * Writes the log-start-offset-checkpoint of `logDir` (all dirs when omitted). Kafka lists only logs whose
   * start offset is past their first segment's base (a DeleteRecords inside a segment): the others' start
   * offset is read from their files.
   */
  checkpointLogStartOffsets(logDir?: string): Promise<void> {
    return this.checkpoints.logStartOffsets(logDir);
  }

  /**
   * The partition's high watermark from its log dir's replication-offset-checkpoint as read at open (Kafka's
   * starting high watermark, capped by the caller at the log end), or undefined when it was not listed.
   */
  highWatermarkCheckpoint(topic: string, partition: number): number | undefined {
    return this.checkpointedHighWatermarks.get(key(topic, partition));
  }

  /**
   * Writes each log dir's replication-offset-checkpoint (atomically) with the high watermark `hwFor` gives for
   * each of its logs; partitions it answers undefined for are left out. Kafka's ReplicaManager does this every
   * replica.high.watermark.checkpoint.interval.ms and at shutdown.
   */
  checkpointHighWatermarks(hwFor: (topic: string, partition: number) => number | undefined): Promise<void> {
    return this.checkpoints.highWatermarks(hwFor);
  }

  /** Writes each log dir's cleaner-offset-checkpoint (first dirty offset of every compacted log cleaned so far). */
  checkpointCleanerOffsets(): Promise<void> {
    return this.checkpoints.cleanerOffsets((h) => this.cleaner.firstDirtyOffset(h));
  }

  // ---------------------------------------------------------------- partitions

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

  private addHosted(h: HostedLog): void {
    this.logs.set(key(h.topic, h.partition), h);
    this.perDir.set(h.logDir, (this.perDir.get(h.logDir) ?? 0) + 1);
  }

  private removeHosted(h: HostedLog): void {
    this.logs.delete(key(h.topic, h.partition));
    this.perDir.set(h.logDir, (this.perDir.get(h.logDir) ?? 1) - 1);
  }

  /**
   * `createLog` for many partitions of one topic at once (CreateTopics, CreatePartitions), at most
   * `bulkConcurrency` at a time: creating a log is a handful of file creations and fsyncs, which the file
   * system runs in parallel and batches in its journal, so concurrent creation is several times faster than
   * one after another. Rejects with the first failure once the started creations have settled.
   */
  async createLogs(topic: string, partitions: readonly number[], config: Partial<LogConfig> = {}, topicId?: string): Promise<void> {
    const jobs = partitions.map((p) => async (): Promise<void> => void (await this.createLog(topic, p, config, topicId)));
    await runLimited(jobs, this.opts.bulkConcurrency);
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
    // The dir is counted from the moment it is chosen, so concurrent creations spread over the log dirs.
    const logDir = this.nextLogDir();
    this.perDir.set(logDir, this.perDir.get(logDir)! + 1);
    const job = (async () => {
      const dir = path.join(logDir, k);
      const log = await PartitionLog.open(dir, config, this.logger, {
        clock: this.opts.clock,
        onLogStartOffsetChange: () => this.checkpointLogStartOffsets(logDir),
        fileHandles: this.opts.fileHandles,
        producerIdExpirationMs: this.opts.producerIdExpirationMs,
        // Writing partition.metadata (below) fsyncs the directory: one fsync for both.
        dirSyncedByCaller: topicId !== undefined,
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
    job.catch(() => this.perDir.set(logDir, this.perDir.get(logDir)! - 1));
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
    let best = this.logDirs[0]!;
    for (const d of this.logDirs) if (this.perDir.get(d)! < this.perDir.get(best)!) best = d;
    return best;
  }

  /** Deletes the partition's log and directory; false when it was not hosted. */
  async deleteLog(topic: string, partition: number): Promise<boolean> {
    const k = key(topic, partition);
    await this.creating.get(k)?.catch(() => undefined);
    const hosted = this.logs.get(k);
    if (hosted === undefined) return false;
    this.removeHosted(hosted);
    this.cleaner.forget(k);
    this.checkpointedHighWatermarks.delete(k); // a topic created again under this name starts afresh
    await hosted.log.delete();
    return true;
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

  /**
   * Closes every log, `bulkConcurrency` at a time (each close fsyncs and writes its marker; all at once would
   * open a descriptor per log), every one even when some fail; rejects with the first failure.
   */
  private closeAll(): Promise<void> {
    return runLimited(
      [...this.logs.values()].map((h) => () => h.log.close()),
      this.opts.bulkConcurrency,
      { all: true },
    );
  }

  /** Closes every log (clean shutdown markers) and writes the final recovery-point checkpoints. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.checkpoints.stop();
    if (this.producerExpiryTimer !== null) clearInterval(this.producerExpiryTimer);
    this.producerExpiryTimer = null;
    this.retention.stop();
    this.cleaner.stop();
    await Promise.all([...this.creating.values()].map((p) => p.catch(() => undefined)));
    // The cleaner checks the state between segments; retention finishes its current log.
    await this.cleaner.idle();
    await this.retention.idle();
    const failure = await this.closeAll().then(
      () => null,
      (err: unknown) => ({ err }),
    );
    if (wasOpen) {
      await this.checkpointRecoveryPoints();
      await this.checkpointCleanerOffsets();
    }
    this.logs.clear();
    if (failure !== null) throw failure.err;
    this.logger.info({ logDirs: this.logDirs }, 'log manager closed');
  }
}
