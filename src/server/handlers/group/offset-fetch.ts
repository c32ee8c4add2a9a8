/**
 * OffsetFetch v1-9. v1 names partitions and reports errors per partition; v2+ add a top-level
 * error and accept null topics (= every committed offset of the group); v8+ ask for several groups.
 * A partition without a commit answers offset -1, no error. A group coordinated elsewhere (or still
 * loading) answers that error with no offsets; v1, which has no group error, puts it on every
 * requested partition (Kafka's OffsetFetchRequest.getErrorResponse).
 */
import { OffsetFetchApi } from '../../../protocol/messages/index.js';
import type { OffsetFetchRequest, OffsetFetchResponse, OffsetFetchResponseTopic } from '../../../protocol/messages/offset-fetch.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { register, type Reply, type RequestContext } from '../../request-context.js';
import { coordinatorErrorFor, coordinatorOf } from './context.js';

type RequestedTopics = ReadonlyArray<{ name: string; partitionIndexes: number[] }> | null;

function fetchGroup(ctx: RequestContext, groupId: string, topics: RequestedTopics, requireStable: boolean): { errorCode: number; topics: OffsetFetchResponseTopic[] } {
  const notHere = coordinatorErrorFor(ctx, groupId);
  if (notHere !== ErrorCode.NONE) {
    // v2+ carry the group error alone; v1 has no group error, so its requested partitions carry it.
    const asked = ctx.apiVersion < 2 ? (topics ?? []) : [];
    return {
      errorCode: notHere,
      topics: asked.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => ({ partitionIndex: p, committedOffset: -1, committedLeaderEpoch: -1, metadata: '', errorCode: notHere })) })),
    };
  }
  const requested = topics === null ? null : topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes }));
  const result = coordinatorOf(ctx).fetchOffsets(groupId, requested, requireStable);
  return {
    errorCode: result.errorCode,
    topics: result.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partitionIndex: p.partition, committedOffset: p.offset, committedLeaderEpoch: p.leaderEpoch, metadata: p.metadata, errorCode: p.errorCode })),
    })),
  };
}

export const offsetFetchHandler = register<OffsetFetchRequest, Reply<OffsetFetchResponse>>(OffsetFetchApi, 1, 9, (req, ctx) => {
  const v = ctx.apiVersion;
  if (v >= 8) {
    return { throttleTimeMs: 0, groups: req.groups.map((g) => ({ groupId: g.groupId, ...fetchGroup(ctx, g.groupId, g.topics, req.requireStable) })) };
  }
  // v1 cannot ask for "all topics"; only v2+ give null that meaning.
  // v7+: requireStable (read_committed consumers) — a commit pending in a transaction is UNSTABLE_OFFSET_COMMIT.
  const result = fetchGroup(ctx, req.groupId, v >= 2 ? req.topics : (req.topics ?? []), v >= 7 && req.requireStable);
  if (v < 2 && result.errorCode !== ErrorCode.NONE) {
    // No top-level error field before v2: the group error goes on every partition.
    for (const t of result.topics) for (const p of t.partitions) p.errorCode = result.errorCode;
  }
  return { throttleTimeMs: 0, topics: result.topics, errorCode: result.errorCode };
});
