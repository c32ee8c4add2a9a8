/**
 * OffsetCommit v2-9. Partitions of unknown topics fail on their own; the rest go to the
 * coordinator, which checks the member's generation (or accepts generation -1 for a group without
 * members) and the metadata size.
 */
import { OffsetCommitApi } from '../../../protocol/messages/index.js';
import type { OffsetCommitRequest, OffsetCommitResponse, OffsetCommitResponsePartition } from '../../../protocol/messages/offset-commit.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { register, type Reply } from '../../request-context.js';
import { coordinatorErrorFor, coordinatorOf } from './context.js';
import { partitionExists } from './known-partitions.js';

type Key = string;
const keyOf = (topic: string, partition: number): Key => `${partition}:${topic}`;

export const offsetCommitHandler = register<OffsetCommitRequest, Reply<OffsetCommitResponse>>(OffsetCommitApi, 2, 9, async (req, ctx) => {
  const v = ctx.apiVersion;
  const errors = new Map<Key, number>();
  const offsets: Array<{ topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null }> = [];
  for (const t of req.topics) {
    for (const p of t.partitions) {
      if (!partitionExists(ctx, t.name, p.partitionIndex)) errors.set(keyOf(t.name, p.partitionIndex), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      else offsets.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, leaderEpoch: v >= 6 ? p.committedLeaderEpoch : -1, metadata: p.committedMetadata });
    }
  }
  // Partitions of unknown topics keep their own error; the rest get the group's (as Kafka).
  const notHere = offsets.length > 0 ? coordinatorErrorFor(ctx, req.groupId) : ErrorCode.NONE;
  if (notHere !== ErrorCode.NONE) for (const o of offsets) errors.set(keyOf(o.topic, o.partition), notHere);
  else if (offsets.length > 0) {
    const results = await coordinatorOf(ctx).commitOffsets({
      groupId: req.groupId,
      generationId: req.generationIdOrMemberEpoch,
      memberId: req.memberId,
      groupInstanceId: v >= 7 ? req.groupInstanceId : null,
      retentionTimeMs: v <= 4 ? req.retentionTimeMs : -1,
      groupIdNotFoundForMissingGroup: v >= 9,
      offsets,
    });
    for (const r of results) errors.set(keyOf(r.topic, r.partition), r.errorCode);
  }
  return {
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): OffsetCommitResponsePartition => ({ partitionIndex: p.partitionIndex, errorCode: errors.get(keyOf(t.name, p.partitionIndex)) ?? ErrorCode.NONE })),
    })),
  };
});
