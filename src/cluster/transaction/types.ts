/**
 * The seams of the transaction coordinator: everything it needs from the outside world is passed
 * in, so the broker wires the real log, marker channel and controller-backed producer ids, and the
 * tests a seeded fake of each.
 */
import type { ErrorCode } from '../../protocol/errors.js';
import type { TopicPartition, TransactionRecord } from './records.js';

export type { Clock, Timers } from '../group/types.js';

export interface TransactionLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/**
 * Appends records to one `__transaction_state` partition with acks=all (the broker: encode with
 * `records.ts` into one uncompressed batch, `ReplicaManager.append`). Resolves once the records are
 * replicated; rejects with the storage error (a KafkaError: NOT_LEADER_OR_FOLLOWER,
 * NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT …), which the coordinator maps to what clients get.
 * `coordinatorEpoch` is the partition leader epoch the coordinator loaded at: a writer must refuse
 * (NOT_LEADER_OR_FOLLOWER) when this broker no longer leads the partition at that epoch, so a
 * coordinator that lost the partition cannot append behind its successor.
 */
export interface TransactionLogWriter {
  append(partition: number, coordinatorEpoch: number, records: readonly TransactionRecord[]): Promise<void>;
}

export type TransactionResult = 'commit' | 'abort';

/** One WriteTxnMarkers entry (the broker groups these per partition leader). */
export interface TxnMarkerRequest {
  readonly transactionalId: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly result: TransactionResult;
  readonly coordinatorEpoch: number;
  readonly partitions: readonly TopicPartition[];
}

export interface TxnMarkerPartitionResult {
  readonly topic: string;
  readonly partition: number;
  /**
   * As WriteTxnMarkers answers it, with one contract on the sender: UNKNOWN_TOPIC_OR_PARTITION
   * means the partition is gone from the metadata image (deleted — nothing left to mark; Kafka drops
   * it too). A partition that exists but whose leader does not know it yet must be reported
   * retriable (NOT_LEADER_OR_FOLLOWER).
   */
  readonly error: ErrorCode;
}

/**
 * Sends the markers of one transaction to the partitions' leaders (the inter-broker marker
 * channel). Resolves with one result per requested partition; a rejection (connection lost, timed
 * out) means every partition is retried.
 */
export interface TxnMarkerSender {
  send(request: TxnMarkerRequest): Promise<readonly TxnMarkerPartitionResult[]>;
}

/** `ProducerIdManager.generate` in the broker. */
export interface ProducerIdSource {
  generate(): Promise<number>;
}

/** Kafka's property names and defaults (transaction.* / transactional.id.*). */
export interface TransactionCoordinatorConfig {
  /** transaction.max.timeout.ms */
  readonly transactionMaxTimeoutMs: number;
  /** transactional.id.expiration.ms */
  readonly transactionalIdExpirationMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms */
  readonly abortTimedOutTransactionCleanupIntervalMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms */
  readonly removeExpiredTransactionalIdsIntervalMs: number;
  /** transaction.state.log.num.partitions */
  readonly transactionStatePartitionCount: number;
  /** How long to wait before resending markers or rewriting a Complete* record that failed. */
  readonly retryBackoffMs: number;
}

export const DEFAULT_TRANSACTION_COORDINATOR_CONFIG: TransactionCoordinatorConfig = {
  transactionMaxTimeoutMs: 900_000,
  transactionalIdExpirationMs: 604_800_000,
  abortTimedOutTransactionCleanupIntervalMs: 10_000,
  removeExpiredTransactionalIdsIntervalMs: 3_600_000,
  transactionStatePartitionCount: 50,
  retryBackoffMs: 100,
};
