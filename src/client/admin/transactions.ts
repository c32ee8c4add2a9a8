/**
 * Transactions administration (kafka-transactions.sh list / describe / abort / find-hanging):
 * ListTransactions asks every broker (each answers for the transactional ids it coordinates),
 * DescribeTransactions asks each id's coordinator (found with FindCoordinator, found again after
 * coordinator errors). An abort is an ABORT marker written to the partition's leader with
 * WriteTxnMarkers, as Kafka's Admin.abortTransaction does: the way out for a transaction its
 * coordinator will never finish (a hanging transaction holds the last stable offset, and every
 * read_committed consumer, back for ever).
 */
import { DescribeTransactionsApi, ListTransactionsApi, WriteTxnMarkersApi } from '../../protocol/messages/index.js';
import type { DescribeTransactionsResponse } from '../../protocol/messages/describe-transactions.js';
import type { ListTransactionsResponse } from '../../protocol/messages/list-transactions.js';
import type { WriteTxnMarkersResponse } from '../../protocol/messages/write-txn-markers.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { Cluster } from '../cluster/cluster.js';
import { throwIfError } from '../errors.js';
import { withCoordinatorOf } from './groups.js';
import { byLeader, describeProducers } from './offsets.js';
import type { AbortTransactionSpec, HangingTransaction, TopicPartitionRef, TransactionDescription, TransactionListing } from './types.js';

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

/** Writes an ABORT marker for `spec`'s producer on its partition (at the partition's leader). */
export async function abortTransaction(cluster: Cluster, spec: AbortTransactionSpec): Promise<void> {
  await byLeader<AbortTransactionSpec, true>(cluster, 'WriteTxnMarkers', [spec], async (node, list) => {
    const res = await cluster.link(node).request<WriteTxnMarkersResponse>(WriteTxnMarkersApi, {
      markers: list.map((m) => ({
        producerId: m.producerId,
        producerEpoch: m.producerEpoch,
        transactionResult: false,
        topics: [{ name: m.topic, partitionIndexes: [m.partition] }],
        coordinatorEpoch: m.coordinatorEpoch,
      })),
    });
    return list.map((part) => {
      const answer = res.markers.find((m) => Number(m.producerId) === part.producerId)?.topics.find((t) => t.name === part.topic)?.partitions.find((p) => p.partitionIndex === part.partition);
      return { part, errorCode: answer?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, result: true };
    });
  });
}

/**
 * Open transactions on `partitions` older than `maxTransactionTimeoutMs` that their coordinator does not
 * know as open on that partition (as kafka-transactions.sh find-hanging decides): no transactional id
 * has the producer id any more, or the id's transaction has another producer id or epoch, or does not
 * include the partition. A transaction the coordinator still has open is only slow, not hanging.
 */
export async function findHangingTransactions(cluster: Cluster, partitions: readonly TopicPartitionRef[], opts: { maxTransactionTimeoutMs: number; nowMs?: number }): Promise<HangingTransaction[]> {
  const now = opts.nowMs ?? Date.now();
  const candidates = (await describeProducers(cluster, partitions)).flatMap((p) =>
    p.producers
      .filter((x) => x.currentTransactionStartOffset >= 0 && now - x.lastTimestampMs >= opts.maxTransactionTimeoutMs)
      .map((x) => ({ topic: p.topic, partition: p.partition, producerId: x.producerId, producerEpoch: x.producerEpoch, coordinatorEpoch: Math.max(0, x.coordinatorEpoch), startOffset: x.currentTransactionStartOffset, lastTimestampMs: x.lastTimestampMs, durationMs: now - x.lastTimestampMs })),
  );
  if (candidates.length === 0) return [];
  const listings = await listTransactions(cluster, { producerIds: [...new Set(candidates.map((c) => c.producerId))] });
  const described = new Map<number, TransactionDescription[]>();
  for (const d of listings.length > 0 ? await describeTransactions(cluster, [...new Set(listings.map((l) => l.transactionalId))]) : []) {
    described.set(d.producerId, [...(described.get(d.producerId) ?? []), d]);
  }
  const out: HangingTransaction[] = [];
  for (const c of candidates) {
    const ds = described.get(c.producerId) ?? [];
    if (ds.length === 0) {
      out.push({ ...c, reason: `no transactional id has producer id ${c.producerId}` });
      continue;
    }
    const open = ds.find((d) => d.producerEpoch === c.producerEpoch && d.partitions.some((p) => p.topic === c.topic && p.partition === c.partition));
    if (open) continue;
    const d = ds[0]!;
    out.push({
      ...c,
      reason: d.producerEpoch !== c.producerEpoch
        ? `'${d.transactionalId}' is at producer epoch ${d.producerEpoch}, not ${c.producerEpoch}`
        : `'${d.transactionalId}' (${d.state}) does not include ${c.topic}-${c.partition}`,
    });
  }
  return out;
}
