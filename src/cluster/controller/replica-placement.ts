/**
 * Where new partitions' replicas go: striped round-robin over the usable (unfenced, not shutting
 * down) brokers from a random starting broker, so leaders (first replicas) spread evenly. Rack-aware
 * with `broker.rack`: the brokers are listed alternating racks (rack a's first, rack b's first, …, rack
 * a's second, …, as Kafka's rack-aware assignment orders them), so a partition's consecutive replicas
 * land on different racks whenever there are as many racks as replicas.
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { MetadataImage } from '../metadata/metadata-image.js';
import { randomInt, type Random } from '../runtime.js';

/** Brokers new replicas may be placed on, in placement order: by id, alternating racks when brokers have them. */
export function usableBrokers(image: MetadataImage): number[] {
  const brokers = image
    .liveBrokers()
    .filter((b) => !b.inControlledShutdown)
    .map((b) => ({ id: b.brokerId, rack: b.rack }));
  return rackAlternated(brokers);
}

/** Ids by id, or, when any broker has a rack, one broker of each rack in turn (racks and brokers sorted; no rack sorts first). */
export function rackAlternated(brokers: ReadonlyArray<{ readonly id: number; readonly rack: string | null }>): number[] {
  const byId = [...brokers].sort((a, b) => a.id - b.id);
  if (!byId.some((b) => b.rack !== null)) return byId.map((b) => b.id);
  const racks = new Map<string, number[]>();
  for (const b of byId) {
    const rack = b.rack ?? '';
    let list = racks.get(rack);
    if (!list) racks.set(rack, (list = []));
    list.push(b.id);
  }
  const lists = [...racks.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([, ids]) => ids);
  const out: number[] = [];
  for (let i = 0; out.length < byId.length; i++) for (const ids of lists) if (i < ids.length) out.push(ids[i]!);
  return out;
}

/**
 * `numPartitions` replica lists of `replicationFactor` brokers each. Throws INVALID_REPLICATION_FACTOR
 * when there are fewer usable brokers than that.
 */
export function placeReplicas(brokers: readonly number[], numPartitions: number, replicationFactor: number, random: Random): number[][] {
  if (replicationFactor > brokers.length) {
    throw new KafkaError(
      ErrorCode.INVALID_REPLICATION_FACTOR,
      `Unable to replicate the partition ${replicationFactor} time(s): The target replication factor of ${replicationFactor} cannot be reached because only ${brokers.length} broker(s) are registered.`,
    );
  }
  // The order given is the placement order (usableBrokers: by id, racks alternated).
  const sorted = brokers;
  const n = sorted.length;
  const start = randomInt(random, 0, n - 1);
  const out: number[][] = [];
  for (let p = 0; p < numPartitions; p++) {
    const replicas: number[] = [];
    for (let r = 0; r < replicationFactor; r++) replicas.push(sorted[(start + p + r) % n]!);
    out.push(replicas);
  }
  return out;
}

/**
 * Checks a manual assignment: non-empty, no duplicates, every broker registered. The ISR is the
 * replicas that are unfenced; an assignment on fenced brokers only is refused (nobody could lead).
 */
export function validateManualAssignment(image: MetadataImage, partition: number, brokerIds: readonly number[], replicationFactor?: number): void {
  const fail = (why: string): never => {
    throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, why);
  };
  if (brokerIds.length === 0) fail(`The manual partition assignment for partition ${partition} is empty.`);
  if (new Set(brokerIds).size !== brokerIds.length) fail(`The manual partition assignment for partition ${partition} contains duplicate broker IDs.`);
  if (replicationFactor !== undefined && brokerIds.length !== replicationFactor) {
    fail(`The manual partition assignment for partition ${partition} includes ${brokerIds.length} broker(s), but the topic has a replication factor of ${replicationFactor}.`);
  }
  for (const id of brokerIds) {
    if (!image.broker(id)) fail(`The manual partition assignment for partition ${partition} includes broker ${id}, which is not registered.`);
  }
  if (!brokerIds.some((id) => !image.broker(id)!.fenced)) {
    fail(`All brokers specified in the manual partition assignment for partition ${partition} are fenced or in controlled shutdown.`);
  }
}
