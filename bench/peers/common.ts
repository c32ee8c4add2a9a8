/**
 * Peers for `--vs`: each starts its server on 127.0.0.1 with data in a temp dir, produces and
 * consumes through its Node client, and stops the server again. Durability is kept comparable
 * with Tributary's default (page cache, no fsync per write): Redis AOF with fsync every second,
 * NATS JetStream file storage (its default sync interval), RabbitMQ streams (no fsync per write).
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface Peer {
  readonly name: string;
  /** Starts the server (if the peer has one) and prepares a stream/topic for `records` records. */
  start(): Promise<void>;
  /** Sends `records` records cycling through `values`; resolves when all are acknowledged. Returns seconds. */
  produce(records: number, values: readonly Buffer[]): Promise<number>;
  /** Reads `records` records from the beginning; returns seconds. Absent for producer-only peers. */
  consume?(records: number): Promise<number>;
  stop(): Promise<void>;
}

export { freePort } from '../../test/helpers/ports.js';

/** Spawns a server and waits until one of its output lines matches `ready` (or it exits). */
export async function spawnServer(cmd: string, args: readonly string[], ready: RegExp, opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env }, detached: true });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${cmd} not ready after ${opts.timeoutMs ?? 60_000} ms:\n${out.slice(-2000)}`)), opts.timeoutMs ?? 60_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${cmd} exited with ${code}:\n${out.slice(-2000)}`));
    });
  });
  child.stdout!.removeAllListeners('data');
  child.stderr!.removeAllListeners('data');
  child.stdout!.resume();
  child.stderr!.resume();
  return child;
}

/** Stops a server started by spawnServer: SIGTERM to its process group, SIGKILL after `graceMs`. */
export async function stopServer(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid!, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  }, graceMs);
  await exited;
  clearTimeout(timer);
}

/** Runs `fn(i)` for i in [0, total) with at most `window` promises outstanding. */
export async function windowed(total: number, window: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  const inFlight = new Set<Promise<unknown>>();
  for (let i = 0; i < total; i++) {
    const p = fn(i);
    inFlight.add(p);
    void p.then(() => inFlight.delete(p), () => inFlight.delete(p));
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
}
