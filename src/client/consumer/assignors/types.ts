/**
 * Partition assignors: the group leader runs one over every member's subscription (Kafka's
 * ConsumerPartitionAssignor). Assignors are pure and deterministic: the same input gives the
 * same output on any member.
 */
import type { TopicPartition } from '../types.js';

export type RebalanceProtocol = 'eager' | 'cooperative';
export type AssignorName = 'range' | 'roundrobin' | 'cooperative-sticky';

export interface MemberSubscription {
  memberId: string;
  groupInstanceId: string | null;
  topics: readonly string[];
  /** What the member owns now (cooperative protocol; empty for eager members). */
  ownedPartitions: readonly TopicPartition[];
  /** The generation the owned partitions are from (-1 if unknown). */
  generationId: number;
  userData: Buffer | null;
  rackId: string | null;
}

/** memberId → partitions, each list sorted by topic then partition. */
export type GroupAssignment = Map<string, TopicPartition[]>;

export interface Assignor {
  /** The protocol name in JoinGroup (`range`, `roundrobin`, `cooperative-sticky`, ...). */
  readonly name: string;
  /** Rebalance protocols this assignor supports. */
  readonly protocols: readonly RebalanceProtocol[];
  /** Optional user data put into this member's subscription for this assignor. */
  userData?(topics: readonly string[]): Buffer | null;
  /** `partitionsPerTopic` holds the subscribed topics that exist, with their partition counts. */
  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment;
}

/** Kafka's member order: static members first (by instance id), then by member id. */
export function compareMembers(a: MemberSubscription, b: MemberSubscription): number {
  if (a.groupInstanceId !== null && b.groupInstanceId !== null) return a.groupInstanceId < b.groupInstanceId ? -1 : a.groupInstanceId > b.groupInstanceId ? 1 : 0;
  if (a.groupInstanceId !== null) return -1;
  if (b.groupInstanceId !== null) return 1;
  return a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0;
}

export function emptyAssignment(members: readonly MemberSubscription[]): GroupAssignment {
  const out: GroupAssignment = new Map();
  for (const m of members) out.set(m.memberId, []);
  return out;
}

export function sortedTopics(partitionsPerTopic: ReadonlyMap<string, number>): string[] {
  return [...partitionsPerTopic.keys()].sort();
}
