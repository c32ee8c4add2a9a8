/**
 * `tributary server` logs: JSON lines on a pipe, with `log.level.components` giving one component its
 * own level; readable lines on a pseudo-terminal (util-linux `script`, from Debian's essential bsdutils: a machine without it fails the test).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { brokerCli } from '../helpers/paths.js';
import { cliEnv, startCli } from '../helpers/proc.js';

interface LogLine {
  level: number;
  component?: string;
  msg: string;
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-logs-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Starts a broker with `overrides`, waits for its ready line, stops it with SIGTERM; its stderr lines, parsed. */
async function brokerLogs(dir: string, overrides: readonly string[], env: NodeJS.ProcessEnv): Promise<LogLine[]> {
  let ready!: () => void;
  const readyLine = new Promise<void>((resolve) => (ready = resolve));
  const args = ['server', '-o', 'listeners=PLAINTEXT://127.0.0.1:0', '-o', `log.dirs=${dir}`, ...overrides.flatMap((o) => ['-o', o])];
  const proc = startCli(args, { env, timeoutMs: 30_000, onStdoutLine: (line) => line.includes(' ready on ') && ready() });
  await Promise.race([readyLine, proc.done.then((r) => assert.fail(`the broker exited before its ready line: ${r.stderr}`))]);
  proc.kill('SIGTERM');
  const r = await proc.done;
  assert.equal(r.code, 0, r.stderr);
  return r.stderr
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as LogLine);
}

/** cliEnv without TRIBUTARY_LOG_LEVEL (which it sets to warn). */
function envWithout(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...cliEnv(null), ...extra };
  if (!('TRIBUTARY_LOG_LEVEL' in extra)) delete env['TRIBUTARY_LOG_LEVEL'];
  return env;
}

const DEBUG = 20;
const INFO = 30;
const WARN = 40;

test('log.level.components=raft=debug: raft logs debug lines, no other component does', { timeout: 60_000 }, async () => {
  await withTempDir(async (dir) => {
    const lines = await brokerLogs(dir, ['log.level.components=raft=debug'], envWithout());
    const debug = lines.filter((l) => l.level <= DEBUG);
    assert.ok(debug.some((l) => l.component === 'raft'), `raft debug lines: ${JSON.stringify(lines)}`);
    assert.deepEqual(debug.filter((l) => l.component !== 'raft'), [], 'debug lines of other components');
    assert.ok(lines.some((l) => l.level === INFO && l.component !== 'raft'), 'the others still log at info');
  });
});

test('TRIBUTARY_LOG_LEVEL wins over log.level; the component level still applies', { timeout: 60_000 }, async () => {
  await withTempDir(async (dir) => {
    const lines = await brokerLogs(dir, ['log.level=debug', 'log.level.components=raft=debug'], envWithout({ TRIBUTARY_LOG_LEVEL: 'warn' }));
    assert.ok(lines.some((l) => l.component === 'raft' && l.level <= DEBUG), 'raft debug lines');
    assert.deepEqual(lines.filter((l) => l.component !== 'raft' && l.level < WARN), [], 'lines below warn of other components');
  });
});

function requireScript(): void {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
  } catch (err) {
    throw new Error(`util-linux \`script\` is needed to give the broker a pseudo-terminal (Debian: bsdutils): ${String(err)}`);
  }
}

/** Runs the broker under `script` (stderr a pseudo-terminal) until its ready line; what the terminal showed. */
async function underTerminal(dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const pidFile = path.join(dir, 'broker.pid');
  const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
  const inner = `echo $$ > ${quote(pidFile)}; exec ${quote(process.execPath)} ${quote(brokerCli)} server -o listeners=PLAINTEXT://127.0.0.1:0 -o ${quote(`log.dirs=${path.join(dir, 'data')}`)}`;
  const child = spawn('script', ['-q', '-e', '-c', inner, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes(' ready on ')) resolve();
      });
      void exited.then(() => reject(new Error(`script exited before the ready line: ${out}`)));
    });
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    process.kill(pid, 'SIGTERM');
    assert.equal(await exited, 0, out);
    return out;
  } finally {
    clearTimeout(timer);
  }
}

test('on a terminal: readable lines with the component first; TRIBUTARY_LOG_FORMAT=json keeps JSON', { timeout: 90_000 }, async () => {
  requireScript();
  await withTempDir(async (dir) => {
    const plain = (await underTerminal(dir, envWithout())).replace(/\x1b\[[0-9;]*m/g, '').replace(/\r/g, '');
    const lines = plain.split('\n').filter((l) => l !== '');
    assert.ok(lines.some((l) => /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[raft\] became raft leader/.test(l)), plain);
    assert.ok(lines.some((l) => /^Tributary broker 0 ready on 127\.0\.0\.1:\d+$/.test(l)), plain);
    assert.ok(lines.some((l) => /INFO: \[cli\] shutting down/.test(l)), `the shutdown lines are shown: ${plain}`);
    assert.ok(!lines.some((l) => l.startsWith('{')), `no JSON lines: ${plain}`);
  });
  await withTempDir(async (dir) => {
    const lines = (await underTerminal(dir, envWithout({ TRIBUTARY_LOG_FORMAT: 'json' }))).replace(/\r/g, '').split('\n').filter((l) => l !== '' && !l.includes(' ready on '));
    assert.ok(lines.length > 0);
    for (const l of lines) JSON.parse(l);
  });
});
