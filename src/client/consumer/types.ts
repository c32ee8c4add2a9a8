/** Public shapes of the consumer: partitions, records, batches, rebalance listeners. */
import type { TimestampType } from '../../protocol/records/types.js';

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface ConsumerOffset extends TopicPartition {
  offset: number;
  /** Stored with the commit (OffsetCommit `committedMetadata`). Default null. */
  metadata?: string | null;
}

/**
 * Who a consumer is in its group (Kafka's ConsumerGroupMetadata): a transactional producer sends it
 * with the offsets it commits (TxnOffsetCommit v3+), so the coordinator refuses them from a member
 * that a rebalance has replaced (KIP-447).
 */
export interface ConsumerGroupMetadata {
  groupId: string;
  /** -1 before the first join (or without membership: `assign`). */
  generationId: number;
  /** '' before the first join. */
  memberId: string;
  groupInstanceId: string | null;
}

export interface ConsumerHeader {
  key: string;
  /** A view into the fetch response: copy it if you keep it long after processing. */
  value: Buffer | null;
}

/**
 * One record. `key` and `value` come from the key/value deserializers (Buffers by default, which
 * are views into the fetch response: copy them if you keep them long after processing).
 */
export interface ConsumerRecord<K = Buffer | null, V = Buffer | null> {
  topic: string;
  partition: number;
  offset: number;
  /** Milliseconds since the epoch: CreateTime, or LogAppendTime when the topic uses it. */
  timestamp: number;
  timestampType: TimestampType;
  key: K;
  value: V;
  /** In the order they were written; a name may repeat. */
  headers: ConsumerHeader[];
}

/** The records of one partition from one fetch, in offset order. */
export interface ConsumerBatch<K = Buffer | null, V = Buffer | null> {
  topic: string;
  partition: number;
  records: Array<ConsumerRecord<K, V>>;
  /** The partition's high watermark when it was fetched (lag = highWatermark - last offset - 1). */
  highWatermark: number;
  /** Offset the consumer moves to once this batch is processed (after the last record, control records and aborted data). */
  nextOffset: number;
}

/**
 * Rebalance callbacks (Kafka's ConsumerRebalanceListener). They run between records — never while
 * the application holds a record or batch from the consumer — and the consumer waits for them.
 * - `onPartitionsRevoked`: partitions leave this member in an orderly way. With auto-commit their
 *   positions were committed just before the call; commit here yourself otherwise.
 * - `onPartitionsAssigned`: partitions added to this member (cooperative: only the new ones).
 * - `onPartitionsLost`: the member lost its partitions without a handover (session expired,
 *   fenced generation); nothing is committed — other members may own them already.
 */
export interface RebalanceListener {
  onPartitionsAssigned?(partitions: TopicPartition[]): void | Promise<void>;
  onPartitionsRevoked?(partitions: TopicPartition[]): void | Promise<void>;
  onPartitionsLost?(partitions: TopicPartition[]): void | Promise<void>;
}

export function tpKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export function compareTp(a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

export function formatTp(tp: TopicPartition): string {
  return `${tp.topic}-${tp.partition}`;
}
