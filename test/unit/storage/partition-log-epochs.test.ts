import { continuing } from '../../helpers/hostile-batches.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PARTITION_LEADER_EPOCH } from '../../../src/protocol/records/batch-header.js';
import { LEADER_EPOCH_CHECKPOINT_FILE } from '../../../src/storage/leader-epoch-cache.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { offsetFileName, LOG_FILE_SUFFIX } from '../../../src/storage/fs-util.js';
import { valuesBatch, withTempDir } from './helpers.js';

const e = (epoch: number, startOffset: number): { epoch: number; startOffset: number } => ({ epoch, startOffset });

/** A batch as a leader wrote it in `epoch` (the field is outside the CRC, as in Kafka). */
function batchInEpoch(n: number, epoch: number, prefix = 'r'): Buffer {
  const b = valuesBatch(n, prefix);
  b.writeInt32BE(epoch, PARTITION_LEADER_EPOCH);
  return b;
}

async function checkpointText(dir: string): Promise<string> {
  return readFile(path.join(dir, LEADER_EPOCH_CHECKPOINT_FILE), 'utf8');
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

test('leader appends assign their epoch at the base offset; the checkpoint is written when it changes and survives a reopen', () =>
  withTempDir(async (root) => {
    const dir = path.join(root, 't-0');
    const log = await PartitionLog.open(dir);
    assert.equal(log.latestEpoch(), null);
    await log.append(valuesBatch(2), {});
    assert.equal(await exists(path.join(dir, LEADER_EPOCH_CHECKPOINT_FILE)), false, 'batches without an epoch assign nothing');
    await log.append(valuesBatch(3), { leaderEpoch: 1 });
    assert.equal(await checkpointText(dir), '0\n1\n1 2\n');
    const before = (await stat(path.join(dir, LEADER_EPOCH_CHECKPOINT_FILE))).mtimeMs;
    await new Promise((r) => setTimeout(r, 20));
    await log.append(valuesBatch(1), { leaderEpoch: 1 });
    assert.equal((await stat(path.join(dir, LEADER_EPOCH_CHECKPOINT_FILE))).mtimeMs, before, 'same epoch: not rewritten');
    await log.append(valuesBatch(4), { leaderEpoch: 3 });
    assert.deepEqual(log.epochEntries(), [e(1, 2), e(3, 6)]);
    assert.equal(log.latestEpoch(), 3);
    assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 6 });
    assert.deepEqual(log.endOffsetForEpoch(2), { epoch: 1, endOffset: 6 });
    assert.deepEqual(log.endOffsetForEpoch(3), { epoch: 3, endOffset: 10 });
    assert.deepEqual(log.endOffsetForEpoch(0), { epoch: 0, endOffset: 2 });
    assert.deepEqual(log.endOffsetForEpoch(4), { epoch: -1, endOffset: -1 });
    await log.close();
    assert.equal(await checkpointText(dir), '0\n2\n1 2\n3 6\n');
    const again = await PartitionLog.open(dir);
    assert.deepEqual(again.epochEntries(), [e(1, 2), e(3, 6)]);
    await again.close();
  }));

test('follower appends (origin replication) keep the batches\' epochs and assign each newer one', () =>
  withTempDir(async (root) => {
    const dir = path.join(root, 't-0');
    const log = await PartitionLog.open(dir);
    const set = Buffer.concat([batchInEpoch(2, 4), batchInEpoch(1, 4), batchInEpoch(3, 6), batchInEpoch(1, -1)]);
    await log.append(continuing(set, log.logEndOffset), { origin: 'replication' });
    assert.deepEqual(log.epochEntries(), [e(4, 0), e(6, 3)]);
    await log.append(continuing(batchInEpoch(2, 6), log.logEndOffset), { origin: 'replication' });
    await log.append(continuing(batchInEpoch(2, 9), log.logEndOffset), { origin: 'replication' });
    assert.deepEqual(log.epochEntries(), [e(4, 0), e(6, 3), e(9, 9)]);
    assert.equal(await checkpointText(dir), '0\n3\n4 0\n6 3\n9 9\n');
    const read = await log.read(0, 1 << 20);
    assert.equal(read.records.readInt32BE(PARTITION_LEADER_EPOCH), 4, 'the leader\'s epoch is stored as sent');
    await log.close();
  }));

