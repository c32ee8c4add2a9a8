/**
 * The chaos workloads, recording into a History:
 * - producer lanes: one per partition and client, each sending one record at a time with acks=all
 *   and recording the send, then its acknowledgement (offset) or its failure. One record at a time
 *   makes a lane's acknowledged offsets an order check. Clients: ours (src/client), kafkajs, and
 *   librdkafka (confluent-kafka-python in the venv .ci/run makes: chaos/librdkafka_lanes.py). Each
 *   lane's first event says whether it is idempotent (`idempotent`): the checker fails a duplicate
 *   from an idempotent lane and counts the others' apart, as retries.
 * - observers: a fetch loop per partition at the codec level (Fetch v12 from the leader the last
 *   Metadata named, read-uncommitted), recording every answer's records and high watermark; on an
 *   error it looks the leader up again and goes on from where it was.
 * Both stop when `stop()` is called; neither throws on a cluster fault.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Producer as KafkaJsProducer } from 'kafkajs';
import { Producer } from '../src/client/index.js';
import { BrokerConnection } from '../src/network/broker-connection.js';
import { FetchApi } from '../src/protocol/messages/index.js';
import type { FetchResponse } from '../src/protocol/messages/fetch.js';
import { decodeRecordBatchesSync } from '../src/protocol/records/index.js';
import { recordsToBuffer } from '../src/protocol/schema/records.js';
import { repoRoot } from '../test/helpers/paths.js';
import { startProcess, type RunningProcess } from '../test/helpers/proc.js';
import type { ChaosCluster } from './cluster.js';
import { BROKER_PORT } from './cluster.js';
import { idOf, valueOf, type History } from './history.js';

export type ClientKind = 'tributary' | 'kafkajs' | 'librdkafka';

export const CLIENT_KINDS: readonly ClientKind[] = ['tributary', 'kafkajs', 'librdkafka'];

/** The first letter of a lane's name: t0 is our client's lane on partition 0. */
const LANE_PREFIX: Readonly<Record<ClientKind, string>> = { tributary: 't', kafkajs: 'k', librdkafka: 'r' };

/**
 * The clients whose lanes produce with idempotence unless a run says otherwise (`--idempotent`): all,
 * now that the broker has it (InitProducerId, sequence checks, duplicates of the last 5 batches
 * answered with their offsets). Each client is told explicitly, so a lane's 'lane' event never claims
 * more or less than it does. kafkajs needs maxInFlightRequests 1 for it (its docs), as the lanes use.
 */
export const DEFAULT_IDEMPOTENT: readonly ClientKind[] = ['tributary', 'kafkajs', 'librdkafka'];

/** The venv .ci/run makes with confluent-kafka 2.x (test/interop/python/requirements.txt). */
export const VENV_PYTHON = path.join(process.env['TRIBUTARY_CACHE_DIR'] ?? path.join(os.homedir(), '.cache', 'tributary'), 'venv', 'bin', 'python');

export interface WorkloadOptions {
  topic: string;
  partitions: number;
  clients: readonly ClientKind[];
  valueBytes: number;
  /** A lane waits this long between sends (0: as fast as acknowledgements come). */
  pauseMs: number;
  /** The clients whose lanes produce with idempotence. */
  idempotent: readonly ClientKind[];
}

interface SendClient {
  send(partition: number, value: Buffer): Promise<number>;
  close(): Promise<void>;
}

