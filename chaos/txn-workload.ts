/**
 * The chaos suite's transactional workloads (`--txn tributary,kafkajs,ctp`), recording into the same
 * History as the plain lanes (workload.ts), checked by txn-checker.ts:
 * - transaction lanes (`xt` ours, `xk` kafkajs, `xr` librdkafka through chaos/librdkafka_txn_lane.py):
 *   one transactional producer each, one transaction at
 *   a time of three records on three partitions of `chaos-txn`; every fifth transaction is aborted on
 *   purpose, the rest committed. Each transaction's outcome is recorded as the client reported it:
 *   committed (commit resolved), aborted (abort resolved) or unknown (anything else: the producer is
 *   then replaced, and the next one's InitProducerId completes or aborts what was left).
 * - consume-transform-produce (`ctp`): an idempotent producer (ours) writes inputs to `chaos-ctp-in`;
 *   a transformer — our read_committed group consumer plus a transactional producer — writes one
 *   output `out:<input id>@<transaction>` per input to `chaos-ctp-out` (same partition) and commits the consumer's
 *   offsets in the same transaction (sendOffsets). A failed transaction is aborted (or the producer
 *   replaced) and the consumer rewinds to the group's committed offsets.
 * - read_committed observers: our Consumer with assign() on `chaos-txn` and `chaos-ctp-out`, recording
 *   every record the broker let it see (`cpoll`).
 * After healing, `finalRead` reads the three topics raw (read_uncommitted, control batches included)
 * and gives every record its fate from the markers that follow it: committed, aborted or still open.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel, type Producer as KafkaJsProducer } from 'kafkajs';
import { Admin, Consumer, Producer, ProducerFatalError, type ConsumerRecord, type TopicPartition } from '../src/client/index.js';
import { sleep } from '../src/client/backoff.js';
import { bounded as boundedBy } from '../src/cli/session.js';
import { BrokerConnection } from '../src/network/broker-connection.js';
import { ControlRecordType, decodeControlKey, decodeRecordBatchesSync } from '../src/protocol/records/index.js';
import { repoRoot } from '../test/helpers/paths.js';
import { startProcess } from '../test/helpers/proc.js';
import { fetchStored } from '../test/helpers/raw-fetch.js';
import type { ChaosCluster } from './cluster.js';
import { BROKER_PORT } from './cluster.js';
import { idOf, valueOf, type History, type RecordFate, type RecordId } from './history.js';
import { VENV_PYTHON } from './workload.js';

export type TxnWorkloadKind = 'tributary' | 'kafkajs' | 'librdkafka' | 'ctp';
export const TXN_WORKLOADS: readonly TxnWorkloadKind[] = ['tributary', 'kafkajs', 'librdkafka', 'ctp'];

export const TXN_TOPIC = 'chaos-txn';
export const CTP_INPUT = 'chaos-ctp-in';
export const CTP_OUTPUT = 'chaos-ctp-out';
export const CTP_GROUP = 'chaos-ctp';
/** Short enough that a transaction a dead producer left open is aborted by its coordinator within the recovery bound. */
export const TXN_TIMEOUT_MS = 10_000;
/** A lane gives up on a call this late and replaces its producer (a client that hangs must not stop the lane for good). */
const CALL_BOUND_MS = 30_000;
const RECORDS_PER_TXN = 3;
const ABORT_EVERY = 5;

const LANE_OF: Readonly<Record<'tributary' | 'kafkajs' | 'librdkafka', string>> = { tributary: 'xt', kafkajs: 'xk', librdkafka: 'xr' };

/** The shared race against a timer (cli/session.ts), with the message the lanes look for. */
function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  return boundedBy(p, CALL_BOUND_MS, () => new Error(`${what} did not settle within ${CALL_BOUND_MS} ms`));
}

function message(err: unknown): string {
  return (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 300);
}

