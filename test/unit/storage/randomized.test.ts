import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { bruteForceBatches, makeBatch, recordTimestamps, rng, withTempDir, type TestRecord } from './helpers.js';

const SEEDS = [1, 2, 3, 4, 5];

/** Random batches with random sizes and non-monotonic CreateTime timestamps. */
async function randomLog(dir: string, seed: number): Promise<{ cfg: object; end: number }> {
  const rand = rng(seed);
  const cfg = {
    indexIntervalBytes: Math.floor(rand() * 600),
    segmentBytes: 2000 + Math.floor(rand() * 6000),
    segmentIndexBytes: 64 + Math.floor(rand() * 200),
  };
  const log = await PartitionLog.open(dir, cfg);
  const batches = 150 + Math.floor(rand() * 150);
  const pending: Array<Promise<unknown>> = [];
  for (let i = 0; i < batches; i++) {
    const n = 1 + Math.floor(rand() * 6);
    const records: TestRecord[] = [];
    for (let j = 0; j < n; j++) {
      records.push({
        value: Buffer.alloc(Math.floor(rand() * 300), 97 + (i % 26)),
        timestamp: 10_000 + i * 10 + Math.floor(rand() * 400) - 200,
      });
    }
    pending.push(log.append(makeBatch({ records })));
    if (rand() < 0.3) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  const end = log.logEndOffset;
  await log.close();
  return { cfg, end };
}

for (const seed of SEEDS) {
  test(`index lookups agree with a brute-force scan (seed ${seed})`, () =>
    withTempDir(async (dir) => {
      const { cfg, end } = await randomLog(dir, seed);
      const truth = await bruteForceBatches(dir);
      const log = await PartitionLog.open(dir, cfg);
      assert.ok(log.segmentCount > 2, `only ${log.segmentCount} segments`);
      assert.equal(log.logEndOffset, end);
      for (let o = 0; o < end; o++) {
        const expected = truth.find((b) => b.lastOffset >= o)!;
        const got = await log.read(o, 1, { minOneMessage: true });
        assert.deepEqual(got.records, expected.bytes, `fetch offset ${o}`);
      }
      // Budgeted reads return a prefix of the brute-force sequence of whole batches.
      const rand = rng(seed * 7);
      for (let k = 0; k < 50; k++) {
        const o = Math.floor(rand() * end);
        const maxBytes = Math.floor(rand() * 5000);
        const got = await log.read(o, maxBytes);
        const start = truth.findIndex((b) => b.lastOffset >= o);
        let size = 0;
        let i = start;
        while (i < truth.length && size + truth[i]!.bytes.length <= maxBytes) size += truth[i++]!.bytes.length;
        assert.deepEqual(got.records, Buffer.concat(truth.slice(start, i).map((b) => b.bytes)), `read(${o}, ${maxBytes})`);
      }
      await log.close();
    }));

  test(`offsetForTimestamp and maxTimestampOffset agree with decoding every record (seed ${seed})`, () =>
    withTempDir(async (dir) => {
      const { cfg } = await randomLog(dir, seed);
      const records = (await bruteForceBatches(dir)).flatMap((b) => recordTimestamps(b.bytes));
      const log = await PartitionLog.open(dir, cfg);
      const lo = Math.min(...records.map((r) => r.timestamp));
      const hi = Math.max(...records.map((r) => r.timestamp));
      for (let ts = lo - 5; ts <= hi + 5; ts += 3) {
        const expected = records.find((r) => r.timestamp >= ts) ?? null;
        assert.deepEqual(await log.offsetForTimestamp(ts), expected, `timestamp ${ts}`);
      }
      const maxRecord = records.find((r) => r.timestamp === hi)!;
      assert.deepEqual(await log.maxTimestampOffset(), maxRecord);
      await log.close();
    }));
}
