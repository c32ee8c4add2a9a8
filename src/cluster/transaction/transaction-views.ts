/**
 * The admin views of the coordinator: DescribeTransactions and ListTransactions read the loaded
 * ids and never write.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { TransactionState, transactionStateFromName } from './transaction-state.js';
import type { CoordinatedTransaction, TransactionStateManager } from './transaction-state-manager.js';

export interface DescribedTransaction {
  readonly transactionalId: string;
  readonly error: ErrorCode;
  readonly state: string;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly txnTimeoutMs: number;
  readonly txnStartTimestampMs: number;
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly number[] }[];
}

export interface ListTransactionsFilters {
  readonly producerIds?: readonly number[];
  readonly states?: readonly string[];
  /** Only transactions running longer than this (KIP-994); -1 = no filter. */
  readonly durationMs?: number;
}

export interface ListedTransactions {
  readonly unknownStateFilters: string[];
  readonly transactionStates: { readonly transactionalId: string; readonly producerId: number; readonly transactionState: string }[];
}

/** DescribeTransactions: one answer per id (Kafka's handleDescribeTransactions). */
export function describeTransactions(state: TransactionStateManager, active: boolean, transactionalIds: readonly string[]): DescribedTransaction[] {
  return transactionalIds.map((transactionalId) => {
    const failed = (error: ErrorCode): DescribedTransaction => ({ transactionalId, error, state: '', producerId: -1, producerEpoch: -1, txnTimeoutMs: 0, txnStartTimestampMs: -1, topics: [] });
    if (!active) return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (transactionalId === '') return failed(ErrorCode.INVALID_REQUEST);
    let t: CoordinatedTransaction | undefined;
    try {
      t = state.get(transactionalId);
    } catch (err) {
      if (err instanceof KafkaError) return failed(err.code);
      throw err;
    }
    if (!t) return failed(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
    const m = t.metadata;
    const topics = new Map<string, number[]>();
    for (const tp of m.partitionList()) {
      let list = topics.get(tp.topic);
      if (!list) topics.set(tp.topic, (list = []));
      list.push(tp.partition);
    }
    return {
      transactionalId,
      error: ErrorCode.NONE,
      state: m.stateName,
      producerId: m.producerId,
      producerEpoch: m.producerEpoch,
      txnTimeoutMs: m.txnTimeoutMs,
      txnStartTimestampMs: m.txnStartTimestampMs,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
    };
  });
}

/** ListTransactions over every partition coordinated here (Kafka's listTransactionStates). */
export function listTransactions(state: TransactionStateManager, active: boolean, nowMs: number, filters: ListTransactionsFilters): ListedTransactions {
  if (!active) throw new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'the transaction coordinator is not running');
  if (state.isAnyLoading) throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, 'a __transaction_state partition is loading');
  const unknownStateFilters: string[] = [];
  const states = new Set<TransactionState>();
  for (const name of filters.states ?? []) {
    const s = transactionStateFromName(name);
    if (s === undefined) unknownStateFilters.push(name);
    else states.add(s);
  }
  const producerIds = new Set(filters.producerIds ?? []);
  const durationMs = filters.durationMs ?? -1;
  const transactionStates: ListedTransactions['transactionStates'] = [];
  for (const { metadata: m } of state.loaded()) {
    if (m.pendingState === TransactionState.Dead) continue;
    if (producerIds.size > 0 && !producerIds.has(m.producerId)) continue;
    if ((filters.states?.length ?? 0) > 0 && !states.has(m.state)) continue;
    if (durationMs >= 0 && nowMs - m.txnStartTimestampMs <= durationMs) continue;
    transactionStates.push({ transactionalId: m.transactionalId, producerId: m.producerId, transactionState: m.stateName });
  }
  transactionStates.sort((a, b) => (a.transactionalId < b.transactionalId ? -1 : a.transactionalId > b.transactionalId ? 1 : 0));
  return { unknownStateFilters, transactionStates };
}

