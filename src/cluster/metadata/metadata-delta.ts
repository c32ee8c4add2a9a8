/**
 * Records → the next MetadataImage. A delta starts from a base image, replays records (copying only
 * the maps it touches), then `apply()` builds the next image and `changes()` says what differs from
 * the base. A snapshot delta starts from nothing (a snapshot is the whole state) and its changes are
 * found by comparing the result with the base.
 */
import {
  BROKER_REGISTRATION_CHANGE_RECORD_TYPE,
  CONFIG_RECORD_TYPE,
  FEATURE_LEVEL_RECORD_TYPE,
  FENCE_BROKER_RECORD_TYPE,
  NO_OP_RECORD_TYPE,
  PARTITION_CHANGE_RECORD_TYPE,
  PARTITION_RECORD_TYPE,
  PRODUCER_IDS_RECORD_TYPE,
  REGISTER_BROKER_RECORD_TYPE,
  REGISTER_CONTROLLER_RECORD_TYPE,
  REMOVE_TOPIC_RECORD_TYPE,
  TOPIC_RECORD_TYPE,
  UNFENCE_BROKER_RECORD_TYPE,
  UNREGISTER_BROKER_RECORD_TYPE,
  type BrokerRegistrationChangeRecord,
  type ConfigRecord,
  type FeatureLevelRecord,
  type FenceBrokerRecord,
  type PartitionChangeRecord,
  type PartitionRecord,
  type ProducerIdsRecord,
  type RegisterBrokerRecord,
  type RemoveTopicRecord,
  type TopicRecord,
  type UnfenceBrokerRecord,
  type UnregisterBrokerRecord,
} from './records/index.js';
import { decodeMetadataRecord, MetadataRecordError, type DecodedMetadataRecord } from './record-serde.js';
import {
  ConfigResourceType,
  configResourceKey,
  MetadataImage,
  parseConfigResourceKey,
  type BrokerRegistration,
  type ConfigResourceRef,
  type PartitionRegistration,
  type TopicImage,
} from './metadata-image.js';

/** PartitionChangeRecord.leader: keep the current leader (and leader epoch). */
export const NO_LEADER_CHANGE = -2;
/** PartitionRecord/PartitionChangeRecord.leader: the partition has no leader. */
export const NO_LEADER = -1;

/** What a delta changed relative to its base image. Topics are named by topic id. */
export interface MetadataChanges {
  readonly topicsCreated: ReadonlySet<string>;
  /** Deleted topics, with their last image (the new image no longer has them). */
  readonly topicsDeleted: ReadonlyMap<string, TopicImage>;
  /** Topics with a new or changed partition (created topics included). */
  readonly topicsChanged: ReadonlySet<string>;
  /** Topic id → its new or changed partitions. */
  readonly partitionsChanged: ReadonlyMap<string, ReadonlySet<number>>;
  /** Brokers registered, changed or unregistered (absent from the new image). */
  readonly brokersChanged: ReadonlySet<number>;
  readonly configsChanged: readonly ConfigResourceRef[];
  readonly featuresChanged: ReadonlySet<string>;
  readonly producerIdsChanged: boolean;
}

export function isEmptyChanges(c: MetadataChanges): boolean {
  return (
    c.topicsCreated.size === 0 &&
    c.topicsDeleted.size === 0 &&
    c.topicsChanged.size === 0 &&
    c.brokersChanged.size === 0 &&
    c.configsChanged.length === 0 &&
    c.featuresChanged.size === 0 &&
    !c.producerIdsChanged
  );
}

function nonNull<T>(v: T[] | null | undefined): T[] {
  return v ?? [];
}

export function partitionFromRecord(r: PartitionRecord): PartitionRegistration {
  return {
    replicas: r.replicas,
    isr: r.isr,
    removingReplicas: r.removingReplicas,
    addingReplicas: r.addingReplicas,
    leader: r.leader,
    leaderRecoveryState: r.leaderRecoveryState,
    leaderEpoch: r.leaderEpoch,
    partitionEpoch: r.partitionEpoch,
    directories: r.directories,
    eligibleLeaderReplicas: nonNull(r.eligibleLeaderReplicas),
    lastKnownElr: nonNull(r.lastKnownElr),
  };
}

