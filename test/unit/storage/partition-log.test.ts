import { continuing } from '../../helpers/hostile-batches.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { batchCrcMatches, readInt64 } from '../../../src/protocol/records/batch-header.js';
import { validateBatches } from '../../../src/storage/log-validator.js';
import { buildEndTxnMarkerBatch } from '../../../src/protocol/records/control.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { bruteForceBatches, makeBatch, splitBatches, valuesBatch, withTempDir } from './helpers.js';

async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof KafkaError, `expected KafkaError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${ErrorCode[code]}, got ${ErrorCode[err.code]}: ${err.message}`);
    return true;
  });
}

test('append assigns offsets in place and read returns the stored bytes', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(path.join(dir, 't-0'));
    assert.equal(log.logStartOffset, 0);
    assert.equal(log.logEndOffset, 0);
    const a = valuesBatch(3, 'a');
    const b = valuesBatch(2, 'b');
    const ra = await log.append(a);
    assert.deepEqual(ra, { baseOffset: 0, lastOffset: 2, logAppendTime: -1, logStartOffset: 0 });
    const rb = await log.append(b, { leaderEpoch: 7 });
    assert.deepEqual([rb.baseOffset, rb.lastOffset], [3, 4]);
    assert.equal(readInt64(b, 0), 3, 'baseOffset patched in the caller buffer');
    assert.equal(b.readInt32BE(12), 7, 'leader epoch patched');
    assert.ok(batchCrcMatches(b), 'CRC untouched and still valid');
    assert.equal(log.logEndOffset, 5);
    const all = await log.read(0, 1 << 20);
    assert.deepEqual(all.records, Buffer.concat([a, b]));
    assert.equal(all.batches, 2);
    assert.equal(all.nextOffset, 5);
    assert.equal(log.sizeBytes, a.length + b.length);
    // A fetch in the middle of a batch starts at that batch.
    const mid = await log.read(4, 1 << 20);
    assert.deepEqual(mid.records, b);
    const empty = await log.read(5, 1 << 20);
    assert.equal(empty.records.length, 0);
    assert.equal(empty.nextOffset, 5);
    await log.close();
    const files = (await readdir(path.join(dir, 't-0'))).sort();
    assert.deepEqual(files, ['.kafka_cleanshutdown', '00000000000000000000.index', '00000000000000000000.log', '00000000000000000000.timeindex', 'leader-epoch-checkpoint']);
  }));

test('concurrent appends keep call order, and resolve in that order', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(dir);
    const order: number[] = [];
    const batches = Array.from({ length: 200 }, (_, i) => valuesBatch((i % 5) + 1, `p${i}`));
    const results = await Promise.all(
      batches.map((b, i) =>
        log.append(b).then((r) => {
          order.push(i);
          return r;
        }),
      ),
    );
    assert.deepEqual(order, [...order].sort((x, y) => x - y));
    let expected = 0;
    for (const [i, r] of results.entries()) {
      assert.equal(r.baseOffset, expected);
      expected += (i % 5) + 1;
      assert.equal(r.lastOffset, expected - 1);
    }
    const read = await log.read(0, 1 << 24);
    assert.deepEqual(read.records, Buffer.concat(batches));
    await log.close();
  }));

test('reads never return bytes that are not written yet', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(dir);
    const p = log.append(valuesBatch(4));
    assert.equal(log.logEndOffset, 4, 'offsets are assigned synchronously');
    assert.equal(log.writtenEndOffset, 0);
    const early = await log.read(0, 1 << 20);
    assert.equal(early.records.length, 0);
    await p;
    assert.equal((await log.read(0, 1 << 20)).batches, 1);
    await log.close();
  }));

test('OFFSET_OUT_OF_RANGE below the start and above the end', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(dir);
    await log.append(valuesBatch(3));
    await rejectsWith(log.read(4, 100), ErrorCode.OFFSET_OUT_OF_RANGE);
    await rejectsWith(log.read(-1, 100), ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal((await log.read(3, 100)).records.length, 0);
    await log.truncateTo(0); // empty it
    await log.close();
  }));