export class Workload {
  private stopped = false;
  private readonly loops: Array<Promise<void>> = [];
  private readonly clients: SendClient[] = [];
  private readonly processes: RunningProcess[] = [];
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
      for (let p = 0; p < this.o.partitions; p++) this.history.add({ t: Date.now(), type: 'lane', lane: `${LANE_PREFIX[kind]}${p}`, client: kind, idempotent: this.o.idempotent.includes(kind) });
      if (kind === 'librdkafka') {
        this.librdkafkaLanes();
        continue;
      }
      const client = kind === 'tributary' ? await this.ourClient() : await this.kafkajsClient();
      this.clients.push(client);
      for (let p = 0; p < this.o.partitions; p++) this.loops.push(this.lane(`${LANE_PREFIX[kind]}${p}`, client, p));
    }
    for (let p = 0; p < this.o.partitions; p++) this.loops.push(this.observe('observer', p));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const proc of this.processes) proc.kill('SIGTERM');
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
      // Explicit, not the client's default: 'explicit' never falls back to plain producing quietly.
      idempotent: this.o.idempotent.includes('tributary'),
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
    const idempotent = this.o.idempotent.includes('kafkajs');
    const make = async (): Promise<KafkaJsProducer> => {
      const producer = kafka.producer({
        allowAutoTopicCreation: false,
        idempotent,
        maxInFlightRequests: 1,
        metadataMaxAge: 2000,
        // An idempotent kafkajs producer must not give up on a record and go on: its sequence number
        // only moves on success, so the next record would reuse the one the broker may already hold and
        // be answered as its duplicate (kafkajs warns that limited retries "may invalidate EoS").
        ...(idempotent ? { retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 1000 } } : {}),
      });
      await producer.connect();
      return producer;
    };
    // null: the last one failed a send and is being replaced; no send may use it again (see below).
    let producer: KafkaJsProducer | null = await make();
    let replacing: Promise<KafkaJsProducer> | null = null;
    const current = async (): Promise<KafkaJsProducer> => {
      if (producer !== null) return producer;
      replacing ??= (async () => {
        for (;;) {
          try {
            const fresh = await make();
            this.history.add({ t: Date.now(), type: 'note', detail: 'kafkajs idempotent producer replaced after a failed send' });
            return fresh;
          } catch {
            if (this.stopped) throw new Error('workload stopped');
            await new Promise((r) => setTimeout(r, 200)); // brokers unreachable now: try again
          }
        }
      })().finally(() => {
        replacing = null;
      });
      producer = await replacing;
      return producer;
    };
    const topic = this.o.topic;
    return {
      send: async (partition, value) => {
        const used = await current();
        try {
          const res = await used.send({ topic, acks: -1, timeout: 2000, messages: [{ value, partition }] });
          return Number(res[0]!.baseOffset);
        } catch (err) {
          // kafkajs 2.2.4's idempotent producer moves a partition's sequence only on success: after a
          // failed send the next record would reuse the sequence of one the broker may hold, and be
          // answered as its duplicate — acknowledged at another record's offset (a lost write, seen in a
          // 30-minute run). It can also wedge for good after a hung request ("Timeout while acquiring
          // lock"). So a failed send retires the producer: the next send takes a new one (a new producer
          // id, sequences from 0), as the librdkafka lanes replace a producer after a fatal error; the
          // lane does not send the failed record again.
          if (idempotent && producer === used) {
            producer = null;
            void used.disconnect().catch(() => undefined);
          }
          throw err;
        }
      },
      close: async () => {
        await producer?.disconnect();
      },
    };
  }

  /**
   * The librdkafka lanes: one Python process for all partitions (one record outstanding per
   * partition), its JSON lines turned into history events as they arrive. It outlives broker faults
   * on its own (librdkafka retries and reconnects); if it exits early the lanes stop with it, which
   * the recovery check reports (its lanes are not acknowledged after healing).
   */
  private librdkafkaLanes(): void {
    if (!fs.existsSync(VENV_PYTHON)) {
      throw new Error(`--clients librdkafka needs confluent-kafka 2.x in ${VENV_PYTHON}; .ci/run makes it (python3 -m venv, then pip install -r test/interop/python/requirements.txt)`);
    }
    const script = path.join(repoRoot, 'chaos', 'librdkafka_lanes.py');
    const prefix = LANE_PREFIX.librdkafka;
    const proc = startProcess(
      VENV_PYTHON,
      [script, '--bootstrap', this.cluster.bootstrap, '--topic', this.o.topic, '--partitions', String(this.o.partitions), '--prefix', prefix,
        '--value-bytes', String(this.o.valueBytes), '--idempotent', this.o.idempotent.includes('librdkafka') ? '1' : '0'],
      {
        // The process ends on stop() (SIGTERM); this bounds a run that forgot to.
        timeoutMs: 24 * 3600_000,
        env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
        maxStderrChars: 64 * 1024,
        onStdoutLine: (line) => this.onLibrdkafkaLine(prefix, line),
      },
    );
    this.processes.push(proc);
    this.loops.push(
      proc.done.then(
        (r) => {
          if (!this.stopped) this.history.add({ t: Date.now(), type: 'note', detail: `librdkafka lanes exited early (code ${r.code}): ${r.stderr.slice(-2000)}` });
        },
        (err: Error) => this.history.add({ t: Date.now(), type: 'note', detail: `librdkafka lanes did not start: ${err.message}` }),
      ),
    );
  }

  private onLibrdkafkaLine(prefix: string, line: string): void {
    let m: { s?: number; a?: number; f?: number; p?: number; o?: number; k?: string; e?: string; fatal?: boolean; reason?: string };
    try {
      m = JSON.parse(line) as typeof m;
    } catch {
      return;
    }
    const t = Date.now();
    const lane = `${prefix}${m.p ?? -1}`;
    if (m.s !== undefined) this.history.add({ t, type: 'send', lane, seq: m.s, partition: m.p! });
    else if (m.a !== undefined) {
      this.history.add({ t, type: 'ack', lane, seq: m.a, partition: m.p!, offset: m.o! });
      this.acked++;
    } else if (m.f !== undefined) {
      this.history.add({ t, type: 'fail', lane, seq: m.f, partition: m.p!, error: m.k ?? 'unknown' });
      this.failed++;
    } else if (m.e !== undefined && m.fatal === true) {
      // Kept in the history: a fatal idempotence error is worth a look next to the faults.
      this.history.add({ t, type: 'note', detail: `librdkafka fatal error ${m.e} (${(m.reason ?? '').slice(0, 400)}): producer replaced` });
    }
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
    let leaderEpoch = -1;
    let conn: BrokerConnection | null = null;
    while (!this.stopped) {
      try {
        if (conn === null) {
          const view = await this.cluster.partitionFromAny(this.o.topic, partition);
          leader = view?.leader ?? -1;
          leaderEpoch = view?.leaderEpoch ?? -1;
          if (leader < 0) {
            await sleep(250);
            continue;
          }
          conn = await BrokerConnection.open(this.cluster.node(leader).address, BROKER_PORT, { clientId: 'chaos-observer', requestTimeoutMs: 3000, connectTimeoutMs: 1000 });
        }
        const res = await conn.send<FetchResponse>(FetchApi, 12, {
          replicaId: -1, maxWaitMs: 250, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
          // Fenced (FENCED_LEADER_EPOCH) once the leader moves to another epoch, even on the same node after a
          // restart: each poll's high watermark is then one leader epoch's.
          topics: [{ topic: this.o.topic, partitions: [{ partition, currentLeaderEpoch: leaderEpoch, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
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
        this.history.add({ t: Date.now(), type: 'poll', observer, partition, from: offset, records, highWatermark: p.highWatermark, leader, leaderEpoch });
        if (records.length > 0) offset = records[records.length - 1]![0] + 1;
      } catch {
        conn?.close();
        conn = null;
        await sleep(100);
      }
    }
    conn?.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
