import { Kafka, logLevel, type Producer } from 'kafkajs';
import { startPython } from './python.js';
import type { RunningProcess } from './proc.js';

/**
 * Continuous producers for the replication tests, each recording every record it sent and every
 * acknowledgement (partition + offset), so a verifier can prove that no acknowledged record was
 * lost, moved or reordered. Record `seq` of producer `name` carries the value "name:seq|xxx…": the
 * id is everything before the '|'. Retriable errors are recorded (by kind) and the producer keeps
 * going; "production resumed" after a fault = the first acknowledgement of a record sent after it.
 */

export interface AckedRecord {
  producer: string;
  seq: number;
  partition: number;
  offset: number;
  sentAtMs: number;
  ackedAtMs: number;
}

export function recordValue(producer: string, seq: number, valueBytes: number): string {
  const prefix = `${producer}:${seq}|`;
  return prefix + 'x'.repeat(Math.max(0, valueBytes - prefix.length));
}

/** The id ("name:seq") of a value written by these producers, or null for a foreign value. */
export function recordId(value: string): string | null {
  const bar = value.indexOf('|');
  return bar > 0 ? value.slice(0, bar) : null;
}

/** What one producer sent and what was acknowledged. */
export class ProducerLog {
  readonly sent = new Map<number, { partition: number; sentAtMs: number }>();
  readonly acks: AckedRecord[] = [];
  /** Error kind -> how often (failed sends, client error callbacks, logged protocol errors). */
  readonly errorKinds = new Map<string, number>();
  failedRecords = 0;

  constructor(readonly name: string) {}

  recordSent(seq: number, partition: number, atMs: number): void {
    this.sent.set(seq, { partition, sentAtMs: atMs });
  }

  recordAck(seq: number, partition: number, offset: number, atMs: number): void {
    const sentAtMs = this.sent.get(seq)?.sentAtMs ?? atMs;
    this.acks.push({ producer: this.name, seq, partition, offset, sentAtMs, ackedAtMs: atMs });
  }

  recordError(kind: string, records = 0): void {
    this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + 1);
    this.failedRecords += records;
  }

  /** Acknowledgements of records sent at or after `sinceMs`. */
  acksSince(sinceMs: number): number {
    let n = 0;
    for (const a of this.acks) if (a.sentAtMs >= sinceMs) n++;
    return n;
  }

  /**
   * Per partition, ms from `faultAtMs` to the first acknowledgement of a record sent at or after it
   * (null: none yet), and the slowest of them (null while any partition has not resumed).
   */
  resumedAfter(faultAtMs: number, partitions: readonly number[]): { resumedMs: number | null; perPartition: Map<number, number | null> } {
    const perPartition = new Map<number, number | null>(partitions.map((p) => [p, null]));
    for (const a of this.acks) {
      if (a.sentAtMs < faultAtMs || !perPartition.has(a.partition)) continue;
      const ms = a.ackedAtMs - faultAtMs;
      const prev = perPartition.get(a.partition);
      if (prev === null || prev === undefined || ms < prev) perPartition.set(a.partition, ms);
    }
    const values = [...perPartition.values()];
    const resumedMs = values.some((v) => v === null) ? null : Math.max(...(values as number[]));
    return { resumedMs, perPartition };
  }

  summary(): string {
    const kinds = [...this.errorKinds].map(([k, n]) => `${k}×${n}`).join(', ') || 'none';
    return `${this.name}: sent ${this.sent.size}, acknowledged ${this.acks.length}, failed ${this.failedRecords}; errors: ${kinds}`;
  }
}

export interface AckedProducer {
  readonly log: ProducerLog;
  /** Stops sending, waits for what is in flight; throws if the client hangs or crashes. */
  stop(): Promise<void>;
}

