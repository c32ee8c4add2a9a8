import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileRaftLog, LEADER_EPOCH_CHECKPOINT_FILE, METADATA_LOG_DIR_NAME } from '../../../src/cluster/raft/file-raft-log.js';
import { MemoryRaftLog } from '../../../src/cluster/raft/memory-raft-log.js';
import { decodeRaftBatches, type RaftLog } from '../../../src/cluster/raft/raft-log.js';
import { snapshotFileName } from '../../../src/cluster/raft/snapshot-format.js';

const rec = (s: string): { value: Buffer } => ({ value: Buffer.from(s) });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'raft-log-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The same behaviour is asked of both logs. */
async function exerciseLog(log: RaftLog): Promise<void> {
  assert.equal(log.endOffset(), 0);
  assert.equal(log.lastFetchedEpoch(), 0);
  const a = await log.appendAsLeader([{ records: [rec('a'), rec('b')] }, { records: [rec('c')] }], 1, 1000);
  assert.deepEqual(a, [{ baseOffset: 0, lastOffset: 1 }, { baseOffset: 2, lastOffset: 2 }]);
  await log.appendAsLeader([{ records: [rec('d')] }], 3, 1001);
  assert.equal(log.endOffset(), 4);
  assert.equal(log.lastFetchedEpoch(), 3);
  assert.deepEqual(log.endOffsetForEpoch(1), { offset: 3, epoch: 1 });
  assert.deepEqual(log.endOffsetForEpoch(2), { offset: 3, epoch: 1 }, 'an epoch with no batch ends where the next begins');
  assert.deepEqual(log.endOffsetForEpoch(3), { offset: 4, epoch: 3 });
  assert.deepEqual(log.endOffsetForEpoch(0), { offset: -1, epoch: -1 });
  const batches = decodeRaftBatches(await log.read(1, 1));
  assert.equal(batches.length, 1, 'at least one batch even when maxBytes is tiny');
  assert.equal(batches[0]!.baseOffset, 0);
  assert.deepEqual(batches[0]!.records.map((r) => r.value.toString()), ['a', 'b']);

  // A follower copy of these bytes.
  const copy = new MemoryRaftLog();
  await copy.appendAsFollower(await log.read(0, 1 << 20));
  assert.equal(copy.endOffset(), 4);
  assert.deepEqual(copy.endOffsetForEpoch(1), { offset: 3, epoch: 1 });
  await assert.rejects(copy.appendAsFollower(await log.read(2, 1 << 20)), /follower append at 2/);

  await log.truncateTo(3);
  assert.equal(log.endOffset(), 3);
  assert.equal(log.lastFetchedEpoch(), 1);
  assert.deepEqual(log.endOffsetForEpoch(3), { offset: 3, epoch: 1 });
  await log.flush();
  assert.equal(log.flushedOffset(), 3);
}

test('MemoryRaftLog: appends, epochs, reads, truncation', async () => {
  await exerciseLog(new MemoryRaftLog());
});

test('MemoryRaftLog: a crash loses what was not flushed', async () => {
  const log = new MemoryRaftLog();
  await log.appendAsLeader([{ records: [rec('a')] }], 1, 0);
  await log.flush();
  await log.appendAsLeader([{ records: [rec('b')] }], 2, 0);
  log.crash();
  assert.equal(log.endOffset(), 1);
  assert.equal(log.lastFetchedEpoch(), 1);
});

test('FileRaftLog: same behaviour, and the epoch cache and log survive a reopen', async () => {
  await withDir(async (dir) => {
    const log = await FileRaftLog.open(dir);
    await exerciseLog(log);
    await log.appendAsLeader([{ records: [rec('e')] }], 4, 2000);
    await log.flush();
    await log.close();
    const text = await readFile(path.join(dir, METADATA_LOG_DIR_NAME, LEADER_EPOCH_CHECKPOINT_FILE), 'utf8');
    assert.equal(text, '0\n2\n1 0\n4 3\n');
    const again = await FileRaftLog.open(dir);
    assert.equal(again.endOffset(), 4);
    assert.equal(again.lastFetchedEpoch(), 4);
    assert.deepEqual(again.endOffsetForEpoch(1), { offset: 3, epoch: 1 });
    await again.close();
  });
});