/**
 * Kafka's PartitionRegistration.merge: null fields and leader -2 mean "no change"; any leader
 * change (including to -1) bumps the leader epoch; every change bumps the partition epoch.
 */
export function mergePartitionChange(p: PartitionRegistration, r: PartitionChangeRecord): PartitionRegistration {
  const leaderChanged = r.leader !== NO_LEADER_CHANGE;
  return {
    replicas: r.replicas ?? p.replicas,
    isr: r.isr ?? p.isr,
    removingReplicas: r.removingReplicas ?? p.removingReplicas,
    addingReplicas: r.addingReplicas ?? p.addingReplicas,
    leader: leaderChanged ? r.leader : p.leader,
    leaderRecoveryState: r.leaderRecoveryState === -1 ? p.leaderRecoveryState : r.leaderRecoveryState,
    leaderEpoch: leaderChanged ? p.leaderEpoch + 1 : p.leaderEpoch,
    partitionEpoch: p.partitionEpoch + 1,
    directories: r.directories ?? p.directories,
    eligibleLeaderReplicas: r.eligibleLeaderReplicas ?? p.eligibleLeaderReplicas,
    lastKnownElr: r.lastKnownElr ?? p.lastKnownElr,
  };
}

interface MutableTopic {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: Map<number, PartitionRegistration>;
}

export class MetadataDelta {
  private features: Map<string, number> | null = null;
  private brokers: Map<number, BrokerRegistration> | null = null;
  private topicsById: Map<string, TopicImage | MutableTopic> | null = null;
  /** Topics whose partitions map was copied in this delta (safe to mutate). */
  private readonly ownTopics = new Set<string>();
  private configs: Map<string, ReadonlyMap<string, string>> | null = null;
  private readonly ownConfigs = new Set<string>();
  private nextProducerId: number;

  private readonly created = new Set<string>();
  private readonly deleted = new Map<string, TopicImage>();
  private readonly partitionsChanged = new Map<string, Set<number>>();
  private readonly brokersChanged = new Set<number>();
  private readonly configsChanged = new Set<string>();
  private readonly featuresChanged = new Set<string>();
  private producerIdsChanged = false;

  /**
   * @param snapshot true when the records to come are a whole snapshot: the state starts empty and
   * `changes()` compares the result with `base`.
   */
  constructor(
    readonly base: MetadataImage,
    private readonly snapshot = false,
  ) {
    this.nextProducerId = snapshot ? 0 : base.producerIds.nextProducerId;
    if (snapshot) {
      this.features = new Map();
      this.brokers = new Map();
      this.topicsById = new Map();
      this.configs = new Map();
    }
  }

  replayBuffer(buf: Buffer): void {
    this.replay(decodeMetadataRecord(buf));
  }