test('maxBytes, minOneMessage (KIP-74) and maxOffset', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(dir);
    const batches = [valuesBatch(2, 'a', 1, 50), valuesBatch(2, 'b', 1, 50), valuesBatch(2, 'c', 1, 50)];
    for (const b of batches) await log.append(b);
    const one = batches[0]!.length;
    assert.equal((await log.read(0, one - 1)).records.length, 0, 'no partial batches');
    assert.deepEqual((await log.read(0, one - 1, { minOneMessage: true })).records, batches[0]);
    assert.deepEqual((await log.read(0, 1, { minOneMessage: true })).records, batches[0]);
    assert.deepEqual((await log.read(0, one * 2 + 5)).records, Buffer.concat(batches.slice(0, 2)));
    assert.deepEqual((await log.read(0, 1 << 20, { maxOffset: 4 })).records, Buffer.concat(batches.slice(0, 2)));
    assert.deepEqual((await log.read(0, 1 << 20, { maxOffset: 3 })).records, batches[0], 'a batch reaching maxOffset is excluded');
    assert.equal((await log.read(4, 1 << 20, { maxOffset: 4 })).records.length, 0);
    assert.equal((await log.read(2, 1 << 20, { maxOffset: 3, minOneMessage: true })).records.length, 0);
    await log.close();
  }));

test('segments roll at segment.bytes; reads cross segment boundaries', () =>
  withTempDir(async (dir) => {
    const batch = valuesBatch(4, 'x', 1, 100);
    const size = batch.length;
    const log = await PartitionLog.open(dir, { segmentBytes: size * 3 + 10, indexIntervalBytes: 1 });
    const written: Buffer[] = [];
    for (let i = 0; i < 10; i++) {
      const b = valuesBatch(4, `x${i}`, 1, 100);
      written.push(b);
      await log.append(b);
    }
    assert.deepEqual(log.segmentBaseOffsets, [0, 12, 24, 36]);
    const names = (await readdir(dir)).filter((n) => n.endsWith('.log')).sort();
    assert.deepEqual(names, ['00000000000000000000.log', '00000000000000000012.log', '00000000000000000024.log', '00000000000000000036.log']);
    for (const n of names) assert.ok((await stat(path.join(dir, n))).size <= size * 3 + 10);
    const all = await log.read(0, 1 << 20);
    assert.deepEqual(all.records, Buffer.concat(written));
    const fromMid = await log.read(13, size * 4);
    assert.deepEqual(fromMid.records, Buffer.concat(written.slice(3, 7)));
    assert.equal(fromMid.nextOffset, 28);
    await log.close();
    const reopened = await PartitionLog.open(dir, { segmentBytes: size * 3 + 10, indexIntervalBytes: 1 });
    assert.equal(reopened.logEndOffset, 40);
    assert.deepEqual((await reopened.read(25, 1 << 20)).records, Buffer.concat(written.slice(6)));
    assert.deepEqual((await reopened.append(valuesBatch(1))).baseOffset, 40);
    await reopened.close();
  }));

test('an append larger than segment.bytes is RECORD_LIST_TOO_LARGE', () =>
  withTempDir(async (dir) => {
    const b = valuesBatch(10, 'x', 1, 100);
    const log = await PartitionLog.open(dir, { segmentBytes: b.length - 1 });
    await rejectsWith(log.append(b), ErrorCode.RECORD_LIST_TOO_LARGE);
    assert.equal(log.logEndOffset, 0);
    await log.close();
  }));

test('segments roll at segment.ms, measured from the first batch timestamp', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(dir, { segmentMs: 1000 });
    await log.append(valuesBatch(1, 'a', 10_000));
    await log.append(valuesBatch(1, 'b', 10_900));
    assert.equal(log.segmentCount, 1);
    await log.append(valuesBatch(1, 'c', 11_001));
    assert.deepEqual(log.segmentBaseOffsets, [0, 2]);
    await log.close();
  }));

test('a full offset index rolls the segment (segment.index.bytes)', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(dir, { segmentIndexBytes: 32, indexIntervalBytes: 0 });
    for (let i = 0; i < 12; i++) await log.append(valuesBatch(1, `i${i}`));
    assert.ok(log.segmentCount > 1);
    for (const n of (await readdir(dir)).filter((f) => f.endsWith('.index'))) {
      assert.ok((await stat(path.join(dir, n))).size <= 32, `${n} exceeds segment.index.bytes`);
    }
    assert.equal((await log.read(0, 1 << 20)).batches, 12);
    await log.close();
  }));

