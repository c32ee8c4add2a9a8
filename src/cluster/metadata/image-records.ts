/**
 * An image as the records that rebuild it: what a snapshot holds. Replaying `imageToRecords(image)`
 * into an empty snapshot delta gives back an equal image (the round trip the tests check).
 */
import { encodeRecord } from './record-serde.js';
import {
  CONFIG_RECORD_TYPE,
  FEATURE_LEVEL_RECORD_TYPE,
  PARTITION_RECORD_TYPE,
  PRODUCER_IDS_RECORD_TYPE,
  REGISTER_BROKER_RECORD_TYPE,
  TOPIC_RECORD_TYPE,
  type ConfigRecord,
  type FeatureLevelRecord,
  type PartitionRecord,
  type ProducerIdsRecord,
  type RegisterBrokerRecord,
  type TopicRecord,
} from './records/index.js';
import { METADATA_VERSION_FEATURE, parseConfigResourceKey, type MetadataImage, type PartitionRegistration } from './metadata-image.js';

export function partitionRecord(topicId: string, partitionId: number, p: PartitionRegistration): PartitionRecord {
  return {
    partitionId,
    topicId,
    replicas: [...p.replicas],
    isr: [...p.isr],
    removingReplicas: [...p.removingReplicas],
    addingReplicas: [...p.addingReplicas],
    leader: p.leader,
    leaderRecoveryState: p.leaderRecoveryState,
    leaderEpoch: p.leaderEpoch,
    partitionEpoch: p.partitionEpoch,
    directories: [...p.directories],
    eligibleLeaderReplicas: p.eligibleLeaderReplicas.length > 0 ? [...p.eligibleLeaderReplicas] : null,
    lastKnownElr: p.lastKnownElr.length > 0 ? [...p.lastKnownElr] : null,
  };
}

export function imageToRecords(image: MetadataImage): Buffer[] {
  const out: Buffer[] = [];
  // metadata.version first: it decides how everything after it is read.
  const features = [...image.features].sort(([a], [b]) => (a === METADATA_VERSION_FEATURE ? -1 : b === METADATA_VERSION_FEATURE ? 1 : a.localeCompare(b)));
  for (const [name, featureLevel] of features) {
    out.push(encodeRecord(FEATURE_LEVEL_RECORD_TYPE, { name, featureLevel } satisfies FeatureLevelRecord));
  }
  for (const b of image.cluster.brokers.values()) {
    const r: RegisterBrokerRecord = {
      brokerId: b.brokerId,
      isMigratingZkBroker: false,
      incarnationId: b.incarnationId,
      brokerEpoch: b.brokerEpoch,
      endPoints: b.endpoints.map((e) => ({ ...e })),
      features: b.features.map((f) => ({ ...f })),
      rack: b.rack,
      fenced: b.fenced,
      inControlledShutdown: b.inControlledShutdown,
      logDirs: [...b.logDirs],
    };
    out.push(encodeRecord(REGISTER_BROKER_RECORD_TYPE, r));
  }
  for (const t of image.topics.byId.values()) {
    out.push(encodeRecord(TOPIC_RECORD_TYPE, { name: t.name, topicId: t.topicId } satisfies TopicRecord));
    for (const [id, p] of t.partitions) out.push(encodeRecord(PARTITION_RECORD_TYPE, partitionRecord(t.topicId, id, p)));
  }
  for (const [key, entries] of image.configs) {
    const { resourceType, resourceName } = parseConfigResourceKey(key);
    for (const [name, value] of entries) {
      out.push(encodeRecord(CONFIG_RECORD_TYPE, { resourceType, resourceName, name, value } satisfies ConfigRecord));
    }
  }
  if (image.producerIds.nextProducerId > 0) {
    const r: ProducerIdsRecord = { brokerId: -1, brokerEpoch: -1, nextProducerId: image.producerIds.nextProducerId };
    out.push(encodeRecord(PRODUCER_IDS_RECORD_TYPE, r));
  }
  return out;
}
