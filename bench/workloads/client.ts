/**
 * Client benchmark: our Producer and kafkajs 2.2.4 each send the same N records (100 B and 1 KiB
 * values, acks=1, one partition) to the same broker process in one run; reports both rates and
 * the ratio. Both are used the way an application would: `send` of 1,000 records at a time —
 * ours with up to 64 sends outstanding (its accumulator and bufferMemory bound the memory),
 * kafkajs with 5 in flight (it has no accumulator; each send is one request). Each producer runs
 * `--rounds` times (default 3, alternating which goes first, each round into fresh topics) and
 * the median is reported: single runs on the shared 2-core machine vary by up to 2×.
 */
import { Kafka, logLevel } from 'kafkajs';
import { Admin, Producer } from '../../src/client/index.js';
import { startBrokerProcess } from '../broker-process.js';
import { printTable, type BenchArgs } from '../bench-args.js';

const CHUNK = 1000;

interface Result {
  producer: string;
  recordBytes: number;
  records: number;
  seconds: number;
  recordsPerSec: number;
  mbPerSec: number;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function ours(bootstrap: string, topic: string, records: number, value: Buffer): Promise<number> {
  const producer = new Producer({ bootstrapServers: bootstrap, acks: 1, clientId: 'bench-tributary' });
  await producer.connect();
  await producer.send({ topic, messages: [{ value }] }); // metadata warm-up, not timed
  const seconds = await timed(async () => {
    const inFlight = new Set<Promise<unknown>>();
    for (let sent = 0; sent < records; sent += CHUNK) {
      const n = Math.min(CHUNK, records - sent);
      const messages = new Array<{ value: Buffer }>(n);
      for (let i = 0; i < n; i++) messages[i] = { value };
      const p = producer.send({ topic, messages });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (inFlight.size >= 64) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  });
  await producer.close();
  return seconds;
}

async function kafkajs(bootstrap: string, topic: string, records: number, value: Buffer): Promise<number> {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: 'bench-kafkajs', logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  await producer.send({ topic, acks: 1, messages: [{ value }] });
  const seconds = await timed(async () => {
    const inFlight = new Set<Promise<unknown>>();
    for (let sent = 0; sent < records; sent += CHUNK) {
      const n = Math.min(CHUNK, records - sent);
      const p = producer.send({ topic, acks: 1, messages: Array.from({ length: n }, () => ({ value })) });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (inFlight.size >= 5) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  });
  await producer.disconnect();
  return seconds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function result(producer: string, records: number, recordBytes: number, seconds: number): Result {
  return { producer, recordBytes, records, seconds, recordsPerSec: records / seconds, mbPerSec: (records * recordBytes) / seconds / 1e6 };
}

export const description = 'our Producer vs kafkajs: the same N records (100 B and 1 KiB, acks=1) to one broker process';

export async function run(args: BenchArgs): Promise<void> {
  const records = args.number('--records', 1_000_000);
  const rounds = args.number('--rounds', 3);
  const sizes = args.has('--record-size') ? [args.number('--record-size', 1024)] : [100, 1024];
  const broker = await startBrokerProcess();
  const results: Result[] = [];
  try {
    const admin = new Admin({ bootstrapServers: broker.bootstrap });
    const topic = (who: string, size: number, round: number): string => `${who}-${size}-${round}`;
    await admin.createTopics(
      sizes.flatMap((s) => Array.from({ length: rounds }, (_, r) => [topic('ours', s, r), topic('kafkajs', s, r)]).flat()).map((name) => ({ name, numPartitions: 1, replicationFactor: 1 })),
    );
    await admin.close();
    for (const size of sizes) {
      const value = Buffer.alloc(size, 0x61);
      const times = { ours: [] as number[], kafkajs: [] as number[] };
      for (let r = 0; r < rounds; r++) {
        const runOurs = async (): Promise<void> => void times.ours.push(await ours(broker.bootstrap, topic('ours', size, r), records, value));
        const runKafkajs = async (): Promise<void> => void times.kafkajs.push(await kafkajs(broker.bootstrap, topic('kafkajs', size, r), records, value));
        if (r % 2 === 0) {
          await runOurs();
          await runKafkajs();
        } else {
          await runKafkajs();
          await runOurs();
        }
      }
      results.push(result('tributary Producer', records, size, median(times.ours)));
      results.push(result('kafkajs 2.2.4', records, size, median(times.kafkajs)));
    }
  } finally {
    await broker.stop();
  }
  console.log(`client: ${records} records per producer, acks=1, 1 partition, median of ${rounds} rounds, broker as a separate process`);
  printTable(
    ['producer', 'value B', 'records/s', 'MB/s', 'seconds'],
    results.map((r) => [r.producer, String(r.recordBytes), r.recordsPerSec.toFixed(0), r.mbPerSec.toFixed(1), r.seconds.toFixed(2)]),
  );
  for (const size of sizes) {
    const [a, b] = results.filter((r) => r.recordBytes === size);
    if (a && b) console.log(`ratio at ${size} B (tributary / kafkajs): ${(a.recordsPerSec / b.recordsPerSec).toFixed(2)}x`);
  }
  for (const r of results) console.log(JSON.stringify({ workload: 'client', ...r }));
}
