/**
 * The key and value formats of `__transaction_state`, declared from Kafka's specs
 * (TransactionLogKey.json v0, TransactionLogValue.json v0-1, v1 flexible with three tagged fields),
 * and the codec between their bytes and a `TransactionRecord`. Every key and value is an int16
 * version followed by the struct of that version; a null value is a tombstone (an expired
 * transactional id).
 *
 * Written versions: key v0; value v0, as Kafka writes while the `transaction.version` feature is
 * below 2 (v1 only adds the KIP-890 tagged fields). Both value versions are read.
 */
import { encodeVersioned, type StoredKeyValue } from '../internal-records.js';
import { ByteReader } from '../../protocol/bytes.js';
import { decodeMessage } from '../../protocol/schema/codec.js';
import { field, message } from '../../protocol/schema/dsl.js';
import { TransactionState, isTransactionState } from './transaction-state.js';

export const TransactionLogKeySchema = message('TransactionLogKey', '0', 'none', [field('transactionalId', 'string', '0')]);

export const TransactionLogValueSchema = message('TransactionLogValue', '0-1', '1+', [
  field('producerId', 'int64', '0+'),
  field('previousProducerId', 'int64', '1+', { tag: 0, tagged: '1+', default: -1 }),
  field('nextProducerId', 'int64', '1+', { tag: 1, tagged: '1+', default: -1 }),
  field('producerEpoch', 'int16', '0+'),
  field('transactionTimeoutMs', 'int32', '0+'),
  field('transactionStatus', 'int8', '0+'),
  field('transactionPartitions', '[]', '0+', {
    nullable: '0+',
    of: [field('topic', 'string', '0+'), field('partitionIds', '[]int32', '0+')],
  }),
  field('transactionLastUpdateTimestampMs', 'int64', '0+'),
  field('transactionStartTimestampMs', 'int64', '0+'),
  field('clientTransactionVersion', 'int16', '1+', { tag: 2, tagged: '1+', default: 0 }),
]);

interface TransactionLogKeyData {
  transactionalId: string;
}

interface TransactionLogValueData {
  producerId: number;
  previousProducerId: number;
  nextProducerId: number;
  producerEpoch: number;
  transactionTimeoutMs: number;
  transactionStatus: number;
  transactionPartitions: { topic: string; partitionIds: number[] }[] | null;
  transactionLastUpdateTimestampMs: number;
  transactionStartTimestampMs: number;
  clientTransactionVersion: number;
}

export const TRANSACTION_LOG_KEY_VERSION = 0;
/** Kafka writes v0 until transaction.version 2 (KIP-890) is enabled. */
export const TRANSACTION_LOG_VALUE_VERSION = 0;

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** What `__transaction_state` holds for one transactional id: Kafka's TxnTransitMetadata as persisted. */
export interface TransactionLogEntry {
  readonly producerId: number;
  /** Only persisted by value v1; -1 when read from v0. */
  readonly previousProducerId: number;
  /** Only persisted by value v1; -1 when read from v0. */
  readonly nextProducerId: number;
  readonly producerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly state: TransactionState;
  /** Sorted by topic, then partition; always empty for Empty (Kafka writes a null array then). */
  readonly topicPartitions: readonly TopicPartition[];
  readonly txnLastUpdateTimestampMs: number;
  /** -1 when no transaction has started. */
  readonly txnStartTimestampMs: number;
  /** Only persisted by value v1; 0 (TV_0) when read from v0. */
  readonly clientTransactionVersion: number;
}

export interface TransactionRecord {
  readonly transactionalId: string;
  /** null = tombstone: the transactional id expired. */
  readonly value: TransactionLogEntry | null;
}

export type { StoredKeyValue } from '../internal-records.js';

export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}

/** Group by topic in first-seen order of the (sorted) input, so equal sets encode to equal bytes. */
function groupByTopic(partitions: readonly TopicPartition[]): { topic: string; partitionIds: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const tp of [...partitions].sort(compareTopicPartitions)) {
    let ids = byTopic.get(tp.topic);
    if (!ids) byTopic.set(tp.topic, (ids = []));
    ids.push(tp.partition);
  }
  return [...byTopic].map(([topic, partitionIds]) => ({ topic, partitionIds }));
}

