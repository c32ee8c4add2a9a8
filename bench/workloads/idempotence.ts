/**
 * What idempotence costs: our Producer with acks=all sends the same N records to one broker process
 * idempotent (its default: InitProducerId, sequence numbers, the broker's producer-state checks) and
 * not (`idempotent: false`), 1,000 records per `send` with up to 64 sends outstanding, 5 requests in
 * flight either way. `--rounds` rounds (default 3), alternating which goes first, fresh topics each
 * round; the table shows medians and the ratio idempotent / plain. kafkajs (`idempotent: true`, which
 * it allows with 1 request in flight only) runs beside them for reference.
 */
import { Kafka, logLevel } from 'kafkajs';
import { Admin, Producer } from '../../src/client/index.js';
import { startBrokerProcess } from '../broker-process.js';
import { printTable, type BenchArgs } from '../bench-args.js';

const CHUNK = 1000;
const OUTSTANDING = 64;

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function ours(bootstrap: string, topic: string, records: number, value: Buffer, idempotent: boolean): Promise<number> {
  const producer = new Producer({ bootstrapServers: bootstrap, acks: -1, idempotent, clientId: `bench-${idempotent ? 'idempotent' : 'plain'}` });
  await producer.connect();
  await producer.send({ topic, messages: [{ value }] }); // metadata and InitProducerId, not timed
  const seconds = await timed(async () => {
    const inFlight = new Set<Promise<unknown>>();
    for (let sent = 0; sent < records; sent += CHUNK) {
      const n = Math.min(CHUNK, records - sent);
      const p = producer.send({ topic, messages: Array.from({ length: n }, () => ({ value })) });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
      if (inFlight.size >= OUTSTANDING) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
  });
  await producer.close();
  return seconds;
}

async function kafkajsIdempotent(bootstrap: string, topic: string, records: number, value: Buffer): Promise<number> {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: 'bench-kafkajs', logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ value }] });
  const seconds = await timed(async () => {
    for (let sent = 0; sent < records; sent += CHUNK) {
      const n = Math.min(CHUNK, records - sent);
      await producer.send({ topic, acks: -1, messages: Array.from({ length: n }, () => ({ value })) });
    }
  });
  await producer.disconnect();
  return seconds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export const description = 'our Producer idempotent vs not (acks=all), kafkajs idempotent for reference: the same N records to one broker process';

export async function run(args: BenchArgs): Promise<void> {
  const records = args.number('--records', 3_000_000);
  const rounds = args.number('--rounds', 3);
  const size = args.number('--record-size', 100);
  const value = Buffer.alloc(size, 0x61);
  const broker = await startBrokerProcess();
  const times = { idempotent: [] as number[], plain: [] as number[], kafkajs: [] as number[] };
  try {
    const admin = new Admin({ bootstrapServers: broker.bootstrap });
    const topic = (who: string, round: number): string => `${who}-${round}`;
    await admin.createTopics(
      Array.from({ length: rounds }, (_, r) => ['idempotent', 'plain', 'kafkajs'].map((w) => topic(w, r))).flat().map((name) => ({ name, numPartitions: 1, replicationFactor: 1 })),
    );
    await admin.close();
    for (let r = 0; r < rounds; r++) {
      const runIdempotent = async (): Promise<void> => void times.idempotent.push(await ours(broker.bootstrap, topic('idempotent', r), records, value, true));
      const runPlain = async (): Promise<void> => void times.plain.push(await ours(broker.bootstrap, topic('plain', r), records, value, false));
      if (r % 2 === 0) {
        await runIdempotent();
        await runPlain();
      } else {
        await runPlain();
        await runIdempotent();
      }
      times.kafkajs.push(await kafkajsIdempotent(broker.bootstrap, topic('kafkajs', r), Math.min(records, 100_000), value));
    }
  } finally {
    await broker.stop();
  }
  const rows = [
    { producer: 'tributary Producer, idempotent', records, seconds: median(times.idempotent) },
    { producer: 'tributary Producer, idempotent: false', records, seconds: median(times.plain) },
    { producer: 'kafkajs 2.2.4, idempotent (1 in flight)', records: Math.min(records, 100_000), seconds: median(times.kafkajs) },
  ];
  console.log(`idempotence: ${records} records of ${size} B, acks=all, 1 partition, median of ${rounds} rounds, broker as a separate process`);
  printTable(
    ['producer', 'records/s', 'MB/s', 'seconds'],
    rows.map((r) => [r.producer, (r.records / r.seconds).toFixed(0), ((r.records * size) / r.seconds / 1e6).toFixed(1), r.seconds.toFixed(2)]),
  );
  console.log(`ratio idempotent / plain: ${(median(times.plain) / median(times.idempotent)).toFixed(2)}x`);
  for (const r of rows) console.log(JSON.stringify({ workload: 'idempotence', recordBytes: size, ...r, recordsPerSec: r.records / r.seconds }));
}
