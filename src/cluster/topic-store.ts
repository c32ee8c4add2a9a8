/**
 * What the broker's admin paths (TopicAdmin, TopicConfigManager, the internal topics) need of the
 * place topics are kept. In a cluster that is the metadata log, through the controller
 * (`cluster-topics.ts`).
 */

export interface TopicInfo {
  readonly name: string;
  readonly topicId: string;
  /** Partition count. */
  readonly partitions: number;
  /** Config overrides (replaced, never mutated). */
  readonly configs: Readonly<Record<string, string>>;
}

export interface CreateTopicOptions {
  readonly replicationFactor: number;
  /** Replicas by partition, when the request gave them. */
  readonly assignments?: ReadonlyMap<number, readonly number[]>;
}

export interface TopicStore {
  get(name: string): TopicInfo | undefined;
  getById(topicId: string): TopicInfo | undefined;
  list(): TopicInfo[];
  create(name: string, partitions: number, configs: Record<string, string>, opts: CreateTopicOptions): Promise<TopicInfo>;
  /** Grows the topic to `partitions`; `assignments` gives the replicas of each new partition. */
  setPartitionCount(name: string, partitions: number, assignments?: ReadonlyArray<readonly number[]>): Promise<void>;
  /** Replaces the topic's config overrides as a whole. */
  setConfigs(name: string, configs: Readonly<Record<string, string>>): Promise<TopicInfo>;
  delete(name: string): Promise<TopicInfo>;
}
