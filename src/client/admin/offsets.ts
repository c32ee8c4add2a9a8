/**
 * Per-partition requests to partition leaders: ListOffsets (earliest / latest / by timestamp),
 * DeleteRecords and DescribeProducers. Partitions are grouped by leader; stale-leader errors refresh
 * metadata and retry.
 */
import { DeleteRecordsApi, DescribeProducersApi, ListOffsetsApi } from '../../protocol/messages/index.js';
import type { DeleteRecordsResponse } from '../../protocol/messages/delete-records.js';
import type { DescribeProducersResponse } from '../../protocol/messages/describe-producers.js';
import type { ListOffsetsResponse } from '../../protocol/messages/list-offsets.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { Cluster } from '../cluster/cluster.js';
import { responseError } from '../errors.js';
import type { DeletedRecords, OffsetSpec, PartitionProducers, TopicPartitionOffset, TopicPartitionRef } from './types.js';
import { groupBy } from './util.js';

const LEADER_ERRORS = new Set<number>([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.FENCED_LEADER_EPOCH]);

interface TP {
  topic: string;
  partition: number;
}

/** Runs `perLeader` for the partitions of each leader; retries the partitions whose leader moved. */
export async function byLeader<P extends TP, R>(cluster: Cluster, what: string, parts: readonly P[], perLeader: (node: number, parts: P[]) => Promise<Array<{ part: P; errorCode: number; result?: R }>>): Promise<R[]> {
  await cluster.connect();
  const topics = [...new Set(parts.map((p) => p.topic))];
  for (const t of topics) {
    if (!cluster.metadata.topic(t)) await cluster.waitForTopic(t, { timeoutMs: cluster.options.requestTimeoutMs, allowAutoTopicCreation: false });
  }
  const results: R[] = [];
  let pending = [...parts];
  for (let attempt = 0; pending.length > 0; attempt++) {
    const retry: P[] = [];
    const groups = groupBy(pending, (p) => cluster.metadata.leaderOf(p.topic, p.partition));
    for (const [node, list] of groups) {
      if (node < 0) {
        retry.push(...list);
        continue;
      }
      let answers: Array<{ part: P; errorCode: number; result?: R }>;
      try {
        answers = await perLeader(node, list);
      } catch (err) {
        if (err instanceof KafkaError && err.retriable) {
          retry.push(...list);
          continue;
        }
        throw err;
      }
      for (const a of answers) {
        if (a.errorCode === ErrorCode.NONE) results.push(a.result!);
        else if (LEADER_ERRORS.has(a.errorCode) || new KafkaError(a.errorCode as ErrorCode).retriable) retry.push(a.part);
        else throw responseError(a.errorCode, `${what} for ${a.part.topic}-${a.part.partition}`);
      }
    }
    if (retry.length === 0) break;
    if (attempt >= 5) throw responseError(ErrorCode.LEADER_NOT_AVAILABLE, `${what}: no leader for ${retry.map((p) => `${p.topic}-${p.partition}`).join(', ')}`);
    await new Promise((r) => setTimeout(r, cluster.options.retryBackoffMs * 2 ** attempt));
    await cluster.fetchMetadata(topics).catch(() => undefined);
    pending = retry;
  }
  return results;
}

function specTimestamp(spec: OffsetSpec): number {
  if (spec === 'earliest') return -2;
  if (spec === 'latest') return -1;
  return spec.timestamp;
}

/**
 * Offsets of the given partitions (default: all partitions of `topic`) for `spec`. For a
 * timestamp with no record at or after it the offset is -1.
 */
