/**
 * Consumer benchmark: our Consumer and kafkajs 2.2.4 each read the same N records (100 B and
 * 1 KiB values, written once by our Producer) from the same broker process in one run, each in
 * its own consumer group from the earliest offset. Ours is read both ways an application would:
 * `for await (const record of consumer)` and `consumer.batches()`; kafkajs with `eachMessage`
 * and `eachBatch` (auto-resolve). Rates count from the first record to the last (group join
 * excluded); the total including the join is shown too. Each consumer reads `--rounds` times
 * (default 3, alternating which client goes first) and the median is reported, since a shared
 * 2-core machine makes single runs vary widely.
 */
import { Kafka, logLevel } from 'kafkajs';
import { Admin, Consumer, Producer } from '../../src/client/index.js';
import { startBrokerProcess } from '../broker-process.js';
import { printTable, type BenchArgs } from '../bench-args.js';

interface Result {
  consumer: string;
  recordBytes: number;
  records: number;
  /** First record to last. */
  seconds: number;
  /** Subscribe to last record (group join included). */
  totalSeconds: number;
  recordsPerSec: number;
  mbPerSec: number;
}

interface Timing {
  seconds: number;
  totalSeconds: number;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

async function fill(bootstrap: string, topic: string, records: number, value: Buffer): Promise<void> {
  const producer = new Producer({ bootstrapServers: bootstrap, acks: 1, batchSize: 65536, clientId: 'bench-fill' });
  const inFlight = new Set<Promise<unknown>>();
  for (let sent = 0; sent < records; sent += 1000) {
    const n = Math.min(1000, records - sent);
    const p = producer.send({ topic, messages: Array.from({ length: n }, () => ({ value })) });
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    if (inFlight.size >= 64) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  await producer.close();
}

async function ours(bootstrap: string, topic: string, records: number, group: string, mode: 'records' | 'batches'): Promise<Timing> {
  const consumer = new Consumer({ bootstrapServers: bootstrap, groupId: group, autoOffsetReset: 'earliest', clientId: 'bench-tributary' });
  const start = now();
  consumer.subscribe([topic]);
  let first = 0;
  let count = 0;
  let bytes = 0;
  if (mode === 'records') {
    for await (const r of consumer) {
      if (count === 0) first = now();
      bytes += r.value?.length ?? 0;
      if (++count >= records) break;
    }
  } else {
    for await (const b of consumer.batches()) {
      if (count === 0) first = now();
      for (const r of b.records) bytes += r.value?.length ?? 0;
      count += b.records.length;
      if (count >= records) break;
    }
  }
  const end = now();
  await consumer.close();
  if (bytes === 0) throw new Error('no bytes read');
  return { seconds: end - first, totalSeconds: end - start };
}

async function kafkajs(bootstrap: string, topic: string, records: number, group: string, mode: 'eachMessage' | 'eachBatch'): Promise<Timing> {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: 'bench-kafkajs', logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: group });
  await consumer.connect();
  const start = now();
  await consumer.subscribe({ topic, fromBeginning: true });
  let first = 0;
  let count = 0;
  let bytes = 0;
  let end = 0;
  const done = new Promise<void>((resolve) => {
    const seen = (n: number): void => {
      if (count === 0) first = now();
      count += n;
      if (count >= records && end === 0) {
        end = now();
        resolve();
      }
    };
    void consumer.run(
      mode === 'eachMessage'
        ? {
            eachMessage: async ({ message }) => {
              bytes += message.value?.length ?? 0;
              seen(1);
            },
          }
        : {
            eachBatchAutoResolve: true,
            eachBatch: async ({ batch }) => {
              for (const m of batch.messages) bytes += m.value?.length ?? 0;
              seen(batch.messages.length);
            },
          },
    );
  });
  await done;
  await consumer.disconnect();
  if (bytes === 0) throw new Error('no bytes read');
  return { seconds: end - first, totalSeconds: end - start };
}

function result(consumer: string, records: number, recordBytes: number, t: Timing): Result {
  return { consumer, recordBytes, records, seconds: t.seconds, totalSeconds: t.totalSeconds, recordsPerSec: records / t.seconds, mbPerSec: (records * recordBytes) / t.seconds / 1e6 };
}

export const description = 'our Consumer vs kafkajs: the same N records (100 B and 1 KiB) read from one broker process';

type Reader = { name: string; read: (bootstrap: string, topic: string, records: number, group: string) => Promise<Timing> };

const READERS: readonly Reader[] = [
  { name: 'tributary Consumer, for await records', read: (b, t, n, g) => ours(b, t, n, g, 'records') },
  { name: 'tributary Consumer, batches()', read: (b, t, n, g) => ours(b, t, n, g, 'batches') },
  { name: 'kafkajs 2.2.4, eachMessage', read: (b, t, n, g) => kafkajs(b, t, n, g, 'eachMessage') },
  { name: 'kafkajs 2.2.4, eachBatch', read: (b, t, n, g) => kafkajs(b, t, n, g, 'eachBatch') },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(args: BenchArgs): Promise<void> {
  const records = args.number('--records', 1_000_000);
  const partitions = args.number('--partitions', 1);
  const rounds = Math.max(1, args.number('--rounds', 3));
  const sizes = args.has('--record-size') ? [args.number('--record-size', 1024)] : [100, 1024];
  const broker = await startBrokerProcess({ 'group.initial.rebalance.delay.ms': '0' });
  const results: Result[] = [];
  try {
    const admin = new Admin({ bootstrapServers: broker.bootstrap });
    await admin.createTopics(sizes.map((s) => ({ name: `consume-${s}`, numPartitions: partitions, replicationFactor: 1 })));
    await admin.close();
    for (const size of sizes) {
      const topic = `consume-${size}`;
      await fill(broker.bootstrap, topic, records, Buffer.alloc(size, 0x61));
      const timings = new Map<string, Timing[]>(READERS.map((r) => [r.name, []]));
      for (let round = 0; round < rounds; round++) {
        const order = round % 2 === 0 ? READERS : [...READERS].reverse();
        for (const r of order) timings.get(r.name)!.push(await r.read(broker.bootstrap, topic, records, `${r.name}-${size}-${round}`.replace(/[^a-z0-9-]/gi, '-')));
      }
      for (const r of READERS) {
        const list = timings.get(r.name)!;
        results.push(result(r.name, records, size, { seconds: median(list.map((t) => t.seconds)), totalSeconds: median(list.map((t) => t.totalSeconds)) }));
      }
    }
  } finally {
    await broker.stop();
  }
  console.log(`client-consume: ${records} records per consumer, ${partitions} partition(s), median of ${rounds} rounds, broker as a separate process`);
  printTable(
    ['consumer', 'value B', 'records/s', 'MB/s', 'seconds', 'with join'],
    results.map((r) => [r.consumer, String(r.recordBytes), r.recordsPerSec.toFixed(0), r.mbPerSec.toFixed(1), r.seconds.toFixed(2), r.totalSeconds.toFixed(2)]),
  );
  for (const size of sizes) {
    const [rec, batch, msg, kbatch] = results.filter((r) => r.recordBytes === size);
    if (rec && batch && msg && kbatch) {
      console.log(`ratio at ${size} B: records / eachMessage ${(rec.recordsPerSec / msg.recordsPerSec).toFixed(2)}x, batches / eachBatch ${(batch.recordsPerSec / kbatch.recordsPerSec).toFixed(2)}x`);
    }
  }
  for (const r of results) console.log(JSON.stringify({ workload: 'client-consume', ...r }));
}
