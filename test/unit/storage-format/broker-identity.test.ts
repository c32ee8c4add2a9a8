import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseBrokerConfig } from '../../../src/cluster/config/broker-config.js';
import {
  BOOTSTRAP_VOTERS_FILE,
  describeStorage,
  ensureFormatted,
  ensureMetaProperties,
  formatStorage,
  randomClusterId,
  readBootstrapVoters,
  readMetaProperties,
  StorageFormatError,
} from '../../../src/server/broker-identity.js';

async function withTemp(fn: (root: string) => Promise<void>): Promise<void> {
  const root = await mkdtemp(path.join(tmpdir(), 'tributary-format-'));
  try {
    await fn(root);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function cluster(root: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'process.roles': 'broker,controller',
    'node.id': '1',
    listeners: 'PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093',
    'controller.listener.names': 'CONTROLLER',
    'controller.quorum.voters': '1@127.0.0.1:19093',
    'log.dirs': `${root}/a,${root}/b`,
    'metadata.log.dir': `${root}/meta`,
    ...extra,
  };
}

async function rejects(p: Promise<unknown>, ...patterns: RegExp[]): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof StorageFormatError, `expected StorageFormatError, got ${String(err)}`);
    for (const re of patterns) assert.match(err.message, re);
    return true;
  });
}

test('randomClusterId: 22 base64url characters, 16 bytes, different each time', () => {
  const ids = new Set(Array.from({ length: 50 }, () => randomClusterId()));
  assert.equal(ids.size, 50);
  for (const id of ids) {
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(Buffer.from(id, 'base64url').length, 16);
  }
});

test('formatStorage writes meta.properties v1 in every log dir and the metadata dir', () =>
  withTemp(async (root) => {
    const config = parseBrokerConfig(cluster(root));
    const clusterId = randomClusterId();
    const lines: string[] = [];
    const result = await formatStorage({ config, clusterId, print: (l) => lines.push(l) });
    assert.deepEqual(result.formatted.sort(), [`${root}/a`, `${root}/b`, `${root}/meta`].sort());
    const dirIds = new Set<string>();
    for (const d of ['a', 'b', 'meta']) {
      const meta = await readMetaProperties(path.join(root, d));
      assert.ok(meta);
      assert.equal(meta.clusterId, clusterId);
      assert.equal(meta.nodeId, 1);
      assert.match(meta.directoryId ?? '', /^[A-Za-z0-9_-]{22}$/);
      dirIds.add(meta.directoryId!);
      const text = await readFile(path.join(root, d, 'meta.properties'), 'utf8');
      assert.match(text, /^version=1$/m);
      assert.match(text, new RegExp(`^cluster.id=${clusterId}$`, 'm'));
    }
    assert.equal(dirIds.size, 3, 'each directory has its own directory.id');
    assert.ok(lines.some((l) => l === `Formatting metadata directory ${root}/meta with metadata.version 3.9-IV0.`), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith(`Formatting data directory ${root}/a with metadata.version`)));

    // Twice: refused, naming the dir and the flag; --ignore-formatted leaves them alone.
    await rejects(formatStorage({ config, clusterId }), /already formatted/, /--ignore-formatted/);
    await rejects(formatStorage({ config, clusterId: randomClusterId() }), /already formatted/, new RegExp(clusterId));
    const again: string[] = [];
    const skipped = await formatStorage({ config, clusterId, ignoreFormatted: true, print: (l) => again.push(l) });
    assert.equal(skipped.formatted.length, 0);
    assert.deepEqual(again, ['All of the log directories are already formatted.']);
    assert.equal(await ensureFormatted(config), clusterId);

    // A new empty log dir: --ignore-formatted formats just that one.
    const grown = parseBrokerConfig(cluster(root, { 'log.dirs': `${root}/a,${root}/b,${root}/c` }));
    await rejects(ensureFormatted(grown), /No meta.properties found in .*\/c/, /tributary storage format/);
    const r = await formatStorage({ config: grown, clusterId, ignoreFormatted: true });
    assert.deepEqual(r.formatted, [`${root}/c`]);
    assert.equal(await ensureFormatted(grown), clusterId);
  }));

test('formatStorage refuses an invalid cluster id', () =>
  withTemp(async (root) => {
    const config = parseBrokerConfig(cluster(root));
    await rejects(formatStorage({ config, clusterId: 'not-a-uuid' }), /not-a-uuid/, /random-uuid/);
    await rejects(formatStorage({ config, clusterId: 'AAAAAAAAAAAAAAAAAAAAAA' }), /valid UUID/);
  }));

test('ensureFormatted with explicit process.roles refuses an unformatted dir', () =>
  withTemp(async (root) => {
    await rejects(ensureFormatted(parseBrokerConfig(cluster(root))), /No meta.properties found/, /tributary storage format/, /random-uuid/);
  }));

