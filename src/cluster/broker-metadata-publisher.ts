/**
 * Makes this broker's local state follow the metadata image: every partition the image lists this
 * broker as a replica of is held — as leader when the image names it, as a follower of the named leader
 * otherwise (ReplicaManager.applyPartition); replicas it no longer lists are stopped and their logs
 * deleted; live logs take a topic's new config overrides.
 *
 * Each update reconciles against the whole image (not only the delta), so a publication that was
 * missed or failed half-way is repaired by the next one. Updates run one at a time, in image order.
 */
import type { Logger } from 'pino';
import type { LogConfig } from '../storage/log-config.js';
import { ConfigResourceType, configResourceKey, type MetadataImage } from './metadata/metadata-image.js';
import type { PartitionRegistration } from './metadata/metadata-image.js';
import type { ReplicaManager } from './replication/replica-manager.js';

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
    const held = new Set<string>();
    for (const topic of image.topics.byName.values()) {
      const changes: Array<{ partition: number; reg: PartitionRegistration }> = [];
      let fresh = 0;
      for (const [partition, reg] of topic.partitions) {
        if (!reg.replicas.includes(nodeId) && reg.leader !== nodeId) continue;
        held.add(key(topic.name, partition));
        if (replicas.isUpToDate(topic.name, partition, reg)) continue;
        changes.push({ partition, reg });
        if (!replicas.tryGetReplica(topic.name, partition)) fresh += 1;
      }
      if (changes.length === 0) continue;
      // One topic's new partitions together: their logs are created concurrently.
      await replicas.applyTopicPartitions(topic.name, topic.topicId, changes, this.options.logConfigFor(topic.name, image));
      if (fresh > 0) logger.info({ topic: topic.name, replicas: fresh }, 'holding new replicas');
    }
    for (const p of [...replicas.replicas()]) {
      if (held.has(key(p.topic, p.partition))) continue;
      await replicas.stopReplica(p.topic, p.partition, { deleteLog: true });
      logger.info({ topic: p.topic, partition: p.partition }, 'no longer a replica; log deleted');
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
    for (const p of this.options.replicas.replicas()) {
      if (changed.has(configResourceKey(ConfigResourceType.TOPIC, p.topic))) p.log.updateConfig(this.options.logConfigFor(p.topic, image));
    }
  }
}
