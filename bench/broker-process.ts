/**
 * Starts `tributary server` as a child process on a free port with a temporary data dir.
 * Options: broker property overrides, extra node flags (e.g. `--cpu-prof`), and env `BENCH_CPU_PROF=DIR`
 * which profiles the broker of any workload into DIR (written when the broker stops); env
 * `BENCH_BROKER_NODE_ARGS="--trace-gc ..."` adds node flags to the broker of any workload and
 * `BENCH_BROKER_STDOUT=1` copies the broker's stdout after its ready line to stderr (GC traces).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../src/cli/node-flags.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

export interface BenchBroker {
  host: string;
  port: number;
  bootstrap: string;
  pid: number;
  dataDir: string;
  /** Milliseconds from spawn to the "ready on" line. */
  readyMs: number;
  /** Resident set size of the broker process now (Linux /proc). */
  rssBytes(): number;
  /** CPU seconds (user + system) the broker process has used so far (Linux /proc). */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export interface BrokerProcessOptions {
  nodeArgs?: readonly string[];
  /** Reuse this data dir (kept on stop) instead of a fresh temporary one. */
  dataDir?: string;
  /** Open-files limit for the broker (via prlimit), as operators raise it for Kafka. */
  nofile?: number;
}

export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** utime + stime of a process in seconds (clock ticks of 100 Hz, as on Linux). */
export function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function startBrokerProcess(overrides: Record<string, string> = {}, options: BrokerProcessOptions = {}): Promise<BenchBroker> {
  const dir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'tributary-bench-')));
  // The V8 flags `tributary server` runs with (src/cli/node-flags.ts), then the bench's own.
  const args = [...SERVER_NODE_FLAGS, ...(options.nodeArgs ?? [])];
  const profDir = process.env['BENCH_CPU_PROF'];
  if (profDir) args.push('--cpu-prof', `--cpu-prof-dir=${profDir}`);
  const extra = process.env['BENCH_BROKER_NODE_ARGS'];
  if (extra) args.push(...extra.split(/\s+/).filter((a) => a !== ''));
  const heapDir = process.env['BENCH_HEAP_PROF'];
  if (heapDir) args.push('--heap-prof', `--heap-prof-dir=${heapDir}`, '--heap-prof-interval=65536');
  args.push(CLI, 'server', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${dir}`);
  for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);
  const started = process.hrtime.bigint();
  const [cmd, argv] = options.nofile ? ['prlimit', [`--nofile=${options.nofile}:${options.nofile}`, process.execPath, ...args]] : [process.execPath, args];
  const child: ChildProcess = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' } });
  const { host, port } = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    let out = '';
    let ready = false;
    const echo = process.env['BENCH_BROKER_STDOUT'] === '1';
    child.stdout!.on('data', (d: Buffer) => {
      if (ready) {
        if (echo) process.stderr.write(d);
        return;
      }
      out += d.toString();
      const m = /ready on (\S+):(\d+)/.exec(out);
      if (m) {
        ready = true;
        resolve({ host: m[1]!, port: Number(m[2]) });
      }
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before it was ready`)));
  });
  const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
  return {
    host,
    port,
    bootstrap: `${host}:${port}`,
    pid: child.pid!,
    dataDir: dir,
    readyMs,
    rssBytes: () => rssOf(child.pid!),
    cpuSeconds: () => cpuOf(child.pid!),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (!options.dataDir) await rm(dir, { recursive: true, force: true });
    },
  };
}
