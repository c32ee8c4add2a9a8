import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { makeBatch, valuesBatch, withTempDir } from './helpers.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof KafkaError, `expected KafkaError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${ErrorCode[code]}, got ${ErrorCode[err.code]}: ${err.message}`);
    return true;
  });
}

/** One batch per segment: segment.bytes below two batches' size. */
async function logWithSegments(dir: string, timestamps: number[], config = {}): Promise<PartitionLog> {
  const size = valuesBatch(2, 'b0', T0).length;
  const log = await PartitionLog.open(dir, { segmentBytes: 2 * size - 1, fileDeleteDelayMs: 60_000, ...config }, undefined, {
    clock: () => T0,
  });
  for (const [i, ts] of timestamps.entries()) await log.append(valuesBatch(2, `b${i}`, ts));
  return log;
}

const suffixed = async (dir: string, suffix: string): Promise<string[]> =>
  (await readdir(dir)).filter((n) => n.endsWith(suffix)).sort();

test('retention.ms deletes whole segments by their largest timestamp, renamed .deleted first', () =>
  withTempDir(async (dir) => {
    const log = await logWithSegments(dir, [T0 - 5 * HOUR, T0 - 4 * HOUR, T0 - HOUR, T0]);
    assert.equal(log.segmentCount, 4);
    const deleted = await log.applyRetention(T0, {});
    assert.equal(deleted, 0, 'default retention.ms (7 days) keeps everything');
    log.updateConfig({ retentionMs: 2 * HOUR });
    assert.equal(await log.applyRetention(T0), 2);
    assert.equal(log.logStartOffset, 4);
    assert.deepEqual(log.segmentBaseOffsets, [4, 6]);
    assert.equal((await suffixed(dir, '.log.deleted')).length, 2, 'deleted segments wait for file.delete.delay.ms');
    await rejectsWith(log.read(3, 1 << 20), ErrorCode.OFFSET_OUT_OF_RANGE);
    const r = await log.read(4, 1 << 20);
    assert.equal(r.nextOffset, 8);
    await log.close();
    assert.deepEqual(await suffixed(dir, '.deleted'), [], 'close removes what waited');
  }));

test('a non-empty active segment past retention is rolled and deleted; the log end is kept', () =>
  withTempDir(async (dir) => {
    const log = await logWithSegments(dir, [T0 - 5 * HOUR, T0 - 4 * HOUR], { retentionMs: HOUR });
    assert.equal(await log.applyRetention(T0), 2);
    assert.equal(log.logStartOffset, 4);
    assert.equal(log.logEndOffset, 4);
    assert.deepEqual(log.segmentBaseOffsets, [4]);
    const r = await log.append(valuesBatch(1, 'new', T0));
    assert.equal(r.baseOffset, 4);
    assert.equal(await log.applyRetention(T0), 0, 'fresh data stays');
    await log.close();
  }));

test('retention.bytes deletes the oldest segments while the log is over the limit', () =>
  withTempDir(async (dir) => {
    const log = await logWithSegments(dir, [T0, T0, T0, T0, T0]);
    const seg = valuesBatch(2, 'b0', T0).length;
    // Kafka's rule: a segment goes only if the log stays at or above the limit without it.
    log.updateConfig({ retentionBytes: 2 * seg - 10 });
    assert.equal(await log.applyRetention(T0), 3);
    assert.ok(log.sizeBytes > 2 * seg - 10 && log.sizeBytes - seg < 2 * seg - 10);
    assert.deepEqual(log.segmentBaseOffsets, [6, 8]);
    log.updateConfig({ retentionBytes: 0 });
    // Everything past the limit, including the active segment: rolled, then deleted.
    assert.equal(await log.applyRetention(T0), 2);
    assert.equal(log.sizeBytes, 0);
    assert.equal(log.logStartOffset, 10);
    await log.close();
  }));

test('retention never deletes past the high watermark, nor for compact-only logs', () =>
  withTempDir(async (dir) => {
    const log = await logWithSegments(dir, [T0 - 9 * HOUR, T0 - 9 * HOUR, T0 - 9 * HOUR], { retentionMs: HOUR });
    assert.equal(await log.applyRetention(T0, { highWatermark: 3 }), 1, 'only the segment ending at 2 is below hw 3');
    log.updateConfig({ cleanupPolicy: ['compact'] });
    assert.equal(await log.applyRetention(T0), 0);
    await log.close();
  }));

