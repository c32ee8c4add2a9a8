/**
 * Produce benchmark: 1 KiB records, acks=1, one producer, into one broker process.
 * Two producers in the same run against the same broker: a pipelined producer built on our protocol
 * codec (5 requests in flight, 16 KiB batches — Kafka's producer defaults) and kafkajs 2.2.4.
 */
import { Kafka, logLevel } from 'kafkajs';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { ProduceApi, CreateTopicsApi } from '../../src/protocol/messages/index.js';
import type { ProduceResponse } from '../../src/protocol/messages/produce.js';
import { buildRecordBatchSync } from '../../src/protocol/records/index.js';
import { startBrokerProcess } from '../broker-process.js';
import { printTable, type BenchArgs } from '../bench-args.js';

export interface ProduceResult {
  producer: string;
  records: number;
  recordBytes: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
}

const BATCH_BYTES = 16384;
const MAX_IN_FLIGHT = 5;

async function pipelinedProducer(host: string, port: number, topic: string, records: number, value: Buffer): Promise<number> {
  const conn = await BrokerConnection.open(host, port, { clientId: 'bench' });
  const perBatch = Math.max(1, Math.floor(BATCH_BYTES / value.length));
  const start = process.hrtime.bigint();
  let sent = 0;
  const inFlight = new Set<Promise<void>>();
  while (sent < records) {
    const n = Math.min(perBatch, records - sent);
    const batch = buildRecordBatchSync({ records: Array.from({ length: n }, () => ({ value })) });
    sent += n;
    const p = conn
      .send<ProduceResponse>(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 30000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] })
      .then((res) => {
        const code = res.responses[0]?.partitionResponses[0]?.errorCode;
        if (code !== 0) throw new Error(`produce failed with error ${code}`);
      });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  conn.close();
  return seconds;
}

async function kafkajsProducer(bootstrap: string, topic: string, records: number, value: Buffer): Promise<number> {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: 'bench-kafkajs', logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const chunk = 1000;
  const start = process.hrtime.bigint();
  const inFlight = new Set<Promise<unknown>>();
  for (let sent = 0; sent < records; sent += chunk) {
    const n = Math.min(chunk, records - sent);
    const p = producer.send({ topic, acks: 1, messages: Array.from({ length: n }, () => ({ value })) });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= MAX_IN_FLIGHT) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await producer.disconnect();
  return seconds;
}

export const description = '1 KiB records (--record-size), acks=1, one producer: our codec-level pipelined producer vs kafkajs';

export async function run(args: BenchArgs): Promise<void> {
  const records = args.number('--records', 200_000);
  const recordBytes = args.number('--record-size', 1024);
  const results = await runProduceBench(records, recordBytes);
  console.log(`produce: ${records} records of ${recordBytes} B, acks=1, 1 partition, broker as a separate process`);
  printTable(['producer', 'records/s', 'MB/s', 'seconds'], results.map((r) => [r.producer, r.recordsPerSec.toFixed(0), r.mbPerSec.toFixed(1), r.seconds.toFixed(2)]));
  const [a, b] = results;
  if (a && b) console.log(`ratio (first / second): ${(a.recordsPerSec / b.recordsPerSec).toFixed(2)}x`);
  for (const r of results) console.log(JSON.stringify({ workload: 'produce', ...r }));
}

function result(producer: string, records: number, recordBytes: number, seconds: number): ProduceResult {
  return { producer, records, recordBytes, seconds, recordsPerSec: records / seconds, mbPerSec: (records * recordBytes) / seconds / 1e6 };
}

export async function runProduceBench(records: number, recordBytes: number): Promise<ProduceResult[]> {
  const broker = await startBrokerProcess();
  try {
    const admin = await BrokerConnection.open(broker.host, broker.port);
    await admin.send(CreateTopicsApi, 4, { topics: [{ name: 'bench-a', numPartitions: 1, replicationFactor: 1 }, { name: 'bench-b', numPartitions: 1, replicationFactor: 1 }], timeoutMs: 10000 });
    admin.close();
    const value = Buffer.alloc(recordBytes, 0x61);
    const ours = await pipelinedProducer(broker.host, broker.port, 'bench-a', records, value);
    const theirs = await kafkajsProducer(broker.bootstrap, 'bench-b', records, value);
    return [result('tributary codec, pipelined', records, recordBytes, ours), result('kafkajs 2.2.4', records, recordBytes, theirs)];
  } finally {
    await broker.stop();
  }
}