test('restart after a clean close keeps offsets, indexes and timestamps', () =>
  withTempDir(async (dir) => {
    const cfg = { indexIntervalBytes: 100, segmentBytes: 2000 };
    let log = await PartitionLog.open(dir, cfg);
    for (let i = 0; i < 50; i++) await log.append(valuesBatch(2, `r${i}`, 1000 + i));
    await log.close();
    const indexBefore = await readFile(path.join(dir, '00000000000000000000.index'));
    log = await PartitionLog.open(dir, cfg);
    await assert.rejects(access(path.join(dir, '.kafka_cleanshutdown')), 'marker removed once open');
    assert.equal(log.logEndOffset, 100);
    assert.equal(log.recoveryPoint, 100);
    assert.deepEqual(await log.offsetForTimestamp(1020), { offset: 40, timestamp: 1020 });
    assert.deepEqual(await log.maxTimestampOffset(), { offset: 98, timestamp: 1049 });
    assert.deepEqual((await log.append(valuesBatch(1))).baseOffset, 100);
    await log.close();
    assert.deepEqual(await readFile(path.join(dir, '00000000000000000000.index')), indexBefore);
  }));

test('LogAppendTime stamps maxTimestamp, sets the attribute and keeps the CRC valid', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(dir, { messageTimestampType: 'LogAppendTime' });
    const b = Buffer.concat([valuesBatch(3, 'a', 5), valuesBatch(2, 'b', 6)]);
    const r = await log.append(b, { logAppendTimeMs: 123_456 });
    assert.equal(r.logAppendTime, 123_456);
    const stored = splitBatches((await log.read(0, 1 << 20)).records);
    assert.equal(stored.length, 2);
    for (const s of stored) {
      assert.equal(s.maxTimestamp, 123_456);
      assert.equal(s.attributes & 0x08, 0x08);
      assert.ok(batchCrcMatches(s.bytes));
    }
    assert.deepEqual(await log.offsetForTimestamp(100_000), { offset: 0, timestamp: 123_456 });
    assert.equal(await log.offsetForTimestamp(123_457), null);
    assert.deepEqual(await log.maxTimestampOffset(), { offset: 0, timestamp: 123_456 });
    const r2 = await log.append(valuesBatch(1));
    assert.ok(r2.logAppendTime > 1_600_000_000_000, 'defaults to the clock');
    await log.close();
  }));

test('offsetForTimestamp is exact for uncompressed batches, batch-level for compressed ones', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(dir);
    await log.append(
      makeBatch({ records: [{ value: null, timestamp: 100 }, { value: null, timestamp: 300 }, { value: null, timestamp: 200 }] }),
    );
    // A fake "gzip" batch: the log does not decompress what a replica appends (only client batches are walked),
    // and reads never decompress, so any payload with a valid CRC will do.
    await log.append(
      continuing(makeBatch({ records: [{ value: null }, { value: null }], attributes: 1, baseTimestamp: 400, maxTimestamp: 500, rawRecords: Buffer.from('zzzz') }), log.logEndOffset),
      { origin: 'replication' },
    );
    assert.deepEqual(await log.offsetForTimestamp(0), { offset: 0, timestamp: 100 });
    assert.deepEqual(await log.offsetForTimestamp(150), { offset: 1, timestamp: 300 });
    assert.deepEqual(await log.offsetForTimestamp(300), { offset: 1, timestamp: 300 });
    assert.deepEqual(await log.offsetForTimestamp(301), { offset: 3, timestamp: 500 });
    assert.equal(await log.offsetForTimestamp(501), null);
    assert.equal(await log.offsetForTimestamp(301, { maxOffset: 3 }), null);
    assert.deepEqual(await log.maxTimestampOffset(), { offset: 3, timestamp: 500 });
    await log.close();
  }));

test('flush.messages forces an fsync after that many records', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(dir, { flushMessages: 5 });
    await log.append(valuesBatch(2));
    await log.append(valuesBatch(2));
    assert.equal(log.recoveryPoint, 0);
    assert.equal(log.flushCount, 0);
    await log.append(valuesBatch(1));
    assert.equal(log.flushCount, 1);
    assert.equal(log.recoveryPoint, 5, 'resolved only after the fsync');
    await log.close();
  }));

test('flush.messages=1 fsyncs every append, coalescing concurrent ones', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(dir, { flushMessages: 1 });
    const results = await Promise.all(Array.from({ length: 50 }, () => log.append(valuesBatch(1))));
    assert.equal(results.at(-1)!.lastOffset, 49);
    assert.equal(log.recoveryPoint, 50);
    assert.ok(log.flushCount >= 1 && log.flushCount <= 50, `flushes ${log.flushCount}`);
    await log.close();
  }));

