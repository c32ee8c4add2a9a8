import { ProduceApi } from '../../protocol/messages/index.js';
import type { PartitionProduceResponse, ProduceRequest, ProduceResponse, TopicProduceResponse } from '../../protocol/messages/produce.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { recordsToBuffer } from '../../protocol/schema/records.js';
import { MAGIC, MAGIC_PROBE_BYTES, batchSize } from '../../protocol/records/batch-header.js';
import { isInternalTopic } from '../../cluster/internal-topics.js';
import type { RequiredAcks } from '../../cluster/replication/replica-manager.js';
import { RecordValidationError } from '../../protocol/records/record-walker.js';
import { errorOf, register, type Reply, type RequestContext } from '../request-context.js';

/**
 * Produce v3+ must carry exactly one magic-2 batch per partition (Kafka's ProduceRequest.validateRecords);
 * v0-2 carry legacy message sets, which we refuse (docs/compatibility.md).
 */
function checkRecordsShape(records: Buffer | null, apiVersion: number): Buffer {
  if (records === null || records.length < MAGIC_PROBE_BYTES) {
    throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, 'Produce request has no complete record batch');
  }
  const magic = records[MAGIC]!;
  if (magic < 2 || apiVersion < 3) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `Message format v${magic} is not supported; use a client that writes RecordBatch v2 (Kafka 0.11+)`);
  }
  if (records.length >= 12 && batchSize(records) !== records.length) {
    throw new KafkaError(ErrorCode.INVALID_RECORD, 'Produce requests with version 3 or later must contain exactly one record batch per partition');
  }
  return records;
}

/** KIP-951: with NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH (only then, as Kafka), the leader the metadata names. */
function leaderHint(errorCode: number, topic: string, partition: number, ctx: RequestContext): Partial<PartitionProduceResponse> {
  if (ctx.apiVersion < 10 || (errorCode !== ErrorCode.NOT_LEADER_OR_FOLLOWER && errorCode !== ErrorCode.FENCED_LEADER_EPOCH)) return {};
  const view = ctx.services.cluster.partition(topic, partition);
  return view ? { currentLeader: { leaderId: view.leaderId, leaderEpoch: view.leaderEpoch } } : {};
}

async function appendPartition(ctx: RequestContext, req: ProduceRequest, topic: string, partition: number, records: Buffer | null): Promise<Reply<PartitionProduceResponse>> {
  try {
    // Internal topics are written by their coordinators only (Kafka's ReplicaManager rule).
    if (isInternalTopic(topic)) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`);
    const batch = checkRecordsShape(records, ctx.apiVersion);
    const info = await ctx.services.replicas.append(topic, partition, batch, { acks: req.acks as RequiredAcks, timeoutMs: req.timeoutMs });
    return {
      index: partition,
      errorCode: ErrorCode.NONE,
      baseOffset: info.baseOffset,
      // The time stamped on the batch for LogAppendTime topics; -1 for CreateTime (as Kafka answers).
      logAppendTimeMs: info.logAppendTime,
      logStartOffset: info.logStartOffset,
    };
  } catch (err) {
    const e = errorOf(err);
    // v8+: which record of the batch was refused, as Kafka's RecordValidationException reports it.
    const recordErrors = err instanceof RecordValidationError ? [{ batchIndex: err.recordIndex, batchIndexErrorMessage: err.recordMessage }] : [];
    return { index: partition, errorCode: e.errorCode, errorMessage: e.errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors, ...leaderHint(e.errorCode, topic, partition, ctx) };
  }
}

/** KIP-951: the endpoints of the leaders named in CurrentLeader fields, so the client need not ask Metadata. */
function nodeEndpoints(responses: Array<Reply<TopicProduceResponse>>, ctx: RequestContext): Partial<ProduceResponse> {
  const ids = new Set<number>();
  for (const t of responses) for (const p of t.partitionResponses ?? []) if ((p.currentLeader?.leaderId ?? -1) >= 0) ids.add(p.currentLeader!.leaderId!);
  if (ids.size === 0) return {};
  const nodes = [...ids].map((id) => ctx.services.cluster.broker(id)).filter((b) => b !== undefined);
  return { nodeEndpoints: nodes.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })) };
}

export const produceHandler = register<ProduceRequest, Reply<ProduceResponse>>(ProduceApi, 0, 11, async (req, ctx) => {
  const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
  const responses: Array<Reply<TopicProduceResponse>> = [];
  const work: Array<Promise<void>> = [];
  for (const t of req.topicData) {
    const partitionResponses: Array<Reply<PartitionProduceResponse>> = [];
    responses.push({ name: t.name, partitionResponses });
    t.partitionData.forEach((p, i) => {
      if (!validAcks) {
        partitionResponses[i] = { index: p.index, errorCode: ErrorCode.INVALID_REQUIRED_ACKS, baseOffset: -1 };
        return;
      }
      work.push(appendPartition(ctx, req, t.name, p.index, recordsToBuffer(p.records)).then((r) => void (partitionResponses[i] = r)));
    });
  }
  await Promise.all(work);
  // acks=0: the client expects no response at all (COMPAT.md T5).
  if (req.acks === 0) return null;
  return { responses, throttleTimeMs: 0, ...nodeEndpoints(responses, ctx) };
});
