import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadServerConfig } from '../../../src/cli/commands/server.js';
import { CliError } from '../../../src/cli/errors.js';

async function withFile(text: string, fn: (file: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-cfg-'));
  try {
    const file = path.join(dir, 'server.properties');
    await writeFile(file, text);
    await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function rejectsWith(p: Promise<unknown>, exitCode: number, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof CliError, `expected CliError, got ${String(err)}`);
    assert.equal(err.exitCode, exitCode);
    for (const re of patterns) assert.match(err.message, re);
    return true;
  });
}

test('file then overrides, later override wins', async () => {
  await withFile('num.partitions=2\nlog.dirs=/from/file\n', async (file) => {
    const c = await loadServerConfig({ config: file, override: ['num.partitions=5', 'num.partitions=6', 'node.id=3'] });
    assert.equal(c.numPartitions, 6);
    assert.equal(c.nodeId, 3);
    assert.deepEqual(c.logDirs, ['/from/file']);
  });
});

test('override values may contain = and be empty-named only with an error', async () => {
  const c = await loadServerConfig({ override: ['listeners=PLAINTEXT://127.0.0.1:0'] });
  assert.equal(c.listeners[0]!.port, 0);
  await rejectsWith(loadServerConfig({ override: ['novalue'] }), 2, /--override expects name=value/, /'novalue'/);
  await rejectsWith(loadServerConfig({ override: ['=3'] }), 2, /name=value/);
});

test('config errors say where the property came from', async () => {
  await withFile('# comment\nnum.partitions=1\nlog.retension.ms=5\n', async (file) => {
    await rejectsWith(loadServerConfig({ config: file, override: [] }), 2, new RegExp(`server\\.properties:3: Unknown broker config 'log\\.retension\\.ms'`), /Did you mean 'log\.retention\.ms'/);
  });
  await rejectsWith(loadServerConfig({ override: ['num.partitions=x'] }), 2, /^--override: Invalid value 'x' for broker config 'num\.partitions'/);
});

test('missing config file: exit 2 with what to do', async () => {
  await rejectsWith(loadServerConfig({ config: '/definitely/not/here.properties', override: [] }), 2, /cannot read config file/, /no such file/, /omit --config/);
});