export interface WorkloadOptions {
  bootstrap: string;
  topic: string;
  partitions: number;
  name: string;
  valueBytes?: number;
  /** Client-side request timeout: how long a request to a stopped (SIGSTOP) leader can hang. */
  requestTimeoutMs?: number;
  /**
   * How old the client's metadata may get (kafkajs `metadataMaxAge`, librdkafka
   * `topic.metadata.refresh.interval.ms`). kafkajs refreshes on connection errors but not on request
   * timeouts, so a leader that hangs (SIGSTOP) is only left once the metadata is this old.
   */
  metadataMaxAgeMs?: number;
  /** The client's idempotent producer (kafkajs `idempotent`, librdkafka `enable.idempotence`); default off. */
  idempotent?: boolean;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The most specific kafkajs error: the protocol error's type (else the innermost error's name) and whether kafkajs calls it retriable. */
export function kafkajsErrorInfo(err: unknown): { kind: string; retriable: boolean } {
  let e = err as { type?: string; name?: string; retriable?: boolean; originalError?: unknown; cause?: unknown; errors?: unknown[] } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.type === 'string' && e.type.length > 0) return { kind: e.type, retriable: e.retriable === true };
    const inner = e.originalError ?? e.cause ?? e.errors?.[0];
    if (!inner) break;
    e = inner as typeof e;
  }
  return { kind: e?.name ?? String(err), retriable: e?.retriable === true };
}

export function kafkajsErrorKind(err: unknown): string {
  return kafkajsErrorInfo(err).kind;
}

/**
 * kafkajs, acks=all: one loop per partition sends `batch` records and waits for the answer (so a
 * partition's records are acknowledged in send order), then the next. kafkajs retries a few times
 * itself (metadata refresh included); when it gives up the loop records the kind and carries on.
 */
export async function startKafkajsProducer(opts: WorkloadOptions & { batch?: number; pauseMs?: number; acks?: -1 | 1 }): Promise<AckedProducer> {
  const log = new ProducerLog(opts.name);
  const kafka = new Kafka({
    clientId: opts.name,
    brokers: opts.bootstrap.split(','),
    connectionTimeout: 2000,
    requestTimeout: opts.requestTimeoutMs ?? 3000,
    ...(opts.metadataMaxAgeMs !== undefined ? { metadataMaxAge: opts.metadataMaxAgeMs } : {}),
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.WARN,
    // kafkajs retries protocol errors silently; its log is where those kinds show up.
    logCreator: () => (entry) => {
      const error = (entry.log as { error?: unknown }).error;
      if (entry.level <= logLevel.WARN && typeof error === 'string') log.recordError(`logged: ${error.slice(0, 80)}`);
    },
  });
  const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: opts.idempotent ?? false, maxInFlightRequests: 1 });
  await producer.connect();
  const batch = opts.batch ?? 5;
  const valueBytes = opts.valueBytes ?? 100;
  let nextSeq = 0;
  let stopped = false;
  const loop = async (partition: number): Promise<void> => {
    while (!stopped) {
      const seqs = Array.from({ length: batch }, () => nextSeq++);
      const sentAt = Date.now();
      for (const s of seqs) log.recordSent(s, partition, sentAt);
      try {
        const meta = await producer.send({ topic: opts.topic, acks: opts.acks ?? -1, timeout: 10_000, messages: seqs.map((s) => ({ partition, value: recordValue(opts.name, s, valueBytes) })) });
        const m = meta.find((x) => x.partition === partition);
        if (!m || m.errorCode !== 0 || m.baseOffset === undefined) log.recordError(`error code ${m?.errorCode ?? 'missing'}`, seqs.length);
        else {
          const ackedAt = Date.now();
          seqs.forEach((s, i) => log.recordAck(s, partition, Number(m.baseOffset) + i, ackedAt));
        }
      } catch (err) {
        log.recordError(kafkajsErrorKind(err), seqs.length);
        await sleep(100);
      }
      await sleep(opts.pauseMs ?? 20);
    }
  };
  const loops = Array.from({ length: opts.partitions }, (_, p) => loop(p));
  return {
    log,
    stop: async () => {
      stopped = true;
      const all = Promise.all(loops).then(() => 'done' as const);
      const outcome = await Promise.race([all, sleep(30_000).then(() => 'hung' as const)]);
      await producer.disconnect().catch(() => undefined);
      if (outcome === 'hung') throw new Error(`${opts.name}: kafkajs sends still pending 30 s after stop`);
    },
  };
}

