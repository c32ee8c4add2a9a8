import { ProduceApi } from '../../protocol/messages/index.js';
import type { PartitionProduceResponse, ProduceRequest, ProduceResponse, TopicProduceResponse } from '../../protocol/messages/produce.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { recordsToBuffer } from '../../protocol/schema/records.js';
import { MAGIC, MAGIC_PROBE_BYTES, RECORD_BATCH_OVERHEAD, batchSize } from '../../protocol/records/batch-header.js';
import { readBatchInfo } from '../../protocol/records/batch-iterator.js';
import { produceErrorForVerification, type TransactionVerifier } from '../../cluster/transaction/transaction-verifier.js';
import { ProducerAppendOrder } from '../../cluster/transaction/producer-append-order.js';
import type { BatchInfo } from '../../protocol/records/types.js';
import { topicPartitionKey } from '../../cluster/transaction/transaction-metadata.js';
import type { VerificationGuard } from '../../storage/producer-state/producer-state-manager.js';
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

/** How a partition's append stands with KIP-890 verification: the guard to append with, or the refusal. */
type Verification = { guard: VerificationGuard | null } | { error: KafkaError };

interface PartitionWork {
  topic: string;
  partition: number;
  records: Buffer | null;
  verification?: Verification;
}

/**
 * KIP-890 part 1: for each partition whose batch is transactional and would open its producer's
 * transaction there, the leader asks the coordinator whether the partition is in the transaction; the
 * append then carries the guard (or fails with the coordinator's answer, mapped for the producer).
 * A transactional batch in a request without a transactional id can never be verified (null guard: the
 * log refuses it if it would open a transaction). Resolves, in the producer's turn on each partition
 * (ProducerAppendOrder), with what gives the turns back: call it once the appends are handed to the logs.
 */
async function verifyTransactionalBatches(ctx: RequestContext, req: ProduceRequest, work: PartitionWork[]): Promise<(() => void) | null> {
  const verifier = ctx.services.transactionVerifier;
  if (verifier === null) return null;
  const transactional: Array<{ w: PartitionWork; b: BatchInfo }> = [];
  for (const w of work) {
    if (w.records === null || w.records.length < RECORD_BATCH_OVERHEAD || w.records[MAGIC] !== 2) continue;
    const b = readBatchInfo(w.records, 0, w.records.length);
    if (b.isTransactional && !b.isControl && b.producerId >= 0) transactional.push({ w, b });
  }
  if (transactional.length === 0) return null;
  // Whether a batch must verify depends on the batches before it: decide only after they reached the log.
  const giveBack = await verifier.appendOrder.turn(transactional.map(({ w, b }) => ProducerAppendOrder.key(b.producerId, w.topic, w.partition)));
  try {
    await verifyInTurn(ctx, req, verifier, transactional);
  } catch (err) {
    giveBack();
    throw err;
  }
  return giveBack;
}

async function verifyInTurn(ctx: RequestContext, req: ProduceRequest, verifier: TransactionVerifier, transactional: ReadonlyArray<{ w: PartitionWork; b: BatchInfo }>): Promise<void> {
  const pending = new Map<string, { producerId: number; producerEpoch: number; items: Array<{ w: PartitionWork; guard: VerificationGuard }> }>();
  for (const { w, b } of transactional) {
    let guard: VerificationGuard | null;
    try {
      guard = ctx.services.replicas.startTransactionVerification(w.topic, w.partition, b.producerId, b.producerEpoch);
    } catch {
      continue; // not the leader (or unknown): the append answers that
    }
    w.verification = { guard: null };
    if (guard === null || req.transactionalId === null) continue;
    const k = `${b.producerId}:${b.producerEpoch}`;
    let group = pending.get(k);
    if (!group) pending.set(k, (group = { producerId: b.producerId, producerEpoch: b.producerEpoch, items: [] }));
    group.items.push({ w, guard });
  }
  await Promise.all(
    [...pending.values()].map(async (g) => {
      const codes = await verifier.verify(req.transactionalId!, g.producerId, g.producerEpoch, g.items.map(({ w }) => ({ topic: w.topic, partition: w.partition })));
      for (const { w, guard } of g.items) {
        const code = produceErrorForVerification(codes.get(topicPartitionKey({ topic: w.topic, partition: w.partition })) ?? ErrorCode.UNKNOWN_SERVER_ERROR, ctx.apiVersion);
        w.verification = code === ErrorCode.NONE ? { guard } : { error: new KafkaError(code, `Unable to verify that ${w.topic}-${w.partition} is part of transaction '${req.transactionalId}': ${ErrorCode[code]}`) };
      }
    }),
  );
}

async function appendPartition(ctx: RequestContext, req: ProduceRequest, w: PartitionWork): Promise<Reply<PartitionProduceResponse>> {
  const { topic, partition, records } = w;
  try {
    // Internal topics are written by their coordinators only (Kafka's ReplicaManager rule).
    if (isInternalTopic(topic)) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${topic}`);
    const batch = checkRecordsShape(records, ctx.apiVersion);
    if (w.verification && 'error' in w.verification) throw w.verification.error;
    // With verification on, every client append says so (a transactional batch needs its guard).
    const transactionVerification = ctx.services.transactionVerifier !== null ? (w.verification ?? { guard: null }) : undefined;
    const info = await ctx.services.replicas.append(topic, partition, batch, { acks: req.acks as RequiredAcks, timeoutMs: req.timeoutMs, ...(transactionVerification ? { transactionVerification } : {}) });
    // Offsets are assigned one per record, so the offset range is the record count (no batch walk).
    ctx.services.topicStats?.produced(topic, batch.length, info.lastOffset - info.baseOffset + 1);
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
    const errorMessage = WITHOUT_MESSAGE.has(e.errorCode) ? null : e.errorMessage;
    return { index: partition, errorCode: e.errorCode, errorMessage, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1, recordErrors, ...leaderHint(e.errorCode, topic, partition, ctx) };
  }
}

/**
 * Errors answered without a message, as Kafka 4.1 answers them (test/interop/kafka-error-answers.test.ts).
 * Tributary keeps its message where it says what was refused and why, as for MESSAGE_TOO_LARGE (the
 * sizes), which Kafka 4.1 answers without one (docs/compatibility.md).
 */
const WITHOUT_MESSAGE = new Set<number>([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.NOT_LEADER_OR_FOLLOWER]);

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
  const work: Array<{ w: PartitionWork; answer: (r: Reply<PartitionProduceResponse>) => void }> = [];
  for (const t of req.topicData) {
    const partitionResponses: Array<Reply<PartitionProduceResponse>> = [];
    responses.push({ name: t.name, partitionResponses });
    t.partitionData.forEach((p, i) => {
      if (!validAcks) {
        partitionResponses[i] = { index: p.index, errorCode: ErrorCode.INVALID_REQUIRED_ACKS, baseOffset: -1 };
        return;
      }
      work.push({ w: { topic: t.name, partition: p.index, records: recordsToBuffer(p.records) }, answer: (r) => void (partitionResponses[i] = r) });
    });
  }
  const giveBackTurns = await verifyTransactionalBatches(ctx, req, work.map((x) => x.w));
  // Each append reaches its log synchronously here; from there the log keeps the order.
  const appended = Promise.all(work.map(({ w, answer }) => appendPartition(ctx, req, w).then(answer)));
  giveBackTurns?.();
  await appended;
  // acks=0: the client expects no response at all (COMPAT.md T5).
  if (req.acks === 0) return null;
  return { responses, throttleTimeMs: 0, ...nodeEndpoints(responses, ctx) };
});
