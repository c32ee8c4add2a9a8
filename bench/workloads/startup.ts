/**
 * startup: how fast `tributary server` is ready and how much memory it holds idle, next to the floor
 * (a bare `node` that prints a line and idles) measured the same way, so every figure has a ratio.
 *
 * - ready: spawn → the "ready on" line, which the CLI prints once the listener is bound. To check the
 *   line means what it says, the bench then connects and sends ApiVersions: "answered" is spawn → that
 *   response.
 * - idle RSS (Linux /proc VmRSS) --idle-ms after the ready line, and again at --settle-ms. V8's memory
 *   reducer collects about 8 s after start and gives the new space grown during module loading back,
 *   so the settled figure is what an idle broker keeps; the early one is what it peaks at.
 * - restart with __consumer_offsets: the offsets topic is created on first use (FindCoordinator), not
 *   at start, so a fresh broker has no partitions; a broker restarted on a data dir that has it opens
 *   its 50 partitions before it is ready. That row shows what they cost.
 * - in-process: `startBroker()` resolved, modules already loaded.
 *
 * Processes are started one after another; each idles while the next starts (an idle broker uses no
 * CPU), so the run takes about runs × 3 kinds × ~1 s + settle-ms instead of runs × 3 × settle-ms.
 * Medians of --runs runs, each process on its own fresh (or freshly copied) data dir.
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../src/index.js';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { ApiVersionsApi, FindCoordinatorApi } from '../../src/protocol/messages/index.js';
import { printTable, type BenchArgs } from '../bench-args.js';
import { rssOf, startBrokerProcess } from '../broker-process.js';
import { fmt, percentile, saveResults, timed } from '../lib/results.js';

export const description = 'broker ready time and idle RSS as a process, against bare node (--runs, --idle-ms, --settle-ms)';

const median = (xs: readonly number[]): number => percentile([...xs].sort((a, b) => a - b), 50);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const MiB = 1048576;

/** One started process: its times (ms since spawn) and RSS samples, and how to stop it. */
interface Started {
  readyMs: number;
  answeredMs: number;
  /** Resolves with [RSS at idle-ms, RSS at settle-ms] after the ready line. */
  rss: Promise<[number, number]>;
  stop(): Promise<void>;
}

function sampleRss(pid: number, idleMs: number, settleMs: number): Promise<[number, number]> {
  return (async () => {
    await sleep(idleMs);
    const early = rssOf(pid);
    await sleep(settleMs - idleMs);
    return [early, rssOf(pid)];
  })();
}