test('.deleted files are removed after file.delete.delay.ms, and reads holding them finish', () =>
  withTempDir(async (dir) => {
    const log = await logWithSegments(dir, [T0 - 5 * HOUR, T0], { retentionMs: HOUR, fileDeleteDelayMs: 40 });
    const reading = log.read(0, 1 << 20);
    assert.equal(await log.applyRetention(T0), 1);
    assert.equal((await reading).nextOffset, 4);
    assert.equal((await suffixed(dir, '.deleted')).length, 3, '.log, .index and .timeindex');
    await sleep(150);
    assert.deepEqual(await suffixed(dir, '.deleted'), []);
    await log.close();
  }));

test('a segment without timestamps ages by its file mtime', () =>
  withTempDir(async (dir) => {
    const log = await logWithSegments(dir, [-1, -1], { retentionMs: HOUR });
    assert.equal(await log.applyRetention(Date.now()), 0);
    assert.equal(await log.applyRetention(Date.now() + 2 * HOUR), 2);
    await log.close();
  }));

test('DeleteRecords moves the log start, deletes segments wholly below it, and refuses offsets past the high watermark', () =>
  withTempDir(async (dir) => {
    const log = await logWithSegments(dir, [T0, T0, T0, T0]);
    await rejectsWith(log.deleteRecordsBefore(9), ErrorCode.OFFSET_OUT_OF_RANGE);
    await rejectsWith(log.deleteRecordsBefore(5, { highWatermark: 4 }), ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal(await log.deleteRecordsBefore(3), 3);
    assert.deepEqual(log.segmentBaseOffsets, [2, 4, 6], 'segment [0,2) is wholly below 3');
    await rejectsWith(log.read(2, 1 << 20), ErrorCode.OFFSET_OUT_OF_RANGE);
    const r = await log.read(3, 1 << 20);
    assert.equal(r.nextOffset, 8, 'the batch holding 3 is returned whole');
    assert.equal((await log.offsetForTimestamp(0))?.offset, 3, 'ListOffsets by time never answers below the start');
    assert.equal(await log.deleteRecordsBefore(1), 3, 'never moves back');
    assert.equal(await log.deleteRecordsBefore(-1), 8, '-1 means the high watermark');
    assert.deepEqual(log.segmentBaseOffsets, [6]);
    assert.equal((await log.append(valuesBatch(1))).baseOffset, 8);
    await log.close();
  }));

test('the log start offset survives an unclean restart through log-start-offset-checkpoint', () =>
  withTempDir(async (dir) => {
    const open = async (): Promise<LogManager> => {
      const m = new LogManager([dir], undefined, { recoveryCheckpointIntervalMs: 0, retentionCheckIntervalMs: 0, cleanerEnable: false });
      await m.open();
      return m;
    };
    let m = await open();
    const log = await m.createLog('t', 0, { segmentBytes: 1 << 20 });
    for (let i = 0; i < 4; i++) await log.append(valuesBatch(3, `b${i}`, T0));
    assert.equal(await log.deleteRecordsBefore(5), 5);
    const text = await import('node:fs/promises').then((fs) => fs.readFile(path.join(dir, 'log-start-offset-checkpoint'), 'utf8'));
    assert.equal(text, '0\n1\nt 0 5\n', 'checkpointed before DeleteRecords is answered');
    // Unclean stop: drop the marker the close writes.
    await m.close();
    await import('node:fs/promises').then((fs) => fs.rm(path.join(dir, 't-0', '.kafka_cleanshutdown')));
    m = await open();
    const again = m.getLog('t', 0)!;
    assert.equal(again.logStartOffset, 5);
    await rejectsWith(again.read(4, 100), ErrorCode.OFFSET_OUT_OF_RANGE);
    await m.close();
  }));

test('LogManager.runRetention applies each log policy', () =>
  withTempDir(async (dir) => {
    const m = new LogManager([dir], undefined, { retentionCheckIntervalMs: 0, cleanerEnable: false, clock: () => T0 });
    await m.open();
    const size = valuesBatch(2, 'k0', T0).length;
    const cfg = { segmentBytes: 2 * size - 1, retentionMs: HOUR };
    const del = await m.createLog('del', 0, cfg);
    const compact = await m.createLog('compact', 0, { ...cfg, cleanupPolicy: ['compact'] });
    // Compacted topics refuse keyless records (Kafka's rule), so the compacted log gets keyed ones of the same size.
    const keyed = (i: number): Buffer => makeBatch({ records: [0, 1].map((j) => ({ key: Buffer.from(`${j}`), value: Buffer.from(`k${i}-${j}`), timestamp: T0 - 2 * HOUR })) });
    for (let i = 0; i < 3; i++) await del.append(valuesBatch(2, `k${i}`, T0 - 2 * HOUR));
    for (let i = 0; i < 3; i++) await compact.append(keyed(i));
    assert.equal(await m.runRetention(T0), 3);
    assert.equal(del.logStartOffset, 6);
    assert.equal(compact.logStartOffset, 0);
    await m.close();
  }));

test('message.timestamp.before/after.max.ms refuse CreateTime batches too far from broker time (KIP-937)', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(dir, { messageTimestampBeforeMaxMs: HOUR, messageTimestampAfterMaxMs: HOUR }, undefined, {
      clock: () => T0,
    });
    await rejectsWith(log.append(valuesBatch(1, 'old', T0 - 2 * HOUR)), ErrorCode.INVALID_TIMESTAMP);
    await rejectsWith(log.append(valuesBatch(1, 'new', T0 + 2 * HOUR)), ErrorCode.INVALID_TIMESTAMP);
    // A record in the middle of an uncompressed batch is found too.
    const mixed = makeBatch({ records: [{ value: Buffer.from('a'), timestamp: T0 }, { value: Buffer.from('b'), timestamp: T0 - 3 * HOUR }] });
    await rejectsWith(log.append(mixed), ErrorCode.INVALID_TIMESTAMP);
    assert.equal((await log.append(valuesBatch(1, 'ok', T0 - HOUR / 2))).baseOffset, 0);
    // The deprecated difference bound applies while before/after are unbounded.
    log.updateConfig({ messageTimestampBeforeMaxMs: Number.MAX_SAFE_INTEGER, messageTimestampAfterMaxMs: Number.MAX_SAFE_INTEGER, messageTimestampDifferenceMaxMs: 10 });
    await rejectsWith(log.append(valuesBatch(1, 'x', T0 - 11)), ErrorCode.INVALID_TIMESTAMP);
    // LogAppendTime topics are not checked: the broker stamps the batch.
    log.updateConfig({ messageTimestampType: 'LogAppendTime' });
    assert.equal((await log.append(valuesBatch(1, 'la', T0 - 5 * HOUR))).baseOffset, 1);
    await log.close();
  }));