/** One transaction of a lane, driven through whichever client: `send` then `commit` or `abort`. */
interface TxnHandle {
  /** Resolves with where the records were written, as the client reports it (`partition@offset`; kafkajs: each partition's base offset). */
  send(records: ReadonlyArray<[RecordId, number]>): Promise<string[]>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
interface TxnClient {
  begin(): Promise<TxnHandle>;
  close(): Promise<void>;
}

export class TxnWorkload {
  private stopped = false;
  private readonly loops: Array<Promise<void>> = [];
  private readonly closers: Array<() => Promise<void>> = [];
  /** Run first on stop (a lane process told to end, so its loop can finish). */
  private readonly stopHooks: Array<() => void> = [];
  committed = 0;

  constructor(
    private readonly cluster: ChaosCluster,
    private readonly history: History,
    private readonly o: { partitions: number; kinds: readonly TxnWorkloadKind[] },
  ) {}

  /** The topics this workload writes (created by the run before `start`). */
  topics(): string[] {
    return [...(this.o.kinds.some((k) => k !== 'ctp') ? [TXN_TOPIC] : []), ...(this.o.kinds.includes('ctp') ? [CTP_INPUT, CTP_OUTPUT] : [])];
  }

  start(): void {
    for (const kind of this.o.kinds) {
      if (kind === 'ctp') {
        this.history.add({ t: Date.now(), type: 'lane', lane: 'ci', client: 'tributary', idempotent: true });
        this.history.add({ t: Date.now(), type: 'lane', lane: 'ctp', client: 'tributary-txn', idempotent: true });
        this.loops.push(this.inputLane(), this.transformer(), this.observe('ctp-observer', CTP_OUTPUT));
        continue;
      }
      const lane = LANE_OF[kind];
      this.history.add({ t: Date.now(), type: 'lane', lane, client: `${kind}-txn`, idempotent: true });
      this.loops.push(kind === 'librdkafka' ? this.librdkafkaTxnLane(lane) : this.txnLane(lane, kind));
    }
    if (this.o.kinds.some((k) => k !== 'ctp')) this.loops.push(this.observe('txn-observer', TXN_TOPIC));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const hook of this.stopHooks) hook();
    await Promise.all(this.loops);
    await Promise.all(this.closers.map((c) => c().catch(() => undefined)));
  }

  /**
   * The librdkafka lane: chaos/librdkafka_txn_lane.py (confluent-kafka-python in the venv), the same
   * transactions as the other lanes, one JSON line per transaction turned into a 'txn' event.
   */
  private librdkafkaTxnLane(lane: string): Promise<void> {
    if (!fs.existsSync(VENV_PYTHON)) {
      throw new Error(`--txn librdkafka needs confluent-kafka 2.x in ${VENV_PYTHON}; .ci/run makes it (python3 -m venv, then pip install -r test/interop/python/requirements.txt)`);
    }
    const proc = startProcess(
      VENV_PYTHON,
      [path.join(repoRoot, 'chaos', 'librdkafka_txn_lane.py'), '--bootstrap', this.cluster.bootstrap, '--topic', TXN_TOPIC, '--partitions', String(this.o.partitions),
        '--lane', lane, '--transactional-id', `chaos-${lane}`, '--transaction-timeout-ms', String(TXN_TIMEOUT_MS)],
      {
        timeoutMs: 24 * 3600_000,
        env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
        maxStderrChars: 64 * 1024,
        onStdoutLine: (line) => {
          let m: { txn?: number; intent?: 'commit' | 'abort'; outcome?: 'committed' | 'aborted' | 'unknown'; written?: string[]; error?: string; note?: string };
          try {
            m = JSON.parse(line) as typeof m;
          } catch {
            return;
          }
          if (m.note !== undefined) this.history.add({ t: Date.now(), type: 'note', detail: m.note });
          if (m.txn === undefined || m.outcome === undefined || m.intent === undefined) return;
          const n = m.txn;
          const records = Array.from({ length: RECORDS_PER_TXN }, (_, i): [RecordId, number] => [`${lane}:${n}.${i}`, (n + i) % this.o.partitions]);
          this.history.add({ t: Date.now(), type: 'txn', lane, topic: TXN_TOPIC, txn: n, records, intent: m.intent, outcome: m.outcome, ...(m.written ? { written: m.written } : {}), ...(m.error !== undefined ? { error: m.error } : {}) });
          if (m.outcome === 'committed') this.committed++;
        },
      },
    );
    this.stopHooks.push(() => proc.kill('SIGTERM'));
    return proc.done.then(
      (r) => {
        if (!this.stopped) this.history.add({ t: Date.now(), type: 'note', detail: `${lane}: the librdkafka transaction lane exited early (code ${r.code}): ${r.stderr.slice(-2000)}` });
      },
      (err: Error) => this.history.add({ t: Date.now(), type: 'note', detail: `${lane}: the librdkafka transaction lane did not start: ${err.message}` }),
    );
  }

