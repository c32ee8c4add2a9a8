import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { TestContext } from 'node:test';
import { makeTempDir, removeTempDir, trackChild } from './cleanup.js';
import { brokerCli } from './paths.js';
import { SERVER_NODE_FLAGS } from '../../src/cli/node-flags.js';

/**
 * Runs the real broker as a separate process (`node dist/src/cli/main.js server ...`), the way a
 * user runs it, so tests can SIGKILL / SIGTERM / restart it.
 *
 * Contract with the CLI: it prints exactly one stdout line `Tributary broker 0 ready on HOST:PORT`
 * when it accepts connections (with ` (metrics on http://HOST:PORT)` after it when metrics.listener is
 * set); logs go to stderr; SIGTERM makes it exit 0.
 */

export type OverrideValue = string | number | boolean;

export interface BrokerProcessOptions {
  /** `--override key=value` pairs, on top of listeners (127.0.0.1:0) and log.dirs (a fresh temp dir). */
  overrides?: Record<string, OverrideValue>;
  /** Use this log dir instead of a fresh temp dir (it is then NOT removed by cleanup()). */
  logDir?: string;
  /** How long to wait for the ready line. Default 20 s. */
  readyTimeoutMs?: number;
  /** Label used in messages. */
  name?: string;
  /** Run under this open-files limit (soft and hard, via prlimit). */
  openFilesLimit?: number;
  /** Echo the broker's stderr to this process's stderr (also enabled by TRIBUTARY_TEST_BROKER_LOGS=1). */
  echoLogs?: boolean;
  /**
   * Start with `server --config FILE` (listeners and dirs as the file says; `logDir` is then only what
   * cleanup removes) instead of the default loopback listener and log dir overrides.
   */
  configFile?: string;
  /** The CLI entry to run (default: the compiled `dist/src/cli/main.js`); the chaos mutants use their own. */
  cli?: string;
  /** Run inside this network namespace (`ip netns exec NS node …`; ip execs node, so the pid is the broker's). */
  netns?: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

// Up to the end of the line, so that the metrics address after the port has arrived too.
const READY_RE = /ready on (\S+):(\d+)[^\n]*\n/;
/** The ready line's tail when `metrics.listener` is set. */
const METRICS_RE = /\(metrics on (http:\/\/\S+)\)/;
const MAX_LOG_CHARS = 256 * 1024;

export class BrokerProcess {
  host = '';
  port = 0;
  /** `http://host:port` of the metrics listener (from the ready line), or null when metrics.listener is off. */
  metricsUrl: string | null = null;
  readonly logDir: string;
  readonly name: string;
  /** Exit of the most recent incarnation, once it has exited. */
  lastExit: ExitInfo | null = null;
  /** How many times the process was started. */
  starts = 0;

  private child: ChildProcess | null = null;
  private exited: Promise<ExitInfo> | null = null;
  private logs = '';
  private readonly ownsLogDir: boolean;
  private readonly overrides: Record<string, OverrideValue>;
  private readonly readyTimeoutMs: number;
  private readonly echo: boolean;
  private readonly openFilesLimit: number | undefined;
  private readonly configFile: string | undefined;
  private readonly netns: string | undefined;
  private readonly cli: string;
  private cleanedUp = false;

  private constructor(logDir: string, ownsLogDir: boolean, opts: BrokerProcessOptions) {
    this.logDir = logDir;
    this.ownsLogDir = ownsLogDir;
    this.overrides = { ...(opts.overrides ?? {}) };
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 20_000;
    this.name = opts.name ?? 'broker';
    this.echo = opts.echoLogs ?? process.env.TRIBUTARY_TEST_BROKER_LOGS === '1';
    this.openFilesLimit = opts.openFilesLimit;
    this.configFile = opts.configFile;
    this.netns = opts.netns;
    this.cli = opts.cli ?? brokerCli;
  }

  static async start(opts: BrokerProcessOptions = {}): Promise<BrokerProcess> {
    if (!fs.existsSync(brokerCli)) {
      throw new Error(`broker CLI not built: ${brokerCli} is missing (run \`npx tsc -p .\` first)`);
    }
    const ownsLogDir = opts.logDir === undefined;
    const logDir = opts.logDir ?? (await makeTempDir('logs'));
    const broker = new BrokerProcess(logDir, ownsLogDir, opts);
    try {
      await broker.spawnAndWait(0);
    } catch (err) {
      await broker.cleanup();
      throw err;
    }
    return broker;
  }

