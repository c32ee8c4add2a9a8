/**
 * The transaction coordinator's APIs (KIP-98, protocol v1): AddPartitionsToTxn v0-3 (and v4 from partition
 * leaders verifying a transactional produce, KIP-890 part 1), EndTxn v0-3,
 * DescribeTransactions, ListTransactions; InitProducerId with a transactional id is routed here by
 * init-producer-id.ts and FindCoordinator for one by find-coordinator.ts. Each handler asks
 * `ctx.services.transactions` (cluster/transaction/), which answers NOT_COORDINATOR /
 * COORDINATOR_LOAD_IN_PROGRESS for ids whose `__transaction_state` partition is not loaded here, and
 * PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH to versions that predate it (KIP-588).
 * AddOffsetsToTxn v0-3 adds the group's `__consumer_offsets` partition to the transaction;
 * TxnOffsetCommit v0-3 goes to the group's coordinator, which writes the offsets in a transactional
 * batch and keeps them pending until the marker (cluster/group/txn-offsets.ts).
 */
import { AddOffsetsToTxnApi, AddPartitionsToTxnApi, DescribeTransactionsApi, EndTxnApi, ListTransactionsApi, TxnOffsetCommitApi } from '../../protocol/messages/index.js';
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from '../../protocol/messages/add-offsets-to-txn.js';
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from '../../protocol/messages/txn-offset-commit.js';
import { coordinatorErrorFor } from './group/context.js';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../../protocol/messages/add-partitions-to-txn.js';
import type { DescribeTransactionsRequest, DescribeTransactionsResponse } from '../../protocol/messages/describe-transactions.js';
import type { EndTxnRequest, EndTxnResponse } from '../../protocol/messages/end-txn.js';
import type { ListTransactionsRequest, ListTransactionsResponse } from '../../protocol/messages/list-transactions.js';
import { ErrorCode } from '../../protocol/errors.js';
import { errorCodeForVersion } from '../../cluster/transaction/transaction-errors.js';
import { topicPartitionKey } from '../../cluster/transaction/transaction-metadata.js';
import { errorOf, register, type Reply, type RequestContext } from '../request-context.js';

/** v0-3: one transaction, from its producer. */
async function addPartitionsV3(req: AddPartitionsToTxnRequest, ctx: RequestContext): Promise<Reply<AddPartitionsToTxnResponse>> {
  const topics = req.v3AndBelowTopics;
  const partitions = topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
  let code: ErrorCode = ErrorCode.NONE;
  // Kafka answers an unknown topic per partition and adds none of them (OPERATION_NOT_ATTEMPTED for the rest).
  const unknown = new Set(partitions.filter((p) => ctx.services.cluster.partition(p.topic, p.partition) === undefined).map((p) => `${p.topic}\0${p.partition}`));
  if (unknown.size === 0) {
    try {
      await ctx.services.transactions.addPartitions(req.v3AndBelowTransactionalId, Number(req.v3AndBelowProducerId), req.v3AndBelowProducerEpoch, partitions);
    } catch (err) {
      code = errorCodeForVersion('AddPartitionsToTxn', ctx.apiVersion, errorOf(err).errorCode as ErrorCode);
    }
  }
  return {
    throttleTimeMs: 0,
    resultsByTopicV3AndBelow: topics.map((t) => ({
      name: t.name,
      resultsByPartition: t.partitions.map((partitionIndex) => ({
        partitionIndex,
        partitionErrorCode: unknown.size === 0 ? code : unknown.has(`${t.name}\0${partitionIndex}`) ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.OPERATION_NOT_ATTEMPTED,
      })),
    })),
  };
}

/**
 * v4 (brokers only, not advertised): a batch of transactions. With verifyOnly (KIP-890 part 1) a
 * partition leader asks whether partitions are in a transaction before it accepts the transaction's
 * first batch there: nothing is written, each partition answers NONE or why not.
 */
async function addPartitionsV4(req: AddPartitionsToTxnRequest, ctx: RequestContext): Promise<Reply<AddPartitionsToTxnResponse>> {
  const resultsByTransaction = await Promise.all(
    req.transactions.map(async (txn) => {
      const partitions = txn.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })));
      let codes: Map<string, ErrorCode>;
      if (txn.verifyOnly) {
        codes = ctx.services.transactions.verifyPartitions(txn.transactionalId, Number(txn.producerId), txn.producerEpoch, partitions);
      } else {
        let code = ErrorCode.NONE;
        try {
          await ctx.services.transactions.addPartitions(txn.transactionalId, Number(txn.producerId), txn.producerEpoch, partitions);
        } catch (err) {
          code = errorOf(err).errorCode as ErrorCode;
        }
        codes = new Map(partitions.map((tp) => [topicPartitionKey(tp), code]));
      }
      return {
        transactionalId: txn.transactionalId,
        topicResults: txn.topics.map((t) => ({
          name: t.name,
          resultsByPartition: t.partitions.map((partitionIndex) => ({ partitionIndex, partitionErrorCode: codes.get(topicPartitionKey({ topic: t.name, partition: partitionIndex })) ?? ErrorCode.UNKNOWN_SERVER_ERROR })),
        })),
      };
    }),
  );
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction };
}

