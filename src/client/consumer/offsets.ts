/**
 * Offset requests of the consumer: committed offsets (OffsetFetch) and commits (OffsetCommit) at
 * the group coordinator, and earliest / latest offsets (ListOffsets) at partition leaders.
 * Coordinator errors (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, a lost connection) forget the
 * cached coordinator and retry with backoff; COORDINATOR_LOAD_IN_PROGRESS retries the same one.
 */
import { ListOffsetsApi, OffsetCommitApi, OffsetFetchApi } from '../../protocol/messages/index.js';
import type { ListOffsetsResponse } from '../../protocol/messages/list-offsets.js';
import type { OffsetCommitResponse } from '../../protocol/messages/offset-commit.js';
import type { OffsetFetchResponse } from '../../protocol/messages/offset-fetch.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { backoffMs, sleep } from '../backoff.js';
import type { Cluster } from '../cluster/cluster.js';
import type { BrokerLink } from '../cluster/broker-link.js';
import { responseError } from '../errors.js';
import { groupByTopic } from './consumer-protocol.js';
import { formatTp, tpKey, type TopicPartition, type ConsumerOffset } from './types.js';

const COORDINATOR_ERRORS = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NETWORK_EXCEPTION, ErrorCode.REQUEST_TIMED_OUT]);

/** Runs `fn` against the group coordinator, rediscovering it and retrying on retriable errors. */
export async function withCoordinator<T>(cluster: Cluster, groupId: string, what: string, fn: (link: BrokerLink) => Promise<T>, opts: { retries?: number; deadlineMs?: number } = {}): Promise<T> {
  return cluster.withRetries(what, { retries: opts.retries ?? 10, deadlineMs: opts.deadlineMs ?? cluster.options.requestTimeoutMs * 2 }, async () => {
    const link = await cluster.coordinator('group', groupId);
    try {
      return await fn(link);
    } catch (err) {
      if (err instanceof KafkaError && COORDINATOR_ERRORS.has(err.code)) cluster.invalidateCoordinator('group', groupId);
      throw err;
    }
  });
}

/** Identity of the committer: a group member, or (-1, '') for a consumer without membership. */
export interface CommitIdentity {
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

/** Committed offsets of `parts` (-1 where none); read_committed consumers ask for stable offsets. */
export async function fetchCommitted(cluster: Cluster, groupId: string, parts: readonly TopicPartition[], requireStable: boolean): Promise<Map<string, { offset: number; metadata: string | null }>> {
  return withCoordinator(cluster, groupId, 'OffsetFetch', async (link) => {
    const topics = groupByTopic(parts).map((g) => ({ name: g.topic, partitionIndexes: g.partitions }));
    const res = await link.request<OffsetFetchResponse>(OffsetFetchApi, {
      groupId,
      topics,
      groups: [{ groupId, memberId: null, memberEpoch: -1, topics }],
      requireStable,
    });
    const group = res.groups.length > 0 ? res.groups[0]! : { errorCode: res.errorCode, topics: res.topics };
    if (group.errorCode !== ErrorCode.NONE) throw responseError(group.errorCode, `OffsetFetch for group '${groupId}'`);
    const out = new Map<string, { offset: number; metadata: string | null }>();
    for (const t of group.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) throw responseError(p.errorCode, `OffsetFetch ${t.name}-${p.partitionIndex} for group '${groupId}'`);
        out.set(tpKey(t.name, p.partitionIndex), { offset: p.committedOffset, metadata: p.metadata });
      }
    }
    return out;
  });
}

/** Commits; rejects with the first partition error (ILLEGAL_GENERATION, REBALANCE_IN_PROGRESS, ...). */
export async function commitOffsets(cluster: Cluster, groupId: string, who: CommitIdentity, offsets: readonly ConsumerOffset[], opts: { retries?: number } = {}): Promise<void> {
  if (offsets.length === 0) return;
  const byTopic = new Map<string, ConsumerOffset[]>();
  for (const o of offsets) {
    let list = byTopic.get(o.topic);
    if (!list) byTopic.set(o.topic, (list = []));
    list.push(o);
  }
  await withCoordinator(
    cluster,
    groupId,
    'OffsetCommit',
    async (link) => {
      const res = await link.request<OffsetCommitResponse>(OffsetCommitApi, {
        groupId,
        generationIdOrMemberEpoch: who.generationId,
        memberId: who.memberId,
        groupInstanceId: who.groupInstanceId,
        retentionTimeMs: -1,
        topics: [...byTopic].map(([name, list]) => ({
          name,
          partitions: list.map((o) => ({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: o.metadata ?? null })),
        })),
      });
      for (const t of res.topics) {
        for (const p of t.partitions) {
          if (p.errorCode !== ErrorCode.NONE) throw responseError(p.errorCode, `OffsetCommit ${t.name}-${p.partitionIndex} for group '${groupId}'`);
        }
      }
    },
    opts,
  );
}

const LEADER_ERRORS = new Set<number>([ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.FENCED_LEADER_EPOCH, ErrorCode.UNKNOWN_LEADER_EPOCH, ErrorCode.OFFSET_NOT_AVAILABLE]);

/** ListOffsets at each leader: timestamp -2 earliest, -1 latest (the LSO for read_committed). */
export async function listOffsets(cluster: Cluster, parts: readonly TopicPartition[], timestamp: number, isolationLevel: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  let pending = [...parts];
  for (let attempt = 0; pending.length > 0; attempt++) {
    const retry: TopicPartition[] = [];
    let lastError: Error | null = null;
    const byLeader = new Map<number, TopicPartition[]>();
    for (const tp of pending) {
      const leader = cluster.metadata.leaderOf(tp.topic, tp.partition);
      if (leader < 0 || !cluster.metadata.broker(leader)) {
        retry.push(tp);
        continue;
      }
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(tp);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        try {
          const res = await cluster.link(leader).request<ListOffsetsResponse>(ListOffsetsApi, {
            replicaId: -1,
            isolationLevel,
            timeoutMs: cluster.options.requestTimeoutMs,
            topics: groupByTopic(list).map((g) => ({
              name: g.topic,
              partitions: g.partitions.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 })),
            })),
          });
          const seen = new Set<string>();
          for (const t of res.topics) {
            for (const p of t.partitions) {
              const k = tpKey(t.name, p.partitionIndex);
              seen.add(k);
              if (p.errorCode === ErrorCode.NONE) out.set(k, p.offset >= 0 ? p.offset : (p.oldStyleOffsets[0] ?? 0));
              else if (LEADER_ERRORS.has(p.errorCode)) retry.push({ topic: t.name, partition: p.partitionIndex });
              else throw responseError(p.errorCode, `ListOffsets ${t.name}-${p.partitionIndex}`);
            }
          }
          for (const tp of list) if (!seen.has(tpKey(tp.topic, tp.partition))) retry.push(tp);
        } catch (err) {
          if (!(err instanceof KafkaError) || !err.retriable) throw err;
          lastError = err;
          retry.push(...list);
        }
      }),
    );
    if (retry.length === 0) break;
    if (attempt >= 8) {
      throw lastError ?? new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `ListOffsets: no leader for ${retry.map(formatTp).join(', ')}`);
    }
    await cluster.refreshMetadata().catch(() => undefined);
    await sleep(backoffMs(attempt, cluster.options.retryBackoffMs, cluster.options.retryBackoffMaxMs));
    pending = retry;
  }
  return out;
}
