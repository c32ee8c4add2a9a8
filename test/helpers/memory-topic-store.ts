import { ErrorCode, KafkaError } from '../../src/protocol/errors.js';
import { randomUuid } from '../../src/protocol/schema/uuid.js';
import type { CreateTopicOptions, TopicInfo, TopicStore } from '../../src/cluster/topic-store.js';

/** A TopicStore in memory, for unit tests of the admin paths without a controller. */
export class MemoryTopicStore implements TopicStore {
  private readonly topics = new Map<string, TopicInfo>();
  readonly created: Array<{ name: string; partitions: number; opts: CreateTopicOptions }> = [];
  /** Called after a topic is created (a test hosts its partitions here, as the broker's metadata publisher would). */
  onCreate: ((info: TopicInfo) => Promise<void>) | null = null;

  get(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  getById(topicId: string): TopicInfo | undefined {
    return [...this.topics.values()].find((t) => t.topicId === topicId);
  }

  list(): TopicInfo[] {
    return [...this.topics.values()];
  }

  async create(name: string, partitions: number, configs: Record<string, string>, opts: CreateTopicOptions = { replicationFactor: 1 }): Promise<TopicInfo> {
    if (this.topics.has(name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const info: TopicInfo = { name, topicId: randomUuid(), partitions, configs: { ...configs } };
    this.topics.set(name, info);
    this.created.push({ name, partitions, opts });
    await this.onCreate?.(info);
    return info;
  }

  async setPartitionCount(name: string, partitions: number): Promise<void> {
    const t = this.must(name);
    this.topics.set(name, { ...t, partitions });
  }

  async setConfigs(name: string, configs: Readonly<Record<string, string>>): Promise<TopicInfo> {
    const t = { ...this.must(name), configs: { ...configs } };
    this.topics.set(name, t);
    return t;
  }

  async delete(name: string): Promise<TopicInfo> {
    const t = this.must(name);
    this.topics.delete(name);
    return t;
  }

  private must(name: string): TopicInfo {
    const t = this.topics.get(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    return t;
  }
}
