/** Starts `tributary server` as a child process on a free port with a temporary data dir. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli', 'main.js');

export interface BenchBroker {
  host: string;
  port: number;
  bootstrap: string;
  stop(): Promise<void>;
}

export async function startBrokerProcess(overrides: Record<string, string> = {}): Promise<BenchBroker> {
  const dir = await mkdtemp(join(tmpdir(), 'tributary-bench-'));
  const args = [CLI, 'server', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${dir}`];
  for (const [k, v] of Object.entries(overrides)) args.push('--override', `${k}=${v}`);
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' } });
  const { host, port } = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready on (\S+):(\d+)/.exec(out);
      if (m) resolve({ host: m[1]!, port: Number(m[2]) });
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before it was ready`)));
  });
  return {
    host,
    port,
    bootstrap: `${host}:${port}`,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