test('FileRaftLog: snapshots are written as <endOffset>-<epoch>.checkpoint, read back and installed', async () => {
  await withDir(async (dir) => {
    const log = await FileRaftLog.open(dir);
    await log.appendAsLeader([{ records: [rec('a'), rec('b')] }], 2, 0);
    const id = { endOffset: 2, epoch: 2 };
    await log.createSnapshot({ id, lastContainedLogTimestampMs: 77, records: [Buffer.from('state')] });
    const files = await readdir(path.join(dir, METADATA_LOG_DIR_NAME));
    assert.ok(files.includes('00000000000000000002-0000000002.checkpoint'), files.join(','));
    assert.equal(snapshotFileName(id), '00000000000000000002-0000000002.checkpoint');
    const s = await log.readSnapshot(id);
    assert.equal(s?.lastContainedLogTimestampMs, 77);
    assert.deepEqual(s?.records.map((r) => r.toString()), ['state']);
    assert.ok(((await log.readSnapshotBytes(id)) ?? Buffer.alloc(0)).length > 0);
    await log.close();

    const dir2 = path.join(dir, 'follower');
    const follower = await FileRaftLog.open(dir2);
    await follower.appendAsLeader([{ records: [rec('x')] }], 1, 0);
    const big = { endOffset: 50, epoch: 3 };
    await assert.rejects(follower.installSnapshot(big, Buffer.from('torn')));
    // a snapshot made elsewhere with the right id
    const m = new MemoryRaftLog();
    await m.createSnapshot({ id: big, lastContainedLogTimestampMs: 1, records: [Buffer.from('s')] });
    await follower.installSnapshot(big, (await m.readSnapshotBytes(big))!);
    assert.equal(follower.startOffset(), 50);
    assert.equal(follower.endOffset(), 50);
    assert.equal(follower.lastFetchedEpoch(), 3);
    assert.deepEqual(follower.latestSnapshotId(), big);
    await follower.appendAsFollower(await (async () => {
      const leader = new MemoryRaftLog();
      await leader.installSnapshot(big, (await m.readSnapshotBytes(big))!);
      await leader.appendAsLeader([{ records: [rec('y')] }], 4, 0);
      return leader.read(50, 1 << 20);
    })());
    assert.equal(follower.endOffset(), 51);
    await follower.flush();
    await follower.close();
    const reopened = await FileRaftLog.open(dir2);
    assert.equal(reopened.startOffset(), 50);
    assert.equal(reopened.endOffset(), 51);
    assert.deepEqual(reopened.latestSnapshotId(), big);
    assert.deepEqual(reopened.endOffsetForEpoch(3), { offset: 50, epoch: 3 });
    await reopened.close();
  });
});

test('FileRaftLog: reopened after an unclean stop (no close) it keeps the flushed batches and rebuilds a lost epoch checkpoint', async () => {
  await withDir(async (dir) => {
    const log = await FileRaftLog.open(dir);
    await log.appendAsLeader([{ records: [rec('a')] }], 1, 0);
    await log.appendAsLeader([{ records: [rec('b')] }], 2, 0);
    await log.flush();
    // Abandoned without close(): no clean-shutdown marker; the checkpoint is removed as if never written.
    await rm(path.join(dir, METADATA_LOG_DIR_NAME, LEADER_EPOCH_CHECKPOINT_FILE));
    const again = await FileRaftLog.open(dir);
    assert.equal(again.endOffset(), 2);
    assert.equal(again.lastFetchedEpoch(), 2);
    assert.deepEqual(again.endOffsetForEpoch(1), { offset: 1, epoch: 1 });
    await again.close();
    await log.close().catch(() => undefined);
  });
});
