import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { decodeSnapshot, encodeSnapshot } from '../../../src/storage/producer-state/producer-snapshot.js';
import { incrementSequence, ProducerStateManager } from '../../../src/storage/producer-state/producer-state-manager.js';
import { buildEndTxnMarkerBatch } from '../../../src/protocol/records/control.js';
import { makeBatch, withTempDir } from './helpers.js';

const NOW = 1_700_000_000_000;

function idem(producerId: number, producerEpoch: number, baseSequence: number, n = 2, tag = 'r'): Buffer {
  const records = Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`${tag}-${baseSequence + i}`), timestamp: NOW }));
  return makeBatch({ records, producerId, producerEpoch, baseSequence });
}

async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof KafkaError, `expected KafkaError, got ${String(err)}`);
    assert.equal(err.code, code, `expected ${ErrorCode[code]}, got ${ErrorCode[err.code]}: ${err.message}`);
    return true;
  });
}

const open = (dir: string, clock = (): number => NOW): Promise<PartitionLog> => PartitionLog.open(path.join(dir, 't-0'), {}, undefined, { clock });

test('sequence arithmetic wraps at 2^31 - 1', () => {
  assert.equal(incrementSequence(5, 3), 8);
  assert.equal(incrementSequence(0x7fffffff, 1), 0);
  assert.equal(incrementSequence(0x7ffffffe, 3), 1);
});