test('truncateTo cuts the cache from the end; below the log start it is cleared', () =>
  withTempDir(async (root) => {
    const dir = path.join(root, 't-0');
    const log = await PartitionLog.open(dir);
    await log.append(valuesBatch(2), { leaderEpoch: 1 });
    await log.append(valuesBatch(2), { leaderEpoch: 2 });
    await log.append(valuesBatch(2), { leaderEpoch: 5 });
    await log.truncateTo(4);
    assert.deepEqual(log.epochEntries(), [e(1, 0), e(2, 2)]);
    assert.equal(await checkpointText(dir), '0\n2\n1 0\n2 2\n');
    await log.append(valuesBatch(1), { leaderEpoch: 6 });
    assert.deepEqual(log.epochEntries(), [e(1, 0), e(2, 2), e(6, 4)]);
    await log.deleteRecordsBefore(3);
    assert.deepEqual(log.epochEntries(), [e(2, 3), e(6, 4)]);
    await log.truncateTo(1);
    assert.equal(log.logStartOffset, 1);
    assert.deepEqual(log.epochEntries(), [], 'truncated below the log start: the log restarts empty');
    assert.equal(await checkpointText(dir), '0\n0\n');
    await log.close();
  }));

test('truncateFullyAndStartAt: every segment goes, the log and its epoch cache restart empty at the offset, and a reopen keeps it', () =>
  withTempDir(async (root) => {
    const dir = path.join(root, 't-0');
    const log = await PartitionLog.open(dir, { segmentBytes: 200 });
    for (let i = 0; i < 6; i++) await log.append(valuesBatch(2), { leaderEpoch: 3 });
    assert.ok((await readdir(dir)).filter((f) => f.endsWith(LOG_FILE_SUFFIX)).length > 1, 'several segments to remove');
    await log.truncateFullyAndStartAt(40);
    assert.deepEqual([log.logStartOffset, log.logEndOffset], [40, 40]);
    assert.deepEqual(log.epochEntries(), []);
    assert.equal(await checkpointText(dir), '0\n0\n');
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith(LOG_FILE_SUFFIX)), [offsetFileName(40, LOG_FILE_SUFFIX)]);
    // A follower's next append continues at the leader's offsets from there.
    await log.append(continuing(batchInEpoch(2, 7), 40), { origin: 'replication' });
    assert.deepEqual([log.logStartOffset, log.logEndOffset], [40, 42]);
    assert.deepEqual(log.epochEntries(), [e(7, 40)]);
    await log.close();
    const reopened = await PartitionLog.open(dir, { segmentBytes: 200 });
    assert.deepEqual([reopened.logStartOffset, reopened.logEndOffset], [40, 42]);
    assert.equal((await reopened.read(40, 1 << 20)).batches, 1);
    await reopened.close();
  }));

test('deleteRecordsBefore and retention move the first entry up to the new log start', () =>
  withTempDir(async (root) => {
    const dir = path.join(root, 't-0');
    const size = valuesBatch(2).length;
    const log = await PartitionLog.open(dir, { segmentBytes: 2 * size, fileDeleteDelayMs: 0 });
    await log.append(valuesBatch(2), { leaderEpoch: 1 }); // 0-1
    await log.append(valuesBatch(2), { leaderEpoch: 1 }); // 2-3
    await log.append(valuesBatch(2), { leaderEpoch: 2 }); // 4-5 (second segment)
    await log.append(valuesBatch(2), { leaderEpoch: 3 }); // 6-7
    await log.append(valuesBatch(2), { leaderEpoch: 3 }); // 8-9 (third segment)
    assert.deepEqual(log.segmentBaseOffsets, [0, 4, 8]);
    await log.deleteRecordsBefore(3);
    assert.deepEqual(log.epochEntries(), [e(1, 3), e(2, 4), e(3, 6)]);
    assert.equal(await checkpointText(dir), '0\n3\n1 3\n2 4\n3 6\n');
    log.updateConfig({ retentionBytes: size });
    // The batches' timestamps are 1_700_000_000_000: retention.ms stays out of it.
    assert.equal(await log.applyRetention(1_700_000_000_000 + 1000), 2);
    assert.equal(log.logStartOffset, 8);
    assert.deepEqual(log.epochEntries(), [e(3, 8)]);
    assert.equal(await checkpointText(dir), '0\n1\n3 8\n');
    await log.close();
    const again = await PartitionLog.open(dir);
    assert.deepEqual(again.epochEntries(), [e(3, 8)]);
    await again.close();
  }));