  private ourProducer(transactionalId: string): Producer {
    return new Producer({
      bootstrapServers: this.cluster.bootstrap,
      clientId: `chaos-${transactionalId}`,
      transactionalId,
      transactionTimeoutMs: TXN_TIMEOUT_MS,
      lingerMs: 0,
      requestTimeoutMs: 2000,
      deliveryTimeoutMs: 8000,
      maxBlockMs: 10_000,
      retryBackoffMs: 100,
      metadataMaxAgeMs: 2000,
    });
  }

  private ourTxnClient(transactionalId: string): TxnClient {
    const producer = this.ourProducer(transactionalId);
    return {
      begin: async () => {
        const txn = await producer.transaction();
        return {
          send: async (records) => {
            const meta = await txn.send({ topic: TXN_TOPIC, messages: records.map(([id, partition]) => ({ value: valueOf(id, 100), partition })) });
            return meta.map((m) => `${m.partition}@${m.offset}`);
          },
          commit: () => txn.commit(),
          abort: () => txn.abort(),
        };
      },
      close: () => producer.close({ timeoutMs: 2000 }),
    };
  }

  private kafkajsTxnClient(transactionalId: string): TxnClient {
    const kafka = new Kafka({
      clientId: `chaos-${transactionalId}`,
      brokers: this.cluster.bootstrap.split(','),
      logLevel: logLevel.NOTHING,
      requestTimeout: 2000,
      connectionTimeout: 1000,
      retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    const producer: KafkaJsProducer = kafka.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: TXN_TIMEOUT_MS, metadataMaxAge: 2000, allowAutoTopicCreation: false });
    let connected: Promise<void> | null = null;
    return {
      begin: async () => {
        connected ??= producer.connect();
        await connected;
        const txn = await producer.transaction();
        return {
          send: async (records) => {
            // One partition per send, and the answer checked: kafkajs 2.2.4 keeps one map of broker answers
            // across a send's retries, so a partition whose leader moved to a broker that had already
            // answered in that send is never sent again, and the send resolves without it (seen here: a
            // committed transaction missing a partition's record; tulios/kafkajs#1798). An application
            // using kafkajs transactions must do the same, or a commit can lose records silently.
            const written: string[] = [];
            for (const [id, partition] of records) {
              const meta = await txn.send({ topic: TXN_TOPIC, acks: -1, messages: [{ value: valueOf(id, 100), partition }] });
              const mine = meta.find((m) => m.partition === partition);
              if (mine === undefined) throw new Error(`kafkajs resolved the send of ${id} without partition ${partition} (answers: ${JSON.stringify(meta)})`);
              written.push(`${partition}@${mine.baseOffset}`);
            }
            return written;
          },
          commit: () => txn.commit(),
          abort: () => txn.abort(),
        };
      },
      close: () => producer.disconnect(),
    };
  }

