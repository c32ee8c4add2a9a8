/**
 * The per-log-dir offset checkpoints of a LogManager: `recovery-point-offset-checkpoint` (so an unclean restart
 * recovers only what was not fsynced), `log-start-offset-checkpoint` (DeleteRecords survives restarts) and
 * `cleaner-offset-checkpoint` (where each compacted log's dirty section starts) and
 * `replication-offset-checkpoint` (high watermarks, written when the replication layer asks). Writes run one
 * at a time (they replace the same files); recovery points are also written every
 * log.flush.offset.checkpoint.interval.ms.
 */
import path from 'node:path';
import {
  CLEANER_OFFSET_CHECKPOINT_FILE,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  RECOVERY_POINT_CHECKPOINT_FILE,
  REPLICATION_OFFSET_CHECKPOINT_FILE,
  readOffsetCheckpoint,
  writeOffsetCheckpoint,
  type TopicPartitionOffset,
} from './checkpoint-file.js';
import { partitionKey, type HostedLog } from './log-dirs.js';
import { every } from './log-schedulers.js';
import type { StorageLogger } from './logger.js';

/** The offsets a log dir's checkpoints hold, by partition key. */
export interface DirCheckpoints {
  recoveryPoints: Map<string, number>;
  logStartOffsets: Map<string, number>;
  cleanerOffsets: Map<string, number>;
  highWatermarks: Map<string, number>;
}

export class LogCheckpoints {
  private writing: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly logDirs: readonly string[],
    private readonly logs: ReadonlyMap<string, HostedLog>,
    private readonly logger: StorageLogger,
  ) {}

  /** Reads the three checkpoints of `logDir` (see `readCheckpoint`). */
  async read(logDir: string): Promise<DirCheckpoints> {
    return {
      recoveryPoints: await this.readCheckpoint(logDir, RECOVERY_POINT_CHECKPOINT_FILE),
      logStartOffsets: await this.readCheckpoint(logDir, LOG_START_OFFSET_CHECKPOINT_FILE),
      cleanerOffsets: await this.readCheckpoint(logDir, CLEANER_OFFSET_CHECKPOINT_FILE),
      highWatermarks: await this.readCheckpoint(logDir, REPLICATION_OFFSET_CHECKPOINT_FILE),
    };
  }

  /**
   * Reads one of a log dir's offset checkpoints. An unreadable one is ignored: without recovery points every
   * unclean log is recovered from its first segment (slower, never wrong); without log start offsets a
   * DeleteRecords inside a segment is forgotten; without cleaner offsets the next clean starts at the log start;
   * without high watermarks a partition starts from what its leader tells it (Kafka: 0 until then).
   */
  private async readCheckpoint(logDir: string, file: string): Promise<Map<string, number>> {
    const points = new Map<string, number>();
    try {
      for (const e of await readOffsetCheckpoint(path.join(logDir, file))) points.set(partitionKey(e.topic, e.partition), e.offset);
    } catch (err) {
      this.logger.warn({ logDir, file, err }, 'ignoring unreadable checkpoint');
    }
    return points;
  }

  /** Writes the recovery points every `intervalMs` until `stop`. */
  start(intervalMs: number): void {
    this.timer = every(intervalMs, () => this.recoveryPoints(), this.logger, 'writing recovery-point checkpoints failed');
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** Each log dir's recovery-point-offset-checkpoint, and the log-start-offset-checkpoint with it. */
  recoveryPoints(): Promise<void> {
    return this.serialized(async () => {
      for (const logDir of this.logDirs) {
        await this.write(logDir, RECOVERY_POINT_CHECKPOINT_FILE, (h) => h.log.recoveryPoint);
        await this.writeLogStartOffsets(logDir);
      }
    });
  }

  /** The log-start-offset-checkpoint of `logDir` (all dirs when omitted). */
  logStartOffsets(logDir?: string): Promise<void> {
    return this.serialized(async () => {
      for (const d of logDir === undefined ? this.logDirs : [logDir]) await this.writeLogStartOffsets(d);
    });
  }

  /** Each log dir's cleaner-offset-checkpoint, from `firstDirtyOffset` of each log (null: not listed). */
  cleanerOffsets(firstDirtyOffset: (h: HostedLog) => number | null): Promise<void> {
    return this.serialized(async () => {
      for (const logDir of this.logDirs) await this.write(logDir, CLEANER_OFFSET_CHECKPOINT_FILE, firstDirtyOffset);
    });
  }

  /**
   * Each log dir's replication-offset-checkpoint: the high watermark `hwFor` gives for each of its logs
   * (undefined: not listed).
   */
  highWatermarks(hwFor: (topic: string, partition: number) => number | undefined): Promise<void> {
    return this.serialized(async () => {
      for (const logDir of this.logDirs) await this.write(logDir, REPLICATION_OFFSET_CHECKPOINT_FILE, (h) => hwFor(h.topic, h.partition) ?? null);
    });
  }

  /**
   * Kafka lists only logs whose start offset is past their first segment's base (a DeleteRecords inside a
   * segment): the others' start offset is read from their files.
   */
  private writeLogStartOffsets(logDir: string): Promise<void> {
    return this.write(logDir, LOG_START_OFFSET_CHECKPOINT_FILE, (h) =>
      h.log.logStartOffset > h.log.segmentBaseOffsets[0]! ? h.log.logStartOffset : null,
    );
  }

  private async write(logDir: string, file: string, offsetOf: (h: HostedLog) => number | null): Promise<void> {
    const entries: TopicPartitionOffset[] = [];
    for (const h of this.logs.values()) {
      const offset = h.logDir === logDir ? offsetOf(h) : null;
      if (offset !== null) entries.push({ topic: h.topic, partition: h.partition, offset });
    }
    await writeOffsetCheckpoint(path.join(logDir, file), entries);
  }

  /** Checkpoint writes run one at a time (they replace the same files). */
  private serialized(fn: () => Promise<void>): Promise<void> {
    this.writing = this.writing.catch(() => undefined).then(fn);
    return this.writing;
  }
}
