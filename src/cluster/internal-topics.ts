/**
 * Kafka's internal topics: `__consumer_offsets` (group metadata and committed offsets) and
 * `__transaction_state` (the transaction coordinator's state). They are ordinary compacted partitions
 * whose layout the broker chooses: `offsets.topic.num.partitions` / `transaction.state.log.num.partitions`
 * partitions, a replication factor of `offsets.topic.replication.factor` /
 * `transaction.state.log.replication.factor` capped at the number of live brokers,
 * `cleanup.policy=compact`, their segment size, and for the transaction log
 * `min.insync.replicas=transaction.state.log.min.isr`.
 *
 * Created on first use (FindCoordinator for a group, or the first write) and never by a client's
 * auto-creation. Concurrent callers share one creation.
 */
import type { TopicAdmin } from './topic-admin.js';
import type { TopicInfo, TopicStore } from './topic-store.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
export const TRANSACTION_STATE_TOPIC = '__transaction_state';

/** Kafka's Topic.isInternal: exactly these two names, not every name starting with "__". */
export function isInternalTopic(name: string): boolean {
  return name === OFFSETS_TOPIC || name === TRANSACTION_STATE_TOPIC;
}

export interface InternalTopicSettings {
  /** Default `__consumer_offsets`. */
  readonly name?: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  readonly segmentBytes: number;
  /** Brokers alive now; the replication factor is capped to it (a single node writes with 1). */
  readonly liveBrokers: () => number;
  /** Further topic configs (the transaction log's min.insync.replicas). */
  readonly configs?: Readonly<Record<string, string>>;
}

export class InternalTopic {
  readonly name: string;
  private creating: Promise<TopicInfo> | null = null;

  constructor(
    private readonly topics: TopicStore,
    private readonly admin: TopicAdmin,
    private readonly settings: InternalTopicSettings,
  ) {
    this.name = settings.name ?? OFFSETS_TOPIC;
  }

  /** The topic if it exists and its partitions are hosted (not while this class is creating it). */
  get(): TopicInfo | undefined {
    if (this.creating) return undefined;
    return this.topics.get(this.name);
  }

  /** The partition count in use: the existing topic's, else the configured one. */
  partitionCount(): number {
    return this.topics.get(this.name)?.partitions ?? this.settings.numPartitions;
  }

  /** The topic, created with Kafka's internal-topic settings if it does not exist yet. */
  ensure(): Promise<TopicInfo> {
    if (this.creating) return this.creating;
    const existing = this.get();
    if (existing) return Promise.resolve(existing);
    const replicationFactor = Math.max(1, Math.min(this.settings.replicationFactor, this.settings.liveBrokers()));
    const configs: Record<string, string> = {
      'cleanup.policy': 'compact',
      'compression.type': 'producer',
      'segment.bytes': String(this.settings.segmentBytes),
      ...this.settings.configs,
    };
    // With the replication factor lowered to the live brokers, a min.insync.replicas above it would make
    // every acks=all write fail: it is lowered with it.
    const minIsr = configs['min.insync.replicas'];
    if (minIsr !== undefined && Number(minIsr) > replicationFactor) configs['min.insync.replicas'] = String(replicationFactor);
    this.creating = this.admin
      .create({ name: this.name, numPartitions: this.settings.numPartitions, replicationFactor, configs })
      .catch((err: unknown) => {
        // Someone else (a CreateTopics of the same name) won the race: use theirs.
        const created = this.topics.get(this.name);
        if (created) return created;
        throw err;
      })
      .finally(() => {
        this.creating = null;
      });
    return this.creating;
  }
}
