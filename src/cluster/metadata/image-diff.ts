/** What differs between two images: the changes of a snapshot load. */
import { parseConfigResourceKey, type MetadataImage, type PartitionRegistration, type TopicImage } from './metadata-image.js';
import type { MetadataChanges } from './metadata-delta.js';

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
