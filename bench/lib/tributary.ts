/**
 * Tributary producers and consumers for the workloads:
 * - `clientProduce`: our Producer (src/client), used the way an application uses it.
 * - `codecProduce`: prebuilt batches over one BrokerConnection, N requests in flight — the broker's
 *   ceiling, with (almost) no client work; it isolates the broker from the producer's CPU.
 * - `fetchConsume`: a codec-level fetch loop over BrokerConnection (one fetch in flight, as the Java
 *   consumer has per broker). It counts records from the batch headers; `onBatches` may decode.
 */
import { Admin, Producer } from '../../src/client/index.js';
import type { CompressionName } from '../../src/protocol/compression/index.js';
import { compressionFromName } from '../../src/protocol/compression/index.js';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { FetchApi, ProduceApi } from '../../src/protocol/messages/index.js';
import type { FetchResponse } from '../../src/protocol/messages/fetch.js';
import type { ProduceResponse } from '../../src/protocol/messages/produce.js';
import { batchSize, readInt64, LAST_OFFSET_DELTA, RECORD_BATCH_OVERHEAD } from '../../src/protocol/records/batch-header.js';
import { buildRecordBatchSync } from '../../src/protocol/records/index.js';
import { recordsToBuffer } from '../../src/protocol/schema/records.js';
import { timed } from './results.js';

export async function createTopics(
  bootstrap: string,
  topics: ReadonlyArray<{ name: string; partitions: number; replicationFactor?: number; configs?: Record<string, string>; assignments?: Record<number, number[]> }>,
): Promise<void> {
  const admin = new Admin({ bootstrapServers: bootstrap, requestTimeoutMs: 120_000 });
  try {
    await admin.createTopics(
      topics.map((t) => ({
        name: t.name,
        ...(t.assignments ? { assignments: t.assignments } : { numPartitions: t.partitions, replicationFactor: t.replicationFactor ?? 1 }),
        ...(t.configs ? { configs: t.configs } : {}),
      })),
      { timeoutMs: 120_000 },
    );
  } finally {
    await admin.close();
  }
}

export interface ClientProduceOptions {
  compression?: CompressionName;
  batchSize?: number;
  lingerMs?: number;
  /** Records per send() call. Default 1000. */
  chunk?: number;
  /** send() calls outstanding. Default 64. */
  outstanding?: number;
  /** Default 1. */
  acks?: -1 | 1;
}

