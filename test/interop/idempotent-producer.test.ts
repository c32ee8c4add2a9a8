/**
 * Our idempotent producer (the default) through a proxy that resets every connection now and then
 * and once black-holes them for longer than requestTimeoutMs, with 5 requests in flight: every
 * record must be in the log exactly once and in send order, each batch stamped with a producer id
 * and contiguous sequences. Against Apache Kafka (the reference broker from
 * test/helpers/kafka-reference.ts) and against a Tributary broker process once it serves
 * InitProducerId (skipped, with a note, before).
 *
 * The broker advertises the proxy's address, so every connection the client opens after the
 * bootstrap goes through the proxy too.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Admin, Producer } from '../../src/index.js';
import { BrokerLink } from '../../src/client/cluster/broker-link.js';
import { resolveClientOptions } from '../../src/client/options.js';
import { LinkProxy } from '../../src/network/link-proxy.js';
import { InitProducerIdApi } from '../../src/protocol/messages/index.js';
import { decodeRecordBatchesSync } from '../../src/protocol/records/decode-batches.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { KAFKA_VERSION, startKafka } from '../helpers/kafka-reference.js';
import { freePort } from '../helpers/ports.js';
import { fetchV4, WireConnection } from '../helpers/wire.js';
import { pino } from 'pino';

const PARTITIONS = 3;
/** How long records are sent (the faults run meanwhile), 20 per send, about 100 sends a second. */
const PRODUCE_MS = 8_000;

interface Target {
  /** Broker's own address (reads bypass the proxy). */
  host: string;
  port: number;
}

interface StoredPartition {
  values: string[];
  batches: Array<{ producerId: bigint; baseSequence: number; count: number }>;
}

async function readPartition(target: Target, topic: string, partition: number): Promise<StoredPartition> {
  const conn = await WireConnection.connect(target.host, target.port);
  const out: StoredPartition = { values: [], batches: [] };
  try {
    let offset = 0n;
    for (;;) {
      const res = await fetchV4(conn, topic, partition, offset);
      assert.equal(res.errorCode, 0, `fetch ${topic}-${partition}@${offset}`);
      if (offset >= res.highWatermark) break;
      const batches = decodeRecordBatchesSync(res.records).filter((b) => BigInt(b.baseOffset) + BigInt(b.records.length) > offset);
      assert.ok(batches.length > 0, `no complete batch at ${offset} (< HW ${res.highWatermark})`);
      for (const b of batches) {
        out.batches.push({ producerId: BigInt(b.producerId), baseSequence: b.baseSequence, count: b.records.length });
        for (const r of b.records) out.values.push(r.value!.toString());
        offset = BigInt(b.baseOffset) + BigInt(b.records.length);
      }
    }
  } finally {
    conn.close();
  }
  return out;
}

/** Resets every proxied connection every 150–400 ms; once, black-holes them for `holdMs`. */
function faults(proxy: LinkProxy, holdMs: number): { stop: () => void; counts: { resets: number; holds: number } } {
  const counts = { resets: 0, holds: 0 };
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const next = (): void => {
    if (stopped) return;
    timer = setTimeout(
      () => {
        if (stopped) return;
        if (counts.resets === 6 && counts.holds === 0) {
          counts.holds++;
          proxy.cut();
          timer = setTimeout(() => {
            proxy.restore();
            next();
          }, holdMs);
          return;
        }
        counts.resets++;
        proxy.restore(); // not cut: closes every connection it holds, the peers reconnect
        next();
      },
      150 + Math.floor(Math.random() * 250),
    );
  };
  next();
  return {
    counts,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (proxy.isCut) proxy.restore();
    },
  };
}

