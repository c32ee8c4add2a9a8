/**
 * Leader elections (ElectLeaders, KIP-460) and partition reassignments (KIP-455), sent to the
 * controller (a broker relays them to the active one) as Kafka's AdminClient does.
 */
import { AlterPartitionReassignmentsApi, ElectLeadersApi, ListPartitionReassignmentsApi } from '../../protocol/messages/index.js';
import type { AlterPartitionReassignmentsResponse } from '../../protocol/messages/alter-partition-reassignments.js';
import type { ElectLeadersResponse } from '../../protocol/messages/elect-leaders.js';
import type { ListPartitionReassignmentsResponse } from '../../protocol/messages/list-partition-reassignments.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { Cluster } from '../cluster/cluster.js';
import { responseError, throwIfError } from '../errors.js';
import { toController } from './topics.js';
import { groupBy } from './util.js';
import type { ElectionResult, ElectionType, PartitionReassignment, ReassignmentResult, TopicPartitionRef } from './types.js';

const ELECTION_TYPES: Record<ElectionType, number> = { preferred: 0, unclean: 1 };

function byTopic<T extends TopicPartitionRef>(partitions: readonly T[]): Map<string, T[]> {
  return groupBy(partitions, (p) => p.topic);
}

/**
 * Elects leaders for `partitions` (null: every partition; then only those that needed an election are
 * in the result). Each result carries the partition's error code (0, ELECTION_NOT_NEEDED (84),
 * PREFERRED_LEADER_NOT_AVAILABLE (80), ELIGIBLE_LEADERS_NOT_AVAILABLE (83), …) and message.
 */
export async function electLeaders(cluster: Cluster, type: ElectionType, partitions: readonly TopicPartitionRef[] | null, opts: { timeoutMs?: number } = {}): Promise<ElectionResult[]> {
  const timeoutMs = opts.timeoutMs ?? cluster.options.requestTimeoutMs;
  const topicPartitions = partitions === null ? null : [...byTopic(partitions)].map(([topic, ps]) => ({ topic, partitions: ps.map((p) => p.partition) }));
  const res = await toController(cluster, 'ElectLeaders', async () => {
    const r = await cluster
      .controllerLink()
      .request<ElectLeadersResponse>(ElectLeadersApi, { electionType: ELECTION_TYPES[type], topicPartitions, timeoutMs }, { timeoutMs: timeoutMs + cluster.options.requestTimeoutMs });
    if (r.errorCode === ErrorCode.NOT_CONTROLLER) throw responseError(r.errorCode, 'ElectLeaders');
    return r;
  });
  throwIfError(res.errorCode, 'ElectLeaders');
  cluster.requestMetadataRefresh('leaders elected');
  return res.replicaElectionResults.flatMap((t) =>
    t.partitionResult.map((p) => ({ topic: t.topic, partition: p.partitionId, errorCode: p.errorCode, errorMessage: p.errorMessage })),
  );
}

/**
 * Starts (replicas given) or cancels (replicas null) reassignments. Resolves once the controller has
 * recorded them; the data then moves in the background (see listPartitionReassignments).
 */
export async function alterPartitionReassignments(
  cluster: Cluster,
  reassignments: ReadonlyArray<TopicPartitionRef & { replicas: readonly number[] | null }>,
  opts: { timeoutMs?: number } = {},
): Promise<ReassignmentResult[]> {
  const timeoutMs = opts.timeoutMs ?? cluster.options.requestTimeoutMs;
  const topics = [...byTopic(reassignments)].map(([name, ps]) => ({ name, partitions: ps.map((p) => ({ partitionIndex: p.partition, replicas: p.replicas === null ? null : [...p.replicas] })) }));
  const res = await toController(cluster, 'AlterPartitionReassignments', async () => {
    const r = await cluster
      .controllerLink()
      .request<AlterPartitionReassignmentsResponse>(AlterPartitionReassignmentsApi, { timeoutMs, topics }, { timeoutMs: timeoutMs + cluster.options.requestTimeoutMs });
    if (r.errorCode === ErrorCode.NOT_CONTROLLER) throw responseError(r.errorCode, 'AlterPartitionReassignments', r.errorMessage);
    return r;
  });
  throwIfError(res.errorCode, 'AlterPartitionReassignments', res.errorMessage);
  cluster.requestMetadataRefresh('partitions reassigned');
  return res.responses.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode, errorMessage: p.errorMessage })));
}

/** Reassignments in progress, of `partitions` or (undefined) of every partition. */
export async function listPartitionReassignments(cluster: Cluster, partitions?: readonly TopicPartitionRef[], opts: { timeoutMs?: number } = {}): Promise<PartitionReassignment[]> {
  const timeoutMs = opts.timeoutMs ?? cluster.options.requestTimeoutMs;
  const topics = partitions === undefined ? null : [...byTopic(partitions)].map(([name, ps]) => ({ name, partitionIndexes: ps.map((p) => p.partition) }));
  const res = await toController(cluster, 'ListPartitionReassignments', async () => {
    const r = await cluster
      .controllerLink()
      .request<ListPartitionReassignmentsResponse>(ListPartitionReassignmentsApi, { timeoutMs, topics }, { timeoutMs: timeoutMs + cluster.options.requestTimeoutMs });
    if (r.errorCode === ErrorCode.NOT_CONTROLLER) throw responseError(r.errorCode, 'ListPartitionReassignments', r.errorMessage);
    return r;
  });
  throwIfError(res.errorCode, 'ListPartitionReassignments', res.errorMessage);
  return res.topics.flatMap((t) =>
    t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, replicas: p.replicas, addingReplicas: p.addingReplicas, removingReplicas: p.removingReplicas })),
  );
}
