/**
 * The partitions this broker hosts, and the rules for appending to and reading from them.
 * Single node: this broker leads every partition and the ISR is just itself, so the high watermark
 * advances as soon as an append has been written to the log (acks=1 and acks=all coincide).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
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

export class ReplicaManager {
  private readonly partitions = new Map<string, HostedPartition>();
  /** Emits `key(topic, partition)` whenever that partition's high watermark moves. */
  readonly hwEvents = new EventEmitter();

  constructor(
    private readonly logs: LogManager,
    private readonly logConfigFor: (topic: string) => LogConfig,
    private readonly logger: Logger,
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

  async dropTopic(topic: string, count: number): Promise<void> {
    for (let p = 0; p < count; p++) {
      const hosted = this.partitions.get(key(topic, p));
      this.partitions.delete(key(topic, p));
      if (hosted) await this.logs.deleteLog(topic, p);
    }
  }

  get(topic: string, partition: number): HostedPartition {
    const hosted = this.partitions.get(key(topic, partition));
    if (!hosted) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic-partition: ${topic}-${partition}`);
    return hosted;
  }

  tryGet(topic: string, partition: number): HostedPartition | undefined {
    return this.partitions.get(key(topic, partition));
  }

  /** Appends client batches; the log validates them (sizes, CRC, magic) before assigning offsets. */
  async append(topic: string, partition: number, records: Buffer): Promise<AppendInfo> {
    const hosted = this.get(topic, partition);
    const result = await hosted.log.append(records, { leaderEpoch: hosted.leaderEpoch });
    if (result.lastOffset + 1 > hosted.highWatermark) {
      hosted.highWatermark = result.lastOffset + 1;
      this.hwEvents.emit(key(topic, partition));
    }
    return result;
  }

  async close(): Promise<void> {
    this.partitions.clear();
    this.logger.debug('replica manager closed');
  }
}