test('preallocate sizes the active .log at segment.bytes and trims it on roll and close', () =>
  withTempDir(async (dir) => {
    const one = valuesBatch(2, 'p', T0).length;
    const segmentBytes = 3 * one;
    const log = await PartitionLog.open(dir, { segmentBytes, preallocate: true });
    await log.append(valuesBatch(2, 'p', T0));
    const first = path.join(dir, '00000000000000000000.log');
    assert.equal((await stat(first)).size, segmentBytes);
    for (let i = 0; i < 3; i++) await log.append(valuesBatch(2, 'p', T0));
    await log.flush();
    assert.equal((await stat(first)).size, 3 * one, 'trimmed when it rolled');
    await log.close();
    assert.equal((await stat(path.join(dir, '00000000000000000006.log'))).size, one, 'trimmed at close');
    // After an unclean stop the zeros past the data are cut by recovery: copy the files of an open log.
    const again = await PartitionLog.open(dir, { segmentBytes, preallocate: true });
    for (let i = 0; i < 3; i++) await again.append(valuesBatch(2, 'q', T0));
    const active = path.join(dir, '00000000000000000012.log');
    assert.equal((await stat(active)).size, segmentBytes);
    const copy = path.join(path.dirname(dir), `${path.basename(dir)}-copy`);
    await cp(dir, copy, { recursive: true });
    const crashed = await PartitionLog.open(copy, { segmentBytes, preallocate: true });
    try {
      assert.equal(crashed.logEndOffset, 14);
      assert.equal((await crashed.read(0, 1 << 20)).nextOffset, 14);
      assert.equal((await stat(path.join(copy, '00000000000000000012.log'))).size, one);
      await crashed.close();
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
    await again.close();
  }));
