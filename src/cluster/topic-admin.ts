/**
 * Creating, deleting and growing topics on a broker: a request is checked with Kafka's rules and error
 * codes against this broker's view of the cluster, then handed to the topic store (the controller,
 * which checks again against the authoritative metadata and places the replicas). The partitions'
 * logs are created by the broker's metadata publisher when the new image arrives.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { validateTopicName } from '../storage/log-dirs.js';
import type { TopicInfo, TopicStore } from './topic-store.js';
import { validateTopicConfigs } from './config/topic-config.js';
import { isInternalTopic } from './internal-topics.js';
import { enforcePolicy, type CreateTopicPolicy } from './policies.js';

export interface TopicAdminSettings {
  /** Brokers that can take replicas now (registered and unfenced). */
  readonly liveBrokerCount: () => number;
  readonly numPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly autoCreateTopicsEnable: boolean;
  readonly deleteTopicEnable: boolean;
  /**
   * Validates a new topic's config overrides merged over the broker defaults (throws KafkaError
   * INVALID_CONFIG). Without it only the overrides themselves are checked.
   */
  readonly validateConfigs?: (configs: Readonly<Record<string, string>>) => void;
  /**
   * Broker-wide partition caps (`max.partitions`, `max.broker.partitions`). Every partition costs
   * files, memory and start-up time, so without a cap a few requests can make a broker that takes
   * minutes to restart. Internal topics are counted but never refused (the broker needs them).
   */
  readonly partitionLimits?: readonly PartitionLimit[];
  /** `create.topic.policy.class.name`: applied to every topic creation, auto-created ones included. */
  readonly createTopicPolicy?: CreateTopicPolicy;
}

export interface PartitionLimit {
  readonly max: number;
  /** The property that sets it, for the error message. */
  readonly property: string;
}

export interface CreateTopicSpec {
  name: string;
  numPartitions: number; // -1: broker default
  replicationFactor: number; // -1: broker default
  configs: Record<string, string>;
  /** Explicit replica assignments by partition (CreateTopics), handed to the create-topic policy. */
  assignments?: ReadonlyMap<number, readonly number[]>;
}

export class TopicAdmin {
  /** Topics being created right now, so concurrent auto-creates share one creation. */
  private readonly creating = new Map<string, Promise<TopicInfo>>();
  /** Partitions admitted by the cap but not yet in the registry (creations and additions in flight). */
  private reservedPartitions = 0;
  /** The last queued operation per topic name (see {@link locked}). */
  private readonly topicLocks = new Map<string, Promise<void>>();

  constructor(
    private readonly topics: TopicStore,
    private readonly settings: TopicAdminSettings,
  ) {}

