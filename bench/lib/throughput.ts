/**
 * The shared shape of the OMB-style throughput workloads (topic16, small, lz4, zstd, partitions1000):
 * one broker process; our Producer writes N records into one topic of P partitions; the broker's
 * ceiling is measured with prebuilt batches (no client work); a fetch loop reads the records back.
 * With `--vs`, kafkajs and kcat produce the same records into Tributary, and NATS JetStream, Redis
 * Streams and RabbitMQ streams each take the same records into one stream and give them back.
 * With `--vs kafka`, the same clients run against Apache Kafka instead (bench/lib/vs-kafka.ts).
 */
import type { CompressionName } from '../../src/protocol/compression/index.js';
import { printTable, type BenchArgs } from '../bench-args.js';
import { startBrokerProcess } from '../broker-process.js';
import type { Peer } from '../peers/common.js';
import { kafkajsPeer, kcatPeer } from '../peers/kafka-clients.js';
import { natsPeer } from '../peers/nats.js';
import { rabbitmqPeer } from '../peers/rabbitmq.js';
import { redisPeer } from '../peers/redis.js';
import { fmt, saveResults } from './results.js';
import { clientProduce, codecProduce, createTopics, fetchConsume } from './tributary.js';
import { textValues } from './values.js';
import { runVsKafka } from './vs-kafka.js';

export interface ThroughputSpec {
  workload: string;
  title: string;
  partitions: number;
  recordBytes: number;
  records: number;
  compression?: CompressionName;
}

export interface Row {
  system: string;
  role: 'produce' | 'consume';
  records: number;
  recordBytes: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
  note?: string;
  /** Broker CPU seconds (user + system) spent during this phase, per million records. */
  brokerCpuSecPerMRecords?: number;
}

function row(system: string, role: Row['role'], records: number, recordBytes: number, seconds: number, note?: string): Row {
  return { system, role, records, recordBytes, seconds, recordsPerSec: records / seconds, mbPerSec: (records * recordBytes) / seconds / 1e6, ...(note ? { note } : {}) };
}

export async function runThroughput(spec: ThroughputSpec, args: BenchArgs): Promise<Row[]> {
  // `--vs kafka`: the same clients against Tributary and Apache Kafka (bench/lib/vs-kafka.ts).
  if (args.string('--vs', '') === 'kafka') {
    await runVsKafka(spec, args);
    return [];
  }
  const records = args.number('--records', spec.records);
  const recordBytes = args.number('--record-size', spec.recordBytes);
  const partitions = args.number('--partitions', spec.partitions);
  const batchSize = args.number('--batch-size', 16384);
  const compression = spec.compression ?? 'none';
  const values = textValues(recordBytes, 64);
  const rows: Row[] = [];
  const broker = await startBrokerProcess();
  const topicConfigs = compression === 'none' ? undefined : { 'compression.type': 'producer' };
  try {
    await createTopics(broker.bootstrap, [
      { name: 'client', partitions, ...(topicConfigs ? { configs: topicConfigs } : {}) },
      { name: 'ceiling', partitions, ...(topicConfigs ? { configs: topicConfigs } : {}) },
    ]);
    const cpu = (r: Row, before: number): Row => ({ ...r, brokerCpuSecPerMRecords: ((broker.cpuSeconds() - before) / r.records) * 1e6 });
    let c0 = broker.cpuSeconds();
    const secs = await clientProduce(broker.bootstrap, 'client', records, values, { compression, batchSize });
    rows.push(cpu(row('tributary Producer', 'produce', records, recordBytes, secs, `batchSize ${batchSize}, lingerMs 5, ${compression}`), c0));
    c0 = broker.cpuSeconds();
    if (!args.has('--no-ceiling')) {
      const c = await codecProduce(broker.host, broker.port, 'ceiling', partitions, records, values, { compression, batchBytes: batchSize, inFlight: 5, partitionsPerRequest: Math.min(partitions, 16) });
      rows.push(cpu(row('broker ceiling (prebuilt batches)', 'produce', records, recordBytes, c, `${batchSize} B batches, ≤16 partitions/request, 5 in flight`), c0));
    }
    c0 = broker.cpuSeconds();
    const consumed = await fetchConsume(broker.host, broker.port, 'client', partitions, records);
    rows.push(cpu(row('tributary fetch loop', 'consume', consumed.records, recordBytes, consumed.seconds, `${consumed.fetches} fetches, ${fmt(consumed.bytes / 1e6, 1)} MB on the wire`), c0));
    if (args.has('--vs')) {
      await createTopics(broker.bootstrap, [
        { name: 'kafkajs', partitions },
        { name: 'kcat', partitions },
      ]);
      for (const peer of [kafkajsPeer(broker.bootstrap, 'kafkajs'), kcatPeer(broker.bootstrap, 'kcat', compression)]) rows.push(...(await runPeer(peer, records, recordBytes, values)));
    }
  } finally {
    await broker.stop();
  }
  if (args.has('--vs')) {
    const only = args.string('--peers', 'nats,redis,rabbitmq').split(',');
    const peers: Peer[] = [];
    if (only.includes('nats')) peers.push(natsPeer());
    if (only.includes('redis')) peers.push(redisPeer());
    if (only.includes('rabbitmq')) peers.push(rabbitmqPeer());
    const peerRecords = args.number('--peer-records', records);
    for (const peer of peers) rows.push(...(await runPeer(peer, peerRecords, recordBytes, values)));
  }
  report(spec, { records, recordBytes, partitions, batchSize, compression }, rows);
  return rows;
}

