/**
 * The segment file-handle cache: many partitions under a small budget of open files (create, append, read,
 * restart clean and unclean, retention, compaction), the budget never exceeded, reads and renames of segments
 * whose handle was closed by the cache, and handles in use never closed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { FileHandleCache } from '../../../src/storage/file-handle-cache.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { TRANSIENT_FILE_LIMIT, defaultSegmentHandleCapacity } from '../../../src/storage/open-files.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { decodeRecordBatches } from '../../../src/protocol/records/record-batch.js';
import { makeBatch, valuesBatch, withTempDir } from './helpers.js';

const PARTITIONS = 120;
const CAPACITY = 8;
const MGR_OPTS = { recoveryCheckpointIntervalMs: 0, retentionCheckIntervalMs: 0, cleanerEnable: false };

const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Values of every record in a read result, in order (valuesBatch writes `<prefix><i>`). */
async function valuesOf(records: Buffer): Promise<string[]> {
  const out: string[] = [];
  for (const b of await decodeRecordBatches(records)) for (const r of b.records) out.push(r.value === null ? '<null>' : r.value.toString());
  return out;
}

async function readAll(log: PartitionLog): Promise<string[]> {
  const r = await log.read(log.logStartOffset, 1 << 20);
  return valuesOf(r.records);
}

test('more partitions than open-file slots: create, append, read, clean and unclean restart; the budget holds', () =>
  withTempDir(async (root) => {
    const fdsBefore = openFds();
    const handles = new FileHandleCache(CAPACITY);
    let mgr = new LogManager([root], undefined, { ...MGR_OPTS, fileHandles: handles });
    await mgr.open();
    const parts = Array.from({ length: PARTITIONS }, (_, i) => i);
    // Small segments: every partition rolls a few times, so there are several times more segments than partitions.
    await mgr.createLogs('many', parts, { segmentBytes: 200 }, 'AAAAAAAAAAAAAAAAAAAAAA');
    assert.equal(mgr.listLogs().length, PARTITIONS);
    assert.ok(handles.openCount <= CAPACITY, `open handles ${handles.openCount}`);

    // Appends to every partition at once, several rounds; reads interleaved with them.
    const expected = new Map<number, string[]>(parts.map((p) => [p, []]));
    for (let round = 0; round < 4; round++) {
      await Promise.all(
        parts.map(async (p) => {
          const log = mgr.getLog('many', p)!;
          const prefix = `p${p}r${round}`;
          await log.append(valuesBatch(3, prefix));
          expected.get(p)!.push(`${prefix}-0`, `${prefix}-1`, `${prefix}-2`);
          const read = await readAll(log);
          assert.deepEqual(read, expected.get(p));
        }),
      );
      assert.ok(handles.openCount <= CAPACITY);
      assert.ok(openFds() - fdsBefore <= CAPACITY + TRANSIENT_FILE_LIMIT, `fds grew by ${openFds() - fdsBefore}`);
    }
    const segments = mgr.listLogs().reduce((n, h) => n + h.log.segmentCount, 0);
    assert.ok(segments >= 2 * PARTITIONS, `${segments} segments`);
    assert.ok(handles.peakSlots <= CAPACITY, `peak ${handles.peakSlots}`);
    assert.ok(handles.evictions > 0);
    const all = await Promise.all(parts.map((p) => readAll(mgr.getLog('many', p)!)));
    parts.forEach((p) => assert.deepEqual(all[p], expected.get(p)));

    // Clean restart.
    await mgr.close();
    assert.equal(handles.openCount, 0, 'close releases every handle');
    mgr = new LogManager([root], undefined, { ...MGR_OPTS, fileHandles: handles });
    await mgr.open();
    for (const p of parts) assert.deepEqual(await readAll(mgr.getLog('many', p)!), expected.get(p));
    await Promise.all(parts.map((p) => mgr.getLog('many', p)!.append(valuesBatch(1, `p${p}after`))));
    for (const p of parts) expected.get(p)!.push(`p${p}after-0`);

    // Unclean restart: the old manager is abandoned (as after SIGKILL); recovery scans every segment.
    const crashedHandles = handles;
    const recovered = new FileHandleCache(CAPACITY);
    mgr = new LogManager([root], undefined, { ...MGR_OPTS, fileHandles: recovered });
    await mgr.open();
    for (const p of parts) assert.deepEqual(await readAll(mgr.getLog('many', p)!), expected.get(p));
    assert.ok(recovered.peakSlots <= CAPACITY);
    await mgr.close();
    assert.ok(crashedHandles.openCount <= CAPACITY);
  }));