/** Bare node: prints a line as soon as it runs user code, then idles like a broker with nothing to do. */
async function startFloor(idleMs: number, settleMs: number): Promise<Started> {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, ['-e', "process.stdout.write('ready\\n'); setInterval(() => {}, 1000);"], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`bare node exited with ${code}`)));
  });
  const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const exited = new Promise((r) => child.once('exit', r));
  return {
    readyMs,
    answeredMs: NaN,
    rss: sampleRss(child.pid!, idleMs, settleMs),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function startTributary(idleMs: number, settleMs: number, dataDir?: string): Promise<Started> {
  const t0 = process.hrtime.bigint();
  const b = await startBrokerProcess({}, dataDir === undefined ? {} : { dataDir });
  const conn = await BrokerConnection.open(b.host, b.port);
  await conn.send(ApiVersionsApi, 0, {});
  const answeredMs = Number(process.hrtime.bigint() - t0) / 1e6;
  conn.close();
  return {
    readyMs: b.readyMs,
    answeredMs,
    rss: sampleRss(b.pid, idleMs, settleMs),
    stop: async () => {
      await b.stop();
      if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A data dir whose broker has created __consumer_offsets (FindCoordinator for a group). */
async function dataDirWithOffsetsTopic(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-bench-offsets-'));
  const b = await startBrokerProcess({}, { dataDir: dir });
  const conn = await BrokerConnection.open(b.host, b.port);
  for (let i = 0; ; i++) {
    const res = await conn.send<{ errorCode: number }>(FindCoordinatorApi, 0, { key: 'bench-startup' });
    if (res.errorCode === 0) break;
    if (i === 100) throw new Error(`FindCoordinator still fails with error ${res.errorCode}`);
    await sleep(100);
  }
  conn.close();
  await b.stop();
  return dir;
}

async function copyOf(dir: string): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'tributary-bench-restart-'));
  await cp(dir, copy, { recursive: true });
  return copy;
}

export async function run(args: BenchArgs): Promise<void> {
  const runs = args.number('--runs', 5);
  const idleMs = args.number('--idle-ms', 3000);
  const settleMs = args.number('--settle-ms', 15000);
  if (settleMs < idleMs) throw new Error('--settle-ms must be at least --idle-ms');

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

  const offsetsDir = await dataDirWithOffsetsTopic();
  const kinds = ['floor', 'fresh', 'restart'] as const;
  const started: Record<(typeof kinds)[number], Started[]> = { floor: [], fresh: [], restart: [] };
  for (let i = 0; i < runs; i++) {
    // Interleaved, so that a change in machine load touches every kind alike.
    started.floor.push(await startFloor(idleMs, settleMs));
    started.fresh.push(await startTributary(idleMs, settleMs));
    started.restart.push(await startTributary(idleMs, settleMs, await copyOf(offsetsDir)));
  }
  const rss: Record<(typeof kinds)[number], Array<[number, number]>> = { floor: [], fresh: [], restart: [] };
  for (const k of kinds) {
    for (const s of started[k]) rss[k].push(await s.rss);
    for (const s of started[k]) await s.stop();
  }
  await rm(offsetsDir, { recursive: true, force: true });

  const floorReady = median(started.floor.map((s) => s.readyMs));
  const floorEarly = median(rss.floor.map((r) => r[0]));
  const floorSettled = median(rss.floor.map((r) => r[1]));
  const rows = [
    { measure: 'bare node: spawn → first line', value: floorReady, unit: 'ms', floor: floorReady, samples: started.floor.map((s) => s.readyMs) },
    { measure: `bare node: RSS ${idleMs / 1000} s after`, value: floorEarly / MiB, unit: 'MiB', floor: floorEarly / MiB, samples: rss.floor.map((r) => r[0] / MiB) },
    { measure: `bare node: RSS ${settleMs / 1000} s after`, value: floorSettled / MiB, unit: 'MiB', floor: floorSettled / MiB, samples: rss.floor.map((r) => r[1] / MiB) },
  ];
  for (const [k, label] of [['fresh', 'fresh broker'], ['restart', 'restart, __consumer_offsets (50 partitions)']] as const) {
    rows.push(
      { measure: `${label}: spawn → ready line`, value: median(started[k].map((s) => s.readyMs)), unit: 'ms', floor: floorReady, samples: started[k].map((s) => s.readyMs) },
      { measure: `${label}: spawn → ApiVersions answered`, value: median(started[k].map((s) => s.answeredMs)), unit: 'ms', floor: floorReady, samples: started[k].map((s) => s.answeredMs) },
      { measure: `${label}: RSS ${idleMs / 1000} s after ready`, value: median(rss[k].map((r) => r[0])) / MiB, unit: 'MiB', floor: floorEarly / MiB, samples: rss[k].map((r) => r[0] / MiB) },
      { measure: `${label}: RSS ${settleMs / 1000} s after ready`, value: median(rss[k].map((r) => r[1])) / MiB, unit: 'MiB', floor: floorSettled / MiB, samples: rss[k].map((r) => r[1] / MiB) },
    );
  }
  rows.push({ measure: 'in-process startBroker() (modules loaded)', value: median(inProc), unit: 'ms', floor: NaN, samples: inProc });

  console.log(`startup: median of ${runs} runs; ratio = value / bare node measured the same way`);
  printTable(
    ['measure', 'median', 'unit', 'ratio', 'samples'],
    rows.map((r) => [r.measure, fmt(r.value, 1), r.unit, Number.isNaN(r.floor) ? '' : `${fmt(r.value / r.floor, 2)}×`, r.samples.map((s) => fmt(s, 1)).join(' ')]),
  );
  saveResults('startup', { runs, idleMs, settleMs }, rows);
}