  /** Applies one record. Throws MetadataRecordError for a record that contradicts the state. */
  replay(record: Pick<DecodedMetadataRecord, 'type' | 'value'>): void {
    const v = record.value;
    switch (record.type) {
      case REGISTER_BROKER_RECORD_TYPE:
        return this.replayRegisterBroker(v as RegisterBrokerRecord);
      case UNREGISTER_BROKER_RECORD_TYPE: {
        const r = v as UnregisterBrokerRecord;
        const brokers = this.mutableBrokers();
        const b = brokers.get(r.brokerId);
        // A stale unregistration (an older epoch) must not remove a newer registration.
        if (b && b.brokerEpoch === r.brokerEpoch) {
          brokers.delete(r.brokerId);
          this.brokersChanged.add(r.brokerId);
        }
        return;
      }
      case FENCE_BROKER_RECORD_TYPE: {
        const r = v as FenceBrokerRecord;
        return this.changeBroker(r.id, r.epoch, true, false);
      }
      case UNFENCE_BROKER_RECORD_TYPE: {
        const r = v as UnfenceBrokerRecord;
        return this.changeBroker(r.id, r.epoch, false, undefined);
      }
      case BROKER_REGISTRATION_CHANGE_RECORD_TYPE: {
        const r = v as BrokerRegistrationChangeRecord;
        // fenced: 1 fenced, -1 unfenced, 0 no change; inControlledShutdown: 1 yes, 0 no change.
        const fenced = r.fenced === 1 ? true : r.fenced === -1 ? false : undefined;
        const shutdown = r.inControlledShutdown === 1 ? true : undefined;
        return this.changeBroker(r.brokerId, r.brokerEpoch, fenced, fenced === true ? false : shutdown);
      }
      case TOPIC_RECORD_TYPE:
        return this.replayTopic(v as TopicRecord);
      case PARTITION_RECORD_TYPE:
        return this.replayPartition(v as PartitionRecord);
      case PARTITION_CHANGE_RECORD_TYPE:
        return this.replayPartitionChange(v as PartitionChangeRecord);
      case REMOVE_TOPIC_RECORD_TYPE:
        return this.replayRemoveTopic(v as RemoveTopicRecord);
      case CONFIG_RECORD_TYPE: {
        const r = v as ConfigRecord;
        return this.setConfig(r.resourceType, r.resourceName, r.name, r.value);
      }
      case FEATURE_LEVEL_RECORD_TYPE: {
        const r = v as FeatureLevelRecord;
        const features = this.mutableFeatures();
        // Level 0 removes the feature (Kafka's FeaturesDelta).
        if (r.featureLevel === 0) features.delete(r.name);
        else features.set(r.name, r.featureLevel);
        this.featuresChanged.add(r.name);
        return;
      }
      case PRODUCER_IDS_RECORD_TYPE: {
        const r = v as ProducerIdsRecord;
        if (r.nextProducerId < this.nextProducerId) {
          throw new MetadataRecordError(`ProducerIdsRecord moves the next producer id back from ${this.nextProducerId} to ${r.nextProducerId}`);
        }
        this.nextProducerId = r.nextProducerId;
        this.producerIdsChanged = true;
        return;
      }
      case NO_OP_RECORD_TYPE:
      case REGISTER_CONTROLLER_RECORD_TYPE:
        return;
      default:
        throw new MetadataRecordError(`cannot apply metadata record type ${record.type}`);
    }
  }

  private mutableFeatures(): Map<string, number> {
    return (this.features ??= new Map(this.base.features));
  }

  private mutableBrokers(): Map<number, BrokerRegistration> {
    return (this.brokers ??= new Map(this.base.cluster.brokers));
  }

  private mutableTopics(): Map<string, TopicImage | MutableTopic> {
    return (this.topicsById ??= new Map(this.base.topics.byId));
  }

  private mutableTopic(topicId: string, what: string): MutableTopic {
    const topics = this.mutableTopics();
    const t = topics.get(topicId);
    if (!t) throw new MetadataRecordError(`${what} for unknown topic id ${topicId}`);
    if (this.ownTopics.has(topicId)) return t as MutableTopic;
    const copy: MutableTopic = { name: t.name, topicId, partitions: new Map(t.partitions) };
    topics.set(topicId, copy);
    this.ownTopics.add(topicId);
    return copy;
  }

  private replayRegisterBroker(r: RegisterBrokerRecord): void {
    this.mutableBrokers().set(r.brokerId, {
      brokerId: r.brokerId,
      incarnationId: r.incarnationId,
      brokerEpoch: r.brokerEpoch,
      endpoints: r.endPoints.map((e) => ({ name: e.name, host: e.host, port: e.port, securityProtocol: e.securityProtocol })),
      features: r.features.map((f) => ({ name: f.name, minSupportedVersion: f.minSupportedVersion, maxSupportedVersion: f.maxSupportedVersion })),
      rack: r.rack,
      fenced: r.fenced,
      inControlledShutdown: r.inControlledShutdown,
      logDirs: r.logDirs,
    });
    this.brokersChanged.add(r.brokerId);
  }

  private changeBroker(brokerId: number, brokerEpoch: number, fenced: boolean | undefined, inControlledShutdown: boolean | undefined): void {
    const brokers = this.mutableBrokers();
    const b = brokers.get(brokerId);
    if (!b) throw new MetadataRecordError(`broker change for unregistered broker ${brokerId}`);
    if (b.brokerEpoch !== brokerEpoch) {
      throw new MetadataRecordError(`broker change for broker ${brokerId} epoch ${brokerEpoch}, registered with epoch ${b.brokerEpoch}`);
    }
    brokers.set(brokerId, {
      ...b,
      fenced: fenced ?? b.fenced,
      inControlledShutdown: inControlledShutdown ?? b.inControlledShutdown,
    });
    this.brokersChanged.add(brokerId);
  }