test('retention and compaction work on segments whose handles were closed by the cache', () =>
  withTempDir(async (root) => {
    const handles = new FileHandleCache(2);
    const mgr = new LogManager([root], undefined, { ...MGR_OPTS, fileHandles: handles });
    await mgr.open();
    const T0 = 1_700_000_000_000;
    const compacted = await mgr.createLog('c', 0, { segmentBytes: 300, cleanupPolicy: ['compact'], fileDeleteDelayMs: 0, minCleanableDirtyRatio: 0 });
    const deleted = await mgr.createLog('d', 0, { segmentBytes: 300, retentionMs: 1000, fileDeleteDelayMs: 0 });
    for (let i = 0; i < 30; i++) {
      const key = Buffer.from(`k${i % 3}`);
      await compacted.append(makeBatch({ records: [{ key, value: Buffer.from(`v${i}`) }], baseTimestamp: T0 + i }));
      await deleted.append(valuesBatch(2, `d${i}`, T0 + i));
    }
    assert.ok(compacted.segmentCount > 3 && deleted.segmentCount > 3);
    assert.ok(handles.evictions > 0);

    const removed = await deleted.applyRetention(T0 + 1015, { highWatermark: deleted.writtenEndOffset });
    assert.ok(removed > 0);
    assert.equal(deleted.logStartOffset, deleted.segmentBaseOffsets[0]);
    const left = await readAll(deleted);
    assert.equal(left[0], `d${(deleted.logStartOffset / 2)}-0`);
    assert.equal(left.length, deleted.logEndOffset - deleted.logStartOffset);

    assert.ok((await mgr.runCleaner({ force: true, nowMs: T0 + 100 })) >= 1);
    const latest = new Map<string, string>();
    let kept = 0;
    for (const b of await decodeRecordBatches((await compacted.read(compacted.logStartOffset, 1 << 20)).records)) {
      for (const r of b.records) {
        latest.set(r.key!.toString(), r.value!.toString());
        kept++;
      }
    }
    assert.ok(kept < 30, `${kept} records kept`);
    assert.deepEqual(Object.fromEntries(latest), { k0: 'v27', k1: 'v28', k2: 'v29' });
    assert.ok(handles.peakSlots <= 2);
    await mgr.close();
    assert.equal(handles.openCount, 0);
    const names = await readdir(path.join(root, 'c-0'));
    assert.ok(!names.some((n) => n.endsWith('.deleted') || n.endsWith('.cleaned') || n.endsWith('.swap')), names.join(','));
  }));

test('a handle in use is never closed; a full cache makes the next open wait; LRU order', async () => {
  const closedOrder: string[] = [];
  const cache = new FileHandleCache(2);
  const entry = (name: string): { name: string; idle: boolean; evict(): void } => {
    const e = {
      name,
      idle: true,
      evict(): void {
        closedOrder.push(name);
        setImmediate(() => cache.freeSlot(true));
      },
    };
    return e;
  };
  const a = entry('a');
  const b = entry('b');
  const c = entry('c');
  await cache.reserve();
  cache.opened(a);
  await cache.reserve();
  cache.opened(b);
  cache.touch(a); // b is now the least recently used
  await cache.reserve(); // evicts b
  cache.opened(c);
  assert.deepEqual(closedOrder, ['b']);
  a.idle = false;
  c.idle = false;
  let got = false;
  const waiting = cache.reserve().then(() => (got = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(got, false, 'every handle is in use: the open waits');
  assert.equal(cache.openCount, 2);
  c.idle = true;
  cache.becameIdle();
  await waiting;
  assert.deepEqual(closedOrder, ['b', 'c']);
  assert.ok(cache.peakSlots <= 2);
});

test('reads survive the cache closing and reopening handles, across renames of the segment files', () =>
  withTempDir(async (dir) => {
    const handles = new FileHandleCache(2);
    const log = await PartitionLog.open(dir, { segmentBytes: 200, fileDeleteDelayMs: 60_000 }, undefined, { fileHandles: handles });
    for (let i = 0; i < 20; i++) await log.append(valuesBatch(1, `x${i}`));
    assert.ok(log.segmentCount > 4);
    // Many concurrent reads of every offset: each needs a segment handle, only two can be open.
    const reads = await Promise.all(Array.from({ length: 20 }, (_, i) => log.read(i, 1 << 20)));
    for (let i = 0; i < reads.length; i++) assert.equal((await valuesOf(reads[i]!.records))[0], `x${i}-0`);
    // Retention renames old segments `.deleted` while reads are in flight; pinned reads still finish.
    const inflight = Array.from({ length: 10 }, (_, i) => log.read(i, 1 << 20).then(async (r) => (await valuesOf(r.records))[0]));
    await log.deleteRecordsBefore(5);
    const firsts = await Promise.all(inflight.map((p) => p.catch((err: Error) => err.message)));
    firsts.forEach((v, i) => assert.ok(v === `x${i}-0` || /out of range|outside/i.test(String(v)), String(v)));
    assert.equal((await valuesOf((await log.read(5, 1 << 20)).records))[0], 'x5-0');
    assert.ok(handles.peakSlots <= 2);
    await log.close();
    assert.equal(handles.openCount, 0);
  }));

test('the default budget is half the open-files limit less the transient opens', () => {
  assert.equal(defaultSegmentHandleCapacity(1024), 512 - TRANSIENT_FILE_LIMIT);
  assert.equal(defaultSegmentHandleCapacity(20000), 10000 - TRANSIENT_FILE_LIMIT);
  assert.equal(defaultSegmentHandleCapacity(64), 16);
});
