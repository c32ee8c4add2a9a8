import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPLICATION_OFFSET_CHECKPOINT_FILE, parseOffsetCheckpoint } from '../../../src/storage/checkpoint-file.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { valuesBatch, withTempDir } from './helpers.js';

test('replication-offset-checkpoint: each log dir lists the high watermarks of its logs and they are read back at open', () =>
  withTempDir(async (root) => {
    const dirs = [path.join(root, 'd1'), path.join(root, 'd2')];
    const opts = { recoveryCheckpointIntervalMs: 0, retentionCheckIntervalMs: 0, cleanerEnable: false };
    const mgr = new LogManager(dirs, undefined, opts);
    await mgr.open();
    for (const [t, p] of [['a', 0], ['a', 1], ['b', 0]] as const) {
      const log = await mgr.createLog(t, p);
      await log.append(valuesBatch(3 + p));
    }
    const where = new Map(mgr.listLogs().map((h) => [`${h.topic}-${h.partition}`, h.logDir]));
    const hws: Record<string, number | undefined> = { 'a-0': 2, 'a-1': 4, 'b-0': undefined };
    await mgr.checkpointHighWatermarks((t, p) => hws[`${t}-${p}`]);
    for (const d of dirs) {
      const listed = parseOffsetCheckpoint(await readFile(path.join(d, REPLICATION_OFFSET_CHECKPOINT_FILE), 'utf8'));
      const expected = Object.entries(hws)
        .filter(([k, hw]) => where.get(k) === d && hw !== undefined)
        .map(([k, hw]) => ({ topic: k.split('-')[0]!, partition: Number(k.split('-')[1]), offset: hw! }));
      assert.deepEqual(listed.sort((x, y) => x.partition - y.partition), expected.sort((x, y) => x.partition - y.partition), d);
    }
    assert.equal(mgr.highWatermarkCheckpoint('a', 0), undefined, 'read at open only');
    await mgr.close();

    const again = new LogManager(dirs, undefined, opts);
    await again.open();
    assert.equal(again.highWatermarkCheckpoint('a', 0), 2);
    assert.equal(again.highWatermarkCheckpoint('a', 1), 4);
    assert.equal(again.highWatermarkCheckpoint('b', 0), undefined, 'not listed');
    assert.equal(again.highWatermarkCheckpoint('zz', 0), undefined, 'not hosted');
    await again.deleteLog('a', 0);
    assert.equal(again.highWatermarkCheckpoint('a', 0), undefined, 'a deleted log forgets its checkpointed high watermark');
    await again.close();

    // An unreadable file is ignored (the partition then learns its high watermark from its leader).
    await writeFile(path.join(where.get('a-1')!, REPLICATION_OFFSET_CHECKPOINT_FILE), 'garbage');
    const third = new LogManager(dirs, undefined, opts);
    await third.open();
    assert.equal(third.highWatermarkCheckpoint('a', 1), undefined);
    await third.close();
  }));
