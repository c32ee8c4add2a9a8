/**
 * A scripted single broker over TCP for producer tests: ApiVersions, Metadata (one node, topics
 * with N partitions led by it), InitProducerId (optional) and Produce with Kafka's idempotence
 * rules per partition and producer id: a new id accepts any first sequence, a higher epoch must
 * start at 0, a lower epoch is INVALID_PRODUCER_EPOCH, a duplicate of one of the last 5 batches
 * is answered NONE with its original base offset, any other gap is OUT_OF_ORDER_SEQUENCE_NUMBER.
 * Faults are injected per Produce request (`onProduce`) or per partition (`partitionError`).
 */
import net from 'node:net';
import { FrameDecoder } from '../../src/network/frame-decoder.js';
import { decodeRequest, encodeResponseFrame } from '../../src/protocol/headers.js';
import { ApiVersionsApi, InitProducerIdApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import type { InitProducerIdRequest } from '../../src/protocol/messages/init-producer-id.js';
import type { ProduceRequest, ProduceResponse } from '../../src/protocol/messages/produce.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { BASE_SEQUENCE, batchCrcMatches, PRODUCER_EPOCH, PRODUCER_ID, readInt64, RECORDS_COUNT } from '../../src/protocol/records/batch-header.js';
import { decodeRecordBatchesSync } from '../../src/protocol/records/decode-batches.js';
import { recordsToBuffer } from '../../src/protocol/schema/records.js';

/** What to do with one Produce request: answer it, drop the connection before or after applying it, or answer an error. */
export type ProduceFault = 'ok' | 'drop-before' | 'drop-after' | { error: number };

export interface StoredBatch {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  baseOffset: number;
  values: string[];
}

interface ProducerEntry {
  epoch: number;
  lastSeq: number;
  recent: Array<{ firstSeq: number; lastSeq: number; baseOffset: number }>;
}

export class FakeIdempotentBroker {
  port = 0;
  readonly host = '127.0.0.1';
  /** Serve InitProducerId (and advertise it in ApiVersions). */
  initProducerId = true;
  /** Error codes InitProducerId answers first, one per request, before it succeeds. */
  readonly initErrors: number[] = [];
  readonly initRequests: Array<{ version: number; producerId: number; producerEpoch: number; transactionalId: string | null }> = [];
  /** Called per Produce request with its 0-based index. */
  onProduce: (n: number) => ProduceFault = () => 'ok';
  /** Per partition: an error code to answer instead of applying the batch (checked per batch). */
  partitionError: (topic: string, partition: number, producerId: number, baseSequence: number) => number = () => ErrorCode.NONE;
  /** Every batch written, per `topic-partition`. */
  readonly logs = new Map<string, StoredBatch[]>();
  produceRequests = 0;
  private nextProducerId = 1000;
  private readonly producers = new Map<string, ProducerEntry>();
  private readonly topics = new Map<string, number>();
  private readonly sockets = new Set<net.Socket>();
  private server: net.Server | null = null;

  constructor(topics: Record<string, number>) {
    for (const [t, n] of Object.entries(topics)) this.topics.set(t, n);
  }

  async start(): Promise<void> {
    this.server = net.createServer((s) => this.onSocket(s));
    await new Promise<void>((r) => this.server!.listen(0, this.host, r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server!.close(() => r()));
  }

  /** Values of a partition's log in offset order. */
  values(topic: string, partition: number): string[] {
    return (this.logs.get(`${topic}-${partition}`) ?? []).flatMap((b) => b.values);
  }

  private onSocket(s: net.Socket): void {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => undefined);
    const decoder = new FrameDecoder(16 << 20);
    s.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (s.destroyed) return;
        const out = this.answer(frame, s);
        if (out) for (const c of out) s.write(c);
      }
    });
  }

  private answer(frame: Buffer, s: net.Socket): Buffer[] | null {
    const { header, body } = decodeRequest<Record<string, unknown>>(frame);
    const { apiKey, apiVersion: v, correlationId: id } = header;
    if (apiKey === ApiVersionsApi.apiKey) {
      const apiKeys = [
        { apiKey: 0, minVersion: 3, maxVersion: 11 },
        { apiKey: 3, minVersion: 0, maxVersion: 12 },
        { apiKey: 18, minVersion: 0, maxVersion: 3 },
        ...(this.initProducerId ? [{ apiKey: 22, minVersion: 0, maxVersion: 5 }] : []),
      ];
      return encodeResponseFrame(ApiVersionsApi, v, id, { errorCode: 0, apiKeys, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false });
    }
    if (apiKey === MetadataApi.apiKey) {
      const topics = [...this.topics].map(([name, n]) => ({
        errorCode: 0,
        name,
        topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
        isInternal: false,
        topicAuthorizedOperations: 0,
        partitions: Array.from({ length: n }, (_, i) => ({ errorCode: 0, partitionIndex: i, leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] })),
      }));
      return encodeResponseFrame(MetadataApi, v, id, { throttleTimeMs: 0, brokers: [{ nodeId: 1, host: this.host, port: this.port, rack: null }], clusterId: 'fake', controllerId: 1, topics, clusterAuthorizedOperations: 0 });
    }
    if (apiKey === InitProducerIdApi.apiKey && this.initProducerId) {
      const req = body as unknown as InitProducerIdRequest;
      this.initRequests.push({ version: v, producerId: req.producerId ?? -1, producerEpoch: req.producerEpoch ?? -1, transactionalId: req.transactionalId });
      const error = this.initErrors.shift();
      if (error !== undefined) return encodeResponseFrame(InitProducerIdApi, v, id, { throttleTimeMs: 0, errorCode: error, producerId: -1, producerEpoch: -1 });
      return encodeResponseFrame(InitProducerIdApi, v, id, { throttleTimeMs: 0, errorCode: 0, producerId: this.nextProducerId++, producerEpoch: 0 });
    }
    if (apiKey === ProduceApi.apiKey) {
      const fault = this.onProduce(this.produceRequests++);
      if (fault === 'drop-before') {
        s.destroy();
        return null;
      }
      const res = this.produce(body as unknown as ProduceRequest, typeof fault === 'object' ? fault.error : ErrorCode.NONE);
      if (fault === 'drop-after') {
        s.destroy();
        return null;
      }
      return encodeResponseFrame(ProduceApi, v, id, res);
    }
    throw new Error(`fake broker: unexpected API ${apiKey} v${v}`);
  }

  private produce(req: ProduceRequest, requestError: number): ProduceResponse {
    const responses = req.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) => {
        const r = (errorCode: number, baseOffset = -1) => ({ index: p.index, errorCode, baseOffset, logAppendTimeMs: -1, logStartOffset: 0, recordErrors: [], errorMessage: null, currentLeader: { leaderId: -1, leaderEpoch: -1 } });
        if (requestError !== ErrorCode.NONE) return r(requestError);
        const buf = recordsToBuffer(p.records)!;
        if (!batchCrcMatches(buf)) return r(ErrorCode.CORRUPT_MESSAGE);
        const producerId = readInt64(buf, PRODUCER_ID);
        const producerEpoch = buf.readInt16BE(PRODUCER_EPOCH);
        const baseSequence = buf.readInt32BE(BASE_SEQUENCE);
        const count = buf.readInt32BE(RECORDS_COUNT);
        const injected = this.partitionError(t.name, p.index, producerId, baseSequence);
        if (injected !== ErrorCode.NONE) return r(injected);
        const key = `${t.name}-${p.index}`;
        const log = this.logs.get(key) ?? [];
        this.logs.set(key, log);
        const nextOffset = log.reduce((n, b) => n + b.values.length, 0);
        if (producerId >= 0) {
          const pkey = `${key}/${producerId}`;
          const e = this.producers.get(pkey);
          const lastSeq = (baseSequence + count - 1) % 2 ** 31;
          if (e) {
            if (producerEpoch < e.epoch) return r(ErrorCode.INVALID_PRODUCER_EPOCH);
            if (producerEpoch > e.epoch) {
              if (baseSequence !== 0) return r(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
              e.epoch = producerEpoch;
              e.recent.length = 0;
            } else {
              const dup = e.recent.find((x) => x.firstSeq === baseSequence && x.lastSeq === lastSeq);
              if (dup) return r(ErrorCode.NONE, dup.baseOffset);
              if (baseSequence !== (e.lastSeq + 1) % 2 ** 31) return r(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
            }
          }
          const entry = e ?? { epoch: producerEpoch, lastSeq: -1, recent: [] };
          entry.lastSeq = lastSeq;
          entry.recent.push({ firstSeq: baseSequence, lastSeq, baseOffset: nextOffset });
          if (entry.recent.length > 5) entry.recent.shift();
          this.producers.set(pkey, entry);
        }
        const [decoded] = decodeRecordBatchesSync(buf);
        log.push({ producerId, producerEpoch, baseSequence, baseOffset: nextOffset, values: decoded!.records.map((x) => x.value?.toString() ?? '') });
        return r(ErrorCode.NONE, nextOffset);
      }),
    }));
    return { responses, throttleTimeMs: 0, nodeEndpoints: [] };
  }
}
