import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { CompressionType } from '../../../src/protocol/compression/types.js';
import { ATTR_COMPRESSION_MASK, ATTR_DELETE_HORIZON } from '../../../src/protocol/records/batch-header.js';
import { buildRecordBatch, decodeRecordBatches } from '../../../src/protocol/records/record-batch.js';
import { cleanLog, cleanableStats, type CleanStep } from '../../../src/storage/cleaner/log-cleaner.js';
import { OffsetMap } from '../../../src/storage/cleaner/offset-map.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { rng, splitBatches, withTempDir } from './helpers.js';
import { continuing, goodRecords, rawBatch } from '../../helpers/hostile-batches.js';

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;
const CODECS = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];

interface Appended {
  offset: number;
  key: string;
  value: string | null;
}

interface Model {
  records: Appended[];
  /** baseOffset → codec of every appended batch. */
  codecs: Map<number, CompressionType>;
}

const CONFIG = { segmentBytes: 700, cleanupPolicy: ['compact' as const], fileDeleteDelayMs: 0 };

/** Appends `batches` random batches (keys k0..k<keys-1>, ~20% tombstones, random codecs) and returns the model. */
async function fill(log: PartitionLog, seed: number, batches: number, keys: number, model?: Model): Promise<Model> {
  const rand = rng(seed);
  const m: Model = model ?? { records: [], codecs: new Map() };
  for (let b = 0; b < batches; b++) {
    const n = 1 + Math.floor(rand() * 6);
    const records = Array.from({ length: n }, () => {
      const key = `k${Math.floor(rand() * keys)}`;
      const value = rand() < 0.2 ? null : `${key}=${Math.floor(rand() * 1e6)}`;
      return { key, value, timestamp: T0 };
    });
    const codec = CODECS[Math.floor(rand() * CODECS.length)]!;
    const r = await log.append(await buildRecordBatch({ records, compression: codec, now: T0 }));
    m.codecs.set(r.baseOffset, codec);
    records.forEach((rec, i) => m.records.push({ offset: r.baseOffset + i, key: rec.key, value: rec.value }));
  }
  return m;
}

interface Stored extends Appended {
  batchBase: number;
  attributes: number;
}

async function readAll(log: PartitionLog): Promise<Stored[]> {
  const { records } = await log.read(log.logStartOffset, 1 << 30);
  const out: Stored[] = [];
  for (const b of await decodeRecordBatches(records)) {
    for (const r of b.records) {
      out.push({
        offset: r.offset,
        key: r.key === null ? '' : r.key.toString(),
        value: r.value === null ? null : r.value.toString(),
        batchBase: b.baseOffset,
        attributes: b.attributes,
      });
    }
  }
  return out;
}

/**
 * What any correct (possibly partly) compacted log satisfies: every record is the one appended at its offset,
 * offsets increase, and each key's last appended record is still there — unless it is a tombstone below
 * `tombstonesGoneBelow` (its delete horizon passed). With `cleanEnd`, no key repeats below it and no batch
 * changed codec.
 */
