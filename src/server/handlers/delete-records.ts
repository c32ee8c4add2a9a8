import { DeleteRecordsApi } from '../../protocol/messages/index.js';
import type { DeleteRecordsPartitionResult, DeleteRecordsRequest, DeleteRecordsResponse, DeleteRecordsTopicResult } from '../../protocol/messages/delete-records.js';
import { ErrorCode } from '../../protocol/errors.js';
import { errorOf, register, type Reply } from '../request-context.js';

/**
 * DeleteRecords: per partition, moves the log start offset up to the given offset (-1 = the high
 * watermark) and answers the new low watermark. On one node every replica is this broker, so the
 * answer needs no waiting (timeoutMs is not used).
 */
export const deleteRecordsHandler = register<DeleteRecordsRequest, Reply<DeleteRecordsResponse>>(DeleteRecordsApi, 0, 2, async (req, ctx) => {
  const topics: Array<Reply<DeleteRecordsTopicResult>> = [];
  const work: Array<Promise<void>> = [];
  for (const t of req.topics) {
    const partitions: Array<Reply<DeleteRecordsPartitionResult>> = [];
    topics.push({ name: t.name, partitions });
    t.partitions.forEach((p, i) => {
      work.push(
        ctx.services.replicas.deleteRecords(t.name, p.partitionIndex, p.offset).then(
          (lowWatermark) => void (partitions[i] = { partitionIndex: p.partitionIndex, lowWatermark, errorCode: ErrorCode.NONE }),
          (err: unknown) => void (partitions[i] = { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: errorOf(err).errorCode }),
        ),
      );
    });
  }
  await Promise.all(work);
  return { throttleTimeMs: 0, topics };
});