/** Our Producer, acks=1 unless told: `records` records cycling through `values`; returns seconds (warm-up excluded). */
export async function clientProduce(bootstrap: string, topic: string, records: number, values: readonly Buffer[], o: ClientProduceOptions = {}): Promise<number> {
  const producer = new Producer({
    bootstrapServers: bootstrap,
    acks: o.acks ?? 1,
    clientId: 'bench-tributary',
    compression: o.compression ?? 'none',
    ...(o.batchSize ? { batchSize: o.batchSize } : {}),
    ...(o.lingerMs !== undefined ? { lingerMs: o.lingerMs } : {}),
  });
  await producer.connect();
  await producer.send({ topic, messages: [{ value: values[0]! }] }); // metadata warm-up, not timed
  const chunk = o.chunk ?? 1000;
  const outstanding = o.outstanding ?? 64;
  let v = 0;
  const seconds = await timed(async () => {
    const inFlight = new Set<Promise<unknown>>();
    for (let sent = 0; sent < records; sent += chunk) {
      const n = Math.min(chunk, records - sent);
      const messages = new Array<{ value: Buffer }>(n);
      for (let i = 0; i < n; i++) {
        messages[i] = { value: values[v]! };
        if (++v === values.length) v = 0;
      }
      const p = producer.send({ topic, messages });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (inFlight.size >= outstanding) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  });
  await producer.close();
  return seconds;
}

export interface CodecProduceOptions {
  batchBytes?: number;
  inFlight?: number;
  compression?: CompressionName;
  /** Partitions per Produce request (round-robin). Default 1. */
  partitionsPerRequest?: number;
}

/**
 * Prebuilt batches (one per partition, built once) sent with `inFlight` Produce v9 requests
 * outstanding; records are spread round-robin over the partitions. Returns seconds.
 */
export async function codecProduce(host: string, port: number, topic: string, partitions: number, records: number, values: readonly Buffer[], o: CodecProduceOptions = {}): Promise<number> {
  const conn = await BrokerConnection.open(host, port, { clientId: 'bench-codec' });
  const recordBytes = values[0]!.length;
  const perBatch = Math.max(1, Math.floor((o.batchBytes ?? 16384) / (recordBytes + 8)));
  const compression = compressionFromName(o.compression ?? 'none');
  const batch = buildRecordBatchSync({ compression, records: Array.from({ length: perBatch }, (_, i) => ({ value: values[i % values.length]! })) });
  const perRequest = Math.max(1, Math.min(partitions, o.partitionsPerRequest ?? 1));
  const maxInFlight = o.inFlight ?? 5;
  let nextPartition = 0;
  const seconds = await timed(async () => {
    let sent = 0;
    const inFlight = new Set<Promise<void>>();
    while (sent < records) {
      const partitionData: Array<{ index: number; records: Buffer }> = [];
      for (let i = 0; i < perRequest && sent < records; i++) {
        partitionData.push({ index: nextPartition, records: batch });
        nextPartition = (nextPartition + 1) % partitions;
        sent += perBatch;
      }
      const p = conn.send<ProduceResponse>(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 30000, topicData: [{ name: topic, partitionData }] }).then((res) => {
        for (const pr of res.responses[0]!.partitionResponses) if (pr.errorCode !== 0) throw new Error(`produce failed with error ${pr.errorCode}`);
      });
      inFlight.add(p);
      void p.then(() => inFlight.delete(p), () => inFlight.delete(p));
      if (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  });
  conn.close();
  return seconds;
}

export interface FetchConsumeOptions {
  maxBytes?: number;
  partitionMaxBytes?: number;
  maxWaitMs?: number;
  minBytes?: number;
  /** Called with each partition's record set (complete batches only). */
  onRecords?: (records: Buffer, partition: number) => void;
  /** Stop when this returns true (checked after every response); default: `records` consumed. */
  until?: () => boolean;
}

export interface ConsumeResult {
  seconds: number;
  records: number;
  bytes: number;
  fetches: number;
}

/** Reads `records` records from offset 0 of every partition with Fetch v12. */
export async function fetchConsume(host: string, port: number, topic: string, partitions: number, records: number, o: FetchConsumeOptions = {}): Promise<ConsumeResult> {
  const conn = await BrokerConnection.open(host, port, { clientId: 'bench-consumer', requestTimeoutMs: 120_000 });
  const offsets = new Array<number>(partitions).fill(0);
  let count = 0;
  let bytes = 0;
  let fetches = 0;
  const seconds = await timed(async () => {
    while (o.until ? !o.until() : count < records) {
      const res = await conn.send<FetchResponse>(FetchApi, 12, {
        replicaId: -1,
        maxWaitMs: o.maxWaitMs ?? 500,
        minBytes: o.minBytes ?? 1,
        maxBytes: o.maxBytes ?? 52_428_800,
        isolationLevel: 0,
        sessionId: 0,
        sessionEpoch: -1,
        topics: [{ topic, partitions: offsets.map((fetchOffset, partition) => ({ partition, fetchOffset, partitionMaxBytes: o.partitionMaxBytes ?? 1_048_576 })) }],
        forgottenTopicsData: [],
        rackId: '',
      });
      fetches++;
      for (const p of res.responses[0]?.partitions ?? []) {
        if (p.errorCode !== 0) throw new Error(`fetch of partition ${p.partitionIndex} failed with error ${p.errorCode}`);
        const set = recordsToBuffer(p.records);
        if (!set || set.length === 0) continue;
        let pos = 0;
        while (set.length - pos >= RECORD_BATCH_OVERHEAD) {
          const size = batchSize(set, pos);
          if (pos + size > set.length) break; // a partial batch at the end of a fetch
          const last = readInt64(set, pos) + set.readInt32BE(pos + LAST_OFFSET_DELTA);
          count += set.readInt32BE(pos + 57);
          offsets[p.partitionIndex] = last + 1;
          pos += size;
        }
        bytes += pos;
        if (o.onRecords && pos > 0) o.onRecords(set.subarray(0, pos), p.partitionIndex);
      }
    }
  });
  conn.close();
  return { seconds, records: count, bytes, fetches };
}
