/**
 * The partitions this broker leads, and the rules for appending to and reading from them. Which
 * partitions those are comes from the cluster metadata: the broker's metadata publisher calls
 * `hostPartition` when the image makes this broker a partition's leader (with its leader epoch) and
 * `unhostPartition` when it no longer is. Replication is the next step: with one replica per
 * partition the ISR is the leader alone, so the high watermark advances as soon as an append has been
 * written to the log (acks=1 and acks=all coincide).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { CompressionType } from '../protocol/compression/types.js';
import type { LogManager } from '../storage/log-manager.js';
import type { LogConfig, PartitionLog } from '../storage/partition-log.js';

export interface HostedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  highWatermark: number;
  leaderEpoch: number;
}

export interface AppendInfo {
  baseOffset: number;
  lastOffset: number;
  logAppendTime: number;
  logStartOffset: number;
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export interface ReplicaManagerOptions {
  /** The codec a topic stores batches in (its compression.type); null or absent = as the producer sent them. */
  topicCodec?: (topic: string) => CompressionType | null;
  /** Whether the cluster has this partition (led elsewhere, or leaderless): NOT_LEADER_OR_FOLLOWER rather than UNKNOWN_TOPIC_OR_PARTITION. */
  partitionExists?: (topic: string, partition: number) => boolean;
}

export class ReplicaManager {
  private readonly partitions = new Map<string, HostedPartition>();
  /** Emits `key(topic, partition)` whenever that partition's high watermark moves. */
  readonly hwEvents = new EventEmitter();

  constructor(
    private readonly logs: LogManager,
    private readonly logConfigFor: (topic: string) => LogConfig,
    private readonly logger: Logger,
    private readonly options: ReplicaManagerOptions = {},
  ) {
    this.hwEvents.setMaxListeners(0);
  }

  static partitionKey = key;

  /** Opens (or creates) the logs of partitions [0, count) of a topic. */
  async hostPartitions(topic: string, count: number, topicId: string): Promise<void> {
    const config = this.logConfigFor(topic);
    for (let p = 0; p < count; p++) {
      if (this.partitions.has(key(topic, p))) continue;
      const log = this.logs.getLog(topic, p) ?? (await this.logs.createLog(topic, p, config, topicId));
      this.partitions.set(key(topic, p), { topic, partition: p, log, highWatermark: log.logEndOffset, leaderEpoch: 0 });
    }
  }

  /**
   * This broker leads the partition from now on, in `leaderEpoch`: its log is opened (created when new)
   * and appends and reads are served. Called again with a newer epoch, only the epoch changes.
   */
  async hostPartition(topic: string, partition: number, topicId: string, leaderEpoch: number, config: LogConfig = this.logConfigFor(topic)): Promise<void> {
    const existing = this.partitions.get(key(topic, partition));
    if (existing) {
      existing.leaderEpoch = leaderEpoch;
      return;
    }
    const log = this.logs.getLog(topic, partition) ?? (await this.logs.createLog(topic, partition, config, topicId));
    if (this.partitions.has(key(topic, partition))) return;
    this.partitions.set(key(topic, partition), { topic, partition, log, highWatermark: log.logEndOffset, leaderEpoch });
  }

  /**
   * `hostPartition` for several partitions of one topic: their missing logs are created together
   * (LogManager.createLogs runs the file creations and fsyncs concurrently), then each is hosted.
   */
  async hostTopicPartitions(topic: string, topicId: string, partitions: ReadonlyArray<{ partition: number; leaderEpoch: number }>, config: LogConfig = this.logConfigFor(topic)): Promise<void> {
    const missing = partitions.filter((p) => !this.partitions.has(key(topic, p.partition)) && !this.logs.getLog(topic, p.partition)).map((p) => p.partition);
    if (missing.length > 1) await this.logs.createLogs(topic, missing, config, topicId);
    for (const p of partitions) await this.hostPartition(topic, p.partition, topicId, p.leaderEpoch, config);
  }

  /** This broker no longer leads the partition; with `deleteLog` (the topic or this replica is gone) its log is deleted. */
  async unhostPartition(topic: string, partition: number, opts: { deleteLog: boolean }): Promise<void> {
    this.partitions.delete(key(topic, partition));
    if (opts.deleteLog && this.logs.getLog(topic, partition)) await this.logs.deleteLog(topic, partition);
  }

  /** The partitions led here now. */
  hosted(): IterableIterator<HostedPartition> {
    return this.partitions.values();
  }

  get(topic: string, partition: number): HostedPartition {
    const hosted = this.partitions.get(key(topic, partition));
    if (!hosted) {
      if (this.options.partitionExists?.(topic, partition)) {
        throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This broker is not the leader of ${topic}-${partition}`);
      }
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic-partition: ${topic}-${partition}`);
    }
    return hosted;
  }

  tryGet(topic: string, partition: number): HostedPartition | undefined {
    return this.partitions.get(key(topic, partition));
  }

  /**
   * Appends client batches; the log validates them (headers, CRC, every record's structure, compressed ones
   * decompressed within a bound) before assigning offsets. On a topic whose compression.type names a codec,
   * the log rebuilds batches in another codec with it; appends to one partition keep their call order.
   */
  async append(topic: string, partition: number, records: Buffer): Promise<AppendInfo> {
    const hosted = this.get(topic, partition);
    const recompressTo = this.options.topicCodec?.(topic) ?? null;
    const result = await hosted.log.append(records, { leaderEpoch: hosted.leaderEpoch, recompressTo });
    if (result.lastOffset + 1 > hosted.highWatermark) {
      hosted.highWatermark = result.lastOffset + 1;
      this.hwEvents.emit(key(topic, partition));
    }
    return result;
  }

  /**
   * DeleteRecords on the leader: moves the log start offset up to `offset` (-1 = the high
   * watermark) and returns the new low watermark. Kafka's rules: OFFSET_OUT_OF_RANGE beyond the
   * high watermark; POLICY_VIOLATION on a topic whose cleanup.policy lacks `delete`; an offset at
   * or below the current log start changes nothing.
   */
  async deleteRecords(topic: string, partition: number, offset: number): Promise<number> {
    const hosted = this.get(topic, partition);
    const policy = this.logConfigFor(topic).cleanupPolicy ?? ['delete'];
    if (!policy.includes('delete')) {
      throw new KafkaError(ErrorCode.POLICY_VIOLATION, `Records of partition ${topic}-${partition} can not be deleted due to the configured policy (cleanup.policy=${policy.join(',')})`);
    }
    const target = offset === -1 ? hosted.highWatermark : offset;
    if (target < 0 || target > hosted.highWatermark) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `Cannot delete records of partition ${topic}-${partition} before offset ${offset}: it is outside [0, ${hosted.highWatermark}] (the high watermark)`);
    }
    if (target <= hosted.log.logStartOffset) return hosted.log.logStartOffset;
    return hosted.log.deleteRecordsBefore(target, { highWatermark: hosted.highWatermark });
  }

  async close(): Promise<void> {
    this.partitions.clear();
    this.logger.debug('replica manager closed');
  }
}
