import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { parseOffsetCheckpoint } from '../../../src/storage/checkpoint-file.js';
import { LogManager, parsePartitionDirName } from '../../../src/storage/log-manager.js';
import { parsePartitionMetadata } from '../../../src/storage/partition-metadata.js';
import { valuesBatch, withTempDir } from './helpers.js';

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const OTHER_ID = 'zZ9_-AAAAAAAAAAAAAAAAA';

test('partition directory names split at the last dash', () => {
  assert.deepEqual(parsePartitionDirName('orders-3'), { topic: 'orders', partition: 3 });
  assert.deepEqual(parsePartitionDirName('my-topic.v2-12'), { topic: 'my-topic.v2', partition: 12 });
  assert.deepEqual(parsePartitionDirName('a-b-c-0'), { topic: 'a-b-c', partition: 0 });
  for (const bad of ['orders', 'orders-', '-3', 'orders-x', 'orders-01', 'orders-3.abc-delete', 'bad topic-1', '..-1']) {
    assert.equal(parsePartitionDirName(bad), null, bad);
  }
});

test('new partitions go to the log dir with the fewest; reopening finds them all', () =>
  withTempDir(async (root) => {
    const dirs = [path.join(root, 'd1'), path.join(root, 'd2'), path.join(root, 'd3')];
    let mgr = new LogManager(dirs, undefined, { recoveryCheckpointIntervalMs: 0 });
    await mgr.open();
    const names: Array<[string, number]> = [
      ['orders', 0],
      ['orders', 1],
      ['my-topic.v2', 0],
      ['a-b-c', 7],
      ['x', 0],
    ];
    for (const [t, p] of names) {
      const log = await mgr.createLog(t, p, { segmentBytes: 4096 });
      await log.append(valuesBatch(p + 1));
    }
    const counts = dirs.map((d) => mgr.listLogs().filter((h) => h.logDir === d).length);
    assert.deepEqual(counts, [2, 2, 1]);
    assert.equal(mgr.listLogs().find((h) => h.topic === 'orders' && h.partition === 0)!.logDir, dirs[0]);
    assert.equal(mgr.listLogs().find((h) => h.topic === 'orders' && h.partition === 1)!.logDir, dirs[1]);
    assert.equal(await mgr.createLog('orders', 0), mgr.getLog('orders', 0), 'createLog is get-or-create');
    await mgr.close();

    // Each dir's recovery-point checkpoint, in Kafka's format.
    const cp = parseOffsetCheckpoint(await readFile(path.join(dirs[0]!, 'recovery-point-offset-checkpoint'), 'utf8'));
    assert.deepEqual(
      cp.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
      [
        { topic: 'a-b-c', partition: 7, offset: 8 },
        { topic: 'orders', partition: 0, offset: 1 },
      ],
    );

    // Leftovers that are not partitions are ignored or cleaned.
    await mkdir(path.join(dirs[1]!, 'orders-5.0123456789abcdef0123456789abcdef-delete'));
    await mkdir(path.join(dirs[1]!, '__cluster_metadata-0'));
    await mkdir(path.join(dirs[2]!, 'not a partition'));
    mgr = new LogManager(dirs, undefined, { recoveryCheckpointIntervalMs: 0 });
    await mgr.open((topic) => (topic === 'x' ? { flushMessages: 1 } : {}));
    assert.deepEqual(
      mgr
        .listLogs()
        .map((h) => `${h.topic}-${h.partition}`)
        .sort(),
      ['a-b-c-7', 'my-topic.v2-0', 'orders-0', 'orders-1', 'x-0'],
    );
    assert.equal(mgr.getLog('a-b-c', 7)!.logEndOffset, 8);
    assert.equal(mgr.getLog('x', 0)!.config.flushMessages, 1);
    assert.equal(mgr.getLog('nope', 0), undefined);
    assert.ok(!(await readdir(dirs[1]!)).some((n) => n.endsWith('-delete')));
    await mgr.close();
  }));

test('partition.metadata records the topic id in Kafka format and is checked', () =>
  withTempDir(async (root) => {
    let mgr = new LogManager([root], undefined, { recoveryCheckpointIntervalMs: 0 });
    await mgr.open();
    await mgr.createLog('t', 0, {}, TOPIC_ID);
    const text = await readFile(path.join(root, 't-0', 'partition.metadata'), 'utf8');
    assert.equal(text, `version: 0\ntopic_id: ${TOPIC_ID}`);
    assert.equal(parsePartitionMetadata(text), TOPIC_ID);
    assert.equal(mgr.getTopicId('t', 0), TOPIC_ID);
    await assert.rejects(mgr.createLog('t', 0, {}, OTHER_ID), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INCONSISTENT_TOPIC_ID);
    await mgr.createLog('u', 0);
    assert.equal(mgr.getTopicId('u', 0), undefined);
    await mgr.createLog('u', 0, {}, OTHER_ID); // recorded later
    await mgr.close();
    mgr = new LogManager([root], undefined, { recoveryCheckpointIntervalMs: 0 });
    await mgr.open();
    assert.equal(mgr.getTopicId('t', 0), TOPIC_ID);
    assert.equal(mgr.getTopicId('u', 0), OTHER_ID);
    await mgr.close();
  }));

test('deleteLog removes the directory; invalid names are refused', () =>
  withTempDir(async (root) => {
    const mgr = new LogManager([root], undefined, { recoveryCheckpointIntervalMs: 0 });
    await mgr.open();
    await (await mgr.createLog('doomed', 2)).append(valuesBatch(3));
    assert.equal(await mgr.deleteLog('doomed', 2), true);
    assert.equal(await mgr.deleteLog('doomed', 2), false);
    assert.equal(mgr.getLog('doomed', 2), undefined);
    assert.deepEqual(await readdir(root), []);
    for (const bad of ['', '.', '..', '../evil', 'a/b', 'sp ace', 'x'.repeat(250)]) {
      await assert.rejects(mgr.createLog(bad, 0), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.INVALID_TOPIC_EXCEPTION, bad);
    }
    await mgr.close();
  }));

test('a recovery-point checkpoint limits recovery; meta.properties hooks', () =>
  withTempDir(async (root) => {
    const mgr = new LogManager([root], undefined, { recoveryCheckpointIntervalMs: 0 });
    await mgr.open();
    const log = await mgr.createLog('t', 0);
    await log.append(valuesBatch(5));
    await log.flush();
    await mgr.checkpointRecoveryPoints();
    assert.deepEqual(parseOffsetCheckpoint(await readFile(path.join(root, 'recovery-point-offset-checkpoint'), 'utf8')), [
      { topic: 't', partition: 0, offset: 5 },
    ]);
    await mgr.writeMetaProperties({ version: '1', 'cluster.id': 'abc', 'node.id': '1' });
    const meta = (await mgr.readMetaProperties()).get(path.resolve(root))!;
    assert.equal(meta.get('cluster.id'), 'abc');
    assert.equal(meta.get('node.id'), '1');
    assert.match(await readFile(path.join(root, 'meta.properties'), 'utf8'), /^version=1$/m);
    await mgr.close();
    await writeFile(path.join(root, 'recovery-point-offset-checkpoint'), 'garbage');
    const again = new LogManager([root], undefined, { recoveryCheckpointIntervalMs: 0 });
    await again.open(); // an unreadable checkpoint only means a full recovery
    assert.equal(again.getLog('t', 0)!.logEndOffset, 5);
    await again.close();
  }));
