/**
 * startup: broker start time in-process (`startBroker()` resolved; modules already loaded) and as
 * a process (spawn to the "ready on" line, Node's own start included), and the process's idle RSS
 * a few seconds after start. Medians of --runs runs, each with a fresh data dir.
 */
import { startBroker } from '../../src/index.js';
import { printTable, type BenchArgs } from '../bench-args.js';
import { startBrokerProcess } from '../broker-process.js';
import { fmt, percentile, saveResults, timed } from '../lib/results.js';

export const description = 'broker start time in-process and as a process, idle RSS (--runs)';

const median = (xs: number[]): number => percentile([...xs].sort((a, b) => a - b), 50);

export async function run(args: BenchArgs): Promise<void> {
  const runs = args.number('--runs', 5);
  const idleMs = args.number('--idle-ms', 3000);
  const inProc: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    let close: () => Promise<void> = async () => undefined;
    const secs = await timed(async () => {
      const b = await startBroker();
      close = () => b.close();
    });
    await close();
    if (i > 0) inProc.push(secs * 1000); // the first run also pays for lazy module work
  }
  const proc: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < runs; i++) {
    const b = await startBrokerProcess();
    proc.push(b.readyMs);
    await new Promise((r) => setTimeout(r, idleMs));
    rss.push(b.rssBytes());
    await b.stop();
  }
  const rows = [
    { measure: 'ready in-process (startBroker)', value: median(inProc), unit: 'ms', samples: inProc },
    { measure: 'ready as a process (spawn → listening)', value: median(proc), unit: 'ms', samples: proc },
    { measure: `idle RSS of the process (${idleMs / 1000} s after ready)`, value: median(rss) / 1048576, unit: 'MiB', samples: rss },
  ];
  console.log(`startup: median of ${runs} runs, empty data dir`);
  printTable(['measure', 'median', 'unit', 'samples'], rows.map((r) => [r.measure, fmt(r.value, 1), r.unit, r.samples.map((s) => fmt(r.unit === 'MiB' ? s / 1048576 : s, 1)).join(' ')]));
  saveResults('startup', { runs, idleMs }, rows);
}