  get bootstrap(): string {
    return `${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True while the current incarnation has not exited. */
  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The broker's stderr/stdout (tail), for failure messages. */
  recentLogs(chars = 8000): string {
    return this.logs.length > chars ? `...${this.logs.slice(-chars)}` : this.logs;
  }

  /** Send a signal and wait for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 15_000): Promise<ExitInfo> {
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) throw new Error(`${this.name} was never started`);
    if (!this.alive) return this.lastExit ?? (await exited);
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${this.name} (pid ${child.pid}) did not exit within ${timeoutMs} ms of ${signal}\n${this.recentLogs()}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Graceful stop: SIGTERM, wait up to `timeoutMs`; if it is still running then, SIGKILL it and throw.
   * Returns the exit status (the CLI contract says 0).
   */
  async stop(timeoutMs = 15_000): Promise<ExitInfo> {
    if (!this.alive) return this.lastExit ?? { code: null, signal: null };
    try {
      return await this.kill('SIGTERM', timeoutMs);
    } catch (err) {
      await this.kill('SIGKILL').catch(() => undefined);
      throw err;
    }
  }

  /**
   * Start the broker again on the same log.dirs. Stops the current incarnation first (SIGTERM)
   * if it is still running. With `samePort` the new incarnation listens on the previous port.
   */
  async restart(opts: { samePort?: boolean } = {}): Promise<void> {
    if (this.alive) await this.stop();
    await this.spawnAndWait(opts.samePort ? this.port : 0);
  }

  /** Kill (SIGKILL) whatever still runs and remove the temp log dir. Idempotent, never throws. */
  async cleanup(): Promise<void> {
    if (this.cleanedUp) return;
    this.cleanedUp = true;
    if (this.alive) await this.kill('SIGKILL', 10_000).catch(() => undefined);
    if (this.ownsLogDir) await removeTempDir(this.logDir).catch(() => undefined);
  }

  /**
   * Counts log lines matching `pattern` from now on, however much the broker logs (the kept tail is
   * bounded): for checks over long runs. Keeps the first few matching lines as samples.
   */
  watchLogs(pattern: RegExp): { count: number; samples: string[] } {
    const watch = { pattern, count: 0, samples: [] as string[] };
    this.watches.push(watch);
    return watch;
  }

  private readonly watches: Array<{ pattern: RegExp; count: number; samples: string[] }> = [];
  private partialLine = '';

  private appendLog(text: string): void {
    if (this.watches.length > 0) {
      const lines = (this.partialLine + text).split('\n');
      this.partialLine = lines.pop() ?? '';
      for (const line of lines) {
        for (const w of this.watches) {
          if (!w.pattern.test(line)) continue;
          w.count += 1;
          if (w.samples.length < 5) w.samples.push(line.slice(0, 2000));
        }
      }
    }
    this.logs += text;
    if (this.logs.length > MAX_LOG_CHARS * 2) this.logs = this.logs.slice(-MAX_LOG_CHARS);
    if (this.echo) process.stderr.write(text);
  }

  private async spawnAndWait(port: number): Promise<void> {
    const args =
      this.configFile !== undefined
        ? [...SERVER_NODE_FLAGS, this.cli, 'server', '--config', this.configFile]
        : [...SERVER_NODE_FLAGS, this.cli, 'server', '--override', `listeners=PLAINTEXT://127.0.0.1:${port}`, '--override', `log.dirs=${this.logDir}`];
    for (const [key, value] of Object.entries(this.overrides)) args.push('--override', `${key}=${String(value)}`);
    this.starts += 1;
    const incarnation = this.starts;
    this.appendLog(`\n===== ${this.name} start #${incarnation}: node ${args.join(' ')}\n`);
    // prlimit and `ip netns exec` exec the broker, so the child's pid is the broker's.
    const command = [process.execPath, ...args];
    if (this.openFilesLimit !== undefined) command.unshift('prlimit', `--nofile=${this.openFilesLimit}:${this.openFilesLimit}`);
    if (this.netns !== undefined) command.unshift('ip', 'netns', 'exec', this.netns);
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    trackChild(child);
    this.child = child;
    this.lastExit = null;
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => {
        const info = { code, signal };
        if (this.child === child) this.lastExit = info;
        this.appendLog(`\n===== ${this.name} start #${incarnation} exited: code=${code} signal=${signal}\n`);
        resolve(info);
      });
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => this.appendLog(chunk));
    child.stdout!.setEncoding('utf8');

    await new Promise<void>((resolve, reject) => {
      let stdoutBuf = '';
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish(new Error(`${this.name} did not print its ready line within ${this.readyTimeoutMs} ms\n--- broker output ---\n${this.recentLogs()}`));
      }, this.readyTimeoutMs);
      child.stdout!.on('data', (chunk: string) => {
        this.appendLog(chunk);
        if (settled) return;
        stdoutBuf += chunk;
        const match = READY_RE.exec(stdoutBuf);
        if (match) {
          this.host = match[1]!;
          this.port = Number(match[2]);
          this.metricsUrl = METRICS_RE.exec(stdoutBuf)?.[1] ?? null;
          finish();
        }
      });
      child.once('error', (err) => finish(new Error(`failed to spawn ${this.name}: ${err.message}`)));
      child.once('exit', (code, signal) =>
        finish(new Error(`${this.name} exited before it was ready (code=${code} signal=${signal})\n--- broker output ---\n${this.recentLogs()}`)),
      );
    });
  }
}

/** Start a broker process whose cleanup is registered on the test (runs even when the test fails). */
export async function startBrokerProcess(t: TestContext | null, opts: BrokerProcessOptions = {}): Promise<BrokerProcess> {
  const broker = await BrokerProcess.start(opts);
  if (t) t.after(() => broker.cleanup());
  return broker;
}
