/**
 * The cluster metadata as of one offset of `__cluster_metadata-0`: immutable. Only the loader (and
 * the controller, for its own copy) makes new images, through a MetadataDelta; everything else reads
 * them. Readonly types plus the rule "never mutate" — images share unchanged maps with their
 * predecessors, so mutating one would corrupt others.
 */

export const METADATA_VERSION_FEATURE = 'metadata.version';

/** ConfigRecord resource types (Kafka's ConfigResource.Type ids). */
export const ConfigResourceType = {
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
} as const;

export interface BrokerEndpointInfo {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly securityProtocol: number;
}

export interface BrokerFeatureRange {
  readonly name: string;
  readonly minSupportedVersion: number;
  readonly maxSupportedVersion: number;
}

export interface BrokerRegistration {
  readonly brokerId: number;
  readonly incarnationId: string;
  /** The offset of the broker's RegisterBrokerRecord. */
  readonly brokerEpoch: number;
  readonly endpoints: readonly BrokerEndpointInfo[];
  readonly features: readonly BrokerFeatureRange[];
  readonly rack: string | null;
  readonly fenced: boolean;
  readonly inControlledShutdown: boolean;
  readonly logDirs: readonly string[];
}

export interface PartitionRegistration {
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly removingReplicas: readonly number[];
  readonly addingReplicas: readonly number[];
  /** -1 when the partition has no leader. */
  readonly leader: number;
  readonly leaderRecoveryState: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
  readonly directories: readonly string[];
  readonly eligibleLeaderReplicas: readonly number[];
  readonly lastKnownElr: readonly number[];
}

export interface TopicImage {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: ReadonlyMap<number, PartitionRegistration>;
}

export interface TopicsImage {
  readonly byName: ReadonlyMap<string, TopicImage>;
  readonly byId: ReadonlyMap<string, TopicImage>;
}

export interface ClusterImage {
  readonly brokers: ReadonlyMap<number, BrokerRegistration>;
}

export interface ProducerIdsImage {
  /** The first producer id not yet handed out (0 before any block was allocated). */
  readonly nextProducerId: number;
}

export interface ConfigResourceRef {
  readonly resourceType: number;
  readonly resourceName: string;
}

/** `resourceType:resourceName`, the key of `MetadataImage.configs`. */
export function configResourceKey(resourceType: number, resourceName: string): string {
  return `${resourceType}:${resourceName}`;
}

export function parseConfigResourceKey(key: string): ConfigResourceRef {
  const colon = key.indexOf(':');
  return { resourceType: Number(key.slice(0, colon)), resourceName: key.slice(colon + 1) };
}

const EMPTY_CONFIG: ReadonlyMap<string, string> = new Map();

export interface MetadataImageParts {
  readonly offset: number;
  readonly epoch: number;
  readonly features: ReadonlyMap<string, number>;
  readonly cluster: ClusterImage;
  readonly topics: TopicsImage;
  readonly configs: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly producerIds: ProducerIdsImage;
}

export class MetadataImage implements MetadataImageParts {
  static readonly EMPTY = new MetadataImage({
    offset: -1,
    epoch: -1,
    features: new Map(),
    cluster: { brokers: new Map() },
    topics: { byName: new Map(), byId: new Map() },
    configs: new Map(),
    producerIds: { nextProducerId: 0 },
  });

  /** The offset of the last record applied (-1: none). */
  readonly offset: number;
  /** The leader epoch of the last record applied. */
  readonly epoch: number;
  readonly features: ReadonlyMap<string, number>;
  readonly cluster: ClusterImage;
  readonly topics: TopicsImage;
  /** By {@link configResourceKey}: config name → value (overrides only). */
  readonly configs: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly producerIds: ProducerIdsImage;

  constructor(parts: MetadataImageParts) {
    this.offset = parts.offset;
    this.epoch = parts.epoch;
    this.features = parts.features;
    this.cluster = parts.cluster;
    this.topics = parts.topics;
    this.configs = parts.configs;
    this.producerIds = parts.producerIds;
  }

  isEmpty(): boolean {
    return (
      this.features.size === 0 &&
      this.cluster.brokers.size === 0 &&
      this.topics.byId.size === 0 &&
      this.configs.size === 0 &&
      this.producerIds.nextProducerId === 0
    );
  }

  metadataVersion(): number | undefined {
    return this.features.get(METADATA_VERSION_FEATURE);
  }

  topic(name: string): TopicImage | undefined {
    return this.topics.byName.get(name);
  }

  topicById(topicId: string): TopicImage | undefined {
    return this.topics.byId.get(topicId);
  }

  partition(topic: string, partition: number): PartitionRegistration | undefined {
    return this.topics.byName.get(topic)?.partitions.get(partition);
  }

  broker(brokerId: number): BrokerRegistration | undefined {
    return this.cluster.brokers.get(brokerId);
  }

  /** Registered, unfenced brokers, by id. */
  liveBrokers(): BrokerRegistration[] {
    const live: BrokerRegistration[] = [];
    for (const b of this.cluster.brokers.values()) if (!b.fenced) live.push(b);
    return live.sort((a, b) => a.brokerId - b.brokerId);
  }

  /** The partition's leader: -1 when it has none, undefined when the partition does not exist. */
  leaderOf(topic: string, partition: number): number | undefined {
    return this.partition(topic, partition)?.leader;
  }

  config(resourceType: number, resourceName: string): ReadonlyMap<string, string> {
    return this.configs.get(configResourceKey(resourceType, resourceName)) ?? EMPTY_CONFIG;
  }

  /** The topic's config overrides as a plain object (what validateTopicConfigs/effectiveTopicConfig take). */
  topicConfig(topic: string): Record<string, string> {
    return Object.fromEntries(this.config(ConfigResourceType.TOPIC, topic));
  }
}
