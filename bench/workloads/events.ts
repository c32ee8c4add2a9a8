/**
 * Events toolkit benchmark: N CloudEvents envelopes (about 100 B of JSON data, 64 keys) on one
 * topic, read in one run by our raw Consumer (`batches()`, decoding nothing) and by
 * `EventBus.subscribe` with a no-op handler (envelope decoded, data validated with zod, per-key
 * lanes, offset tracking and commits) at concurrency 1 and 16. Each reader uses its own group from
 * the earliest offset; rates count from the first event to the last (group join excluded). The
 * ratio subscribe / raw is the toolkit's cost per event. Median of `--rounds` (default 3).
 */
import { z } from 'zod';
import { Admin, Consumer, Producer } from '../../src/client/index.js';
import { EventBus, createEnvelope, defineEvent, encodeEnvelope } from '../../src/events/index.js';
import { startBrokerProcess } from '../broker-process.js';
import { printTable, type BenchArgs } from '../bench-args.js';

export const description = 'events/s through EventBus.subscribe (no-op handler) vs the raw consumer, same topic, same run';

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

const schema = z.object({ sensorId: z.string(), seq: z.number().int(), reading: z.number(), note: z.string() });

async function fill(bootstrap: string, topic: string, events: number): Promise<void> {
  const producer = new Producer({ bootstrapServers: bootstrap, acks: 1, batchSize: 65536, clientId: 'bench-fill' });
  const pending: Array<Promise<unknown>> = [];
  for (let sent = 0; sent < events; sent += 500) {
    const n = Math.min(500, events - sent);
    const messages = Array.from({ length: n }, (_, i) => {
      const seq = sent + i;
      const sensorId = `sensor-${seq % 64}`;
      return encodeEnvelope(createEnvelope({ type: 'sensor.reading', source: '/bench', key: sensorId, data: { sensorId, seq, reading: seq * 0.5, note: 'x'.repeat(40) } }));
    });
    pending.push(producer.send({ topic, messages }));
    if (pending.length >= 32) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  await producer.close();
}

async function raw(bootstrap: string, topic: string, events: number, group: string): Promise<number> {
  const consumer = new Consumer({ bootstrapServers: bootstrap, groupId: group, autoOffsetReset: 'earliest', clientId: 'bench-raw' });
  consumer.subscribe([topic]);
  let first = 0;
  let count = 0;
  for await (const b of consumer.batches()) {
    if (count === 0) first = now();
    count += b.records.length;
    if (count >= events) break;
  }
  const seconds = now() - first;
  await consumer.close();
  return events / seconds;
}

async function subscribed(bootstrap: string, topic: string, events: number, group: string, concurrency: number): Promise<number> {
  const Reading = defineEvent({ type: 'sensor.reading', topic, schema, key: (d) => d.sensorId });
  const bus = new EventBus({ bootstrapServers: bootstrap, source: '/bench', clientId: 'bench-events' });
  let first = 0;
  let last = 0;
  let count = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const sub = await bus.subscribe(
    Reading,
    () => {
      if (count === 0) first = now();
      if (++count === events) {
        last = now();
        resolveDone();
      }
    },
    { group, concurrency, maxInFlight: 5000 },
  );
  await done;
  await bus.close();
  if (sub.stats().handled !== events) throw new Error(`handled ${sub.stats().handled} of ${events}`);
  return events / (last - first);
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function run(args: BenchArgs): Promise<void> {
  const events = args.number('--records', 200_000);
  const partitions = args.number('--partitions', 3);
  const rounds = Math.max(1, args.number('--rounds', 3));
  const broker = await startBrokerProcess({ 'group.initial.rebalance.delay.ms': '0' });
  const topic = 'events-bench';
  const readers: Array<{ name: string; read: (group: string) => Promise<number> }> = [
    { name: 'raw Consumer, batches()', read: (g) => raw(broker.bootstrap, topic, events, g) },
    { name: 'subscribe, concurrency 1', read: (g) => subscribed(broker.bootstrap, topic, events, g, 1) },
    { name: 'subscribe, concurrency 16', read: (g) => subscribed(broker.bootstrap, topic, events, g, 16) },
  ];
  const rates = new Map<string, number[]>(readers.map((r) => [r.name, []]));
  try {
    const admin = new Admin({ bootstrapServers: broker.bootstrap });
    await admin.createTopics([{ name: topic, numPartitions: partitions, replicationFactor: 1 }]);
    await admin.close();
    await fill(broker.bootstrap, topic, events);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? readers : [...readers].reverse();
      for (const r of order) rates.get(r.name)!.push(await r.read(`bench-${r.name.replace(/[^a-z0-9]/gi, '-')}-${round}`));
    }
  } finally {
    await broker.stop();
  }
  const rawRate = median(rates.get(readers[0]!.name)!);
  console.log(`events: ${events} events, ${partitions} partition(s), median of ${rounds} rounds, broker as a separate process`);
  printTable(
    ['reader', 'events/s', 'vs raw'],
    readers.map((r) => {
      const rate = median(rates.get(r.name)!);
      return [r.name, rate.toFixed(0), `${(rate / rawRate).toFixed(2)}x`];
    }),
  );
  for (const r of readers) console.log(JSON.stringify({ workload: 'events', reader: r.name, events, partitions, eventsPerSec: median(rates.get(r.name)!) }));
}
