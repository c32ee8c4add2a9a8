/**
 * `tributary storage …` and the directory checks of `tributary server`, run as a user runs them:
 * `node dist/src/cli/main.js …` in a child process, on temp dirs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brokerCli, repoRoot } from '../helpers/paths.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], timeoutMs = 15_000): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [brokerCli, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tributary ${args.join(' ')} did not exit within ${timeoutMs} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-storage-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function expectExit(r: Result, code: number, ...patterns: RegExp[]): void {
  assert.equal(r.code, code, `exit code; stdout: ${r.stdout}\nstderr: ${r.stderr}`);
  for (const p of patterns) assert.match(code === 0 ? r.stdout : r.stdout + r.stderr, p);
}

/** A combined KRaft node config in `dir`, with two log dirs and a separate metadata dir. */
async function writeConfig(dir: string, extra: Record<string, string> = {}): Promise<string> {
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': '1',
    listeners: 'PLAINTEXT://127.0.0.1:0,CONTROLLER://127.0.0.1:0',
    'controller.listener.names': 'CONTROLLER',
    'controller.quorum.voters': '1@127.0.0.1:19093',
    'log.dirs': `${dir}/logs-a,${dir}/logs-b`,
    'metadata.log.dir': `${dir}/meta`,
    ...extra,
  };
  const file = path.join(dir, 'server.properties');
  await writeFile(file, Object.entries(props).filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  return file;
}

test('storage random-uuid prints a 22-character base64url id', async () => {
  const a = await run(['storage', 'random-uuid']);
  const b = await run(['storage', 'random-uuid']);
  expectExit(a, 0);
  assert.match(a.stdout, /^[A-Za-z0-9_-]{22}\n$/);
  assert.equal(Buffer.from(a.stdout.trim(), 'base64url').length, 16);
  assert.notEqual(a.stdout, b.stdout);
});

test('storage format writes meta.properties in every dir; twice is refused; --ignore-formatted; info', () =>
  withTempDir(async (dir) => {
    const config = await writeConfig(dir);
    const clusterId = (await run(['storage', 'random-uuid'])).stdout.trim();
    const r = await run(['storage', 'format', '--cluster-id', clusterId, '--config', config]);
    expectExit(r, 0, new RegExp(`^Formatting metadata directory ${dir}/meta with metadata\\.version 3\\.9-IV0\\.$`, 'm'));
    assert.match(r.stdout, new RegExp(`^Formatting data directory ${dir}/logs-a with metadata\\.version`, 'm'));
    assert.match(r.stdout, new RegExp(`^Formatting data directory ${dir}/logs-b with metadata\\.version`, 'm'));
    for (const d of ['logs-a', 'logs-b', 'meta']) {
      const text = await readFile(path.join(dir, d, 'meta.properties'), 'utf8');
      assert.match(text, /^version=1$/m);
      assert.match(text, new RegExp(`^cluster\\.id=${clusterId}$`, 'm'));
      assert.match(text, /^node\.id=1$/m);
      assert.match(text, /^directory\.id=[A-Za-z0-9_-]{22}$/m);
    }

    const twice = await run(['storage', 'format', '-t', clusterId, '-c', config]);
    expectExit(twice, 1, /^tributary: Log directory .* is already formatted\. Use --ignore-formatted/m);
    const ignored = await run(['storage', 'format', '-t', clusterId, '-c', config, '--ignore-formatted']);
    expectExit(ignored, 0, /^All of the log directories are already formatted\.$/m);

    const info = await run(['storage', 'info', '--config', config]);
    expectExit(info, 0, /^Found log directories:$/m, new RegExp(`^  ${dir}/meta \\(metadata\\)$`, 'm'));
    assert.equal(info.stdout.match(new RegExp(`cluster\\.id=${clusterId}`, 'g'))?.length, 3, info.stdout);
    assert.doesNotMatch(info.stdout, /problem/);
  }));

test('storage format refuses a bad cluster id (exit 2); info reports an unformatted dir (exit 1)', () =>
  withTempDir(async (dir) => {
    const config = await writeConfig(dir);
    expectExit(await run(['storage', 'format', '--cluster-id', 'abc', '--config', config]), 2, /abc/, /valid UUID/);
    expectExit(await run(['storage', 'format', '--config', config]), 2, /--cluster-id/);
    const info = await run(['storage', 'info', '--config', config]);
    expectExit(info, 1, /Found \d problems:|Found problem:/, /not formatted/);
  }));

test('server exits 2 with a readable message on an unformatted dir with process.roles set', () =>
  withTempDir(async (dir) => {
    const config = await writeConfig(dir);
    const r = await run(['server', '--config', config]);
    expectExit(r, 2, /^tributary: No meta\.properties found in /m, /tributary storage format/);
    assert.equal(r.stdout, '', 'no ready line');
  }));

test('server exits 2 when node.id is not a voter, or the controller listener is missing', () =>
  withTempDir(async (dir) => {
    const notVoter = await run(['server', '--config', await writeConfig(dir, { 'node.id': '7' })]);
    expectExit(notVoter, 2, /node\.id 7/, /controller\.quorum\.voters/);
    const noListener = await run(['server', '--config', await writeConfig(dir, { listeners: 'PLAINTEXT://127.0.0.1:0' })]);
    expectExit(noListener, 2, /controller\.listener\.names/, /CONTROLLER/);
    const noNames = await run(['server', '--config', await writeConfig(dir, { 'controller.listener.names': '' })]);
    expectExit(noNames, 2, /controller\.listener\.names/);
    const ssl = await run(['server', '--config', await writeConfig(dir, { 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:SSL' })]);
    expectExit(ssl, 2, /CONTROLLER/, /SSL/);
    const badVoter = await run(['server', '--config', await writeConfig(dir, { 'controller.quorum.voters': '1@127.0.0.1' })]);
    expectExit(badVoter, 2, /controller\.quorum\.voters/, /id@host:port/);
    const badRole = await run(['server', '--config', await writeConfig(dir, { 'process.roles': 'broker,observer' })]);
    expectExit(badRole, 2, /process\.roles/);
  }));

test('server exits 2 when a dir belongs to another node', () =>
  withTempDir(async (dir) => {
    await run(['storage', 'format', '-t', 'MkU3OEVBNTcwNTJENDM2Qg', '-c', await writeConfig(dir)]);
    const other = await run(['server', '-o', `log.dirs=${dir}/logs-a`, '-o', 'node.id=3', '-o', 'listeners=PLAINTEXT://127.0.0.1:0']);
    expectExit(other, 2, /belongs to node 1/, /node\.id=3/);
  }));
