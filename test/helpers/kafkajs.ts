import net from 'node:net';
import { CompressionTypes, Kafka, logLevel, type Consumer, type IHeaders, type ISocketFactory, type KafkaConfig } from 'kafkajs';
import type { ConsumedRecord, TestRecord } from './records.js';

/** kafkajs with its log kept in memory (shown on failure) instead of printed. */
export interface KafkaWithLog {
  kafka: Kafka;
  logs: string[];
  /** Tail of the client log, for failure messages. */
  logTail(lines?: number): string;
}

export function makeKafka(bootstrap: string, clientId: string, extra: Partial<KafkaConfig> = {}): KafkaWithLog {
  const logs: string[] = [];
  const kafka = new Kafka({
    clientId,
    // A bootstrap list ("h1:p1,h2:p2") is several seed brokers.
    brokers: bootstrap.split(','),
    connectionTimeout: 5000,
    requestTimeout: 20_000,
    retry: { retries: 6, initialRetryTime: 100, maxRetryTime: 2000 },
    logLevel: logLevel.INFO,
    logCreator: () => (entry) => {
      const { message, timestamp: _ts, logger: _l, ...rest } = entry.log;
      const level = logLevel[entry.level] ?? String(entry.level);
      logs.push(`${entry.log.timestamp} ${level} [${entry.namespace}] ${message} ${JSON.stringify(rest)}`);
      if (logs.length > 5000) logs.splice(0, 1000);
    },
    ...extra,
  });
  return { kafka, logs, logTail: (n = 60) => logs.slice(-n).join('\n') };
}

/** A kafkajs socket factory that sends every connection to one address (e.g. a recording proxy). */
export function redirectingSocketFactory(host: string, port: number): ISocketFactory {
  return ({ onConnect }) => {
    const socket = net.connect({ host, port }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
}

function headerValue(v: IHeaders[string]): string {
  if (v === undefined) return '<undefined>';
  if (Array.isArray(v)) return v.map((x) => x.toString()).join(',');
  return v.toString();
}

export function toKafkajsMessage(r: TestRecord): { key: string; value: string; headers: Record<string, string>; timestamp?: string } {
  const msg: { key: string; value: string; headers: Record<string, string>; timestamp?: string } = { key: r.key, value: r.value, headers: r.headers };
  if (r.timestamp !== null) msg.timestamp = String(r.timestamp);
  return msg;
}

/** Produce in sequential chunks (keeps per-partition order), acks=-1. Returns (partition, baseOffset, count) per chunk partition. */
export async function produceAll(
  kafka: Kafka,
  topic: string,
  records: readonly TestRecord[],
  opts: { chunk?: number; compression?: CompressionTypes } = {},
): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const chunk = opts.chunk ?? 1000;
    for (let i = 0; i < records.length; i += chunk) {
      const messages = records.slice(i, i + chunk).map(toKafkajsMessage);
      const meta = await producer.send({ topic, acks: -1, compression: opts.compression ?? CompressionTypes.None, messages });
      for (const m of meta) {
        if (m.errorCode !== 0) throw new Error(`kafkajs produce to ${topic}-${m.partition}: error code ${m.errorCode}`);
      }
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Consume with a consumer group from the beginning until `count` records arrived (then linger a
 * little to catch duplicates) or the timeout passes. Returns what arrived, in arrival order.
 */
export async function consumeAll(
  kafka: Kafka,
  topic: string,
  groupId: string,
  count: number,
  opts: { timeoutMs?: number; lingerMs?: number } = {},
): Promise<{ records: ConsumedRecord[]; timedOut: boolean; crashes: string[] }> {
  const consumer: Consumer = kafka.consumer({ groupId, sessionTimeout: 10_000, rebalanceTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 200 });
  const records: ConsumedRecord[] = [];
  const crashes: string[] = [];
  let reached: () => void = () => undefined;
  const reachedCount = new Promise<void>((resolve) => (reached = resolve));
  let crashed: () => void = () => undefined;
  const crashedForGood = new Promise<void>((resolve) => (crashed = resolve));
  consumer.on(consumer.events.CRASH, (e) => {
    const payload = e.payload as { error?: unknown; restart?: boolean };
    crashes.push(String(payload.error ?? JSON.stringify(payload)));
    if (payload.restart !== true) crashed(); // kafkajs gives up: no point waiting for records
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatchAutoResolve: true,
      eachMessage: async ({ partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = headerValue(v);
        records.push({
          partition,
          offset: Number(message.offset),
          key: message.key === null ? null : message.key.toString(),
          value: message.value === null ? null : message.value.toString(),
          headers,
          timestamp: Number(message.timestamp),
        });
        if (records.length >= count) reached();
      },
    });
    const timeoutMs = opts.timeoutMs ?? 40_000;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      reachedCount.then(() => false),
      crashedForGood.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs))),
    ]);
    clearTimeout(timer);
    if (!timedOut) await new Promise((r) => setTimeout(r, opts.lingerMs ?? 1000));
    // timedOut is also true when the consumer crashed for good; `crashes` says why.
    return { records: [...records], timedOut, crashes };
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
