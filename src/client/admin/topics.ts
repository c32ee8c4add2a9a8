/** Topic administration: create, delete, list, describe, add partitions. Sent to the controller. */
import { CreatePartitionsApi, CreateTopicsApi, DeleteTopicsApi } from '../../protocol/messages/index.js';
import type { CreateTopicsResponse } from '../../protocol/messages/create-topics.js';
import type { DeleteTopicsResponse } from '../../protocol/messages/delete-topics.js';
import type { CreatePartitionsResponse } from '../../protocol/messages/create-partitions.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { Cluster } from '../cluster/cluster.js';
import { responseError } from '../errors.js';
import type { CreatedTopic, NewTopic, TopicDescription } from './types.js';

export interface CreateTopicsOptions {
  validateOnly?: boolean;
  /** Broker-side timeout for the operation. Default: requestTimeoutMs. */
  timeoutMs?: number;
  /** Treat TOPIC_ALREADY_EXISTS as success (the existing topic is then not in the result). */
  ignoreExisting?: boolean;
}

/** Runs a controller request, refreshing metadata and retrying on NOT_CONTROLLER and network errors. */
export function toController<T>(cluster: Cluster, what: string, fn: () => Promise<T>): Promise<T> {
  return cluster.withRetries(what, { retries: 5 }, async () => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof KafkaError && (err.code === ErrorCode.NOT_CONTROLLER || err.code === ErrorCode.NETWORK_EXCEPTION)) {
        await cluster.fetchMetadata([]).catch(() => undefined);
      }
      throw err;
    }
  });
}

function firstFailure(failures: KafkaError[]): void {
  if (failures.length === 0) return;
  const first = failures[0]!;
  if (failures.length === 1) throw first;
  throw new KafkaError(first.code, `${first.message} (and ${failures.length - 1} more: ${failures.slice(1).map((f) => f.message).join('; ')})`);
}

export async function createTopics(cluster: Cluster, topics: readonly NewTopic[], opts: CreateTopicsOptions = {}): Promise<CreatedTopic[]> {
  const timeoutMs = opts.timeoutMs ?? cluster.options.requestTimeoutMs;
  const body = {
    topics: topics.map((t) => ({
      name: t.name,
      numPartitions: t.assignments ? -1 : (t.numPartitions ?? -1),
      replicationFactor: t.assignments ? -1 : (t.replicationFactor ?? -1),
      assignments: Object.entries(t.assignments ?? {}).map(([p, brokerIds]) => ({ partitionIndex: Number(p), brokerIds })),
      configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    })),
    timeoutMs,
    validateOnly: opts.validateOnly ?? false,
  };
  const res = await toController(cluster, 'CreateTopics', async () => {
    const r = await cluster.controllerLink().request<CreateTopicsResponse>(CreateTopicsApi, body, { timeoutMs: timeoutMs + cluster.options.requestTimeoutMs });
    const notController = r.topics.find((t) => t.errorCode === ErrorCode.NOT_CONTROLLER);
    if (notController) throw responseError(notController.errorCode, 'CreateTopics');
    return r;
  });
  const failures: KafkaError[] = [];
  const created: CreatedTopic[] = [];
  for (const t of res.topics) {
    if (t.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && opts.ignoreExisting) continue;
    if (t.errorCode !== ErrorCode.NONE) failures.push(responseError(t.errorCode, `create topic '${t.name}'`, t.errorMessage));
    else created.push({ name: t.name, topicId: t.topicId, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor });
  }
  firstFailure(failures);
  if (!opts.validateOnly && created.length > 0) cluster.requestMetadataRefresh('topics created');
  return created;
}

export async function deleteTopics(cluster: Cluster, names: readonly string[], opts: { timeoutMs?: number } = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? cluster.options.requestTimeoutMs;
  const res = await toController(cluster, 'DeleteTopics', () =>
    cluster.controllerLink().request<DeleteTopicsResponse>(
      DeleteTopicsApi,
      { topicNames: [...names], topics: names.map((name) => ({ name })), timeoutMs },
      { timeoutMs: timeoutMs + cluster.options.requestTimeoutMs },
    ),
  );
  const failures: KafkaError[] = [];
  for (const t of res.responses) {
    if (t.errorCode !== ErrorCode.NONE) failures.push(responseError(t.errorCode, `delete topic '${t.name ?? t.topicId}'`, t.errorMessage));
  }
  for (const n of names) cluster.metadata.removeTopic(n);
  cluster.removeTopics(names);
  firstFailure(failures);
}

/** Raises the partition count of each topic to `count` (it cannot shrink). */
export async function createPartitions(
  cluster: Cluster,
  topics: ReadonlyArray<{ topic: string; count: number; assignments?: number[][] }>,
  opts: { validateOnly?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? cluster.options.requestTimeoutMs;
  const res = await toController(cluster, 'CreatePartitions', () =>
    cluster.controllerLink().request<CreatePartitionsResponse>(
      CreatePartitionsApi,
      {
        topics: topics.map((t) => ({ name: t.topic, count: t.count, assignments: t.assignments ? t.assignments.map((brokerIds) => ({ brokerIds })) : null })),
        timeoutMs,
        validateOnly: opts.validateOnly ?? false,
      },
      { timeoutMs: timeoutMs + cluster.options.requestTimeoutMs },
    ),
  );
  const failures: KafkaError[] = [];
  for (const r of res.results) if (r.errorCode !== ErrorCode.NONE) failures.push(responseError(r.errorCode, `create partitions for '${r.name}'`, r.errorMessage));
  firstFailure(failures);
  if (!opts.validateOnly) await cluster.fetchMetadata(topics.map((t) => t.topic)).catch(() => undefined);
}

export async function listTopics(cluster: Cluster, opts: { includeInternal?: boolean } = {}): Promise<string[]> {
  const { response } = await cluster.fetchMetadata(null);
  return response.topics
    .filter((t) => t.errorCode === ErrorCode.NONE && t.name !== null && (opts.includeInternal || !t.isInternal))
    .map((t) => t.name!)
    .sort();
}

export async function describeTopics(cluster: Cluster, names: readonly string[]): Promise<TopicDescription[]> {
  const { response } = await cluster.fetchMetadata([...names], false);
  const failures: KafkaError[] = [];
  const out: TopicDescription[] = [];
  for (const t of response.topics) {
    if (t.errorCode !== ErrorCode.NONE) {
      failures.push(responseError(t.errorCode, `describe topic '${t.name}'`));
      continue;
    }
    out.push({
      name: t.name!,
      topicId: t.topicId,
      isInternal: t.isInternal,
      partitions: [...t.partitions]
        .sort((a, b) => a.partitionIndex - b.partitionIndex)
        .map((p) => ({
          partition: p.partitionIndex,
          leader: p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas,
        })),
    });
  }
  firstFailure(failures);
  return out;
}