test('flush.ms flushes on a timer; by default nothing is forced until close', () =>
  withTempDir(async (dir) => {
    const timed = await PartitionLog.open(path.join(dir, 'a'), { flushMs: 30 });
    const t0 = Date.now();
    await timed.append(valuesBatch(3));
    assert.equal(timed.recoveryPoint, 0);
    while (timed.recoveryPoint < 3 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
    assert.equal(timed.recoveryPoint, 3);
    assert.ok(Date.now() - t0 >= 25, 'not before flush.ms');
    assert.equal(timed.flushCount, 1);
    await timed.close();

    const lazy = await PartitionLog.open(path.join(dir, 'b'));
    await lazy.append(valuesBatch(3));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(lazy.recoveryPoint, 0);
    await lazy.flush();
    assert.equal(lazy.recoveryPoint, 3);
    await lazy.append(valuesBatch(1));
    await lazy.close();
    assert.equal(lazy.recoveryPoint, 4);
  }));

test('truncateTo drops whole batches at and after the offset, across segments', () =>
  withTempDir(async (dir) => {
    const b = valuesBatch(3, 'x', 1, 60);
    const log = await PartitionLog.open(dir, { segmentBytes: b.length * 2, indexIntervalBytes: 1 });
    for (let i = 0; i < 6; i++) await log.append(valuesBatch(3, 'x', 1, 60));
    assert.deepEqual(log.segmentBaseOffsets, [0, 6, 12]);
    await log.truncateTo(8); // mid-batch [6..8]: the whole batch goes
    assert.equal(log.logEndOffset, 6);
    assert.deepEqual(log.segmentBaseOffsets, [0, 6]);
    assert.equal((await bruteForceBatches(dir)).length, 2);
    assert.equal((await log.append(valuesBatch(1))).baseOffset, 6);
    await log.truncateTo(0);
    assert.equal(log.logEndOffset, 0);
    assert.equal((await log.append(valuesBatch(2))).baseOffset, 0);
    await log.close();
    const re = await PartitionLog.open(dir);
    assert.equal(re.logEndOffset, 2);
    await re.close();
  }));

test('closed and deleted logs refuse work; delete removes the directory', () =>
  withTempDir(async (dir) => {
    const pdir = path.join(dir, 'gone-3');
    const log = await PartitionLog.open(pdir);
    await log.append(valuesBatch(1));
    await log.delete();
    await assert.rejects(access(pdir));
    assert.deepEqual(await readdir(dir), []);
    await rejectsWith(log.append(valuesBatch(1)), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const other = await PartitionLog.open(path.join(dir, 'other-0'));
    await other.close();
    await rejectsWith(other.append(valuesBatch(1)), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    await rejectsWith(other.read(0, 10), ErrorCode.NOT_LEADER_OR_FOLLOWER);
    await other.close(); // idempotent
  }));

test('close writes queued appends first', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(dir);
    const pending = Array.from({ length: 20 }, (_, i) => log.append(valuesBatch(1, `q${i}`)));
    await log.close();
    await Promise.all(pending);
    const re = await PartitionLog.open(dir);
    assert.equal(re.logEndOffset, 20);
    await re.close();
  }));

test('empty record sets, pre-validated buffers and coordinator control batches', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(dir);
    assert.deepEqual(await log.append(Buffer.alloc(0)), { baseOffset: -1, lastOffset: -1, logAppendTime: -1, logStartOffset: 0 });
    const b = valuesBatch(3);
    const validated = validateBatches(b, { maxMessageBytes: 1 << 20 });
    assert.equal((await log.append(b, { validated })).lastOffset, 2);
    await assert.rejects(log.append(valuesBatch(1), { validated }));
    const marker = await buildEndTxnMarkerBatch({ commit: true, producerId: 5, producerEpoch: 0, coordinatorEpoch: 0 });
    await rejectsWith(log.append(Buffer.from(marker)), ErrorCode.INVALID_RECORD);
    const keyless = makeBatch({ records: [{ value: null }], attributes: 0x30, producerId: 5, producerEpoch: 0 });
    await rejectsWith(log.append(keyless, { origin: 'coordinator' }), ErrorCode.CORRUPT_MESSAGE);
    assert.equal((await log.append(marker, { origin: 'coordinator' })).baseOffset, 3);
    await rejectsWith(log.append(valuesBatch(1).subarray(0, 30)), ErrorCode.CORRUPT_MESSAGE);
    assert.equal(log.logEndOffset, 4, 'a rejected append assigns no offsets');
    await log.close();
  }));
