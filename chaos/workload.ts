/**
 * The chaos workloads, recording into a History:
 * - producer lanes: one per partition and client, each sending one record at a time with acks=all
 *   and recording the send, then its acknowledgement (offset) or its failure. One record at a time
 *   makes a lane's acknowledged offsets an order check. Clients: ours (src/client) and kafkajs.
 * - observers: a fetch loop per partition at the codec level (Fetch v12 from the leader the last
 *   Metadata named, read-uncommitted), recording every answer's records and high watermark; on an
 *   error it looks the leader up again and goes on from where it was.
 * Both stop when `stop()` is called; neither throws on a cluster fault.
 */
import { Kafka, logLevel, type Producer as KafkaJsProducer } from 'kafkajs';
import { Producer } from '../src/client/index.js';
import { BrokerConnection } from '../src/network/broker-connection.js';
import { FetchApi } from '../src/protocol/messages/index.js';
import type { FetchResponse } from '../src/protocol/messages/fetch.js';
import { decodeRecordBatchesSync } from '../src/protocol/records/index.js';
import { recordsToBuffer } from '../src/protocol/schema/records.js';
import type { ChaosCluster } from './cluster.js';
import { BROKER_PORT } from './cluster.js';
import { idOf, valueOf, type History } from './history.js';

export type ClientKind = 'tributary' | 'kafkajs';

export interface WorkloadOptions {
  topic: string;
  partitions: number;
  clients: readonly ClientKind[];
  valueBytes: number;
  /** A lane waits this long between sends (0: as fast as acknowledgements come). */
  pauseMs: number;
}

interface SendClient {
  send(partition: number, value: Buffer): Promise<number>;
  close(): Promise<void>;
}

export class Workload {
  private stopped = false;
  private readonly loops: Array<Promise<void>> = [];
  private readonly clients: SendClient[] = [];
  /** Acknowledgements so far (the progress line). */
  acked = 0;
  failed = 0;

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly history: History,
    private readonly o: WorkloadOptions,
  ) {}

  async start(): Promise<void> {
    for (const kind of this.o.clients) {
      const client = kind === 'tributary' ? await this.ourClient() : await this.kafkajsClient();
      this.clients.push(client);
      for (let p = 0; p < this.o.partitions; p++) this.loops.push(this.lane(`${kind === 'tributary' ? 't' : 'k'}${p}`, client, p));
    }
    for (let p = 0; p < this.o.partitions; p++) this.loops.push(this.observe('observer', p));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    await Promise.all(this.clients.map((c) => c.close().catch(() => undefined)));
  }

  private async ourClient(): Promise<SendClient> {
    const producer = new Producer({
      bootstrapServers: this.cluster.bootstrap,
      clientId: 'chaos-tributary',
      acks: -1,
      lingerMs: 0,
      requestTimeoutMs: 2000,
      deliveryTimeoutMs: 8000,
      retryBackoffMs: 100,
      metadataMaxAgeMs: 2000,
    });
    await producer.connect();
    const topic = this.o.topic;
    return {
      send: async (partition, value) => (await producer.send({ topic, messages: [{ value, partition }] }))[0]!.offset,
      close: () => producer.close(),
    };
  }

  private async kafkajsClient(): Promise<SendClient> {
    const kafka = new Kafka({
      clientId: 'chaos-kafkajs',
      brokers: this.cluster.bootstrap.split(','),
      logLevel: logLevel.NOTHING,
      requestTimeout: 2000,
      connectionTimeout: 1000,
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    const producer: KafkaJsProducer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false, maxInFlightRequests: 1, metadataMaxAge: 2000 });
    await producer.connect();
    const topic = this.o.topic;
    return {
      send: async (partition, value) => {
        const res = await producer.send({ topic, acks: -1, timeout: 2000, messages: [{ value, partition }] });
        return Number(res[0]!.baseOffset);
      },
      close: () => producer.disconnect(),
    };
  }

  private async lane(lane: string, client: SendClient, partition: number): Promise<void> {
    for (let seq = 0; !this.stopped; seq++) {
      this.history.add({ t: Date.now(), type: 'send', lane, seq, partition });
      try {
        const offset = await client.send(partition, valueOf(`${lane}:${seq}`, this.o.valueBytes));
        this.history.add({ t: Date.now(), type: 'ack', lane, seq, partition, offset });
        this.acked++;
      } catch (err) {
        this.history.add({ t: Date.now(), type: 'fail', lane, seq, partition, error: (err as Error).message.slice(0, 200) });
        this.failed++;
        await sleep(200);
      }
      if (this.o.pauseMs > 0) await sleep(this.o.pauseMs);
    }
  }

  private async observe(observer: string, partition: number): Promise<void> {
    let offset = 0;
    let leader = -1;
    let conn: BrokerConnection | null = null;
    while (!this.stopped) {
      try {
        if (conn === null) {
          leader = (await this.leaderOf(partition)) ?? -1;
          if (leader < 0) {
            await sleep(250);
            continue;
          }
          conn = await BrokerConnection.open(this.cluster.node(leader).address, BROKER_PORT, { clientId: 'chaos-observer', requestTimeoutMs: 3000, connectTimeoutMs: 1000 });
        }
        const res = await conn.send<FetchResponse>(FetchApi, 12, {
          replicaId: -1, maxWaitMs: 250, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          topics: [{ topic: this.o.topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
          forgottenTopicsData: [], rackId: '',
        });
        const p = res.responses[0]?.partitions[0];
        if (!p || p.errorCode !== 0) throw new Error(`fetch error ${p?.errorCode ?? 'missing partition'}`);
        const records: Array<[number, string | null]> = [];
        const bytes = recordsToBuffer(p.records);
        if (bytes !== null && bytes.length > 0) {
          for (const batch of decodeRecordBatchesSync(bytes, { verifyCrc: true })) {
            for (const r of batch.records) {
              const o = r.offset;
              if (o >= offset) records.push([o, idOf(r.value)]);
            }
          }
        }
        this.history.add({ t: Date.now(), type: 'poll', observer, partition, from: offset, records, highWatermark: p.highWatermark, leader });
        if (records.length > 0) offset = records[records.length - 1]![0] + 1;
      } catch {
        conn?.close();
        conn = null;
        await sleep(100);
      }
    }
    conn?.close();
  }

  private async leaderOf(partition: number): Promise<number | null> {
    const leader = (await this.cluster.partitionFromAny(this.o.topic, partition))?.leader ?? -1;
    return leader >= 0 ? leader : null;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