function checkLog(stored: Stored[], model: Model, opts: { cleanEnd?: number; tombstonesGoneBelow?: number } = {}): void {
  const byOffset = new Map(model.records.map((r) => [r.offset, r]));
  let prev = -1;
  for (const s of stored) {
    assert.ok(s.offset > prev, `offsets increase (${s.offset} after ${prev})`);
    prev = s.offset;
    const a = byOffset.get(s.offset);
    assert.deepEqual({ key: s.key, value: s.value }, { key: a?.key, value: a?.value }, `record at ${s.offset}`);
  }
  const present = new Set(stored.map((s) => s.offset));
  const last = new Map<string, Appended>();
  for (const r of model.records) last.set(r.key, r);
  for (const [key, r] of last) {
    const gone = r.value === null && r.offset < (opts.tombstonesGoneBelow ?? -1);
    assert.equal(present.has(r.offset), !gone, `latest record of ${key} (offset ${r.offset}, ${r.value === null ? 'tombstone' : 'value'})`);
  }
  if (opts.cleanEnd !== undefined) {
    const seen = new Set<string>();
    for (const s of stored.filter((x) => x.offset < opts.cleanEnd!)) {
      assert.ok(!seen.has(s.key), `key ${s.key} appears twice below ${opts.cleanEnd}`);
      seen.add(s.key);
      assert.equal(s.attributes & ATTR_COMPRESSION_MASK, model.codecs.get(s.batchBase), `codec of batch ${s.batchBase}`);
    }
  }
  if (opts.tombstonesGoneBelow !== undefined) {
    assert.ok(!stored.some((s) => s.value === null && s.offset < opts.tombstonesGoneBelow!), 'no tombstone below the horizon mark');
  }
}

const leftovers = async (dir: string): Promise<string[]> =>
  (await readdir(dir)).filter((n) => /\.(cleaned|swap|deleted)$/.test(n));

for (const seed of [1, 2, 3]) {
  test(`compaction keeps the latest record per key, then drops tombstones after delete.retention.ms (seed ${seed})`, () =>
    withTempDir(async (dir) => {
      const log = await PartitionLog.open(dir, CONFIG);
      const model = await fill(log, seed, 120, 25);
      const before = log.sizeBytes;
      const first = await cleanLog(log, { offsetMap: new OffsetMap(1 << 20), nowMs: T0, force: true });
      const end1 = log.segmentBaseOffsets.at(-1)!;
      assert.ok(first.cleaned);
      assert.equal(first.firstDirtyOffset, end1, 'everything below the active segment was cleaned');
      assert.ok(log.sizeBytes < before, 'the log shrank');
      let stored = await readAll(log);
      checkLog(stored, model, { cleanEnd: end1 });
      const tombstoneBatches = stored.filter((s) => s.value === null && s.offset < end1);
      assert.ok(tombstoneBatches.length > 0, 'the seed leaves tombstones to check');
      for (const s of tombstoneBatches) assert.ok((s.attributes & ATTR_DELETE_HORIZON) !== 0, `batch ${s.batchBase} has a delete horizon`);
      assert.equal(first.earliestDeleteHorizonMs, T0 + DAY);

      // More data, then a clean after the horizon: the first round's tombstones go, newer ones get a horizon.
      await fill(log, seed + 100, 60, 25, model);
      const second = await cleanLog(log, {
        offsetMap: new OffsetMap(1 << 20),
        nowMs: T0 + DAY + 1,
        firstDirtyOffset: first.firstDirtyOffset,
        earliestDeleteHorizonMs: first.earliestDeleteHorizonMs,
      });
      assert.ok(second.cleaned);
      stored = await readAll(log);
      checkLog(stored, model, { cleanEnd: second.firstDirtyOffset, tombstonesGoneBelow: end1 });
      await log.close();
      assert.deepEqual(await leftovers(dir), []);
      // The cleaned log reopens clean and reads the same.
      const again = await PartitionLog.open(dir, CONFIG);
      assert.deepEqual(await readAll(again), stored);
      await again.close();
    }));
}

test('a map too small for the dirty keys cleans in several passes, to the same records', () =>
  withTempDir(async (dir) => {
    const results: Stored[][] = [];
    for (const [name, map] of [
      ['big', new OffsetMap(1 << 20)],
      ['small', new OffsetMap(24 * 24)],
    ] as const) {
      const log = await PartitionLog.open(path.join(dir, name), CONFIG);
      const model = await fill(log, 7, 80, 40);
      const r = await cleanLog(log, { offsetMap: map, nowMs: T0, force: true });
      if (name === 'small') assert.ok(r.passes > 3, `passes: ${r.passes}`);
      else assert.equal(r.passes, 1);
      const stored = await readAll(log);
      checkLog(stored, model, { cleanEnd: r.firstDirtyOffset });
      results.push(stored);
      await log.close();
    }
    assert.deepEqual(
      results[0]!.map((s) => s.offset),
      results[1]!.map((s) => s.offset),
    );
  }));