test('implicit single-node quorum: formats an empty dir, then keeps its id', () =>
  withTemp(async (root) => {
    const config = parseBrokerConfig({ 'log.dirs': `${root}/data` });
    const id = await ensureFormatted(config);
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(await ensureFormatted(config), id);
    const meta = await readMetaProperties(`${root}/data`);
    assert.equal(meta?.clusterId, id);
    assert.equal(meta?.nodeId, 0);
    // A configured cluster.id is used for a fresh dir, and must agree afterwards.
    const fixed = randomClusterId();
    assert.equal(await ensureFormatted(parseBrokerConfig({ 'log.dirs': `${root}/other`, 'cluster.id': fixed })), fixed);
    await rejects(ensureFormatted(parseBrokerConfig({ 'log.dirs': `${root}/data`, 'cluster.id': fixed })), /cluster\.id/, new RegExp(id));
  }));

test("the single-node release's meta.properties (no directory.id) is accepted as it is", () =>
  withTemp(async (root) => {
    const fixture = path.join(process.cwd(), 'test/fixtures/single-node-v0.1/data/meta.properties');
    await mkdir(`${root}/data`);
    await cp(fixture, `${root}/data/meta.properties`);
    const before = await readFile(`${root}/data/meta.properties`, 'utf8');
    const legacyId = /cluster.id=(\S+)/.exec(before)![1]!;
    assert.equal(await ensureFormatted(parseBrokerConfig({ 'log.dirs': `${root}/data` })), legacyId);
    assert.equal(await readFile(`${root}/data/meta.properties`, 'utf8'), before, 'left untouched');
    // and the old entry point still works on it
    assert.equal(await ensureMetaProperties([`${root}/data`], 0, null), legacyId);
  }));

test('mismatched node id, cluster id, duplicated directory id, bad files: StorageFormatError', () =>
  withTemp(async (root) => {
    const config = parseBrokerConfig(cluster(root));
    const id = randomClusterId();
    await formatStorage({ config, clusterId: id });
    await rejects(ensureFormatted(parseBrokerConfig(cluster(root, { 'node.id': '2', 'controller.quorum.voters': '2@127.0.0.1:19093' }))), /node 1/, /node\.id=2/);

    const other = randomClusterId();
    await writeFile(`${root}/b/meta.properties`, `version=1\ncluster.id=${other}\nnode.id=1\n`);
    await rejects(ensureFormatted(config), new RegExp(other), new RegExp(id), /one cluster/);

    const a = await readMetaProperties(`${root}/a`);
    await writeFile(`${root}/b/meta.properties`, `version=1\ncluster.id=${id}\nnode.id=1\ndirectory.id=${a!.directoryId}\n`);
    await rejects(ensureFormatted(config), /same directory\.id/);

    await writeFile(`${root}/b/meta.properties`, `version=0\nbroker.id=1\ncluster.id=${id}\n`);
    await rejects(ensureFormatted(config), /version 0/, /ZooKeeper/);
    await writeFile(`${root}/b/meta.properties`, `version=1\ncluster.id=${id}\n`);
    await rejects(ensureFormatted(config), /node\.id/);

    const info = await describeStorage(config);
    assert.equal(info.length, 3);
    assert.equal(info.find((d) => d.path === `${root}/meta`)?.metadata, true);
    assert.match(info.find((d) => d.path === `${root}/b`)?.problem ?? '', /node\.id/);
    assert.equal(info.find((d) => d.path === `${root}/a`)?.meta?.clusterId, id);
  }));

test('--standalone: a dynamic quorum with this node as its first voter', () =>
  withTemp(async (root) => {
    const dynamic = cluster(root, { 'controller.quorum.bootstrap.servers': '127.0.0.1:19093' });
    delete dynamic['controller.quorum.voters'];
    const config = parseBrokerConfig(dynamic);
    const id = randomClusterId();
    await rejects(formatStorage({ config: parseBrokerConfig(cluster(root)), clusterId: id, standalone: true }), /controller\.quorum\.voters/);
    const r = await formatStorage({ config, clusterId: id, standalone: true });
    const metaDir = await readMetaProperties(`${root}/meta`);
    assert.deepEqual(r.bootstrapVoters, [{ id: 1, host: '127.0.0.1', port: 19093, directoryId: metaDir!.directoryId }]);
    assert.deepEqual(await readBootstrapVoters(`${root}/meta`), r.bootstrapVoters);
    assert.match(await readFile(path.join(root, 'meta', BOOTSTRAP_VOTERS_FILE), 'utf8'), new RegExp(id));
    assert.equal(await readBootstrapVoters(`${root}/a`), null);
  }));