  /** Checks a creation request and returns the resolved partition count and replication factor. */
  validateCreate(spec: CreateTopicSpec): { partitions: number; replicationFactor: number } {
    validateTopicName(spec.name);
    if (this.topics.get(spec.name) || this.creating.has(spec.name)) {
      throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${spec.name}' already exists.`);
    }
    const partitions = spec.numPartitions === -1 ? this.settings.numPartitions : spec.numPartitions;
    if (partitions <= 0) throw new KafkaError(ErrorCode.INVALID_PARTITIONS, 'Number of partitions must be larger than 0.');
    const replicationFactor = spec.replicationFactor === -1 ? this.settings.defaultReplicationFactor : spec.replicationFactor;
    if (replicationFactor <= 0) throw new KafkaError(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0.');
    const brokers = this.settings.liveBrokerCount();
    if (spec.assignments === undefined && replicationFactor > brokers) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICATION_FACTOR,
        `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${brokers} broker(s) are registered.`,
      );
    }
    if (this.settings.validateConfigs) {
      this.settings.validateConfigs(spec.configs);
    } else {
      try {
        validateTopicConfigs(spec.configs);
      } catch (err) {
        throw new KafkaError(ErrorCode.INVALID_CONFIG, err instanceof Error ? err.message : String(err));
      }
    }
    if (!isInternalTopic(spec.name)) this.checkPartitionLimit(partitions);
    enforcePolicy(this.settings.createTopicPolicy, {
      topic: spec.name,
      numPartitions: partitions,
      replicationFactor,
      replicasAssignments: spec.assignments ?? null,
      configs: spec.configs,
    });
    return { partitions, replicationFactor };
  }

  /** Partitions the cluster holds now, plus those admitted and still being written to the registry. */
  partitionCount(): number {
    let total = this.reservedPartitions;
    for (const t of this.topics.list()) total += t.partitions;
    return total;
  }

  /** POLICY_VIOLATION when adding `adding` partitions would pass a cap; the message names the limit and its property. */
  private checkPartitionLimit(adding: number): void {
    const limits = this.settings.partitionLimits ?? [];
    if (limits.length === 0) return;
    const current = this.partitionCount();
    for (const limit of limits) {
      if (current + adding > limit.max) {
        throw new KafkaError(
          ErrorCode.POLICY_VIOLATION,
          `Adding ${adding} partition(s) would bring the broker to ${current + adding} partitions, above its limit of ${limit.max} (${limit.property}); ${current} exist now. Delete topics or raise ${limit.property}.`,
        );
      }
    }
  }

  /** Holds `n` partitions against the cap while `work` writes them to the registry. */
  private async reserving<T>(n: number, work: () => Promise<T>): Promise<T> {
    this.reservedPartitions += n;
    try {
      return await work();
    } finally {
      this.reservedPartitions -= n;
    }
  }

  /**
   * Runs creations, deletions and partition additions of one topic name one at a time. Without it a
   * delete that was still dropping logs when the same name was auto-created again dropped the new
   * topic's logs: the registry then held a topic with no hosted partition (found by the fuzzer).
   */
  private locked<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.topicLocks.get(name);
    const run = previous ? previous.then(work, work) : work();
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.topicLocks.set(name, tail);
    void tail.then(() => {
      if (this.topicLocks.get(name) === tail) this.topicLocks.delete(name);
    });
    return run;
  }

  async create(spec: CreateTopicSpec): Promise<TopicInfo> {
    // Wait out a delete (or growth) of the same name in flight; then validate and start in one step.
    for (let lock = this.topicLocks.get(spec.name); lock; lock = this.topicLocks.get(spec.name)) await lock;
    const { partitions, replicationFactor } = this.validateCreate(spec);
    const pending = this.locked(spec.name, () =>
      this.reserving(partitions, () =>
        this.topics.create(spec.name, partitions, spec.configs, { replicationFactor, ...(spec.assignments && { assignments: spec.assignments }) }),
      ),
    );
    this.creating.set(spec.name, pending);
    try {
      return await pending;
    } finally {
      this.creating.delete(spec.name);
    }
  }

  /** True while a topic's partitions are still being created: listings leave it out until it is whole. */
  isCreating(name: string): boolean {
    return this.creating.has(name);
  }

  /** For Metadata and Produce on an unknown topic: create it when auto-creation is on. */
  async getOrAutoCreate(name: string, allowAutoCreate: boolean): Promise<TopicInfo> {
    const existing = this.topics.get(name);
    if (existing) return existing;
    const inFlight = this.creating.get(name);
    if (inFlight) return inFlight;
    if (!allowAutoCreate || !this.settings.autoCreateTopicsEnable) {
      throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    }
    try {
      return await this.create({ name, numPartitions: -1, replicationFactor: -1, configs: {} });
    } catch (err) {
      // Another auto-create of the name won the race while both waited for a delete of it: share its topic.
      if (err instanceof KafkaError && err.code === ErrorCode.TOPIC_ALREADY_EXISTS) {
        const winner = this.topics.get(name) ?? (await this.creating.get(name));
        if (winner) return winner;
      }
      throw err;
    }
  }

  async delete(name: string): Promise<TopicInfo> {
    if (!this.settings.deleteTopicEnable) throw new KafkaError(ErrorCode.TOPIC_DELETION_DISABLED, 'Topic deletion is disabled.');
    return this.locked(name, () => this.topics.delete(name));
  }

  validateAddPartitions(name: string, totalCount: number, assignments?: ReadonlyArray<readonly number[]>): TopicInfo {
    const info = this.topics.get(name);
    if (!info) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${name}' does not exist.`);
    if (totalCount < info.partitions) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic currently has ${info.partitions} partitions, which is higher than the requested ${totalCount}.`);
    }
    if (totalCount === info.partitions) {
      throw new KafkaError(ErrorCode.INVALID_PARTITIONS, `Topic already has ${info.partitions} partitions.`);
    }
    if (assignments && assignments.length !== totalCount - info.partitions) {
      throw new KafkaError(
        ErrorCode.INVALID_REPLICA_ASSIGNMENT,
        `Attempted to add ${totalCount - info.partitions} additional partition(s), but only ${assignments.length} assignment(s) were specified.`,
      );
    }
    if (!isInternalTopic(name)) this.checkPartitionLimit(totalCount - info.partitions);
    return info;
  }

  /** Grows a topic; `assignments` (one replica list per new partition) are honoured as given, checked by the controller. */
  async addPartitions(name: string, totalCount: number, assignments?: ReadonlyArray<readonly number[]>): Promise<void> {
    await this.locked(name, async () => {
      const info = this.validateAddPartitions(name, totalCount, assignments);
      await this.reserving(totalCount - info.partitions, () => this.topics.setPartitionCount(name, totalCount, assignments));
    });
  }
}
