import { DescribeProducersApi } from '../../protocol/messages/index.js';
import type { DescribeProducersRequest, DescribeProducersResponse, PartitionResponse } from '../../protocol/messages/describe-producers.js';
import { ErrorCode } from '../../protocol/errors.js';
import { errorOf, register, type Reply, type RequestContext } from '../request-context.js';

/**
 * DescribeProducers (KIP-664, `kafka-transactions.sh describe-producers`): the idempotent and transactional
 * producers a partition's leader knows, with each one's last sequence and open transaction. Answered by the
 * leader only (NOT_LEADER_OR_FOLLOWER elsewhere), as Kafka does.
 */
function describePartition(topic: string, partition: number, ctx: RequestContext): PartitionResponse {
  try {
    const p = ctx.services.replicas.get(topic, partition);
    return {
      partitionIndex: partition,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      activeProducers: p.log.producerStates().map((e) => ({
        producerId: e.producerId,
        producerEpoch: e.producerEpoch,
        lastSequence: e.batches.at(-1)?.lastSeq ?? -1,
        lastTimestamp: e.lastTimestampMs,
        coordinatorEpoch: e.coordinatorEpoch,
        currentTxnStartOffset: e.currentTxnFirstOffset,
      })),
    };
  } catch (err) {
    const e = errorOf(err);
    return { partitionIndex: partition, errorCode: e.errorCode, errorMessage: e.errorMessage, activeProducers: [] };
  }
}

export const describeProducersHandler = register<DescribeProducersRequest, Reply<DescribeProducersResponse>>(DescribeProducersApi, 0, 0, (req, ctx) => ({
  throttleTimeMs: 0,
  topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => describePartition(t.name, p, ctx)) })),
}));
