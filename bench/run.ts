/**
 * `npm run bench [workload] [--records N] [--record-size B]` — workloads: produce (default).
 * Prints a table and one JSON line per result.
 */
import { runProduceBench } from './produce.js';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function main(): Promise<void> {
  const workload = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'produce';
  if (workload !== 'produce') {
    process.stderr.write(`unknown workload '${workload}'; available: produce\n`);
    process.exit(2);
  }
  const records = flag('--records', 200_000);
  const recordBytes = flag('--record-size', 1024);
  const results = await runProduceBench(records, recordBytes);
  console.log(`produce: ${records} records of ${recordBytes} B, acks=1, 1 partition, broker as a separate process`);
  console.log('producer                      records/s      MB/s   seconds');
  for (const r of results) {
    console.log(`${r.producer.padEnd(28)} ${r.recordsPerSec.toFixed(0).padStart(10)} ${r.mbPerSec.toFixed(1).padStart(9)} ${r.seconds.toFixed(2).padStart(9)}`);
  }
  const [a, b] = results;
  if (a && b) console.log(`ratio (first / second): ${(a.recordsPerSec / b.recordsPerSec).toFixed(2)}x`);
  for (const r of results) console.log(JSON.stringify({ workload, ...r }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