async function runScenario(t: TestContext, label: string, bootstrap: string, target: Target, proxy: LinkProxy): Promise<void> {
  const topic = `idem-${label}`;
  const admin = new Admin({ bootstrapServers: `${target.host}:${target.port}` });
  await admin.createTopics([{ name: topic, numPartitions: PARTITIONS, replicationFactor: 1 }]);
  await admin.close();
  const producer = new Producer<string, string>({
    bootstrapServers: bootstrap,
    keySerializer: { serialize: (k) => Buffer.from(k) },
    valueSerializer: { serialize: (v) => Buffer.from(v) },
    maxInFlightRequestsPerConnection: 5,
    batchSize: 2048,
    batchMaxSize: 4096,
    lingerMs: 1,
    requestTimeoutMs: 1500,
    deliveryTimeoutMs: 90_000,
    retryBackoffMs: 20,
    retryBackoffMaxMs: 200,
    reconnectBackoffMs: 20,
    reconnectBackoffMaxMs: 200,
    logger: pino({ level: process.env['TRIBUTARY_TEST_CLIENT_LOGS'] ? 'debug' : 'warn' }),
  });
  const sent: string[][] = Array.from({ length: PARTITIONS }, () => []);
  const f = faults(proxy, 2500);
  try {
    const sends: Array<Promise<unknown>> = [];
    const startMs = Date.now();
    for (let n = 0; Date.now() - startMs < PRODUCE_MS; n++) {
      const partition = n % PARTITIONS;
      const values = Array.from({ length: 20 }, (_, j) => `r-${n}-${j}`);
      sent[partition]!.push(...values);
      sends.push(producer.send({ topic, messages: values.map((value) => ({ value, partition })) }));
      if (n % 3 === 2) await new Promise((r) => setTimeout(r, 10));
    }
    const results = await Promise.allSettled(sends);
    const failed = results.filter((r) => r.status === 'rejected');
    assert.equal(failed.length, 0, `sends failed: ${failed.slice(0, 3).map((r) => String((r as PromiseRejectedResult).reason)).join('; ')}`);
  } finally {
    f.stop();
    await producer.close({ timeoutMs: 10_000 });
  }
  const total = sent.reduce((n, v) => n + v.length, 0);
  t.diagnostic(`${label}: ${f.counts.resets} connection resets, ${f.counts.holds} black hole(s) of 2.5 s during ${total} records`);
  assert.ok(f.counts.resets >= 10 && f.counts.holds === 1, `the faults happened while producing (${f.counts.resets} resets, ${f.counts.holds} holds)`);
  for (let p = 0; p < PARTITIONS; p++) {
    const stored = await readPartition(target, topic, p);
    const dupes = stored.values.length - new Set(stored.values).size;
    assert.equal(dupes, 0, `${label} partition ${p}: ${dupes} duplicates`);
    assert.deepEqual(stored.values, sent[p], `${label} partition ${p}: every record once, in send order`);
    assert.ok(stored.batches.every((b) => b.producerId >= 0n), 'every batch carries a producer id');
    const ids = new Set(stored.batches.map((b) => b.producerId));
    // Within one producer id the sequences are contiguous (a reset starts a new id at 0).
    let prev: { producerId: bigint; next: number } | null = null;
    for (const b of stored.batches) {
      if (prev && prev.producerId === b.producerId) assert.equal(b.baseSequence, prev.next, `${label} partition ${p}: contiguous sequences`);
      prev = { producerId: b.producerId, next: b.baseSequence + b.count };
    }
    t.diagnostic(`${label} partition ${p}: ${stored.values.length} records in ${stored.batches.length} batches, producer ids ${[...ids].join(',')}`);
  }
}

test(`idempotent producer through connection resets, 5 in flight: Apache Kafka ${KAFKA_VERSION} stores every record once, in order`, { timeout: 300_000 }, async (t) => {
  let kafkaPort = 0;
  const proxy = await LinkProxy.start('127.0.0.1', () => ({ host: '127.0.0.1', port: kafkaPort }));
  t.after(() => proxy.close());
  const kafka = await startKafka({ heap: '512M', overrides: { 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` } });
  t.after(() => kafka.stop());
  kafkaPort = kafka.port;
  await runScenario(t, 'kafka', `127.0.0.1:${proxy.port}`, { host: kafka.host, port: kafka.port }, proxy);
});

test('idempotent producer through connection resets, 5 in flight: a Tributary broker stores every record once, in order', { timeout: 300_000 }, async (t) => {
  // The helper reports the advertised address (the proxy's): listen on a port chosen here.
  const brokerPort = await freePort();
  const proxy = await LinkProxy.start('127.0.0.1', () => ({ host: '127.0.0.1', port: brokerPort }));
  t.after(() => proxy.close());
  await startBrokerProcess(t, { name: 'idempotent-producer', overrides: { listeners: `PLAINTEXT://127.0.0.1:${brokerPort}`, 'advertised.listeners': `PLAINTEXT://127.0.0.1:${proxy.port}` } });
  const broker = { host: '127.0.0.1', port: brokerPort, bootstrap: `127.0.0.1:${brokerPort}` };
  const link = new BrokerLink(-1, broker.host, broker.port, resolveClientOptions({ bootstrapServers: broker.bootstrap }), pino({ level: 'silent' }));
  const served = await link.supports(InitProducerIdApi).finally(() => link.close());
  if (!served) {
    t.skip('this Tributary broker does not serve InitProducerId yet');
    return;
  }
  await runScenario(t, 'tributary', `127.0.0.1:${proxy.port}`, broker, proxy);
});