test('a missing or unreadable checkpoint is rebuilt from the batch headers at open', () =>
  withTempDir(async (root) => {
    const dir = path.join(root, 't-0');
    const log = await PartitionLog.open(dir);
    await log.append(valuesBatch(2), {});
    await log.append(valuesBatch(2), { leaderEpoch: 2 });
    await log.append(valuesBatch(1), { leaderEpoch: 2 });
    await log.append(valuesBatch(3), { leaderEpoch: 7 });
    await log.close();
    const file = path.join(dir, LEADER_EPOCH_CHECKPOINT_FILE);
    await rm(file);
    const rebuilt = await PartitionLog.open(dir);
    assert.deepEqual(rebuilt.epochEntries(), [e(2, 2), e(7, 5)]);
    assert.equal(await checkpointText(dir), '0\n2\n2 2\n7 5\n', 'the rebuilt cache is written');
    await rebuilt.close();
    await writeFile(file, '0\n5\n1 0\n');
    const again = await PartitionLog.open(dir);
    assert.deepEqual(again.epochEntries(), [e(2, 2), e(7, 5)]);
    assert.equal(await checkpointText(dir), '0\n2\n2 2\n7 5\n');
    await again.close();
  }));

test('after an unclean stop with a torn tail, the cache is cut to the recovered log end', () =>
  withTempDir(async (root) => {
    const dir = path.join(root, 't-0');
    const log = await PartitionLog.open(dir);
    await log.append(valuesBatch(2), { leaderEpoch: 1 });
    const last = valuesBatch(3);
    await log.append(last, { leaderEpoch: 4 });
    await log.flush();
    assert.equal(await checkpointText(dir), '0\n2\n1 0\n4 2\n');
    // A crash: no close (no clean-shutdown marker), and the last batch only half on disk.
    const segment = path.join(dir, offsetFileName(0, LOG_FILE_SUFFIX));
    await truncate(segment, (await stat(segment)).size - Math.floor(last.length / 2));
    const again = await PartitionLog.open(dir);
    assert.equal(again.logEndOffset, 2);
    assert.deepEqual(again.epochEntries(), [e(1, 0)]);
    assert.equal(await checkpointText(dir), '0\n1\n1 0\n');
    await again.close();
    await log.close().catch(() => undefined);
  }));

test('assignEpochStartOffset: a new leader records its epoch at its log end before appending', () =>
  withTempDir(async (root) => {
    const dir = path.join(root, 't-0');
    const log = await PartitionLog.open(dir);
    await log.append(valuesBatch(3), { leaderEpoch: 1 });
    await log.assignEpochStartOffset(2, log.logEndOffset);
    assert.equal(log.latestEpoch(), 2);
    assert.equal(await checkpointText(dir), '0\n2\n1 0\n2 3\n');
    assert.deepEqual(log.endOffsetForEpoch(1), { epoch: 1, endOffset: 3 });
    assert.deepEqual(log.endOffsetForEpoch(2), { epoch: 2, endOffset: 3 });
    await log.append(valuesBatch(1), { leaderEpoch: 2 });
    assert.deepEqual(log.epochEntries(), [e(1, 0), e(2, 3)]);
    await log.close();
  }));