export async function listOffsets(cluster: Cluster, topic: string, spec: OffsetSpec, partitions?: number[]): Promise<TopicPartitionOffset[]> {
  await cluster.connect();
  const info = await cluster.waitForTopic(topic, { timeoutMs: cluster.options.requestTimeoutMs, allowAutoTopicCreation: false });
  const parts = (partitions ?? info.partitions.map((p) => p.partition)).map((partition) => ({ topic, partition }));
  const timestamp = specTimestamp(spec);
  const out = await byLeader<TP, TopicPartitionOffset>(cluster, 'ListOffsets', parts, async (node, list) => {
    const res = await cluster.link(node).request<ListOffsetsResponse>(ListOffsetsApi, {
      replicaId: -1,
      isolationLevel: 0,
      timeoutMs: cluster.options.requestTimeoutMs,
      topics: [{ name: topic, partitions: list.map((p) => ({ partitionIndex: p.partition, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })) }],
    });
    const byPartition = new Map(res.topics.flatMap((t) => t.partitions).map((p) => [p.partitionIndex, p]));
    return list.map((part) => {
      const p = byPartition.get(part.partition);
      if (!p) return { part, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR };
      return { part, errorCode: p.errorCode, result: { topic, partition: part.partition, offset: p.offset } };
    });
  });
  return out.sort((a, b) => a.partition - b.partition);
}

/**
 * Deletes records before `offset` in each partition (offset -1: up to the high watermark).
 * A broker that does not serve DeleteRecords fails with KafkaError(UNSUPPORTED_VERSION).
 */
export async function deleteRecords(cluster: Cluster, targets: readonly TopicPartitionOffset[], opts: { timeoutMs?: number } = {}): Promise<DeletedRecords[]> {
  const timeoutMs = opts.timeoutMs ?? cluster.options.requestTimeoutMs;
  const out = await byLeader<TopicPartitionOffset, DeletedRecords>(cluster, 'DeleteRecords', targets, async (node, list) => {
    const res = await cluster.link(node).request<DeleteRecordsResponse>(
      DeleteRecordsApi,
      {
        timeoutMs,
        topics: [...groupBy(list, (t) => t.topic)].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, offset: p.offset })) })),
      },
      { timeoutMs: timeoutMs + cluster.options.requestTimeoutMs },
    );
    const found = new Map<string, { errorCode: number; lowWatermark: number }>();
    for (const t of res.topics) for (const p of t.partitions) found.set(`${t.name}\0${p.partitionIndex}`, p);
    return list.map((part) => {
      const p = found.get(`${part.topic}\0${part.partition}`);
      if (!p) return { part, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR };
      return { part, errorCode: p.errorCode, result: { topic: part.topic, partition: part.partition, lowWatermark: p.lowWatermark } };
    });
  });
  return out;
}

/** The idempotent and transactional producers each partition's leader knows (kafka-transactions.sh describe-producers). */
export async function describeProducers(cluster: Cluster, partitions: readonly TopicPartitionRef[]): Promise<PartitionProducers[]> {
  const out = await byLeader<TopicPartitionRef, PartitionProducers>(cluster, 'DescribeProducers', partitions, async (node, list) => {
    const res = await cluster.link(node).request<DescribeProducersResponse>(DescribeProducersApi, {
      topics: [...groupBy(list, (t) => t.topic)].map(([name, ps]) => ({ name, partitionIndexes: ps.map((p) => p.partition) })),
    });
    const found = new Map(res.topics.flatMap((t) => t.partitions.map((p) => [`${t.name}\0${p.partitionIndex}`, p] as const)));
    return list.map((part) => {
      const p = found.get(`${part.topic}\0${part.partition}`);
      if (!p) return { part, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR };
      const producers = p.activeProducers.map((a) => ({
        producerId: a.producerId,
        producerEpoch: a.producerEpoch,
        lastSequence: a.lastSequence,
        lastTimestampMs: a.lastTimestamp,
        coordinatorEpoch: a.coordinatorEpoch,
        currentTransactionStartOffset: a.currentTxnStartOffset,
      }));
      return { part, errorCode: p.errorCode, result: { topic: part.topic, partition: part.partition, producers } };
    });
  });
  return out.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}