/** The bytes Kafka writes for this record (value version `valueVersion`, 0 unless KIP-890 is on). */
export function encodeTransactionRecord(record: TransactionRecord, valueVersion = TRANSACTION_LOG_VALUE_VERSION): StoredKeyValue {
  const keyData: TransactionLogKeyData = { transactionalId: record.transactionalId };
  const key = encodeVersioned(TransactionLogKeySchema, TRANSACTION_LOG_KEY_VERSION, keyData);
  const v = record.value;
  if (v === null) return { key, value: null };
  if (valueVersion !== 0 && valueVersion !== 1) throw new RangeError(`TransactionLogValue version ${valueVersion} does not exist`);
  if (v.state === TransactionState.Empty && v.topicPartitions.length > 0) {
    throw new Error(`transaction ${record.transactionalId} is Empty but lists ${v.topicPartitions.length} partitions`);
  }
  const data: TransactionLogValueData = {
    producerId: v.producerId,
    previousProducerId: v.previousProducerId,
    nextProducerId: v.nextProducerId,
    producerEpoch: v.producerEpoch,
    transactionTimeoutMs: v.txnTimeoutMs,
    transactionStatus: v.state,
    // Kafka writes a null partition array for Empty and a (possibly empty) array otherwise.
    transactionPartitions: v.state === TransactionState.Empty ? null : groupByTopic(v.topicPartitions),
    transactionLastUpdateTimestampMs: v.txnLastUpdateTimestampMs,
    transactionStartTimestampMs: v.txnStartTimestampMs,
    clientTransactionVersion: v.clientTransactionVersion,
  };
  return { key, value: encodeVersioned(TransactionLogValueSchema, valueVersion, data) };
}

/**
 * The record stored under these bytes, or null when the key is not a TransactionLogKey version
 * this coordinator knows (Kafka skips unknown key versions while loading). Throws on malformed
 * bytes and on unknown value versions or states (Kafka fails the load then too).
 */
export function decodeTransactionRecord(key: Buffer, value: Buffer | null): TransactionRecord | null {
  const kr = new ByteReader(key);
  const keyVersion = kr.int16();
  if (keyVersion !== TRANSACTION_LOG_KEY_VERSION) return null;
  const k = decodeMessage<TransactionLogKeyData>(TransactionLogKeySchema, keyVersion, kr);
  if (value === null) return { transactionalId: k.transactionalId, value: null };
  const vr = new ByteReader(value);
  const version = vr.int16();
  if (version !== 0 && version !== 1) throw new Error(`TransactionLogValue version ${version} is not supported`);
  const v = decodeMessage<TransactionLogValueData>(TransactionLogValueSchema, version, vr);
  if (!isTransactionState(v.transactionStatus)) throw new Error(`unknown transaction state id ${v.transactionStatus} for ${k.transactionalId}`);
  const state = v.transactionStatus;
  const topicPartitions: TopicPartition[] = [];
  // As Kafka: the partitions of an Empty record are ignored.
  if (state !== TransactionState.Empty) {
    for (const t of v.transactionPartitions ?? []) for (const partition of t.partitionIds) topicPartitions.push({ topic: t.topic, partition });
    topicPartitions.sort(compareTopicPartitions);
  }
  return {
    transactionalId: k.transactionalId,
    value: {
      producerId: v.producerId,
      previousProducerId: v.previousProducerId,
      nextProducerId: v.nextProducerId,
      producerEpoch: v.producerEpoch,
      txnTimeoutMs: v.transactionTimeoutMs,
      state,
      topicPartitions,
      txnLastUpdateTimestampMs: v.transactionLastUpdateTimestampMs,
      txnStartTimestampMs: v.transactionStartTimestampMs,
      clientTransactionVersion: v.clientTransactionVersion,
    },
  };
}