  private replayTopic(r: TopicRecord): void {
    const topics = this.mutableTopics();
    if (topics.has(r.topicId)) throw new MetadataRecordError(`topic id ${r.topicId} (${r.name}) exists already`);
    topics.set(r.topicId, { name: r.name, topicId: r.topicId, partitions: new Map() });
    this.ownTopics.add(r.topicId);
    this.created.add(r.topicId);
  }

  private markPartition(topicId: string, partition: number): void {
    let set = this.partitionsChanged.get(topicId);
    if (!set) this.partitionsChanged.set(topicId, (set = new Set()));
    set.add(partition);
  }

  private replayPartition(r: PartitionRecord): void {
    const t = this.mutableTopic(r.topicId, `PartitionRecord ${r.partitionId}`);
    t.partitions.set(r.partitionId, partitionFromRecord(r));
    this.markPartition(r.topicId, r.partitionId);
  }

  private replayPartitionChange(r: PartitionChangeRecord): void {
    const t = this.mutableTopic(r.topicId, `PartitionChangeRecord ${r.partitionId}`);
    const p = t.partitions.get(r.partitionId);
    if (!p) throw new MetadataRecordError(`PartitionChangeRecord for unknown partition ${t.name}-${r.partitionId}`);
    t.partitions.set(r.partitionId, mergePartitionChange(p, r));
    this.markPartition(r.topicId, r.partitionId);
  }

  private replayRemoveTopic(r: RemoveTopicRecord): void {
    const topics = this.mutableTopics();
    const t = topics.get(r.topicId);
    if (!t) throw new MetadataRecordError(`RemoveTopicRecord for unknown topic id ${r.topicId}`);
    topics.delete(r.topicId);
    this.ownTopics.delete(r.topicId);
    this.partitionsChanged.delete(r.topicId);
    if (this.created.has(r.topicId)) this.created.delete(r.topicId);
    else {
      const before = this.base.topics.byId.get(r.topicId);
      if (before) this.deleted.set(r.topicId, before);
    }
    // A topic's configs go with it (Kafka's ConfigurationsDelta does the same on RemoveTopicRecord).
    const key = configResourceKey(ConfigResourceType.TOPIC, t.name);
    const configs = this.mutableConfigs();
    if (configs.has(key)) {
      configs.delete(key);
      this.ownConfigs.delete(key);
      this.configsChanged.add(key);
    }
  }

  private mutableConfigs(): Map<string, ReadonlyMap<string, string>> {
    return (this.configs ??= new Map(this.base.configs));
  }

  private setConfig(resourceType: number, resourceName: string, name: string, value: string | null): void {
    const key = configResourceKey(resourceType, resourceName);
    const configs = this.mutableConfigs();
    let own = configs.get(key) as Map<string, string> | undefined;
    if (!this.ownConfigs.has(key)) {
      own = new Map(own ?? []);
      configs.set(key, own);
      this.ownConfigs.add(key);
    }
    // A null value deletes the override; a resource without overrides disappears.
    if (value === null) own!.delete(name);
    else own!.set(name, value);
    if (own!.size === 0) {
      configs.delete(key);
      this.ownConfigs.delete(key);
    }
    this.configsChanged.add(key);
  }

  /** The next image: `offset` and `epoch` are those of the last record replayed. */
  apply(offset: number, epoch: number): MetadataImage {
    const base = this.base;
    let topics = base.topics;
    if (this.topicsById) {
      const byId = new Map<string, TopicImage>();
      const byName = new Map<string, TopicImage>();
      for (const [id, t] of this.topicsById) {
        const frozen: TopicImage = this.ownTopics.has(id) ? { name: t.name, topicId: t.topicId, partitions: new Map(t.partitions) } : t;
        byId.set(id, frozen);
        byName.set(frozen.name, frozen);
      }
      topics = { byId, byName };
    }
    let configs: ReadonlyMap<string, ReadonlyMap<string, string>> = base.configs;
    if (this.configs) {
      const copy = new Map<string, ReadonlyMap<string, string>>();
      for (const [k, m] of this.configs) copy.set(k, this.ownConfigs.has(k) ? new Map(m) : m);
      configs = copy;
    }
    return new MetadataImage({
      offset,
      epoch,
      features: this.features ? new Map(this.features) : base.features,
      cluster: this.brokers ? { brokers: new Map(this.brokers) } : base.cluster,
      topics,
      configs,
      producerIds: this.nextProducerId === base.producerIds.nextProducerId && !this.snapshot ? base.producerIds : { nextProducerId: this.nextProducerId },
    });
  }