async function runPeer(peer: Peer, records: number, recordBytes: number, values: readonly Buffer[]): Promise<Row[]> {
  const out: Row[] = [];
  try {
    await peer.start();
    out.push(row(peer.name, 'produce', records, recordBytes, await peer.produce(records, values)));
    if (peer.consume) out.push(row(peer.name, 'consume', records, recordBytes, await peer.consume(records)));
  } catch (err) {
    console.error(`${peer.name}: ${(err as Error).message}`);
    out.push({ ...row(peer.name, 'produce', records, recordBytes, NaN), note: `failed: ${(err as Error).message.split('\n')[0]}` });
  } finally {
    await peer.stop().catch((err: unknown) => console.error(`${peer.name} stop: ${(err as Error).message}`));
  }
  return out;
}

function report(spec: ThroughputSpec, params: Record<string, unknown>, rows: Row[]): void {
  console.log(`${spec.workload}: ${spec.title}`);
  printTable(
    ['system', 'role', 'records/s', 'MB/s', 'seconds', 'broker CPU s/M rec', 'note'],
    rows.map((r) => [r.system, r.role, fmt(r.recordsPerSec), fmt(r.mbPerSec, 1), r.seconds.toFixed(2), r.brokerCpuSecPerMRecords === undefined ? '' : r.brokerCpuSecPerMRecords.toFixed(2), r.note ?? '']),
  );
  const isPeer = (r: Row): boolean => !r.system.startsWith('tributary') && !r.system.startsWith('broker') && !r.system.includes('→ Tributary') && Number.isFinite(r.recordsPerSec);
  for (const role of ['produce', 'consume'] as const) {
    const ours = rows.find((r) => r.role === role && r.system.startsWith('tributary'));
    const peers = rows.filter((r) => r.role === role && isPeer(r));
    if (!ours || peers.length === 0) continue;
    const best = peers.reduce((a, b) => (a.recordsPerSec > b.recordsPerSec ? a : b));
    console.log(`ratio ${role === 'produce' ? 'in' : 'out'}: ${ours.system} / fastest peer (${best.system}) = ${(ours.recordsPerSec / best.recordsPerSec).toFixed(2)}x`);
  }
  saveResults(spec.workload, params, rows as unknown as Array<Record<string, unknown>>, { title: spec.title });
}