export const addPartitionsToTxnHandler = register<AddPartitionsToTxnRequest, Reply<AddPartitionsToTxnResponse>>(
  AddPartitionsToTxnApi,
  0,
  3,
  (req, ctx) => (ctx.apiVersion >= 4 ? addPartitionsV4(req, ctx) : addPartitionsV3(req, ctx)),
  // v4+ is the batched broker-to-broker form; advertising it would make some clients pick it (COMPAT.md T9).
  { brokerMaxVersion: 4 },
);

export const endTxnHandler = register<EndTxnRequest, Reply<EndTxnResponse>>(EndTxnApi, 0, 3, async (req, ctx) => {
  try {
    const r = await ctx.services.transactions.endTransaction(req.transactionalId, Number(req.producerId), req.producerEpoch, req.committed);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: errorCodeForVersion('EndTxn', ctx.apiVersion, errorOf(err).errorCode as ErrorCode), producerId: -1, producerEpoch: -1 };
  }
});

export const describeTransactionsHandler = register<DescribeTransactionsRequest, Reply<DescribeTransactionsResponse>>(DescribeTransactionsApi, 0, 0, (req, ctx) => ({
  throttleTimeMs: 0,
  transactionStates: ctx.services.transactions.describeTransactions(req.transactionalIds).map((d) => ({
    errorCode: d.error,
    transactionalId: d.transactionalId,
    transactionState: d.state,
    transactionTimeoutMs: d.txnTimeoutMs,
    transactionStartTimeMs: d.txnStartTimestampMs,
    producerId: d.producerId,
    producerEpoch: d.producerEpoch,
    topics: d.topics.map((t) => ({ topic: t.topic, partitions: [...t.partitions] })),
  })),
}));

export const listTransactionsHandler = register<ListTransactionsRequest, Reply<ListTransactionsResponse>>(ListTransactionsApi, 0, 1, (req, ctx) => {
  try {
    const listed = ctx.services.transactions.listTransactions({
      states: req.stateFilters,
      producerIds: req.producerIdFilters.map(Number),
      durationMs: ctx.apiVersion >= 1 ? Number(req.durationFilter) : -1,
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, unknownStateFilters: listed.unknownStateFilters, transactionStates: listed.transactionStates.map((t) => ({ ...t })) };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: errorOf(err).errorCode, unknownStateFilters: [], transactionStates: [] };
  }
});

export const addOffsetsToTxnHandler = register<AddOffsetsToTxnRequest, Reply<AddOffsetsToTxnResponse>>(AddOffsetsToTxnApi, 0, 3, async (req, ctx) => {
  try {
    await ctx.services.transactions.addOffsets(req.transactionalId, Number(req.producerId), req.producerEpoch, req.groupId);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: errorCodeForVersion('AddOffsetsToTxn', ctx.apiVersion, errorOf(err).errorCode as ErrorCode) };
  }
});

export const txnOffsetCommitHandler = register<TxnOffsetCommitRequest, Reply<TxnOffsetCommitResponse>>(TxnOffsetCommitApi, 0, 3, async (req, ctx) => {
  const answer = (code: (topic: string, partition: number) => number): Reply<TxnOffsetCommitResponse> => ({
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: code(t.name, p.partitionIndex) })) })),
  });
  const notHere = coordinatorErrorFor(ctx, req.groupId);
  if (notHere !== ErrorCode.NONE) return answer(() => notHere);
  const results = await ctx.services.groups.commitTransactionalOffsets({
    groupId: req.groupId,
    generationId: ctx.apiVersion >= 3 ? req.generationId : -1,
    memberId: ctx.apiVersion >= 3 ? req.memberId : '',
    groupInstanceId: ctx.apiVersion >= 3 ? req.groupInstanceId : null,
    retentionTimeMs: -1,
    groupIdNotFoundForMissingGroup: false,
    producerId: Number(req.producerId),
    producerEpoch: req.producerEpoch,
    offsets: req.topics.flatMap((t) =>
      t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: Number(p.committedOffset), leaderEpoch: ctx.apiVersion >= 2 ? p.committedLeaderEpoch : -1, metadata: p.committedMetadata })),
    ),
  });
  const byPartition = new Map(results.map((r) => [`${r.topic}\0${r.partition}`, r.errorCode]));
  return answer((topic, partition) => byPartition.get(`${topic}\0${partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
});

export const transactionHandlers = [addPartitionsToTxnHandler, addOffsetsToTxnHandler, endTxnHandler, txnOffsetCommitHandler, describeTransactionsHandler, listTransactionsHandler];
