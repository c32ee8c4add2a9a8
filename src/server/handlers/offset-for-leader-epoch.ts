/**
 * OffsetForLeaderEpoch (KIP-101, KIP-279, KIP-320): where does `leaderEpoch` end in the leader's log? A
 * follower asks it to find where its log diverged (it truncates to min(endOffset, its own end)); a consumer
 * (KIP-320) asks it after a leader change to check that its position was not truncated away.
 *
 * Per partition, as Kafka's ReplicaManager.lastOffsetForLeaderEpoch: only the leader answers
 * (NOT_LEADER_OR_FOLLOWER elsewhere, UNKNOWN_TOPIC_OR_PARTITION for a partition that does not exist);
 * currentLeaderEpoch (v2+, -1 = unchecked) is checked first: FENCED_LEADER_EPOCH when older than the
 * partition's, UNKNOWN_LEADER_EPOCH when newer. The answer is the log's endOffsetForEpoch: the largest
 * epoch ≤ leaderEpoch and its end offset, or {-1, -1} with no error when no such epoch is known.
 * v0-1 are not served, as Kafka 4 (KIP-896).
 */
import { OffsetForLeaderEpochApi } from '../../protocol/messages/index.js';
import type { EpochEndOffset, OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse, OffsetForLeaderTopicResult } from '../../protocol/messages/offset-for-leader-epoch.js';
import { ErrorCode } from '../../protocol/errors.js';
import { checkEpoch } from '../../cluster/replication/replica-manager.js';
import { errorOf, register, type Reply } from '../request-context.js';

export const offsetForLeaderEpochHandler = register<OffsetForLeaderEpochRequest, Reply<OffsetForLeaderEpochResponse>>(
  OffsetForLeaderEpochApi,
  2,
  4,
  (req, ctx) => {
    const topics: Array<Reply<OffsetForLeaderTopicResult>> = [];
    for (const t of req.topics) {
      const partitions: Array<Reply<EpochEndOffset>> = [];
      for (const p of t.partitions) {
        try {
          const hosted = ctx.services.replicas.get(t.topic, p.partition);
          checkEpoch(hosted, p.currentLeaderEpoch);
          const end = hosted.log.endOffsetForEpoch(p.leaderEpoch);
          partitions.push({ partition: p.partition, errorCode: ErrorCode.NONE, leaderEpoch: end.epoch, endOffset: end.endOffset });
        } catch (err) {
          partitions.push({ partition: p.partition, errorCode: errorOf(err).errorCode, leaderEpoch: -1, endOffset: -1 });
        }
      }
      topics.push({ topic: t.topic, partitions });
    }
    return { throttleTimeMs: 0, topics };
  },
);
