/**
 * OffsetDelete v0: remove committed offsets of partitions the group does not consume
 * (GROUP_SUBSCRIBED_TO_TOPIC for those it does). Unknown partitions fail on their own.
 */
import { OffsetDeleteApi } from '../../../protocol/messages/index.js';
import type { OffsetDeleteRequest, OffsetDeleteResponse } from '../../../protocol/messages/offset-delete.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { register, type Reply } from '../../request-context.js';
import { coordinatorErrorFor, coordinatorOf } from './context.js';
import { partitionExists } from './known-partitions.js';

export const offsetDeleteHandler = register<OffsetDeleteRequest, Reply<OffsetDeleteResponse>>(OffsetDeleteApi, 0, 0, (req, ctx) => {
  const notHere = coordinatorErrorFor(ctx, req.groupId, { emptyIdInvalid: true });
  if (notHere !== ErrorCode.NONE) return { errorCode: notHere, throttleTimeMs: 0, topics: [] };
  const errors = new Map<string, number>();
  const known: Array<{ topic: string; partition: number }> = [];
  for (const t of req.topics) {
    for (const p of t.partitions) {
      if (partitionExists(ctx, t.name, p.partitionIndex)) known.push({ topic: t.name, partition: p.partitionIndex });
      else errors.set(`${p.partitionIndex}:${t.name}`, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    }
  }
  const result = coordinatorOf(ctx).deleteOffsets(req.groupId, known);
  // A group-level error answers the whole request, with no partitions (as Kafka).
  if (result.errorCode !== ErrorCode.NONE) return { errorCode: result.errorCode, throttleTimeMs: 0, topics: [] };
  for (const r of result.partitions) errors.set(`${r.partition}:${r.topic}`, r.errorCode);
  return {
    errorCode: ErrorCode.NONE,
    throttleTimeMs: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: errors.get(`${p.partitionIndex}:${t.name}`) ?? ErrorCode.NONE })),
    })),
  };
});
