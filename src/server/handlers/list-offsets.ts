import { ListOffsetsApi } from '../../protocol/messages/index.js';
import type { ListOffsetsPartitionResponse, ListOffsetsRequest, ListOffsetsResponse, ListOffsetsTopicResponse } from '../../protocol/messages/list-offsets.js';
import { ErrorCode } from '../../protocol/errors.js';
import { checkEpoch, type HostedPartition } from '../../cluster/replication/replica-manager.js';
import { errorOf, register, type Reply } from '../request-context.js';

const LATEST = -1;
const EARLIEST = -2;
const MAX_TIMESTAMP = -3;
const EARLIEST_LOCAL = -4;
const LATEST_TIERED = -5;

const READ_COMMITTED = 1;

/**
 * A broker's replica id (≥ 0, its follower asking the leader) sees the log end as LATEST; clients the high
 * watermark, or with isolation_level READ_COMMITTED (v2+) the last stable offset — which also bounds what a
 * timestamp lookup may answer (Kafka's lastFetchableOffset).
 */
async function lookup(hosted: HostedPartition, timestamp: number, replicaId: number, readCommitted: boolean): Promise<{ offset: number; timestamp: number }> {
  const lastFetchable = readCommitted ? hosted.lastStableOffset : hosted.highWatermark;
  switch (timestamp) {
    case LATEST:
      return { offset: replicaId >= 0 ? hosted.log.logEndOffset : lastFetchable, timestamp: -1 };
    case EARLIEST:
    case EARLIEST_LOCAL:
      return { offset: hosted.log.logStartOffset, timestamp: -1 };
    case LATEST_TIERED:
      return { offset: -1, timestamp: -1 }; // no tiered storage
    case MAX_TIMESTAMP:
      return (await hosted.log.maxTimestampOffset()) ?? { offset: -1, timestamp: -1 };
    default:
      return (await hosted.log.offsetForTimestamp(timestamp, replicaId >= 0 ? {} : { maxOffset: lastFetchable })) ?? { offset: -1, timestamp: -1 };
  }
}

export const listOffsetsHandler = register<ListOffsetsRequest, Reply<ListOffsetsResponse>>(ListOffsetsApi, 1, 9, async (req, ctx) => {
  const topics: Array<Reply<ListOffsetsTopicResponse>> = [];
  for (const t of req.topics) {
    const partitions: Array<Reply<ListOffsetsPartitionResponse>> = [];
    for (const p of t.partitions) {
      try {
        const hosted = ctx.services.replicas.get(t.name, p.partitionIndex);
        checkEpoch(hosted, p.currentLeaderEpoch);
        const found = await lookup(hosted, p.timestamp, req.replicaId, ctx.apiVersion >= 2 && req.isolationLevel === READ_COMMITTED);
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, offset: found.offset, timestamp: found.timestamp, leaderEpoch: hosted.leaderEpoch });
      } catch (err) {
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: errorOf(err).errorCode, offset: -1, timestamp: -1, leaderEpoch: -1 });
      }
    }
    topics.push({ name: t.name, partitions });
  }
  return { throttleTimeMs: 0, topics };
});
