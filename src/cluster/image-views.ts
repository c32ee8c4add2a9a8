/**
 * Read-only views of a MetadataImage in the shapes the broker's request paths use: topics as
 * `TopicInfo` (name, id, partition count, config overrides) and the cluster as a `ClusterView`
 * (live brokers on one listener, the active controller, partition leaders).
 *
 * A topic's `TopicInfo` object is reused for as long as its image entry and its config overrides are
 * unchanged: TopicConfigManager caches effective configs by the identity of `configs`.
 */
import type { BrokerEndpoint, ClusterView, PartitionView } from './cluster-view.js';
import type { TopicsView } from './cluster-topics.js';
import type { TopicInfo } from './topic-store.js';
import { ConfigResourceType, configResourceKey, type MetadataImage, type TopicImage } from './metadata/metadata-image.js';

const EMPTY_CONFIGS: Readonly<Record<string, string>> = Object.freeze({});

interface CachedInfo {
  readonly configs: ReadonlyMap<string, string> | undefined;
  readonly info: TopicInfo;
}

/** TopicInfo objects shared by successive images (keyed by the image's immutable topic entries). */
export class TopicInfoCache {
  private readonly cache = new WeakMap<TopicImage, CachedInfo>();

  infoOf(image: MetadataImage, topic: TopicImage): TopicInfo {
    const configs = image.configs.get(configResourceKey(ConfigResourceType.TOPIC, topic.name));
    const hit = this.cache.get(topic);
    if (hit && hit.configs === configs) return hit.info;
    const info: TopicInfo = {
      name: topic.name,
      topicId: topic.topicId,
      partitions: topic.partitions.size,
      configs: configs && configs.size > 0 ? Object.freeze(Object.fromEntries(configs)) : EMPTY_CONFIGS,
    };
    this.cache.set(topic, { configs, info });
    return info;
  }

  view(image: MetadataImage): TopicsView {
    return {
      get: (name) => {
        const t = image.topics.byName.get(name);
        return t && this.infoOf(image, t);
      },
      getById: (topicId) => {
        const t = image.topics.byId.get(topicId);
        return t && this.infoOf(image, t);
      },
      list: () => [...image.topics.byName.values()].map((t) => this.infoOf(image, t)),
    };
  }
}

/** The cluster as `image` has it, with each broker's endpoint on `listenerName` (brokers without one are left out, as Kafka does). */
export function clusterViewOf(image: MetadataImage, listenerName: string, controllerId: () => number): ClusterView {
  let liveBrokers: BrokerEndpoint[] | null = null;
  const live = (): BrokerEndpoint[] => {
    if (liveBrokers !== null) return liveBrokers;
    const out: BrokerEndpoint[] = [];
    for (const b of image.cluster.brokers.values()) {
      if (b.fenced) continue;
      const ep = b.endpoints.find((e) => e.name === listenerName);
      if (ep) out.push({ nodeId: b.brokerId, host: ep.host, port: ep.port, rack: b.rack });
    }
    liveBrokers = out.sort((a, b) => a.nodeId - b.nodeId);
    return liveBrokers;
  };
  const alive = (id: number): boolean => {
    const b = image.cluster.brokers.get(id);
    return b !== undefined && !b.fenced;
  };
  return {
    brokers: live,
    broker: (nodeId) => {
      const b = image.cluster.brokers.get(nodeId);
      if (!b || b.fenced) return undefined;
      const ep = b.endpoints.find((e) => e.name === listenerName);
      return ep && { nodeId, host: ep.host, port: ep.port, rack: b.rack };
    },
    controllerId,
    partition: (topic, partition): PartitionView | undefined => {
      const reg = image.topics.byName.get(topic)?.partitions.get(partition);
      if (!reg) return undefined;
      return {
        leaderId: reg.leader,
        leaderEpoch: reg.leaderEpoch,
        replicas: reg.replicas,
        isr: reg.isr,
        offlineReplicas: reg.replicas.filter((r) => !alive(r)),
      };
    },
  };
}
