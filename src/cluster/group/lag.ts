/**
 * Consumer-group lag, as `kafka-consumer-groups --describe` shows it: for every partition that a
 * member is assigned or that has a committed offset, the committed offset, the high watermark and
 * their difference, with the member that owns it. The member assignments are the consumer
 * protocol bytes DescribeGroups returns, decoded here.
 *
 * Pure functions: callers bring the group description, the committed offsets (OffsetFetch) and the
 * high watermarks (ListOffsets latest, or the replica manager on the broker).
 */
import { ByteReader } from '../../protocol/bytes.js';
import { decodeMessage } from '../../protocol/schema/codec.js';
import { ConsumerProtocolAssignmentSchema, type ConsumerProtocolAssignment } from '../../protocol/messages/consumer-protocol-assignment.js';
import { ConsumerProtocolSubscriptionSchema, type ConsumerProtocolSubscription } from '../../protocol/messages/consumer-protocol-subscription.js';

/**
 * Decode consumer protocol bytes (int16 version + struct). Newer versions than we know are read as
 * the newest known one: the consumer protocol only ever appends fields, as Kafka's
 * ConsumerProtocol relies on. Null for empty or malformed bytes.
 */
function decodeVersioned<T>(bytes: Buffer, schema: typeof ConsumerProtocolAssignmentSchema): T | null {
  if (bytes.length < 2) return null;
  try {
    const r = new ByteReader(bytes);
    const version = Math.min(r.int16(), schema.validVersions.max);
    if (version < 0) return null;
    return decodeMessage<T>(schema, version, r);
  } catch {
    return null;
  }
}

export function decodeConsumerAssignment(bytes: Buffer): ConsumerProtocolAssignment | null {
  return decodeVersioned<ConsumerProtocolAssignment>(bytes, ConsumerProtocolAssignmentSchema);
}

export function decodeConsumerSubscription(bytes: Buffer): ConsumerProtocolSubscription | null {
  return decodeVersioned<ConsumerProtocolSubscription>(bytes, ConsumerProtocolSubscriptionSchema);
}

export interface LagMember {
  readonly memberId: string;
  readonly clientId: string;
  readonly clientHost: string;
  /** ConsumerProtocolAssignment bytes (empty while the group is rebalancing). */
  readonly assignment: Buffer;
}

export interface CommittedPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** -1 = no commit */
  readonly offset: number;
}

export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** null when the group has no commit for the partition. */
  readonly committedOffset: number | null;
  /** null when the partition's high watermark is unknown (deleted topic). */
  readonly highWatermark: number | null;
  /** highWatermark − committedOffset (never negative); null when either is unknown. */
  readonly lag: number | null;
  readonly memberId: string | null;
  readonly clientId: string | null;
  readonly clientHost: string | null;
}

export function computeGroupLag(
  members: readonly LagMember[],
  committed: readonly CommittedPartitionOffset[],
  highWatermark: (topic: string, partition: number) => number | undefined,
): PartitionLag[] {
  const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;
  const owners = new Map<string, LagMember>();
  const all = new Map<string, { topic: string; partition: number }>();
  for (const m of members) {
    const a = decodeConsumerAssignment(m.assignment);
    for (const tp of a?.assignedPartitions ?? []) {
      for (const p of tp.partitions) {
        owners.set(key(tp.topic, p), m);
        all.set(key(tp.topic, p), { topic: tp.topic, partition: p });
      }
    }
  }
  const offsets = new Map<string, number>();
  for (const c of committed) {
    if (c.offset < 0) continue;
    offsets.set(key(c.topic, c.partition), c.offset);
    all.set(key(c.topic, c.partition), { topic: c.topic, partition: c.partition });
  }
  const out: PartitionLag[] = [];
  for (const [k, { topic, partition }] of all) {
    const committedOffset = offsets.get(k) ?? null;
    const hw = highWatermark(topic, partition) ?? null;
    const owner = owners.get(k) ?? null;
    out.push({
      topic,
      partition,
      committedOffset,
      highWatermark: hw,
      lag: committedOffset !== null && hw !== null ? Math.max(0, hw - committedOffset) : null,
      memberId: owner?.memberId ?? null,
      clientId: owner?.clientId ?? null,
      clientHost: owner?.clientHost ?? null,
    });
  }
  return out.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}
