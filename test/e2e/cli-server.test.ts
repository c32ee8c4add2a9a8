/**
 * `tributary server` as a user runs it: `node dist/src/cli/main.js server ...` in a child process.
 * Config mistakes must exit 2 with one readable line on stderr and nothing on stdout; a good config
 * prints exactly one "ready" line and SIGTERM stops the broker with status 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// This file runs as dist/test/e2e/cli-server.test.js; the repository root is three levels up.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const cli = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], timeoutMs = 15_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tributary ${args.join(' ')} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-cli-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function assertUsageError(r: Result, ...patterns: RegExp[]): void {
  assert.equal(r.code, 2, `exit code; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '', 'nothing on stdout');
  assert.match(r.stderr, /^tributary: /);
  for (const p of patterns) assert.match(r.stderr, p);
}

test('unknown property → exit 2 naming it and suggesting the right one', async () => {
  const r = await run(['server', '--override', 'log.retension.ms=1000']);
  assertUsageError(r, /Unknown broker config 'log\.retension\.ms'/, /Did you mean 'log\.retention\.ms'\?/);
});

test('invalid value → exit 2 naming the property, the value and what is expected', async () => {
  const r = await run(['server', '-o', 'num.partitions=zero']);
  assertUsageError(r, /'zero'/, /'num\.partitions'/, /expected an int/);
});

test('zookeeper.connect → exit 2 explaining there is no ZooKeeper mode', async () => {
  const r = await run(['server', '-o', 'zookeeper.connect=localhost:2181']);
  assertUsageError(r, /zookeeper\.connect/, /no ZooKeeper mode/);
});

test('--config with a bad path → exit 2', async () => {
  const r = await run(['server', '--config', path.join(tmpdir(), 'no-such-dir-tributary', 'server.properties')]);
  assertUsageError(r, /cannot read config file/, /no such file/);
});

test('an error in the config file points at file and line', async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, 'server.properties');
    await writeFile(file, '# my broker\nnode.id=1\nlog.segment.bytes=10\n');
    const r = await run(['server', '-c', file]);
    assertUsageError(r, /server\.properties:3: /, /'log\.segment\.bytes'/, />= 14/);
  });
});

test('malformed --override → exit 2', async () => {
  const r = await run(['server', '-o', 'num.partitions']);
  assertUsageError(r, /--override expects name=value/);
});

test('unknown CLI option → exit 2', async () => {
  const r = await run(['server', '--no-such-option']);
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /unknown option/);
});

test('--help shows an example and exits 0', async () => {
  const r = await run(['server', '--help']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /Examples:/);
  assert.match(r.stdout, /tributary server --config/);
});

test('a real broker: one ready line on stdout, accepts connections, SIGTERM → exit 0', async () => {
  await withTempDir(async (dir) => {
    const child = spawn(
      process.execPath,
      [cli, 'server', '-o', 'listeners=PLAINTEXT://127.0.0.1:0', '-o', `log.dirs=${path.join(dir, 'data')}`, '-o', 'node.id=7'],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
    try {
      const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ready line within 20 s; stderr: ${stderr}`)), 20_000);
        child.stdout.on('data', (d: Buffer) => {
          stdout += d.toString();
          const m = /ready on (\S+):(\d+)/.exec(stdout);
          if (m) {
            clearTimeout(timer);
            resolve(m);
          }
        });
        void exited.then((e) => {
          clearTimeout(timer);
          reject(new Error(`broker exited early (${e.code ?? e.signal}); stderr: ${stderr}`));
        });
      });
      assert.match(stdout, /^Tributary broker 7 ready on 127\.0\.0\.1:\d+\n$/);
      const port = Number(ready[2]);
      assert.ok(port > 0);
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(port, ready[1]!, () => {
          socket.end();
          resolve();
        });
        socket.on('error', reject);
      });
      child.kill('SIGTERM');
      const exit = await Promise.race([
        exited,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit 15 s after SIGTERM; stderr: ${stderr}`)), 15_000)),
      ]);
      assert.deepEqual(exit, { code: 0, signal: null }, `stderr: ${stderr}`);
      assert.equal(stdout.split('\n').filter((l) => l !== '').length, 1, 'exactly one stdout line');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
