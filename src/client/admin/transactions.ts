/**
 * Transactions administration (kafka-transactions.sh list / describe): ListTransactions asks every
 * broker (each answers for the transactional ids it coordinates), DescribeTransactions asks each id's
 * coordinator (found with FindCoordinator, found again after coordinator errors).
 */
import { DescribeTransactionsApi, ListTransactionsApi } from '../../protocol/messages/index.js';
import type { DescribeTransactionsResponse } from '../../protocol/messages/describe-transactions.js';
import type { ListTransactionsResponse } from '../../protocol/messages/list-transactions.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { Cluster } from '../cluster/cluster.js';
import { throwIfError } from '../errors.js';
import { withCoordinatorOf } from './groups.js';
import type { TransactionDescription, TransactionListing } from './types.js';

/** Every transactional id every broker coordinates; `states` filters by state name (e.g. Ongoing). */
export async function listTransactions(cluster: Cluster, opts: { states?: string[]; producerIds?: number[] } = {}): Promise<TransactionListing[]> {
  await cluster.connect();
  const out: TransactionListing[] = [];
  for (const b of cluster.metadata.brokers()) {
    const res = await cluster.withRetries('ListTransactions', {}, () =>
      cluster.link(b.nodeId).request<ListTransactionsResponse>(ListTransactionsApi, { stateFilters: opts.states ?? [], producerIdFilters: opts.producerIds ?? [], durationFilter: -1 }),
    );
    throwIfError(res.errorCode, `ListTransactions on broker ${b.nodeId}`);
    for (const t of res.transactionStates) out.push({ transactionalId: t.transactionalId, producerId: Number(t.producerId), state: t.transactionState, coordinatorId: b.nodeId });
  }
  return out.sort((a, b) => a.transactionalId.localeCompare(b.transactionalId));
}

export async function describeTransactions(cluster: Cluster, transactionalIds: readonly string[]): Promise<TransactionDescription[]> {
  const out: TransactionDescription[] = [];
  for (const id of transactionalIds) {
    out.push(
      await withCoordinatorOf(cluster, 'transaction', id, async (link) => {
        const res = await link.request<DescribeTransactionsResponse>(DescribeTransactionsApi, { transactionalIds: [id] });
        const d = res.transactionStates.find((x) => x.transactionalId === id);
        if (!d) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `DescribeTransactions: no entry for '${id}'`);
        throwIfError(d.errorCode, `describe transaction '${id}'`);
        return {
          transactionalId: id,
          coordinatorId: link.nodeId,
          state: d.transactionState,
          producerId: Number(d.producerId),
          producerEpoch: d.producerEpoch,
          transactionTimeoutMs: d.transactionTimeoutMs,
          transactionStartTimeMs: Number(d.transactionStartTimeMs),
          partitions: d.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition }))),
        };
      }),
    );
  }
  return out;
}
