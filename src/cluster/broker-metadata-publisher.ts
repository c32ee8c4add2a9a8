/**
 * Makes this broker's local state follow the metadata image: the partitions whose leader the image
 * names this broker are hosted (their logs opened or created, with the image's leader epoch); those it
 * no longer leads are let go, and their logs deleted when the topic is gone or this broker is no longer
 * a replica; live logs take a topic's new config overrides.
 *
 * Each update reconciles against the whole image (not only the delta), so a publication that was
 * missed or failed half-way is repaired by the next one. Updates run one at a time, in image order.
 * Until replication exists a partition's only replica is its leader; followers come with it.
 */
import type { Logger } from 'pino';
import type { LogConfig } from '../storage/log-config.js';
import { ConfigResourceType, configResourceKey, type MetadataImage } from './metadata/metadata-image.js';
import type { ReplicaManager } from './replica-manager.js';

export interface BrokerMetadataPublisherOptions {
  readonly nodeId: number;
  readonly replicas: ReplicaManager;
  /** The effective storage settings of a topic as `image` has its overrides. */
  readonly logConfigFor: (topic: string, image: MetadataImage) => LogConfig;
  readonly logger: Logger;
}

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

export class BrokerMetadataPublisher {
  readonly name = 'BrokerMetadataPublisher';
  private chain: Promise<void> = Promise.resolve();
  private previous: MetadataImage | null = null;

  constructor(private readonly options: BrokerMetadataPublisherOptions) {}

  /** Reconciles with `image`; resolves when this broker's partitions match it. */
  publish(image: MetadataImage): Promise<void> {
    const next = this.chain.then(() => this.reconcile(image));
    // One failed reconciliation must not stop the next (which repairs what this one left).
    this.chain = next.catch((err: unknown) => this.options.logger.error({ err }, 'applying the metadata image failed; the next image retries'));
    return next;
  }

  private async reconcile(image: MetadataImage): Promise<void> {
    const { nodeId, replicas, logger } = this.options;
    const led = new Set<string>();
    for (const topic of image.topics.byName.values()) {
      const changes: Array<{ partition: number; leaderEpoch: number }> = [];
      let fresh = 0;
      for (const [partition, reg] of topic.partitions) {
        if (reg.leader !== nodeId) continue;
        led.add(key(topic.name, partition));
        const hosted = replicas.tryGet(topic.name, partition);
        if (hosted && hosted.leaderEpoch === reg.leaderEpoch) continue;
        changes.push({ partition, leaderEpoch: reg.leaderEpoch });
        if (!hosted) fresh += 1;
      }
      if (changes.length === 0) continue;
      // One topic's new partitions together: their logs are created concurrently.
      await replicas.hostTopicPartitions(topic.name, topic.topicId, changes, this.options.logConfigFor(topic.name, image));
      if (fresh > 0) logger.info({ topic: topic.name, partitions: fresh, leaderEpochs: [...new Set(changes.map((c) => c.leaderEpoch))] }, 'leading partitions');
    }
    for (const hosted of [...replicas.hosted()]) {
      if (led.has(key(hosted.topic, hosted.partition))) continue;
      const topic = image.topics.byName.get(hosted.topic);
      const stillReplica = topic?.partitions.get(hosted.partition)?.replicas.includes(nodeId) ?? false;
      await replicas.unhostPartition(hosted.topic, hosted.partition, { deleteLog: !stillReplica });
      logger.info({ topic: hosted.topic, partition: hosted.partition, deleted: !stillReplica }, 'no longer leading partition');
    }
    this.updateConfigs(image);
    this.previous = image;
  }

  /** Live logs of topics whose overrides changed since the last image take the new settings. */
  private updateConfigs(image: MetadataImage): void {
    const before = this.previous;
    if (before === null || before.configs === image.configs) return;
    const changed = new Set<string>();
    for (const [k, v] of image.configs) if (before.configs.get(k) !== v) changed.add(k);
    for (const k of before.configs.keys()) if (!image.configs.has(k)) changed.add(k);
    if (changed.size === 0) return;
    for (const hosted of this.options.replicas.hosted()) {
      if (changed.has(configResourceKey(ConfigResourceType.TOPIC, hosted.topic))) hosted.log.updateConfig(this.options.logConfigFor(hosted.topic, image));
    }
  }
}
