/**
 * The handle `producer.transaction()` returns (kafkajs' shape): `send`, `sendOffsets`, `commit`,
 * `abort`. It is only good for its own transaction: once that ended, every call rejects with
 * TransactionStateError. The state lives in the TransactionManager (transaction-manager.ts).
 */
import type { ConsumerGroupMetadata, ConsumerOffset } from '../consumer/types.js';
import { ClientConfigError, TransactionStateError } from '../errors.js';
import type { RecordMetadata } from './batch.js';
import type { TransactionManager, TxnOffset } from './transaction-manager.js';

/** kafkajs' form of the offsets: per topic, the next offset to read of each partition. */
export interface TopicOffsets {
  topic: string;
  partitions: ReadonlyArray<{ partition: number; offset: number | string; metadata?: string | null }>;
}

export interface SendOffsetsOptions {
  /** The group the offsets are committed for (kafkajs' `consumerGroupId`). */
  consumerGroupId?: string;
  /**
   * Or the consumer whose records the transaction processed (Kafka's `groupMetadata()`): its
   * generation and member id go along, so the coordinator refuses offsets from a member a rebalance
   * replaced (ILLEGAL_GENERATION / UNKNOWN_MEMBER_ID / FENCED_INSTANCE_ID make the transaction abortable).
   */
  consumer?: { groupMetadata(): ConsumerGroupMetadata };
  /** Offsets as the consumer's `commit` takes them: the next offset to read (last processed + 1). */
  offsets?: readonly ConsumerOffset[];
  /** Or kafkajs' form. */
  topics?: readonly TopicOffsets[];
}

/** What the handle needs of its producer (kept apart so the handle does not import the producer). */
export interface TransactionHost<R> {
  send(record: R): Promise<RecordMetadata[]>;
  /** Every send so far settled (commit). */
  flush(): Promise<void>;
  /** Queued records fail, those in flight settle (abort). */
  dropUnsent(): Promise<void>;
}

export class Transaction<R> {
  constructor(
    private readonly host: TransactionHost<R>,
    private readonly manager: TransactionManager,
    /** Which of the producer's transactions this is (1, 2, ...). */
    readonly sequence: number,
  ) {}

  /** True until this transaction is committed or aborted. */
  get isActive(): boolean {
    return this.manager.isOpen(this.sequence);
  }

  /** `producer.send` within this transaction: resolves once the records are written (not yet committed). */
  send(record: R): Promise<RecordMetadata[]> {
    const ended = this.ended('send');
    return ended ? Promise.reject(ended) : this.host.send(record);
  }

  /** Commits consumer offsets with the transaction (AddOffsetsToTxn, then TxnOffsetCommit). */
  sendOffsets(options: SendOffsetsOptions): Promise<void> {
    const ended = this.ended('sendOffsets');
    if (ended) return Promise.reject(ended);
    let group: ConsumerGroupMetadata;
    let offsets: TxnOffset[];
    try {
      group = groupOf(options);
      offsets = offsetsOf(options);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (offsets.length === 0) return Promise.resolve();
    return this.manager.sendOffsets(group, offsets);
  }

  /** Waits for every send, then commits (EndTxn). Rejects with TransactionAbortableError if one failed: abort then. */
  commit(): Promise<void> {
    const ended = this.ended('commit');
    return ended ? Promise.reject(ended) : this.manager.commit(() => this.host.flush());
  }

  /** Drops unsent records (their sends reject), waits for those in flight, aborts (EndTxn). */
  abort(): Promise<void> {
    const ended = this.ended('abort');
    return ended ? Promise.reject(ended) : this.manager.abort(() => this.host.dropUnsent());
  }

  private ended(what: string): Error | null {
    if (this.manager.fatal) return this.manager.fatal;
    if (this.manager.isOpen(this.sequence)) return null;
    return new TransactionStateError(`${what}: transaction ${this.sequence} has ended (committed or aborted); start another with producer.transaction()`);
  }
}

function groupOf(o: SendOffsetsOptions): ConsumerGroupMetadata {
  if ((o.consumer === undefined) === (o.consumerGroupId === undefined)) throw new ClientConfigError('sendOffsets needs exactly one of consumerGroupId and consumer');
  if (o.consumer) return o.consumer.groupMetadata();
  if (typeof o.consumerGroupId !== 'string' || o.consumerGroupId === '') throw new ClientConfigError('sendOffsets: consumerGroupId must be a non-empty string');
  // Without a member: the coordinator checks no generation (Kafka's pre-KIP-447 form).
  return { groupId: o.consumerGroupId, generationId: -1, memberId: '', groupInstanceId: null };
}

function offsetsOf(o: SendOffsetsOptions): TxnOffset[] {
  if ((o.offsets === undefined) === (o.topics === undefined)) throw new ClientConfigError('sendOffsets needs exactly one of offsets and topics');
  const list: TxnOffset[] = o.offsets
    ? o.offsets.map((x) => ({ topic: x.topic, partition: x.partition, offset: x.offset, metadata: x.metadata ?? null }))
    : o.topics!.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, partition: p.partition, offset: typeof p.offset === 'string' && !/^\d+$/.test(p.offset) ? Number.NaN : Number(p.offset), metadata: p.metadata ?? null })));
  for (const x of list) {
    if (!Number.isSafeInteger(x.offset) || x.offset < 0) throw new ClientConfigError(`sendOffsets: offset of ${x.topic}-${x.partition} must be an integer >= 0, got ${String(x.offset)}`);
    if (!Number.isInteger(x.partition) || x.partition < 0) throw new ClientConfigError(`sendOffsets: partition of ${x.topic} must be an integer >= 0, got ${String(x.partition)}`);
  }
  return list;
}
