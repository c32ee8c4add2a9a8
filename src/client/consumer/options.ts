/** Consumer options with Kafka's names (camelCase) and defaults; validated once. */
import { ClientConfigError } from '../errors.js';
import { intOption, type ClientOptions } from '../options.js';
import type { Deserializer } from '../serializers.js';
import type { Assignor, AssignorName } from './assignors/types.js';
import type { RebalanceListener } from './types.js';

export type AutoOffsetReset = 'latest' | 'earliest' | 'none';
export type IsolationLevel = 'read_uncommitted' | 'read_committed';

export interface ConsumerOptions<K = Buffer | null, V = Buffer | null> extends ClientOptions {
  /** Consumer group (`group.id`). Required for `subscribe` and for `commit`; `assign` works without. */
  groupId?: string;
  /** Static membership (`group.instance.id`): a restart within sessionTimeoutMs causes no rebalance. */
  groupInstanceId?: string;
  /** `session.timeout.ms`. Default 45000. */
  sessionTimeoutMs?: number;
  /** `heartbeat.interval.ms`. Default 3000. */
  heartbeatIntervalMs?: number;
  /** `max.poll.interval.ms`, also sent as the rebalance timeout. Default 300000. */
  maxPollIntervalMs?: number;
  /** Rebalance timeout sent in JoinGroup. Default: maxPollIntervalMs. */
  rebalanceTimeoutMs?: number;
  /**
   * `partition.assignment.strategy`, in order of preference: names or your own assignors.
   * Default ['range', 'cooperative-sticky'] (Kafka 3.x). The rebalance protocol is cooperative
   * only when every assignor listed supports it.
   */
  assignors?: ReadonlyArray<AssignorName | Assignor>;
  /** `enable.auto.commit`. Default true. */
  enableAutoCommit?: boolean;
  /** `auto.commit.interval.ms`. Default 5000. */
  autoCommitIntervalMs?: number;
  /** `auto.offset.reset`: where to start without a committed offset or when out of range. Default 'latest'. */
  autoOffsetReset?: AutoOffsetReset;
  /** `isolation.level`. Default 'read_uncommitted'. */
  isolationLevel?: IsolationLevel;
  /** `fetch.min.bytes`. Default 1. */
  fetchMinBytes?: number;
  /** `fetch.max.wait.ms`. Default 500. */
  fetchMaxWaitMs?: number;
  /** `fetch.max.bytes`. Default 52428800. */
  fetchMaxBytes?: number;
  /** `max.partition.fetch.bytes`. Default 1048576. */
  maxPartitionFetchBytes?: number;
  /** `check.crcs`. Default true. */
  checkCrcs?: boolean;
  /** Let Metadata requests for subscribed topics auto-create them (`allow.auto.create.topics`). Default true. */
  allowAutoTopicCreation?: boolean;
  keyDeserializer?: Deserializer<K>;
  valueDeserializer?: Deserializer<V>;
  /** Rebalance callbacks; also settable per `subscribe`. */
  rebalanceListener?: RebalanceListener;
}

export interface ResolvedConsumerOptions {
  groupId: string | null;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxPollIntervalMs: number;
  rebalanceTimeoutMs: number;
  enableAutoCommit: boolean;
  autoCommitIntervalMs: number;
  autoOffsetReset: AutoOffsetReset;
  isolationLevel: 0 | 1;
  fetchMinBytes: number;
  fetchMaxWaitMs: number;
  fetchMaxBytes: number;
  maxPartitionFetchBytes: number;
  checkCrcs: boolean;
  allowAutoTopicCreation: boolean;
  requestTimeoutMs: number;
  retryBackoffMs: number;
}

export function resolveConsumerOptions(o: ConsumerOptions<unknown, unknown>): ResolvedConsumerOptions {
  const reset = o.autoOffsetReset ?? 'latest';
  if (reset !== 'latest' && reset !== 'earliest' && reset !== 'none') {
    throw new ClientConfigError(`autoOffsetReset must be 'latest', 'earliest' or 'none', got '${String(reset)}'`);
  }
  const isolation = o.isolationLevel ?? 'read_uncommitted';
  if (isolation !== 'read_uncommitted' && isolation !== 'read_committed') {
    throw new ClientConfigError(`isolationLevel must be 'read_uncommitted' or 'read_committed', got '${String(isolation)}'`);
  }
  if (o.groupId !== undefined && o.groupId.trim() === '') throw new ClientConfigError('groupId must not be empty');
  if (o.groupInstanceId !== undefined && o.groupId === undefined) throw new ClientConfigError('groupInstanceId needs a groupId');
  const sessionTimeoutMs = intOption('sessionTimeoutMs', o.sessionTimeoutMs, 45_000, 1);
  const heartbeatIntervalMs = intOption('heartbeatIntervalMs', o.heartbeatIntervalMs, 3000, 1);
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw new ClientConfigError(`heartbeatIntervalMs (${heartbeatIntervalMs}) must be lower than sessionTimeoutMs (${sessionTimeoutMs})`);
  }
  const maxPollIntervalMs = intOption('maxPollIntervalMs', o.maxPollIntervalMs, 300_000, 1);
  const requestTimeoutMs = intOption('requestTimeoutMs', o.requestTimeoutMs, 30_000, 1);
  return {
    groupId: o.groupId ?? null,
    groupInstanceId: o.groupInstanceId ?? null,
    sessionTimeoutMs,
    heartbeatIntervalMs,
    maxPollIntervalMs,
    rebalanceTimeoutMs: intOption('rebalanceTimeoutMs', o.rebalanceTimeoutMs, maxPollIntervalMs, 1),
    enableAutoCommit: o.enableAutoCommit ?? true,
    autoCommitIntervalMs: intOption('autoCommitIntervalMs', o.autoCommitIntervalMs, 5000, 1),
    autoOffsetReset: reset,
    isolationLevel: isolation === 'read_committed' ? 1 : 0,
    fetchMinBytes: intOption('fetchMinBytes', o.fetchMinBytes, 1),
    fetchMaxWaitMs: intOption('fetchMaxWaitMs', o.fetchMaxWaitMs, 500),
    fetchMaxBytes: intOption('fetchMaxBytes', o.fetchMaxBytes, 52_428_800, 1),
    maxPartitionFetchBytes: intOption('maxPartitionFetchBytes', o.maxPartitionFetchBytes, 1_048_576, 1),
    checkCrcs: o.checkCrcs ?? true,
    allowAutoTopicCreation: o.allowAutoTopicCreation ?? true,
    requestTimeoutMs,
    retryBackoffMs: intOption('retryBackoffMs', o.retryBackoffMs, 100),
  };
}
