/**
 * Consumer group administration, each request sent to the group's coordinator (retrying on
 * NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE / COORDINATOR_LOAD_IN_PROGRESS after a new lookup).
 * Offsets are altered with OffsetCommit at generation -1 (the broker accepts that only while the
 * group has no active members) and deleted with OffsetDelete.
 */
import {
  DeleteGroupsApi,
  DescribeGroupsApi,
  ListGroupsApi,
  OffsetCommitApi,
  OffsetDeleteApi,
  OffsetFetchApi,
} from '../../protocol/messages/index.js';
import type { DeleteGroupsResponse } from '../../protocol/messages/delete-groups.js';
import type { DescribeGroupsResponse } from '../../protocol/messages/describe-groups.js';
import type { ListGroupsResponse } from '../../protocol/messages/list-groups.js';
import type { OffsetCommitResponse } from '../../protocol/messages/offset-commit.js';
import type { OffsetDeleteResponse } from '../../protocol/messages/offset-delete.js';
import type { OffsetFetchResponse } from '../../protocol/messages/offset-fetch.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { BrokerLink } from '../cluster/broker-link.js';
import type { Cluster, CoordinatorType } from '../cluster/cluster.js';
import { responseError, throwIfError } from '../errors.js';
import type { CommittedOffset, GroupDescription, GroupListing, TopicPartitionOffset } from './types.js';
import { groupBy } from './util.js';

const COORDINATOR_ERRORS = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);

/** Runs `fn` against the coordinator of a group or transactional id, finding it again after coordinator errors. */
export async function withCoordinatorOf<T>(cluster: Cluster, type: CoordinatorType, key: string, fn: (link: BrokerLink) => Promise<T>): Promise<T> {
  await cluster.connect();
  return cluster.withRetries(`${type} '${key}'`, { retries: 8 }, async () => {
    const link = await cluster.coordinator(type, key);
    try {
      return await fn(link);
    } catch (err) {
      if (err instanceof KafkaError && (COORDINATOR_ERRORS.has(err.code) || err.code === ErrorCode.NETWORK_EXCEPTION)) {
        cluster.invalidateCoordinator(type, key);
      }
      throw err;
    }
  });
}

/** Runs `fn` against the group's coordinator, finding it again after coordinator errors. */
export function withCoordinator<T>(cluster: Cluster, groupId: string, fn: (link: BrokerLink) => Promise<T>): Promise<T> {
  return withCoordinatorOf(cluster, 'group', groupId, fn);
}

/** Every group known to every broker. */
export async function listGroups(cluster: Cluster, opts: { states?: string[] } = {}): Promise<GroupListing[]> {
  await cluster.connect();
  const out: GroupListing[] = [];
  for (const b of cluster.metadata.brokers()) {
    const res = await cluster.withRetries('ListGroups', {}, () =>
      cluster.link(b.nodeId).request<ListGroupsResponse>(ListGroupsApi, { statesFilter: opts.states ?? [], typesFilter: [] }),
    );
    throwIfError(res.errorCode, `ListGroups on broker ${b.nodeId}`);
    for (const g of res.groups) out.push({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState, type: g.groupType });
  }
  return out.sort((a, b) => a.groupId.localeCompare(b.groupId));
}

export async function describeGroups(cluster: Cluster, groupIds: readonly string[]): Promise<GroupDescription[]> {
  const out: GroupDescription[] = [];
  for (const groupId of groupIds) {
    const g = await withCoordinator(cluster, groupId, async (link) => {
      const res = await link.request<DescribeGroupsResponse>(DescribeGroupsApi, { groups: [groupId], includeAuthorizedOperations: false });
      const d = res.groups.find((x) => x.groupId === groupId) ?? res.groups[0];
      if (!d) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `DescribeGroups: no entry for '${groupId}'`);
      throwIfError(d.errorCode, `describe group '${groupId}'`);
      return d;
    });
    out.push({
      groupId: g.groupId,
      state: g.groupState,
      protocolType: g.protocolType,
      protocol: g.protocolData,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: m.memberMetadata,
        memberAssignment: m.memberAssignment,
      })),
    });
  }
  return out;
}

/** Deletes groups (they must have no members: NON_EMPTY_GROUP otherwise). */
export async function deleteGroups(cluster: Cluster, groupIds: readonly string[]): Promise<void> {
  for (const groupId of groupIds) {
    await withCoordinator(cluster, groupId, async (link) => {
      const res = await link.request<DeleteGroupsResponse>(DeleteGroupsApi, { groupsNames: [groupId] });
      for (const r of res.results) throwIfError(r.errorCode, `delete group '${r.groupId}'`);
    });
  }
}

/** Committed offsets of a group (all its partitions, or those of `topics`). */
export async function fetchOffsets(cluster: Cluster, groupId: string, topics?: readonly string[]): Promise<CommittedOffset[]> {
  let requested: Array<{ name: string; partitionIndexes: number[] }> | null = null;
  if (topics) {
    requested = [];
    for (const t of topics) {
      const info = await cluster.waitForTopic(t, { timeoutMs: cluster.options.requestTimeoutMs, allowAutoTopicCreation: false });
      requested.push({ name: t, partitionIndexes: info.partitions.map((p) => p.partition) });
    }
  }
  return withCoordinator(cluster, groupId, async (link) => {
    const res = await link.request<OffsetFetchResponse>(OffsetFetchApi, { groupId, topics: requested, requireStable: false });
    throwIfError(res.errorCode, `fetch offsets of group '${groupId}'`);
    const out: CommittedOffset[] = [];
    for (const t of res.topics) {
      for (const p of t.partitions) {
        throwIfError(p.errorCode, `fetch offset of group '${groupId}' for ${t.name}-${p.partitionIndex}`);
        out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata: p.metadata });
      }
    }
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  });
}

/** Sets committed offsets of an inactive group (OffsetCommit with generation -1). */
export async function alterOffsets(cluster: Cluster, groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
  const now = Date.now();
  await withCoordinator(cluster, groupId, async (link) => {
    const res = await link.request<OffsetCommitResponse>(OffsetCommitApi, {
      groupId,
      generationIdOrMemberEpoch: -1,
      memberId: '',
      groupInstanceId: null,
      retentionTimeMs: -1,
      topics: [...groupBy(offsets, (o) => o.topic)].map(([name, ps]) => ({
        name,
        partitions: ps.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: -1, commitTimestamp: now, committedMetadata: null })),
      })),
    });
    for (const t of res.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== ErrorCode.NONE) throw responseError(p.errorCode, `alter offset of group '${groupId}' for ${t.name}-${p.partitionIndex}`);
      }
    }
  });
}

/** Deletes committed offsets (the group must not be subscribed to the topics: GROUP_SUBSCRIBED_TO_TOPIC). */
export async function deleteOffsets(cluster: Cluster, groupId: string, partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<void> {
  await withCoordinator(cluster, groupId, async (link) => {
    const res = await link.request<OffsetDeleteResponse>(OffsetDeleteApi, {
      groupId,
      topics: [...groupBy(partitions, (p) => p.topic)].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition })) })),
    });
    throwIfError(res.errorCode, `delete offsets of group '${groupId}'`);
    for (const t of res.topics) {
      for (const p of t.partitions) throwIfError(p.errorCode, `delete offset of group '${groupId}' for ${t.name}-${p.partitionIndex}`);
    }
  });
}
