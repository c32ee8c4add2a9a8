/**
 * catchup: consumer catch-up read. Fills one topic of 16 partitions with --mib MiB of 1 KiB records
 * (prebuilt 16 KiB batches, so the fill is quick), then a fetch loop reads everything from offset 0
 * with the Java consumer's defaults (fetch.max.bytes 50 MiB, max.partition.fetch.bytes 1 MiB, one
 * fetch in flight). The data was just written, so it is read from the page cache (24 GiB here).
 * Default 1024 MiB; the run is `npm run bench catchup -- --mib 10240`.
 */
import { printTable, type BenchArgs } from '../bench-args.js';
import { startBrokerProcess } from '../broker-process.js';
import { fmt, saveResults } from '../lib/results.js';
import { codecProduce, createTopics, fetchConsume } from '../lib/tributary.js';
import { textValues } from '../lib/values.js';

export const description = 'consumer catch-up read of --mib MiB (default 1024; the 10 GiB run is --mib 10240) from 16 partitions';

export async function run(args: BenchArgs): Promise<void> {
  const mib = args.number('--mib', 1024);
  const partitions = args.number('--partitions', 16);
  const recordBytes = args.number('--record-size', 1024);
  const partitionMaxBytes = args.number('--partition-max-bytes', 1_048_576);
  const records = Math.floor((mib * 1024 * 1024) / recordBytes);
  const broker = await startBrokerProcess();
  let fillSecs = 0;
  let read: Awaited<ReturnType<typeof fetchConsume>>;
  try {
    await createTopics(broker.bootstrap, [{ name: 'catchup', partitions }]);
    fillSecs = await codecProduce(broker.host, broker.port, 'catchup', partitions, records, textValues(recordBytes, 64), { batchBytes: 16384, inFlight: 5, partitionsPerRequest: partitions });
    read = await fetchConsume(broker.host, broker.port, 'catchup', partitions, records, { partitionMaxBytes });
  } finally {
    await broker.stop();
  }
  const rows = [
    { phase: 'fill (prebuilt batches)', records, seconds: fillSecs, mbPerSec: (records * recordBytes) / fillSecs / 1e6, wireMBps: NaN, fetches: 0 },
    { phase: 'catch-up read', records: read.records, seconds: read.seconds, mbPerSec: (read.records * recordBytes) / read.seconds / 1e6, wireMBps: read.bytes / read.seconds / 1e6, fetches: read.fetches },
  ];
  console.log(`catchup: ${fmt(mib)} MiB of ${recordBytes} B records in ${partitions} partitions, broker as a separate process`);
  printTable(
    ['phase', 'records', 'seconds', 'MB/s (values)', 'MB/s (wire)', 'fetches'],
    rows.map((r) => [r.phase, fmt(r.records), r.seconds.toFixed(2), fmt(r.mbPerSec, 1), Number.isFinite(r.wireMBps) ? fmt(r.wireMBps, 1) : '', r.fetches ? fmt(r.fetches) : '']),
  );
  saveResults('catchup', { mib, partitions, recordBytes, partitionMaxBytes }, rows);
}
