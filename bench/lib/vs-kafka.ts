/**
 * `--vs kafka`: the same clients and the same workload against Tributary and against Apache Kafka
 * (test/helpers/kafka-reference.ts: a KRaft combined node from Maven's jars, default flush policy,
 * -Xmx1G -Xms1G), one broker after the other on the same machine, ratios printed.
 *
 * Per broker: time to ready, idle RSS, then each client writes `records` records into its own
 * topic — our Producer, Kafka's own ProducerPerformance (the Java producer) and kcat (librdkafka)
 * — and our fetch loop reads our Producer's records back. An untimed warm-up (our Producer,
 * min(records, 200k) records) runs first on both brokers. Broker CPU seconds (utime + stime from
 * /proc) are taken around each phase.
 */
import { printTable, type BenchArgs } from '../bench-args.js';
import { startBrokerProcess } from '../broker-process.js';
import { kcatPeer } from '../peers/kafka-clients.js';
import { KAFKA_VERSION, runKafkaTool, startKafka } from '../../test/helpers/kafka-reference.js';
import { fmt, saveResults } from './results.js';
import type { ThroughputSpec } from './throughput.js';
import { clientProduce, createTopics, fetchConsume } from './tributary.js';
import { textValues } from './values.js';

interface Broker {
  bootstrap: string;
  host: string;
  port: number;
  readyMs: number;
  rssBytes(): number;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export interface VsKafkaRow {
  broker: 'tributary' | 'kafka';
  client: string;
  role: 'produce' | 'consume';
  records: number;
  recordBytes: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  brokerCpuSecPerMRecords: number;
  note?: string;
}

export interface BrokerFacts {
  broker: 'tributary' | 'kafka';
  readyMs: number;
  idleRssBytes: number;
  rssAfterBytes: number;
}

interface PerfResult {
  seconds: number;
  recordsPerSec: number;
  p99Ms: number;
}

/** Kafka's ProducerPerformance, acks=1 and otherwise the Java producer's defaults (16 KiB batches, linger.ms 5). */
async function producerPerformance(bootstrap: string, topic: string, records: number, recordBytes: number): Promise<PerfResult> {
  const r = await runKafkaTool(
    'org.apache.kafka.tools.ProducerPerformance',
    ['--topic', topic, '--num-records', String(records), '--record-size', String(recordBytes), '--throughput', '-1', '--producer-props', `bootstrap.servers=${bootstrap}`, 'acks=1'],
    { heap: '512M', timeoutMs: 600_000 },
  );
  // The last line: "N records sent, X records/sec (Y MB/sec), Z ms avg latency, M ms max latency, a ms 50th, b ms 95th, c ms 99th, d ms 99.9th."
  const m = /(\d+) records sent, ([\d.]+) records\/sec \([\d.]+ MB\/sec\), [\d.]+ ms avg latency, [\d.]+ ms max latency, \d+ ms 50th, \d+ ms 95th, (\d+) ms 99th/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`ProducerPerformance failed (exit ${r.code}):\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`);
  if (Number(m[1]) !== records) throw new Error(`ProducerPerformance sent ${m[1]} of ${records} records`);
  const recordsPerSec = Number(m[2]);
  return { seconds: records / recordsPerSec, recordsPerSec, p99Ms: Number(m[3]) };
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function measureBroker(kind: 'tributary' | 'kafka', spec: ThroughputSpec, records: number, recordBytes: number, partitions: number, values: readonly Buffer[]): Promise<{ facts: BrokerFacts; rows: VsKafkaRow[] }> {
  const broker: Broker = kind === 'tributary' ? await startBrokerProcess() : await startKafka();
  const rows: VsKafkaRow[] = [];
  try {
    await sleep(2000); // let start-up work (JIT, background threads) settle before reading idle RSS
    const idleRssBytes = broker.rssBytes();
    await createTopics(broker.bootstrap, [
      { name: 'client', partitions },
      { name: 'perf', partitions },
      { name: 'kcat', partitions },
      { name: 'warmup', partitions },
    ]);
    // Not timed: the same warm-up for both brokers, so the first timed client does not pay for the
    // JVM's JIT (or V8's) alone.
    await clientProduce(broker.bootstrap, 'warmup', Math.min(records, 200_000), values);
    const phase = async (client: string, role: VsKafkaRow['role'], n: number, fn: () => Promise<{ seconds: number; note?: string }>): Promise<void> => {
      const c0 = broker.cpuSeconds();
      const { seconds, note } = await fn();
      const cpu = broker.cpuSeconds() - c0;
      rows.push({ broker: kind, client, role, records: n, recordBytes, seconds, recordsPerSec: n / seconds, mbPerSec: (n * recordBytes) / seconds / 1e6, brokerCpuSecPerMRecords: (cpu / n) * 1e6, ...(note ? { note } : {}) });
    };
    await phase('tributary Producer', 'produce', records, async () => ({ seconds: await clientProduce(broker.bootstrap, 'client', records, values, { compression: spec.compression ?? 'none' }) }));
    await phase(`ProducerPerformance (Java client ${KAFKA_VERSION})`, 'produce', records, async () => {
      const p = await producerPerformance(broker.bootstrap, 'perf', records, recordBytes);
      return { seconds: p.seconds, note: `p99 ${p.p99Ms} ms` };
    });
    const kcat = kcatPeer(broker.bootstrap, 'kcat');
    await kcat.start();
    try {
      await phase('kcat (librdkafka)', 'produce', records, async () => ({ seconds: await kcat.produce(records, values) }));
    } finally {
      await kcat.stop();
    }
    await phase('tributary fetch loop', 'consume', records, async () => {
      const c = await fetchConsume(broker.host, broker.port, 'client', partitions, records);
      return { seconds: c.seconds, note: `${c.fetches} fetches` };
    });
    return { facts: { broker: kind, readyMs: broker.readyMs, idleRssBytes, rssAfterBytes: broker.rssBytes() }, rows };
  } finally {
    await broker.stop();
  }
}

export async function runVsKafka(spec: ThroughputSpec, args: BenchArgs): Promise<void> {
  const records = args.number('--records', spec.records);
  const recordBytes = args.number('--record-size', spec.recordBytes);
  const partitions = args.number('--partitions', spec.partitions);
  const values = textValues(recordBytes, 64);
  const facts: BrokerFacts[] = [];
  const rows: VsKafkaRow[] = [];
  for (const kind of ['tributary', 'kafka'] as const) {
    const r = await measureBroker(kind, spec, records, recordBytes, partitions, values);
    facts.push(r.facts);
    rows.push(...r.rows);
  }
  const [t, k] = facts as [BrokerFacts, BrokerFacts];
  const mib = (b: number): string => fmt(b / 2 ** 20, 0);
  console.log(`${spec.workload} vs Apache Kafka ${KAFKA_VERSION}: ${spec.title}; ${records} records per client`);
  printTable(
    ['broker process', 'Tributary', `Kafka ${KAFKA_VERSION}`, 'ratio T/K'],
    [
      ['time to ready (ms)', fmt(t.readyMs), fmt(k.readyMs), (t.readyMs / k.readyMs).toFixed(2)],
      ['idle RSS (MiB)', mib(t.idleRssBytes), mib(k.idleRssBytes), (t.idleRssBytes / k.idleRssBytes).toFixed(2)],
      ['RSS after the run (MiB)', mib(t.rssAfterBytes), mib(k.rssAfterBytes), (t.rssAfterBytes / k.rssAfterBytes).toFixed(2)],
    ],
  );
  const clients = [...new Set(rows.map((r) => r.client))];
  const table: string[][] = [];
  for (const client of clients) {
    const a = rows.find((r) => r.broker === 'tributary' && r.client === client);
    const b = rows.find((r) => r.broker === 'kafka' && r.client === client);
    if (!a || !b) continue;
    table.push([`${client} (${a.role})`, fmt(a.recordsPerSec), fmt(b.recordsPerSec), (a.recordsPerSec / b.recordsPerSec).toFixed(2), a.brokerCpuSecPerMRecords.toFixed(2), b.brokerCpuSecPerMRecords.toFixed(2), [a.note, b.note].filter(Boolean).join(' / ')]);
  }
  printTable(['client', 'Tributary rec/s', 'Kafka rec/s', 'ratio T/K', 'T CPU s/M', 'K CPU s/M', 'note (T / K)'], table);
  saveResults(`${spec.workload}-vs-kafka`, { records, recordBytes, partitions, kafkaVersion: KAFKA_VERSION }, rows as unknown as Array<Record<string, unknown>>, { title: spec.title, brokers: facts });
}