  /** What `next` (the result of `apply`) changed relative to the base. */
  changes(next: MetadataImage): MetadataChanges {
    if (this.snapshot) return diffImages(this.base, next);
    const partitionsChanged = new Map<string, ReadonlySet<number>>(this.partitionsChanged);
    return {
      topicsCreated: new Set(this.created),
      topicsDeleted: new Map(this.deleted),
      topicsChanged: new Set([...this.created, ...this.partitionsChanged.keys()]),
      partitionsChanged,
      brokersChanged: new Set(this.brokersChanged),
      configsChanged: [...this.configsChanged].map(parseConfigResourceKey),
      featuresChanged: new Set(this.featuresChanged),
      producerIdsChanged: this.producerIdsChanged,
    };
  }
}

function sameArray(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function samePartition(a: PartitionRegistration, b: PartitionRegistration): boolean {
  return (
    a.leader === b.leader &&
    a.leaderEpoch === b.leaderEpoch &&
    a.partitionEpoch === b.partitionEpoch &&
    a.leaderRecoveryState === b.leaderRecoveryState &&
    sameArray(a.replicas, b.replicas) &&
    sameArray(a.isr, b.isr) &&
    sameArray(a.removingReplicas, b.removingReplicas) &&
    sameArray(a.addingReplicas, b.addingReplicas) &&
    sameArray(a.directories, b.directories) &&
    sameArray(a.eligibleLeaderReplicas, b.eligibleLeaderReplicas) &&
    sameArray(a.lastKnownElr, b.lastKnownElr)
  );
}

function sameMap<K, V>(a: ReadonlyMap<K, V> | undefined, b: ReadonlyMap<K, V> | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** Everything that differs between two images (used for snapshot loads). */
export function diffImages(before: MetadataImage, after: MetadataImage): MetadataChanges {
  const topicsCreated = new Set<string>();
  const topicsDeleted = new Map<string, TopicImage>();
  const partitionsChanged = new Map<string, ReadonlySet<number>>();
  for (const [id, t] of after.topics.byId) {
    const old = before.topics.byId.get(id);
    if (!old) topicsCreated.add(id);
    const changed = new Set<number>();
    for (const [p, reg] of t.partitions) {
      const o = old?.partitions.get(p);
      if (!o || !samePartition(o, reg)) changed.add(p);
    }
    if (changed.size > 0) partitionsChanged.set(id, changed);
  }
  for (const [id, t] of before.topics.byId) if (!after.topics.byId.has(id)) topicsDeleted.set(id, t);
  const brokersChanged = new Set<number>();
  for (const [id, b] of after.cluster.brokers) {
    const o = before.cluster.brokers.get(id);
    if (!o || JSON.stringify(o) !== JSON.stringify(b)) brokersChanged.add(id);
  }
  for (const id of before.cluster.brokers.keys()) if (!after.cluster.brokers.has(id)) brokersChanged.add(id);
  const configKeys = new Set([...before.configs.keys(), ...after.configs.keys()]);
  const configsChanged = [...configKeys].filter((k) => !sameMap(before.configs.get(k), after.configs.get(k))).map(parseConfigResourceKey);
  const featuresChanged = new Set<string>();
  for (const k of new Set([...before.features.keys(), ...after.features.keys()])) {
    if (before.features.get(k) !== after.features.get(k)) featuresChanged.add(k);
  }
  return {
    topicsCreated,
    topicsDeleted,
    topicsChanged: new Set([...topicsCreated, ...partitionsChanged.keys()]),
    partitionsChanged,
    brokersChanged,
    configsChanged,
    featuresChanged,
    producerIdsChanged: before.producerIds.nextProducerId !== after.producerIds.nextProducerId,
  };
}