test('a retry of any of the last five batches is answered with its original offsets and not written again', () =>
  withTempDir(async (dir) => {
    const log = await open(dir);
    const firsts: number[] = [];
    for (let i = 0; i < 6; i++) firsts.push((await log.append(idem(7, 0, i * 2))).baseOffset);
    assert.deepEqual(firsts, [0, 2, 4, 6, 8, 10]);
    const end = log.logEndOffset;
    for (let i = 1; i < 6; i++) {
      const r = await log.append(idem(7, 0, i * 2));
      assert.deepEqual([r.baseOffset, r.lastOffset, r.duplicate], [i * 2, i * 2 + 1, true]);
    }
    assert.equal(log.logEndOffset, end, 'nothing appended for duplicates');
    // The sixth-last batch is no longer retained: its retry is out of order (as in Kafka).
    await rejectsWith(log.append(idem(7, 0, 0)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    await log.close();
  }));

test('gaps, new epochs not at 0 and older epochs are refused; refused batches change nothing', () =>
  withTempDir(async (dir) => {
    const log = await open(dir);
    await log.append(idem(1, 3, 0));
    await rejectsWith(log.append(idem(1, 3, 5)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    await rejectsWith(log.append(idem(1, 4, 2)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    await rejectsWith(log.append(idem(1, 2, 2)), ErrorCode.INVALID_PRODUCER_EPOCH);
    assert.equal(log.logEndOffset, 2);
    assert.equal((await log.append(idem(1, 3, 2))).baseOffset, 2, 'the next sequence is still accepted');
    // A bumped epoch starts again at 0 and fences the old one.
    assert.equal((await log.append(idem(1, 4, 0))).baseOffset, 4);
    await rejectsWith(log.append(idem(1, 3, 4)), ErrorCode.INVALID_PRODUCER_EPOCH);
    // An unknown producer may start anywhere (its past may have expired); producers without ids are not checked.
    assert.equal((await log.append(idem(2, 0, 40))).baseOffset, 6);
    assert.equal((await log.append(makeBatch({ records: [{ value: Buffer.from('x') }] }))).baseOffset, 8);
    await log.close();
  }));

test('followers record the leader batches without checks, so a follower turned leader deduplicates', () =>
  withTempDir(async (dir) => {
    const log = await open(dir);
    const b = idem(9, 1, 10);
    b.writeBigInt64BE(0n, 0);
    await log.append(b, { origin: 'replication' });
    const again = await log.append(idem(9, 1, 10));
    assert.equal(again.duplicate, true);
    assert.equal(again.baseOffset, 0);
    await log.close();
  }));

test('after a clean shutdown the state comes back from the snapshot at the log end', () =>
  withTempDir(async (dir) => {
    let log = await open(dir);
    await log.append(idem(5, 0, 0));
    await log.append(idem(5, 0, 2));
    await log.close();
    const files = (await readdir(path.join(dir, 't-0'))).filter((f) => f.endsWith('.snapshot'));
    assert.deepEqual(files, ['00000000000000000004.snapshot']);
    log = await open(dir);
    // Only the last batch survives a snapshot (Kafka's format keeps one per producer).
    assert.equal((await log.append(idem(5, 0, 2))).duplicate, true);
    await rejectsWith(log.append(idem(5, 0, 0)), ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal((await log.append(idem(5, 0, 4))).baseOffset, 4);
    await log.close();
  }));

test('after a crash the state is replayed from the log; snapshots past the recovered end are deleted', () =>
  withTempDir(async (dir) => {
    let log = await open(dir);
    for (let i = 0; i < 4; i++) await log.append(idem(3, 0, i * 2));
    await log.close();
    const pdir = path.join(dir, 't-0');
    // As if the process died before the last batch reached the disk, after writing a snapshot covering it.
    await writeFile(path.join(pdir, '00000000000000000009.snapshot'), await readFile(path.join(pdir, '00000000000000000008.snapshot')));
    await rm(path.join(pdir, '.kafka_cleanshutdown'));
    await rm(path.join(pdir, '00000000000000000008.snapshot'));
    const logFile = path.join(pdir, '00000000000000000000.log');
    const size = (await readFile(logFile)).length;
    await truncate(logFile, size - idem(3, 0, 6).length);
    log = await open(dir);
    assert.equal(log.logEndOffset, 6);
    assert.deepEqual((await readdir(pdir)).filter((f) => f.endsWith('.snapshot')), [], 'the snapshot above the log end went');
    // Replayed from the log: the last five batches are known again.
    assert.equal((await log.append(idem(3, 0, 0))).duplicate, true);
    assert.equal((await log.append(idem(3, 0, 4))).duplicate, true);
    assert.equal((await log.append(idem(3, 0, 6))).baseOffset, 6, 'the lost batch can be written again');
    await log.close();
  }));

test('truncation reloads the state as it was at the new end', () =>
  withTempDir(async (dir) => {
    const log = await open(dir);
    for (let i = 0; i < 3; i++) await log.append(idem(4, 0, i * 2));
    await log.truncateTo(4);
    assert.equal(log.logEndOffset, 4);
    // Sequence 4 was cut with its batch: it is the next one again, not a duplicate.
    const r = await log.append(idem(4, 0, 4));
    assert.equal(r.duplicate, undefined);
    assert.equal(r.baseOffset, 4);
    await log.truncateFullyAndStartAt(100);
    assert.equal((await log.append(idem(4, 0, 50))).baseOffset, 100, 'an emptied log knows no producer');
    await log.close();
  }));

test('producers idle longer than producer.id.expiration.ms are forgotten', () =>
  withTempDir(async (dir) => {
    let now = NOW;
    const log = await PartitionLog.open(path.join(dir, 't-0'), {}, undefined, { clock: () => now, producerIdExpirationMs: 1000 });
    await log.append(idem(8, 0, 0));
    now = NOW + 999;
    assert.equal(log.removeExpiredProducers(), 0);
    now = NOW + 1000;
    assert.equal(log.removeExpiredProducers(), 1);
    assert.equal((await log.append(idem(8, 0, 77))).baseOffset, 2, 'an expired producer is unknown: any sequence');
    await log.close();
  }));

test('snapshot bytes: Kafka layout, CRC checked', () => {
  const m = new ProducerStateManager();
  m.applyBatch({ producerId: 2 ** 40, producerEpoch: 3, baseSequence: 10, lastOffsetDelta: 4, maxTimestamp: NOW, isTransactional: false, isControl: false }, 100);
  const bytes = encodeSnapshot(m.entries());
  assert.equal(bytes.length, 10 + 46);
  assert.equal(bytes.readInt16BE(0), 1);
  assert.deepEqual(decodeSnapshot(bytes), [
    { producerId: 2 ** 40, producerEpoch: 3, batches: [{ lastSeq: 14, lastOffset: 104, offsetDelta: 4, timestampMs: NOW }], lastTimestampMs: NOW, coordinatorEpoch: -1, currentTxnFirstOffset: -1 },
  ]);
  bytes[20] ^= 1;
  assert.throws(() => decodeSnapshot(bytes), /CRC/);
});

// ---------------------------------------------------------------- transactions

const ATTR_TRANSACTIONAL = 0x10;

function txnBatch(producerId: number, baseSequence: number, n = 2): Buffer {
  const records = Array.from({ length: n }, (_, i) => ({ value: Buffer.from(`t${producerId}-${baseSequence + i}`), timestamp: NOW }));
  return makeBatch({ records, producerId, producerEpoch: 0, baseSequence, attributes: ATTR_TRANSACTIONAL });
}

const marker = (producerId: number, commit: boolean, coordinatorEpoch = 0): Promise<Buffer> =>
  buildEndTxnMarkerBatch({ commit, producerId, producerEpoch: 0, coordinatorEpoch, timestamp: NOW });

test('open transactions hold the first unstable offset; an abort marker is indexed in .txnindex and read back by range', () =>
  withTempDir(async (dir) => {
    const log = await open(dir);
    await log.append(idem(1, 0, 0)); // 0-1, not transactional
    await log.append(txnBatch(7, 0)); // 2-3
    await log.append(txnBatch(8, 0)); // 4-5
    assert.equal(log.firstUnstableOffset(), 2);
    await log.append(await marker(7, false), { origin: 'coordinator' }); // 6: abort 7
    // 7's transaction is complete but its marker is not below the high watermark yet.
    assert.equal(log.firstUnstableOffset(), 2);
    log.onHighWatermarkUpdated(7);
    assert.equal(log.firstUnstableOffset(), 4, "8's transaction is still open");
    await log.append(await marker(8, true), { origin: 'coordinator' }); // 7: commit 8
    log.onHighWatermarkUpdated(8);
    assert.equal(log.firstUnstableOffset(), null);
    assert.deepEqual(await log.abortedTransactions(0, 8), [{ producerId: 7, firstOffset: 2, lastOffset: 6, lastStableOffset: 4 }]);
    assert.deepEqual(await log.abortedTransactions(7, 8), [], 'a fetch after the marker needs no entry');
    assert.deepEqual(await log.abortedTransactions(0, 2), [], 'nor one ending before the transaction');
    await log.close();
    const idx = await readFile(path.join(dir, 't-0', '00000000000000000000.txnindex'));
    assert.equal(idx.length, 34);
  }));

test('a coordinator marker with an older coordinator epoch is fenced; truncation and a crash replay rewrite .txnindex', () =>
  withTempDir(async (dir) => {
    let log = await open(dir);
    await log.append(txnBatch(5, 0)); // 0-1
    await log.append(await marker(5, false, 3), { origin: 'coordinator' }); // 2
    await log.append(txnBatch(5, 2)); // 3-4
    await rejectsWith(log.append(await marker(5, false, 2), { origin: 'coordinator' }), ErrorCode.TRANSACTION_COORDINATOR_FENCED);
    await log.append(await marker(5, false, 3), { origin: 'coordinator' }); // 5
    assert.equal((await log.abortedTransactions(0, 6)).length, 2);
    await log.truncateTo(5);
    assert.deepEqual((await log.abortedTransactions(0, 6)).map((t) => t.lastOffset), [2]);
    log.onHighWatermarkUpdated(5);
    assert.equal(log.firstUnstableOffset(), 3, 'the cut marker reopened the transaction');
    await log.append(await marker(5, false, 3), { origin: 'coordinator' }); // 5 again
    await log.close();
    // A crash that lost the index file: the replay from the log writes it again.
    const pdir = path.join(dir, 't-0');
    await rm(path.join(pdir, '.kafka_cleanshutdown'));
    for (const f of await readdir(pdir)) if (f.endsWith('.snapshot') || f.endsWith('.txnindex')) await rm(path.join(pdir, f));
    log = await open(dir);
    assert.deepEqual((await log.abortedTransactions(0, 6)).map((t) => [t.firstOffset, t.lastOffset]), [[0, 2], [3, 5]]);
    assert.equal(log.firstUnstableOffset(), 0, 'markers not known to be below the high watermark yet');
    log.onHighWatermarkUpdated(6);
    assert.equal(log.firstUnstableOffset(), null);
    await log.close();
  }));

test('every roll takes a snapshot, producers or not; at most 10 are kept', () =>
  withTempDir(async (dir) => {
    const one = makeBatch({ records: [{ value: Buffer.from('x'.repeat(100)), timestamp: NOW }] });
    const log = await PartitionLog.open(path.join(dir, 't-0'), { segmentBytes: one.length * 2 }, undefined, { clock: () => NOW });
    for (let i = 0; i < 30; i++) await log.append(makeBatch({ records: [{ value: Buffer.from('x'.repeat(100)), timestamp: NOW }] }));
    await log.flush();
    const snapshots = (await readdir(path.join(dir, 't-0'))).filter((f) => f.endsWith('.snapshot')).sort();
    assert.equal(snapshots.length, 10, snapshots.join(','));
    assert.ok(Number(snapshots.at(-1)!.slice(0, 20)) >= 26, `the newest is near the log end: ${snapshots.at(-1)}`);
    await log.close();
  }));

test('KIP-890 verification: a transactional batch opens its transaction only with the guard its verification started; later batches need none; a marker voids a pending guard', () =>
  withTempDir(async (dir) => {
    const log = await open(dir);
    const txnAt = (seq: number): Buffer => makeBatch({ records: [{ value: Buffer.from(`t-${seq}`), timestamp: NOW }], producerId: 9, producerEpoch: 2, baseSequence: seq, attributes: ATTR_TRANSACTIONAL });
    const marker2 = (commit: boolean): Promise<Buffer> => buildEndTxnMarkerBatch({ commit, producerId: 9, producerEpoch: 2, coordinatorEpoch: 0, timestamp: NOW });
    // Not verified at all (no guard, or one never handed out): refused, nothing written.
    await rejectsWith(log.append(txnAt(0), { transactionVerification: { guard: null } }), ErrorCode.INVALID_TXN_STATE);
    const guard = log.maybeStartTransactionVerification(9, 2);
    assert.ok(guard !== null, 'no transaction open: verify first');
    assert.equal(log.maybeStartTransactionVerification(9, 2), guard, 'the same guard while that verification is pending');
    assert.equal(log.logEndOffset, 0);
    assert.equal((await log.append(txnAt(0), { transactionVerification: { guard } })).baseOffset, 0);
    assert.equal(log.maybeStartTransactionVerification(9, 2), null, 'the transaction is open here: nothing to verify');
    assert.equal((await log.append(txnAt(1), { transactionVerification: { guard: null } })).baseOffset, 1);
    // A guard handed out, then the transaction ends before the batch lands: the late batch is refused.
    await log.append(await marker2(false), { origin: 'coordinator' });
    const stale = log.maybeStartTransactionVerification(9, 2);
    assert.ok(stale !== null);
    await log.append(await marker2(true), { origin: 'coordinator' });
    await rejectsWith(log.append(txnAt(2), { transactionVerification: { guard: stale } }), ErrorCode.INVALID_TXN_STATE);
    // Verification off (no option): the batch is taken as before.
    assert.equal((await log.append(txnAt(2))).baseOffset, 4);
    await log.close();
  }));