test('a crash at each step of the compaction swap leaves a readable, correct log', () =>
  withTempDir(async (dir) => {
    const steps = new Map<CleanStep, number>();
    for (let crashAt = 0; ; crashAt++) {
      const sub = path.join(dir, `crash-${crashAt}`);
      const log = await PartitionLog.open(sub, CONFIG);
      const model = await fill(log, 11, 30, 20);
      let n = 0;
      let crashed: CleanStep | null = null;
      const hook = (step: CleanStep): void => {
        if (n++ === crashAt) {
          crashed = step;
          throw new Error(`injected crash at ${step}`);
        }
      };
      await cleanLog(log, { offsetMap: new OffsetMap(1 << 20), nowMs: T0, force: true, hook }).catch((err: Error) => {
        assert.match(err.message, /injected crash|offline/);
      });
      await log.close().catch(() => undefined);
      const reopened = await PartitionLog.open(sub, CONFIG);
      assert.deepEqual(await leftovers(sub), [], `no leftovers after recovery (crash at #${crashAt} ${String(crashed)})`);
      checkLog(await readAll(reopened), model);
      // Cleaning again from there finishes the job.
      const r = await cleanLog(reopened, { offsetMap: new OffsetMap(1 << 20), nowMs: T0, force: true });
      checkLog(await readAll(reopened), model, { cleanEnd: r.firstDirtyOffset });
      await reopened.close();
      if (crashed === null) break;
      steps.set(crashed, (steps.get(crashed) ?? 0) + 1);
    }
    for (const step of ['cleaned-written', 'renamed-to-swap', 'old-renamed-deleted', 'swap-renamed-live'] as const) {
      assert.ok((steps.get(step) ?? 0) >= 2, `crashed at ${step} in several groups: ${JSON.stringify([...steps])}`);
    }
  }));

test('min.cleanable.dirty.ratio and min.compaction.lag.ms decide what is cleanable', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(dir, { ...CONFIG, minCompactionLagMs: 60_000 });
    await fill(log, 5, 60, 10);
    let stats = await cleanableStats(log, 0, T0 + 30_000);
    assert.equal(stats.dirtyBytes, 0, 'records younger than the lag are not cleanable');
    assert.equal(stats.firstUncleanableOffset, 0);
    stats = await cleanableStats(log, 0, T0 + 60_001);
    assert.ok(stats.dirtyBytes > 0);
    assert.equal(stats.dirtyRatio, 1);
    const r = await cleanLog(log, { offsetMap: new OffsetMap(1 << 20), nowMs: T0 + 60_001 });
    assert.ok(r.cleaned);
    // Nothing dirty now: the next round skips the log.
    const again = await cleanLog(log, { offsetMap: new OffsetMap(1 << 20), nowMs: T0 + 60_001, firstDirtyOffset: r.firstDirtyOffset });
    assert.equal(again.cleaned, false);
    log.updateConfig({ minCleanableDirtyRatio: 0.99 });
    await fill(log, 6, 5, 10);
    const low = await cleanLog(log, { offsetMap: new OffsetMap(1 << 20), nowMs: T0 + 60_001, firstDirtyOffset: r.firstDirtyOffset });
    assert.equal(low.cleaned, false);
    assert.match(low.skipped ?? '', /dirty ratio/);
    // max.compaction.lag.ms forces it.
    log.updateConfig({ maxCompactionLagMs: 1000 });
    const forced = await cleanLog(log, { offsetMap: new OffsetMap(1 << 20), nowMs: T0 + 60_001, firstDirtyOffset: r.firstDirtyOffset });
    assert.equal(forced.stats.maxLagExceeded, true);
    await log.close();
  }));