  /**
   * One transaction at a time; the lane's transactional id stays the same across producers, so a
   * replacement fences its predecessor and settles whatever that one left open.
   */
  private async txnLane(lane: string, kind: 'tributary' | 'kafkajs'): Promise<void> {
    const transactionalId = `chaos-${lane}`;
    const make = (): TxnClient => (kind === 'tributary' ? this.ourTxnClient(transactionalId) : this.kafkajsTxnClient(transactionalId));
    let client = make();
    this.closers.push(() => client.close());
    for (let txn = 0; !this.stopped; txn++) {
      const intent = txn % ABORT_EVERY === ABORT_EVERY - 1 ? 'abort' : 'commit';
      const records = Array.from({ length: RECORDS_PER_TXN }, (_, i): [RecordId, number] => [`${lane}:${txn}.${i}`, (txn + i) % this.o.partitions]);
      let outcome: 'committed' | 'aborted' | 'unknown' = 'unknown';
      let error: string | undefined;
      let handle: TxnHandle | null = null;
      let written: string[] | undefined;
      try {
        handle = await bounded(client.begin(), 'begin');
        written = await bounded(handle.send(records), 'send');
        if (intent === 'abort') {
          await bounded(handle.abort(), 'abort');
          outcome = 'aborted';
        } else {
          await bounded(handle.commit(), 'commit');
          outcome = 'committed';
          this.committed++;
        }
      } catch (err) {
        error = message(err);
        // An abortable failure: abort and go on with the same producer. A fatal one, a failed abort or a
        // call that hung: the outcome is unknown, and a new producer takes over the transactional id.
        if (handle !== null && !(err instanceof ProducerFatalError) && !/did not settle/.test(error)) {
          try {
            await bounded(handle.abort(), 'abort');
            outcome = 'aborted';
          } catch (abortErr) {
            error += ` | abort: ${message(abortErr)}`;
          }
        }
      }
      this.history.add({ t: Date.now(), type: 'txn', lane, topic: TXN_TOPIC, txn, records, intent, outcome, ...(written ? { written } : {}), ...(error !== undefined ? { error } : {}) });
      if (outcome === 'unknown') {
        const old = client;
        void old.close().catch(() => undefined);
        client = make();
        this.history.add({ t: Date.now(), type: 'note', detail: `${lane}: transactional producer replaced after ${error ?? 'an unknown outcome'}` });
      }
      if (outcome !== 'committed') await sleep(200);
    }
  }

  /** Inputs for the transformer: `ci:<seq>` round the partitions, idempotent acks=all, one at a time. */
  private async inputLane(): Promise<void> {
    const producer = new Producer({ bootstrapServers: this.cluster.bootstrap, clientId: 'chaos-ctp-input', acks: -1, lingerMs: 0, requestTimeoutMs: 2000, deliveryTimeoutMs: 8000, metadataMaxAgeMs: 2000, idempotent: true });
    this.closers.push(() => producer.close({ timeoutMs: 2000 }));
    for (let seq = 0; !this.stopped; seq++) {
      const id = `ci:${seq}`;
      const partition = seq % this.o.partitions;
      try {
        const [meta] = await bounded(producer.send({ topic: CTP_INPUT, messages: [{ value: valueOf(id, 100), partition }] }), 'input send');
        this.history.add({ t: Date.now(), type: 'input', id, partition, offset: meta!.offset });
      } catch {
        await sleep(200);
      }
      await sleep(20);
    }
  }

