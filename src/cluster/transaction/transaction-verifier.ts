/**
 * The partition leader's side of KIP-890 part 1 (Kafka's AddPartitionsToTxnManager): before a
 * transaction's first batch on a partition is accepted, the leader asks the transactional id's
 * coordinator (AddPartitionsToTxn v4, verifyOnly) whether the partition is in the producer's open
 * transaction. A batch the coordinator does not know of would open a transaction on the partition
 * that no marker ever closes: a hanging transaction, holding the last stable offset (and every
 * read_committed consumer) back, or — after an abort — a late write landing outside the transaction
 * that was meant to hold it (Jepsen's "lost write" / "aborted read" under retries).
 *
 * The answer per partition is what the producer is told, mapped as Kafka maps it: errors a retry can
 * outlive (coordinator moving, loading, busy completing) become NOT_ENOUGH_REPLICAS, which every
 * client retries without refreshing metadata; PRODUCER_FENCED is INVALID_PRODUCER_EPOCH; a partition
 * not in the transaction is TRANSACTION_ABORTABLE for Produce v11+ and INVALID_TXN_STATE before it.
 *
 * One request per produce request (per transactional id) to the coordinator's inter-broker listener,
 * this broker's own included; connections from a BrokerConnectionPool. The produce handler takes turns on
 * `appendOrder` so that a batch waiting here is not overtaken by the producer's next one.
 */
import type { Logger } from 'pino';
import { BrokerConnectionPool } from '../../network/broker-connection-pool.js';
import { ErrorCode } from '../../protocol/errors.js';
import { AddPartitionsToTxnApi } from '../../protocol/messages/index.js';
import type { AddPartitionsToTxnResponse } from '../../protocol/messages/add-partitions-to-txn.js';
import { ProducerAppendOrder } from './producer-append-order.js';
import type { TopicPartition } from './records.js';
import { topicPartitionKey } from './transaction-metadata.js';

export interface TransactionVerifierOptions {
  /** The broker coordinating a transactional id (its `__transaction_state` partition's leader); -1 when none. */
  readonly coordinatorOf: (transactionalId: string) => number;
  readonly endpointOf: (nodeId: number) => { host: string; port: number } | undefined;
  readonly requestTimeoutMs: number;
  readonly logger: Logger;
}

/** Errors after which the same produce may well succeed: the producer is told to retry. */
const RETRIABLE = new Set<number>([ErrorCode.CONCURRENT_TRANSACTIONS, ErrorCode.NETWORK_EXCEPTION, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR]);

/** The coordinator's answer for one partition, as the producer is told it (Produce `apiVersion`). */
export function produceErrorForVerification(code: number, produceVersion: number): ErrorCode {
  if (code === ErrorCode.NONE) return ErrorCode.NONE;
  if (RETRIABLE.has(code)) return ErrorCode.NOT_ENOUGH_REPLICAS;
  if (code === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH;
  if (code === ErrorCode.TRANSACTION_ABORTABLE) return produceVersion >= 11 ? ErrorCode.TRANSACTION_ABORTABLE : ErrorCode.INVALID_TXN_STATE;
  return code as ErrorCode;
}

export class TransactionVerifier {
  /** Keeps a producer's batches in arrival order per partition while some of them verify. */
  readonly appendOrder = new ProducerAppendOrder();
  private readonly pool: BrokerConnectionPool;

  constructor(private readonly options: TransactionVerifierOptions) {
    this.pool = new BrokerConnectionPool({ endpointOf: options.endpointOf, requestTimeoutMs: options.requestTimeoutMs, name: 'transaction verifier' });
  }

  /** The coordinator's error per partition (keyed by topicPartitionKey): NONE for the ones in the transaction. */
  async verify(transactionalId: string, producerId: number, producerEpoch: number, partitions: readonly TopicPartition[]): Promise<Map<string, ErrorCode>> {
    const all = (code: ErrorCode): Map<string, ErrorCode> => new Map(partitions.map((tp) => [topicPartitionKey(tp), code]));
    const coordinator = this.options.coordinatorOf(transactionalId);
    if (coordinator < 0) return all(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const topics = new Map<string, number[]>();
    for (const tp of partitions) {
      let list = topics.get(tp.topic);
      if (!list) topics.set(tp.topic, (list = []));
      list.push(tp.partition);
    }
    let res: AddPartitionsToTxnResponse;
    try {
      const conn = await this.pool.connection(coordinator);
      res = await conn.send<AddPartitionsToTxnResponse>(AddPartitionsToTxnApi, 4, {
        transactions: [{ transactionalId, producerId, producerEpoch, verifyOnly: true, topics: [...topics].map(([name, ps]) => ({ name, partitions: ps })) }],
      });
    } catch (err) {
      this.pool.drop(coordinator);
      this.options.logger.debug({ coordinator, transactionalId, err: String(err) }, 'transaction verification failed; the producer retries');
      return all(ErrorCode.NETWORK_EXCEPTION);
    }
    if (res.errorCode !== ErrorCode.NONE) return all(res.errorCode as ErrorCode);
    const out = all(ErrorCode.UNKNOWN_SERVER_ERROR);
    for (const r of res.resultsByTransaction) {
      if (r.transactionalId !== transactionalId) continue;
      for (const t of r.topicResults) for (const p of t.resultsByPartition) out.set(topicPartitionKey({ topic: t.name, partition: p.partitionIndex }), p.partitionErrorCode as ErrorCode);
    }
    return out;
  }

  close(): void {
    this.pool.close();
  }
}
