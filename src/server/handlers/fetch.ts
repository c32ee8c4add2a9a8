import { FetchApi } from '../../protocol/messages/index.js';
import type { FetchableTopicResponse, FetchRequest, FetchResponse, PartitionData } from '../../protocol/messages/fetch.js';
import { ErrorCode } from '../../protocol/errors.js';
import { checkEpoch, ReplicaManager } from '../../cluster/replication/replica-manager.js';
import { waitForAnyAppend } from '../delayed-fetch.js';
import { errorOf, register, type Reply, type RequestContext } from '../request-context.js';

const READ_COMMITTED = 1;

/** The follower a replica fetch comes from (v15+: ReplicaState; older: the replica id field). */
interface FetchingReplica {
  readonly id: number;
  readonly epoch: number;
}

function fetchingReplica(req: FetchRequest, apiVersion: number): FetchingReplica | null {
  const id = apiVersion >= 15 ? (req.replicaState?.replicaId ?? -1) : req.replicaId;
  if (id < 0) return null;
  return { id, epoch: apiVersion >= 15 ? (req.replicaState?.replicaEpoch ?? -1) : -1 };
}

interface Target {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: number;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
  /** Set when the target cannot be read at all (unknown topic id, …). */
  error?: ErrorCode;
}

function targetsOf(req: FetchRequest, ctx: RequestContext): Target[] {
  const byId = ctx.apiVersion >= 13; // v13+ name topics by id only (COMPAT.md T8)
  const targets: Target[] = [];
  for (const t of req.topics) {
    const info = byId ? ctx.services.topics.getById(t.topicId) : ctx.services.topics.get(t.topic);
    const topic = info?.name ?? t.topic;
    for (const p of t.partitions) {
      const target: Target = { topic, topicId: t.topicId, partition: p.partition, fetchOffset: p.fetchOffset, partitionMaxBytes: p.partitionMaxBytes, currentLeaderEpoch: p.currentLeaderEpoch, lastFetchedEpoch: p.lastFetchedEpoch ?? -1 };
      if (!info) target.error = byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      targets.push(target);
    }
  }
  return targets;
}

/**
 * The CurrentLeader tagged field (KIP-951) goes out only with the two errors that tell a client
 * its leader is stale, as Kafka writes it; a tagged field with a value is always encoded, so
 * setting it on every partition put 0/0 in each successful partition too.
 */
function leaderHint(errorCode: number, t: Target, ctx: RequestContext): Partial<PartitionData> {
  if (errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER && errorCode !== ErrorCode.FENCED_LEADER_EPOCH) return {};
  const view = ctx.services.cluster.partition(t.topic, t.partition);
  return view ? { currentLeader: { leaderId: view.leaderId, leaderEpoch: view.leaderEpoch } } : {};
}