  /**
   * The consume-transform-produce loop. The consumer is made anew after a failed transaction (its
   * positions then come from the group's commits); each transaction carries one partition's batch.
   */
  private async transformer(): Promise<void> {
    let producer = this.ourProducer('chaos-ctp');
    this.closers.push(() => producer.close({ timeoutMs: 2000 }));
    for (let txn = 0; !this.stopped; ) {
      const consumer = new Consumer({
        bootstrapServers: this.cluster.bootstrap,
        clientId: 'chaos-ctp-consumer',
        groupId: CTP_GROUP,
        isolationLevel: 'read_committed',
        enableAutoCommit: false,
        autoOffsetReset: 'earliest',
        fetchMaxWaitMs: 100,
        sessionTimeoutMs: 6000,
        heartbeatIntervalMs: 500,
        requestTimeoutMs: 3000,
        metadataMaxAgeMs: 2000,
      });
      consumer.subscribe([CTP_INPUT]);
      const stopWatch = setInterval(() => {
        if (this.stopped) void consumer.close().catch(() => undefined);
      }, 200);
      try {
        for await (const batch of consumer.batches()) {
          if (this.stopped) break;
          const records = batch.records.slice(0, 20);
          const n = txn++;
          // `out:<input id>@<transaction>`: an input read again after an abort gets an output of its own name.
          const outputs = records.map((r: ConsumerRecord<Buffer | null, Buffer | null>): [RecordId, number] => [`out:${idOf(r.value) ?? `?${r.offset}`}@${n}`, batch.partition]);
          let outcome: 'committed' | 'aborted' | 'unknown' = 'unknown';
          let error: string | undefined;
          try {
            const t = await bounded(producer.transaction(), 'begin');
            try {
              await bounded(t.send({ topic: CTP_OUTPUT, messages: outputs.map(([id, partition]) => ({ value: valueOf(id, 100), partition })) }), 'send');
              await bounded(t.sendOffsets({ consumer, offsets: [{ topic: batch.topic, partition: batch.partition, offset: records[records.length - 1]!.offset + 1 }] }), 'sendOffsets');
              await bounded(t.commit(), 'commit');
              outcome = 'committed';
              this.committed++;
            } catch (err) {
              error = message(err);
              if (!(err instanceof ProducerFatalError) && !/did not settle/.test(error)) {
                await bounded(t.abort(), 'abort').then(
                  () => void (outcome = 'aborted'),
                  (abortErr: unknown) => void (error += ` | abort: ${message(abortErr)}`),
                );
              }
            }
          } catch (err) {
            error = message(err);
          }
          this.history.add({ t: Date.now(), type: 'txn', lane: 'ctp', topic: CTP_OUTPUT, txn: n, records: outputs, intent: 'commit', outcome, ...(error !== undefined ? { error } : {}) });
          if (outcome === 'unknown') {
            void producer.close({ timeoutMs: 1000 }).catch(() => undefined);
            producer = this.ourProducer('chaos-ctp');
            this.history.add({ t: Date.now(), type: 'note', detail: `ctp: transactional producer replaced after ${error ?? 'an unknown outcome'}` });
          }
          // Anything but a commit: what the transaction read is read again, from the group's commits.
          if (outcome !== 'committed') break;
          if (records.length < batch.records.length) {
            consumer.seek({ topic: batch.topic, partition: batch.partition }, records[records.length - 1]!.offset + 1);
          }
        }
      } catch {
        // A consumer failure (its coordinator gone for too long, …): a new consumer starts from the commits.
      } finally {
        clearInterval(stopWatch);
        await consumer.close().catch(() => undefined);
      }
      if (!this.stopped) await sleep(200);
    }
  }

  /** A read_committed reader of every partition of `topic`: what the broker lets committed readers see. */
  private async observe(observer: string, topic: string): Promise<void> {
    const next = new Map<number, number>();
    while (!this.stopped) {
      const consumer = new Consumer({ bootstrapServers: this.cluster.bootstrap, clientId: `chaos-${observer}`, isolationLevel: 'read_committed', autoOffsetReset: 'earliest', fetchMaxWaitMs: 250, requestTimeoutMs: 3000, metadataMaxAgeMs: 2000 });
      const tps: TopicPartition[] = Array.from({ length: this.o.partitions }, (_, partition) => ({ topic, partition }));
      consumer.assign(tps);
      for (const tp of tps) if (next.has(tp.partition)) consumer.seek(tp, next.get(tp.partition)!);
      const stopWatch = setInterval(() => {
        if (this.stopped) void consumer.close().catch(() => undefined);
      }, 200);
      try {
        for await (const batch of consumer.batches()) {
          const records = batch.records.map((r): [number, RecordId | null] => [r.offset, idOf(r.value)]);
          if (records.length > 0) {
            this.history.add({ t: Date.now(), type: 'cpoll', observer, topic, partition: batch.partition, records });
            next.set(batch.partition, records[records.length - 1]![0] + 1);
          }
          if (this.stopped) break;
        }
      } catch {
        // Read again from where it was, with a new consumer.
      } finally {
        clearInterval(stopWatch);
        await consumer.close().catch(() => undefined);
      }
      if (!this.stopped) await sleep(200);
    }
  }
}

/**
 * Waits (bounded) until no transaction is open on any partition of `topics` (the last stable offset
 * has reached the high watermark everywhere: every open transaction has been committed or aborted),
 * then reads each partition raw from its leader and records every record's fate (`tfinal`) and the
 * transformer group's committed offsets. Returns what was still open when the bound passed.
 */
