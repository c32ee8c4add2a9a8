/**
 * latency: end-to-end latency percentiles at fixed rates. Our Producer (acks=1, lingerMs 1 as in the
 * OpenMessaging Benchmark's Kafka driver) sends 1 KiB records at a fixed rate into one broker
 * process; a fetch loop (minBytes 1, maxWaitMs 500) in the same process reads them; each value
 * carries its send time, so latency = receive time − send time on one clock. Rates: 10 MB/s and
 * 50% of the maximum measured at the start of the run.
 *
 * The broker runs as `tributary server` does (src/cli/node-flags.ts: `--initial-heap-size=64`). That
 * flag removed the mark-compacts every 20–200 ms that were most of the tail; `--semi-space N` adds
 * `--max-semi-space-size=N` (MiB), which helped before it and no longer does (docs/performance.md).
 */
import { Producer } from '../../src/client/index.js';
import { decodeRecordBatchesSync } from '../../src/protocol/records/index.js';
import { printTable, type BenchArgs } from '../bench-args.js';
import { startBrokerProcess, type BenchBroker } from '../broker-process.js';
import { fmt, percentile, saveResults } from '../lib/results.js';
import { clientProduce, createTopics, fetchConsume } from '../lib/tributary.js';
import { textValues } from '../lib/values.js';

export const description = 'end-to-end latency p50/p99/p99.9 at 10 MB/s and at 50% of max (--seconds, --record-size, --partitions, --semi-space)';

interface LatencyRow {
  rate: string;
  targetMBps: number;
  achievedMBps: number;
  records: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

const now = (): number => performance.timeOrigin + performance.now();

async function measure(broker: BenchBroker, topic: string, partitions: number, recordBytes: number, bytesPerSec: number, seconds: number, lingerMs: number): Promise<Omit<LatencyRow, 'rate'>> {
  const template = textValues(recordBytes, 1)[0]!;
  const ratePerSec = bytesPerSec / recordBytes;
  const total = Math.floor(ratePerSec * seconds);
  const latencies = new Float64Array(total);
  let received = 0;
  const producer = new Producer({ bootstrapServers: broker.bootstrap, acks: 1, lingerMs, clientId: 'bench-latency' });
  await producer.connect();
  const warm = Buffer.from(template);
  warm.writeDoubleBE(-1, 0);
  await producer.send({ topic, messages: [{ value: warm }] });
  let consumed = 1; // the warm-up record
  const consumer = fetchConsume(broker.host, broker.port, topic, partitions, Number.MAX_SAFE_INTEGER, {
    maxWaitMs: 500,
    minBytes: 1,
    until: () => received >= total,
    onRecords: (set) => {
      const t = now();
      for (const batch of decodeRecordBatchesSync(set, { verifyCrc: false })) {
        for (const r of batch.records) {
          const sent = r.value!.readDoubleBE(0);
          consumed++;
          if (sent >= 0 && received < total) latencies[received++] = t - sent;
        }
      }
    },
  });
  let sent = 0;
  const errors: Error[] = [];
  const start = now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((now() - start) / 1000) * ratePerSec)) - sent;
      if (due > 0) {
        const messages = new Array<{ value: Buffer }>(due);
        const t = now();
        for (let i = 0; i < due; i++) {
          const v = Buffer.allocUnsafe(recordBytes);
          template.copy(v);
          v.writeDoubleBE(t, 0);
          messages[i] = { value: v };
        }
        sent += due;
        producer.send({ topic, messages }).catch((err: Error) => errors.push(err));
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const elapsed = (now() - start) / 1000;
  await consumer;
  await producer.close();
  if (errors.length > 0) throw errors[0]!;
  void consumed;
  const sorted = latencies.subarray(0, received).sort();
  return {
    targetMBps: bytesPerSec / 1e6,
    achievedMBps: (sent * recordBytes) / elapsed / 1e6,
    records: received,
    p50Ms: percentile(sorted, 50),
    p95Ms: percentile(sorted, 95),
    p99Ms: percentile(sorted, 99),
    p999Ms: percentile(sorted, 99.9),
    maxMs: sorted[sorted.length - 1]!,
  };
}

export async function run(args: BenchArgs): Promise<void> {
  const seconds = args.number('--seconds', 10);
  const recordBytes = args.number('--record-size', 1024);
  const partitions = args.number('--partitions', 1);
  const lingerMs = args.number('--linger-ms', 1);
  const semiSpaceMiB = args.number('--semi-space', 0);
  const broker = await startBrokerProcess({}, { nodeArgs: semiSpaceMiB > 0 ? [`--max-semi-space-size=${semiSpaceMiB}`] : [] });
  const rows: LatencyRow[] = [];
  let maxMBps = 0;
  try {
    await createTopics(broker.bootstrap, [
      { name: 'max', partitions },
      { name: 'lat-10', partitions },
      { name: 'lat-half', partitions },
    ]);
    const maxRecords = args.number('--max-records', 300_000);
    const maxSecs = await clientProduce(broker.bootstrap, 'max', maxRecords, textValues(recordBytes, 16));
    maxMBps = (maxRecords * recordBytes) / maxSecs / 1e6;
    rows.push({ rate: '10 MB/s', ...(await measure(broker, 'lat-10', partitions, recordBytes, 10e6, seconds, lingerMs)) });
    rows.push({ rate: `50% of max (${fmt(maxMBps / 2, 0)} MB/s)`, ...(await measure(broker, 'lat-half', partitions, recordBytes, (maxMBps * 1e6) / 2, seconds, lingerMs)) });
  } finally {
    await broker.stop();
  }
  const gc = semiSpaceMiB > 0 ? `broker + --max-semi-space-size=${semiSpaceMiB}` : 'broker with tributary server flags';
  console.log(`latency: ${recordBytes} B records, ${partitions} partition(s), acks=1, lingerMs ${lingerMs}, ${seconds} s per rate, ${gc}; max producer rate ${fmt(maxMBps, 1)} MB/s`);
  printTable(
    ['rate', 'achieved MB/s', 'records', 'p50 ms', 'p95 ms', 'p99 ms', 'p99.9 ms', 'max ms'],
    rows.map((r) => [r.rate, fmt(r.achievedMBps, 1), fmt(r.records), r.p50Ms.toFixed(2), r.p95Ms.toFixed(2), r.p99Ms.toFixed(2), r.p999Ms.toFixed(2), r.maxMs.toFixed(2)]),
  );
  saveResults('latency', { seconds, recordBytes, partitions, lingerMs, semiSpaceMiB, maxMBps }, rows as unknown as Array<Record<string, unknown>>);
}
