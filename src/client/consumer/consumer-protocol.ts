/**
 * The consumer protocol blobs inside JoinGroup metadata and SyncGroup assignments: an int16
 * version, then ConsumerProtocolSubscription / ConsumerProtocolAssignment at that version (the
 * codec declares both). We write version 3. Reading is lenient, like Kafka's: a version above the
 * highest known is read as the highest known (later versions only append fields), and bytes that
 * do not hold the fields their version promises (kafkajs writes v1 with v0 fields only) are read
 * again as version 0.
 */
import { ByteReader, ByteWriter } from '../../protocol/bytes.js';
import { ConsumerProtocolAssignmentSchema, type ConsumerProtocolAssignment } from '../../protocol/messages/consumer-protocol-assignment.js';
import { ConsumerProtocolSubscriptionSchema, type ConsumerProtocolSubscription } from '../../protocol/messages/consumer-protocol-subscription.js';
import type { MessageSpec } from '../../protocol/schema/dsl.js';
import { decodeMessage, encodeMessage } from '../../protocol/schema/codec.js';
import { compareTp, type TopicPartition } from './types.js';

export const SUBSCRIPTION_VERSION = 3;
export const ASSIGNMENT_VERSION = 3;

export interface Subscription {
  topics: string[];
  ownedPartitions: TopicPartition[];
  generationId: number;
  userData: Buffer | null;
  rackId: string | null;
}

/** Partitions grouped by topic (topics and partitions sorted), as the protocol carries them. */
export function groupByTopic(parts: readonly TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  const map = new Map<string, number[]>();
  for (const tp of [...parts].sort(compareTp)) {
    let list = map.get(tp.topic);
    if (!list) map.set(tp.topic, (list = []));
    list.push(tp.partition);
  }
  return [...map].map(([topic, partitions]) => ({ topic, partitions }));
}

export function flatten(groups: ReadonlyArray<{ topic: string; partitions: readonly number[] }>): TopicPartition[] {
  const out: TopicPartition[] = [];
  for (const g of groups) for (const partition of g.partitions) out.push({ topic: g.topic, partition });
  return out.sort(compareTp);
}

function encodeVersioned(spec: MessageSpec, version: number, data: object): Buffer {
  const w = new ByteWriter(128);
  w.int16(version);
  encodeMessage(spec, version, data, w);
  return w.toBuffer();
}

function decodeVersioned<T>(spec: MessageSpec, bytes: Buffer, highest: number): T {
  const r = new ByteReader(bytes);
  const written = r.int16();
  const version = Math.max(0, Math.min(written, highest));
  try {
    return decodeMessage<T>(spec, version, new ByteReader(bytes, 2));
  } catch (err) {
    if (version === 0) throw err;
    return decodeMessage<T>(spec, 0, new ByteReader(bytes, 2));
  }
}

export function encodeSubscription(s: Subscription): Buffer {
  const data: ConsumerProtocolSubscription = {
    topics: [...s.topics].sort(),
    userData: s.userData,
    ownedPartitions: groupByTopic(s.ownedPartitions),
    generationId: s.generationId,
    rackId: s.rackId,
  };
  return encodeVersioned(ConsumerProtocolSubscriptionSchema, SUBSCRIPTION_VERSION, data);
}

export function decodeSubscription(bytes: Buffer): Subscription {
  const d = decodeVersioned<ConsumerProtocolSubscription>(ConsumerProtocolSubscriptionSchema, bytes, SUBSCRIPTION_VERSION);
  // The codec fills an absent array-of-structs field with one default struct, not []: guard.
  const owned = Array.isArray(d.ownedPartitions) ? d.ownedPartitions : [];
  return { topics: d.topics, ownedPartitions: flatten(owned), generationId: d.generationId, userData: d.userData, rackId: d.rackId };
}

export function encodeAssignment(parts: readonly TopicPartition[], userData: Buffer | null = null): Buffer {
  const data: ConsumerProtocolAssignment = { assignedPartitions: groupByTopic(parts), userData };
  return encodeVersioned(ConsumerProtocolAssignmentSchema, ASSIGNMENT_VERSION, data);
}

/** An empty buffer (a member the leader gave nothing, as some clients send it) is an empty assignment. */
export function decodeAssignment(bytes: Buffer): { partitions: TopicPartition[]; userData: Buffer | null } {
  if (bytes.length === 0) return { partitions: [], userData: null };
  const d = decodeVersioned<ConsumerProtocolAssignment>(ConsumerProtocolAssignmentSchema, bytes, ASSIGNMENT_VERSION);
  return { partitions: flatten(d.assignedPartitions), userData: d.userData };
}