export async function finalTxnRead(cluster: ChaosCluster, history: History, topics: readonly string[], partitions: number, boundMs: number): Promise<string[]> {
  const deadline = Date.now() + boundMs;
  const open: string[] = [];
  for (const topic of topics) {
    for (let partition = 0; partition < partitions; partition++) {
      for (;;) {
        const got = await readFates(cluster, topic, partition).catch((err: Error) => err);
        if (!(got instanceof Error) && (got.openFrom < 0 || Date.now() >= deadline)) {
          if (got.openFrom >= 0) open.push(`${topic}-${partition}: a transaction open from offset ${got.openFrom}`);
          history.add({ t: Date.now(), type: 'tfinal', topic, partition, highWatermark: got.highWatermark, records: got.records });
          break;
        }
        if (got instanceof Error && Date.now() >= deadline) throw new Error(`final read of ${topic}-${partition}: ${got.message}`);
        await sleep(500);
      }
    }
  }
  if (topics.includes(CTP_INPUT)) {
    const admin = new Admin({ bootstrapServers: cluster.bootstrap, requestTimeoutMs: 10_000 });
    try {
      const committed = await admin.fetchOffsets(CTP_GROUP, [CTP_INPUT]);
      history.add({ t: Date.now(), type: 'group-offsets', group: CTP_GROUP, topic: CTP_INPUT, offsets: committed.map((c): [number, number] => [c.partition, c.offset]) });
    } finally {
      await admin.close();
    }
  }
  return open;
}

/** Every record below the high watermark with its fate, and the first offset of a transaction still open (-1: none). */
async function readFates(cluster: ChaosCluster, topic: string, partition: number): Promise<{ highWatermark: number; openFrom: number; records: Array<[number, RecordId | null, RecordFate]> }> {
  const view = await cluster.partitionFromAny(topic, partition);
  if (!view || view.leader < 0) throw new Error('no leader');
  const conn = await BrokerConnection.open(cluster.node(view.leader).address, BROKER_PORT, { requestTimeoutMs: 10_000 });
  try {
    const records: Array<[number, RecordId | null, RecordFate]> = [];
    /** Per producer id: the indexes in `records` of its open transaction's records. */
    const openOf = new Map<number, number[]>();
    let offset = 0;
    let highWatermark = 0;
    for (;;) {
      const got = await fetchStored(conn, topic, partition, offset);
      if (got.errorCode !== 0) throw new Error(`error ${got.errorCode}`);
      highWatermark = got.highWatermark;
      if (offset === 0) offset = got.logStartOffset;
      if (got.bytes.length === 0 || offset >= highWatermark) break;
      for (const batch of decodeRecordBatchesSync(got.bytes, { verifyCrc: true })) {
        if (batch.lastOffset < offset) continue;
        if (batch.baseOffset >= highWatermark) break;
        if (batch.isControl) {
          const type = decodeControlKey(batch.records[0]?.key ?? null).type;
          const fate: RecordFate = type === ControlRecordType.Commit ? 'c' : 'a';
          for (const i of openOf.get(batch.producerId) ?? []) records[i]![2] = fate;
          openOf.delete(batch.producerId);
        } else {
          for (const r of batch.records) {
            if (r.offset < offset || r.offset >= highWatermark) continue;
            if (batch.isTransactional) {
              const list = openOf.get(batch.producerId) ?? [];
              list.push(records.length);
              openOf.set(batch.producerId, list);
              records.push([r.offset, idOf(r.value), 'o']);
            } else records.push([r.offset, idOf(r.value), 'c']);
          }
        }
        offset = Math.max(offset, batch.lastOffset + 1);
      }
      if (offset >= highWatermark) break;
    }
    let openFrom = -1;
    for (const list of openOf.values()) for (const i of list) if (openFrom < 0 || records[i]![0] < openFrom) openFrom = records[i]![0];
    return { highWatermark, openFrom, records };
  } finally {
    conn.close();
  }
}