/**
 * confluent-kafka-python (librdkafka), acks=all by default: test/e2e/clients/acked_producer.py,
 * which reports every send and delivery report as a JSON line. librdkafka retries retriable errors
 * itself until message.timeout.ms; failed deliveries and error callbacks are recorded by kind.
 */
export function startPythonProducer(opts: WorkloadOptions & { ratePerSec?: number; acks?: 'all' | '1'; retries?: number; messageTimeoutMs?: number }): AckedProducer {
  const log = new ProducerLog(opts.name);
  let sawDone = false;
  const proc: RunningProcess = startPython(
    'acked_producer.py',
    [
      '--bootstrap', opts.bootstrap, '--topic', opts.topic, '--partitions', String(opts.partitions), '--name', opts.name,
      '--rate', String(opts.ratePerSec ?? 200), '--value-bytes', String(opts.valueBytes ?? 100), '--acks', opts.acks ?? 'all',
      '--request-timeout-ms', String(opts.requestTimeoutMs ?? 3000),
      ...(opts.metadataMaxAgeMs !== undefined ? ['--metadata-refresh-ms', String(opts.metadataMaxAgeMs)] : []),
      ...(opts.retries !== undefined ? ['--retries', String(opts.retries)] : []),
      ...(opts.messageTimeoutMs !== undefined ? ['--message-timeout-ms', String(opts.messageTimeoutMs)] : []),
      ...(opts.idempotent === true ? ['--idempotence'] : []),
    ],
    30 * 60_000,
    (line) => {
      if (line.trim().length === 0) return;
      const m = JSON.parse(line) as { s?: number; a?: number; f?: number; p?: number; o?: number; k?: string; e?: string; t?: number; done?: boolean };
      if (m.s !== undefined) log.recordSent(m.s, m.p!, m.t!);
      else if (m.a !== undefined) log.recordAck(m.a, m.p!, m.o!, m.t!);
      else if (m.f !== undefined) log.recordError(m.k!, 1);
      else if (m.e !== undefined) log.recordError(`client: ${m.e}`);
      else if (m.done) sawDone = true;
    },
  );
  return {
    log,
    stop: async () => {
      proc.kill('SIGTERM');
      const outcome = await Promise.race([proc.done, sleep(30_000).then(() => null)]);
      if (outcome === null) {
        proc.kill('SIGKILL');
        throw new Error(`${opts.name}: confluent-kafka-python producer did not exit 30 s after SIGTERM\n${proc.stderrSoFar().slice(-3000)}`);
      }
      if (outcome.code !== 0 || !sawDone) throw new Error(`${opts.name}: confluent-kafka-python producer exited ${outcome.code}/${outcome.signal}\n${outcome.stderr.slice(-3000)}`);
    },
  };
}

/** Waits until every producer has an acknowledgement, on every partition, of a record sent after `faultAtMs`. */
export async function waitResumed(producers: readonly AckedProducer[], faultAtMs: number, partitions: readonly number[], timeoutMs: number): Promise<Map<string, number | null>> {
  const deadline = faultAtMs + timeoutMs;
  for (;;) {
    const res = new Map(producers.map((p) => [p.log.name, p.log.resumedAfter(faultAtMs, partitions).resumedMs]));
    if ([...res.values()].every((v) => v !== null) || Date.now() > deadline) return res;
    await sleep(50);
  }
}

/** Waits until every producer had `count` more records acknowledged (sent after now). */
export async function waitProgress(producers: readonly AckedProducer[], count: number, timeoutMs: number): Promise<boolean> {
  const since = Date.now();
  const deadline = since + timeoutMs;
  while (Date.now() < deadline) {
    if (producers.every((p) => p.log.acksSince(since) >= count)) return true;
    await sleep(50);
  }
  return false;
}