/** One pass over the targets: at most maxBytes in all; the first non-empty partition may exceed it (KIP-74). */
async function readOnce(
  targets: Target[],
  maxBytes: number,
  ctx: RequestContext,
  readCommitted: boolean,
  replica: FetchingReplica | null,
): Promise<{ parts: Array<Reply<PartitionData>>; bytes: number; errors: boolean }> {
  let remaining = maxBytes;
  let bytes = 0;
  let errors = false;
  let diverged = false;
  const parts: Array<Reply<PartitionData>> = [];
  for (const t of targets) {
    const base = { partitionIndex: t.partition, abortedTransactions: readCommitted ? [] : null, preferredReadReplica: -1 };
    if (t.error !== undefined) {
      errors = true;
      // Kafka answers a partition it cannot look up (unknown topic or partition, not authorized) with
      // FetchResponse.partitionResponse, whose aborted transactions are an empty list, never null.
      parts.push({ ...base, abortedTransactions: [], errorCode: t.error, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: Buffer.alloc(0) });
      continue;
    }
    try {
      const limit = Math.min(t.partitionMaxBytes, remaining);
      if (replica !== null) {
        // A follower's fetch: up to the log end, its position recorded (high watermark, ISR).
        const read = await ctx.services.replicas.readForFollower(replica.id, replica.epoch, {
          topic: t.topic,
          partition: t.partition,
          fetchOffset: t.fetchOffset,
          lastFetchedEpoch: t.lastFetchedEpoch,
          currentLeaderEpoch: t.currentLeaderEpoch,
          maxBytes: limit,
          minOneMessage: bytes === 0,
        });
        bytes += read.records.length;
        remaining = Math.max(0, remaining - read.records.length);
        if (read.divergingEpoch) diverged = true;
        parts.push({
          ...base,
          errorCode: ErrorCode.NONE,
          highWatermark: read.highWatermark,
          lastStableOffset: read.highWatermark,
          logStartOffset: read.logStartOffset,
          records: read.records,
          ...(read.divergingEpoch && { divergingEpoch: read.divergingEpoch }),
        });
        continue;
      }
      const hosted = ctx.services.replicas.get(t.topic, t.partition);
      checkEpoch(hosted, t.currentLeaderEpoch);
      // read_committed stops at the last stable offset and names the aborted transactions among what it
      // returns, so the consumer can drop their records (KIP-98).
      const lastStableOffset = hosted.lastStableOffset;
      const read = await hosted.log.read(t.fetchOffset, limit, { maxOffset: readCommitted ? lastStableOffset : hosted.highWatermark, minOneMessage: bytes === 0 });
      bytes += read.records.length;
      if (read.records.length > 0) ctx.services.topicStats?.fetched(t.topic, read.records.length);
      remaining = Math.max(0, remaining - read.records.length);
      const aborted = readCommitted && read.records.length > 0 ? await hosted.log.abortedTransactions(t.fetchOffset, read.nextOffset) : [];
      parts.push({
        ...base,
        errorCode: ErrorCode.NONE,
        highWatermark: hosted.highWatermark,
        lastStableOffset,
        logStartOffset: hosted.log.logStartOffset,
        records: read.records,
        ...(readCommitted && { abortedTransactions: aborted.map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset })) }),
      });
    } catch (err) {
      errors = true;
      const errorCode = errorOf(err).errorCode;
      // A partition the topic does not have is, in Kafka, one the metadata cache lacks: answered as above.
      const aborted = errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? { abortedTransactions: [] } : {};
      parts.push({ ...base, ...aborted, errorCode, highWatermark: -1, lastStableOffset: -1, logStartOffset: -1, records: Buffer.alloc(0), ...leaderHint(errorCode, t, ctx) });
    }
  }
  // A diverging epoch is answered at once, like an error: the follower must truncate before it waits.
  return { parts, bytes, errors: errors || diverged };
}

function group(targets: Target[], parts: Array<Reply<PartitionData>>): Array<Reply<FetchableTopicResponse>> {
  const out: Array<Reply<FetchableTopicResponse>> = [];
  let current: Reply<FetchableTopicResponse> | undefined;
  targets.forEach((t, i) => {
    if (!current || current.topic !== t.topic || current.topicId !== t.topicId) {
      current = { topic: t.topic, topicId: t.topicId, partitions: [] };
      out.push(current);
    }
    current.partitions!.push(parts[i]!);
  });
  return out;
}

/**
 * Fetch sessions (KIP-227) are declined: every fetch is a full fetch and the response carries
 * session id 0, which every client accepts (COMPAT.md T9).
 */
export const fetchHandler = register<FetchRequest, Reply<FetchResponse>>(FetchApi, 4, 17, async (req, ctx) => {
  if (ctx.apiVersion >= 7) {
    if (req.sessionId !== 0) return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    if (req.sessionEpoch !== -1 && req.sessionEpoch !== 0) return { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, responses: [] };
  }
  const targets = targetsOf(req, ctx);
  const readCommitted = ctx.apiVersion >= 4 && req.isolationLevel === READ_COMMITTED;
  // Kafka caps a fetch at the broker's fetch.max.bytes whatever the client asks (KIP-74).
  const maxBytes = Math.min(ctx.apiVersion >= 3 ? req.maxBytes : Number.MAX_SAFE_INTEGER, ctx.services.config.fetchMaxBytes);
  const deadline = Date.now() + Math.max(0, req.maxWaitMs);
  const replica = fetchingReplica(req, ctx.apiVersion);
  let result = await readOnce(targets, maxBytes, ctx, readCommitted, replica);
  // Keys for the long poll, only when it waits (a catching-up consumer never does). Consumers wait for the
  // high watermark to move, followers for the log end.
  const keys = result.bytes < req.minBytes ? targets.map((t) => ReplicaManager.partitionKey(t.topic, t.partition)) : [];
  const events = replica !== null ? ctx.services.replicas.logEndEvents : ctx.services.replicas.hwEvents;
  while (result.bytes < req.minBytes && !result.errors && Date.now() < deadline) {
    await waitForAnyAppend(events, keys, deadline - Date.now());
    result = await readOnce(targets, maxBytes, ctx, readCommitted, replica);
  }
  return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses: group(targets, result.parts) };
});
