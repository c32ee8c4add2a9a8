import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { trackChild } from './cleanup.js';
import { brokerCli, repoRoot } from './paths.js';

export interface RunResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  durationMs: number;
}

export interface RunOptions {
  timeoutMs: number;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with every complete stdout line as it arrives. */
  onStdoutLine?: (line: string) => void;
  /** Keep at most this many characters of stderr (the tail). Default 1 MiB. */
  maxStderrChars?: number;
  /**
   * Keep at most about this many characters of stdout: the first half and a rolling tail, with a line saying
   * how much was dropped between them. Default 64 Mi: a child stuck printing in a loop must not outgrow V8's
   * longest string.
   */
  maxStdoutChars?: number;
}

export function describeCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** A spawned, tracked child with its output collected; `done` settles when it exits. */
export interface RunningProcess {
  child: ChildProcess;
  done: Promise<RunResult>;
  /** Output so far (useful in failure messages while it still runs). */
  stdoutSoFar(): string;
  stderrSoFar(): string;
  kill(signal?: NodeJS.Signals): void;
}

export function startProcess(cmd: string, args: readonly string[], opts: RunOptions): RunningProcess {
  const started = Date.now();
  const command = describeCommand(cmd, args);
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  trackChild(child);
  const maxStderr = opts.maxStderrChars ?? 1 << 20;
  const maxStdoutHalf = Math.floor((opts.maxStdoutChars ?? 64 << 20) / 2);
  const stdoutHead: string[] = [];
  let stdoutHeadChars = 0;
  let stdoutTail = '';
  let stdoutDroppedChars = 0;
  const stdoutText = (): string =>
    stdoutHead.join('') + (stdoutDroppedChars > 0 ? `\n[... ${stdoutDroppedChars} characters of stdout dropped ...]\n` : '') + stdoutTail;
  let stderr = '';
  let partialLine = '';
  let timedOut = false;
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    if (stdoutHeadChars < maxStdoutHalf) {
      stdoutHead.push(chunk);
      stdoutHeadChars += chunk.length;
    } else {
      stdoutTail += chunk;
      if (stdoutTail.length > 2 * maxStdoutHalf) {
        stdoutDroppedChars += stdoutTail.length - maxStdoutHalf;
        stdoutTail = stdoutTail.slice(-maxStdoutHalf);
      }
    }
    if (opts.onStdoutLine) {
      const text = partialLine + chunk;
      const lines = text.split('\n');
      partialLine = lines.pop() ?? '';
      for (const line of lines) opts.onStdoutLine(line);
    }
  });
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
    if (stderr.length > maxStderr * 2) stderr = stderr.slice(-maxStderr);
  });
  if (opts.input !== undefined) {
    child.stdin!.on('error', () => {
      // the child may exit before reading all of its input; the exit code tells the story
    });
    child.stdin!.end(opts.input);
  }
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs);
  const done = new Promise<RunResult>((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`failed to start ${command}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (opts.onStdoutLine && partialLine.length > 0) opts.onStdoutLine(partialLine);
      resolve({
        command,
        code,
        signal,
        stdout: stdoutText(),
        stderr: stderr.length > maxStderr ? stderr.slice(-maxStderr) : stderr,
        timedOut,
        durationMs: Date.now() - started,
      });
    });
  });
  return {
    child,
    done,
    stdoutSoFar: stdoutText,
    stderrSoFar: () => stderr,
    kill: (signal: NodeJS.Signals = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

export function runProcess(cmd: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return startProcess(cmd, args, opts).done;
}

function tail(text: string, chars: number): string {
  return text.length > chars ? `...${text.slice(-chars)}` : text;
}

/** A readable failure description of a finished command. */
export function formatRunFailure(result: RunResult, what = 'command'): string {
  const status = result.timedOut
    ? `timed out after ${result.durationMs} ms (killed)`
    : result.signal
      ? `killed by ${result.signal}`
      : `exited with code ${result.code}`;
  return [
    `${what} ${status}: ${result.command}`,
    `--- stderr (tail) ---`,
    tail(result.stderr, 6000),
    `--- stdout (tail) ---`,
    tail(result.stdout, 3000),
  ].join('\n');
}

/** Run and throw a descriptive error unless the command exits 0. */
export async function runChecked(cmd: string, args: readonly string[], opts: RunOptions, what?: string): Promise<RunResult> {
  const result = await runProcess(cmd, args, opts);
  if (result.code !== 0 || result.timedOut) throw new Error(formatRunFailure(result, what));
  return result;
}

/*
 * The tributary CLI (`node dist/src/cli/main.js ...`) as a user runs it, in a child process.
 */

/**
 * Environment for a CLI child: no colours, warn-level logs, and TRIBUTARY_BOOTSTRAP_SERVERS set to
 * `bootstrap` — or unset when it is null (an inherited value is never passed on). `extra` is
 * applied on top of the defaults, except for TRIBUTARY_BOOTSTRAP_SERVERS, which only `bootstrap` sets.
 */
export function cliEnv(bootstrap: string | null, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', TRIBUTARY_LOG_LEVEL: 'warn', ...extra };
  delete env['TRIBUTARY_BOOTSTRAP_SERVERS'];
  if (bootstrap !== null) env['TRIBUTARY_BOOTSTRAP_SERVERS'] = bootstrap;
  return env;
}

export interface CliOptions {
  /** Usually from `cliEnv`. */
  env: NodeJS.ProcessEnv;
  input?: string;
  /** Default 20 s. */
  timeoutMs?: number;
  onStdoutLine?: (line: string) => void;
}

/** Start `node dist/src/cli/main.js ...args` in the repository root. */
export function startCli(args: readonly string[], opts: CliOptions): RunningProcess {
  return startProcess(process.execPath, [brokerCli, ...args], {
    timeoutMs: opts.timeoutMs ?? 20_000,
    input: opts.input,
    env: opts.env,
    cwd: repoRoot,
    onStdoutLine: opts.onStdoutLine,
  });
}

export function runCli(args: readonly string[], opts: CliOptions): Promise<RunResult> {
  return startCli(args, opts).done;
}

/** Asserts the CLI exited 0. */
export function cliOk(r: RunResult): RunResult {
  assert.equal(r.code, 0, formatRunFailure(r, 'tributary'));
  return r;
}

/** Asserts the CLI exited with `code`, printed a `tributary: ` error line and stderr matches every pattern. */
export function cliFails(r: RunResult, code: number, ...patterns: RegExp[]): RunResult {
  assert.equal(r.code, code, formatRunFailure(r, 'tributary'));
  assert.match(r.stderr, /^tributary: /m);
  for (const p of patterns) assert.match(r.stderr, p);
  return r;
}