test('LogManager cleans compacted logs and keeps cleaner-offset-checkpoint', () =>
  withTempDir(async (dir) => {
    const m = new LogManager([dir], undefined, { cleanerEnable: false, retentionCheckIntervalMs: 0, clock: () => T0 });
    await m.open();
    const log = await m.createLog('compacted', 0, CONFIG);
    const plain = await m.createLog('plain', 0, { segmentBytes: 700 });
    const model = await fill(log, 9, 80, 15);
    await fill(plain, 9, 80, 15);
    const plainSize = plain.sizeBytes;
    assert.equal(await m.runCleaner(), 1);
    assert.equal(plain.sizeBytes, plainSize, 'cleanup.policy=delete logs are not compacted');
    checkLog(await readAll(log), model, { cleanEnd: log.segmentBaseOffsets.at(-1)! });
    const text = await readFile(path.join(dir, 'cleaner-offset-checkpoint'), 'utf8');
    assert.equal(text, `0\n1\ncompacted 0 ${log.segmentBaseOffsets.at(-1)!}\n`);
    await m.close();
  }));

test('a batch that cannot be read (written before records were validated) is kept, logged once per segment, and the rest is cleaned', () =>
  withTempDir(async (dir) => {
    const log = await PartitionLog.open(dir, CONFIG);
    const warnings: Array<Record<string, unknown>> = [];
    const logger = { debug: () => {}, info: () => {}, error: () => {}, warn: (o: Record<string, unknown>) => void warnings.push(o) };
    const keyed = (v: string) => buildRecordBatch({ records: [{ key: 'k', value: v, timestamp: T0 }], now: T0 });
    await log.append(await keyed('old'));
    // What an older release accepted: records count 4 over 3 records, and a gzip payload of random bytes.
    // Appended as a replica would, since the log now refuses such batches from clients.
    await log.append(continuing(rawBatch({ records: goodRecords(3), recordsCount: 4, baseTimestamp: T0 }), log.logEndOffset), { origin: 'replication' });
    await log.append(continuing(rawBatch({ records: Buffer.alloc(64, 0x5a), recordsCount: 2, attributes: 1, baseTimestamp: T0 }), log.logEndOffset), { origin: 'replication' });
    for (let i = 0; i < 12; i++) await log.append(await keyed(`new-${i}`));
    for (let pass = 0; pass < 2; pass++) {
      const r = await cleanLog(log, { offsetMap: new OffsetMap(1 << 20), nowMs: T0, force: true, logger });
      assert.equal(r.skipped, undefined, `pass ${pass} ran`);
    }
    const { records } = await log.read(0, 1 << 20);
    const kept = splitBatches(records);
    // The two unreadable batches are still there, byte for byte; of key k only the latest value is left.
    assert.equal(kept.filter((b) => b.lastOffset - b.baseOffset === 3).length, 1, 'the lying uncompressed batch is kept');
    assert.equal(kept.filter((b) => (b.attributes & ATTR_COMPRESSION_MASK) === 1).length, 1, 'the corrupt gzip batch is kept');
    const readable = kept.filter((b) => b.lastOffset - b.baseOffset !== 3 && (b.attributes & ATTR_COMPRESSION_MASK) !== 1);
    const values = (await decodeRecordBatches(Buffer.concat(readable.map((b) => b.bytes)))).flatMap((b) => b.records.map((x) => x.value?.toString()));
    assert.equal(values.at(-1), 'new-11');
    assert.ok(values.length < 13, `older values of k were cleaned: ${values.join(',')}`);
    const segments = new Set(warnings.map((w) => `${String(w['segment'])}`));
    assert.equal(warnings.length, segments.size, `one warning per segment over two passes: ${JSON.stringify(warnings)}`);
    assert.ok(warnings.length >= 1 && String(warnings[0]!['reason']).length > 0);
    await log.close();
  }));
