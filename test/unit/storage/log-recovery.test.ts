import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, cp, readdir, readFile, rm, stat, truncate, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PartitionLog } from '../../../src/storage/partition-log.js';
import { bruteForceBatches, valuesBatch, withTempDir } from './helpers.js';

const SEG0 = '00000000000000000000';
const CFG = { indexIntervalBytes: 64 };

/** A closed log of `n` batches (batch i has i%3+1 records); returns the batches as stored. */
async function makeLog(dir: string, n: number, cfg: object = CFG): Promise<Buffer[]> {
  const log = await PartitionLog.open(dir, cfg);
  const stored: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const b = valuesBatch((i % 3) + 1, `r${i}`, 1000 + i);
    await log.append(b);
    stored.push(b);
  }
  await log.close();
  return stored;
}

/** Simulates a crash: no clean-shutdown marker. */
async function unclean(dir: string): Promise<void> {
  await unlink(path.join(dir, '.kafka_cleanshutdown'));
}

function endOffset(batches: Buffer[]): number {
  return batches.reduce((n, b) => n + b.readInt32BE(23) + 1, 0);
}

/** Opens, checks the log holds exactly `expected` and that appends continue after it. */
async function checkRecovered(dir: string, expected: Buffer[], what: string): Promise<void> {
  const log = await PartitionLog.open(dir, CFG);
  const end = endOffset(expected);
  assert.equal(log.logEndOffset, end, `${what}: log end`);
  assert.equal(log.recoveryPoint, end, `${what}: recovery point`);
  const read = await log.read(0, 1 << 20);
  assert.deepEqual(read.records, Buffer.concat(expected), `${what}: contents`);
  const r = await log.append(valuesBatch(2, 'after'));
  assert.equal(r.baseOffset, end, `${what}: next append offset`);
  if (end > 0) assert.equal((await log.read(end - 1, 1, { minOneMessage: true })).records.length > 0, true);
  await log.close();
}

test('recovery truncates a torn last batch at every byte, keeping everything before it', () =>
  withTempDir(async (root) => {
    const template = path.join(root, 'template');
    const batches = await makeLog(template, 40);
    await unclean(template);
    const logFile = `${SEG0}.log`;
    const total = (await stat(path.join(template, logFile))).size;
    const last = batches.at(-1)!;
    const lastStart = total - last.length;
    for (let cut = lastStart; cut < total; cut++) {
      const dir = path.join(root, `cut-${cut}`);
      await cp(template, dir, { recursive: true });
      await truncate(path.join(dir, logFile), cut);
      await checkRecovered(dir, batches.slice(0, -1), `cut at ${cut}`);
      await rm(dir, { recursive: true });
    }
    // Intact (no cut) but unclean: nothing is lost.
    await checkRecovered(template, batches, 'intact');
  }));

test('recovery truncates at a corrupted byte anywhere in the last batch', () =>
  withTempDir(async (root) => {
    const template = path.join(root, 'template');
    const batches = await makeLog(template, 20);
    await unclean(template);
    const logFile = `${SEG0}.log`;
    const data = await readFile(path.join(template, logFile));
    const last = batches.at(-1)!;
    const lastStart = data.length - last.length;
    // Every byte from batchLength on is checked (length sanity, magic, CRC32C over attributes..end). The
    // baseOffset and partitionLeaderEpoch fields are outside the CRC in the v2 format, as in Kafka.
    const positions = [];
    for (let i = 8; i < 12; i++) positions.push(i);
    for (let i = 16; i < last.length; i++) positions.push(i);
    for (const rel of positions) {
      const dir = path.join(root, `flip-${rel}`);
      await cp(template, dir, { recursive: true });
      const copy = Buffer.from(data);
      copy[lastStart + rel] = copy[lastStart + rel]! ^ 0x10;
      await writeFile(path.join(dir, logFile), copy);
      await checkRecovered(dir, batches.slice(0, -1), `flip at +${rel}`);
      await rm(dir, { recursive: true });
    }
    // A base offset going backwards is caught by the ordering check.
    const dir = path.join(root, 'backwards');
    await cp(template, dir, { recursive: true });
    const copy = Buffer.from(data);
    copy.writeUInt32BE(0, lastStart + 4);
    await writeFile(path.join(dir, logFile), copy);
    await checkRecovered(dir, batches.slice(0, -1), 'base offset backwards');
  }));

test('a zero-filled tail (power loss on some file systems) is cut off', () =>
  withTempDir(async (dir) => {
    const batches = await makeLog(dir, 5);
    await unclean(dir);
    await appendFile(path.join(dir, `${SEG0}.log`), Buffer.alloc(4096));
    await checkRecovered(dir, batches, 'zeros');
  }));

test('missing or corrupt index files are rebuilt after a clean shutdown', () =>
  withTempDir(async (dir) => {
    const batches = await makeLog(dir, 60, { indexIntervalBytes: 64, segmentBytes: 1500 });
    const segs = (await readdir(dir)).filter((n) => n.endsWith('.log')).sort();
    assert.ok(segs.length >= 3);
    const firstIndex = path.join(dir, segs[0]!.replace('.log', '.index'));
    const goodIndex = await readFile(firstIndex);
    assert.ok(goodIndex.length > 0);
    await unlink(firstIndex);
    await writeFile(path.join(dir, segs[1]!.replace('.log', '.index')), Buffer.alloc(13, 0xff));
    await writeFile(path.join(dir, segs[2]!.replace('.log', '.timeindex')), Buffer.alloc(24, 0xff));
    const log = await PartitionLog.open(dir, { indexIntervalBytes: 64, segmentBytes: 1500 });
    assert.deepEqual((await log.read(0, 1 << 20)).records, Buffer.concat(batches));
    for (let o = 0; o < log.logEndOffset; o += 7) {
      const r = await log.read(o, 1, { minOneMessage: true });
      const first = r.records;
      const base = Number(first.readBigInt64BE(0));
      assert.ok(base <= o && base + first.readInt32BE(23) >= o, `offset ${o}`);
    }
    assert.deepEqual(await log.offsetForTimestamp(1030), { offset: 60, timestamp: 1030 });
    await log.close();
    assert.deepEqual(await readFile(firstIndex), goodIndex, 'rebuilt index equals the original');
  }));

test('without a recovery point every segment is checked; a corrupt middle segment drops the later ones', () =>
  withTempDir(async (dir) => {
    const cfg = { indexIntervalBytes: 64, segmentBytes: 1000 };
    const batches = await makeLog(dir, 40, cfg);
    await unclean(dir);
    const segs = (await readdir(dir)).filter((n) => n.endsWith('.log')).sort();
    assert.ok(segs.length >= 3);
    const middle = path.join(dir, segs[1]!);
    const data = await readFile(middle);
    data[data.length - 5] = data[data.length - 5]! ^ 0xff;
    await writeFile(middle, data);
    const log = await PartitionLog.open(dir, cfg);
    const kept = await bruteForceBatches(dir);
    assert.deepEqual((await readdir(dir)).filter((n) => n.endsWith('.log')).sort(), segs.slice(0, 2));
    assert.equal(log.logEndOffset, kept.at(-1)!.lastOffset + 1);
    assert.deepEqual(
      kept.map((k) => k.bytes),
      batches.slice(0, kept.length),
    );
    await log.close();
  }));

test('with a recovery point only later segments are scanned', () =>
  withTempDir(async (dir) => {
    const cfg = { indexIntervalBytes: 64, segmentBytes: 1000 };
    const batches = await makeLog(dir, 40, cfg);
    await unclean(dir);
    const segs = (await readdir(dir)).filter((n) => n.endsWith('.log')).sort();
    // Corrupt the first segment: below the recovery point it is trusted, so its bytes are not scanned.
    const first = path.join(dir, segs[0]!);
    const data = await readFile(first);
    data[data.length - 5] = data[data.length - 5]! ^ 0xff;
    await writeFile(first, data);
    const lastBase = Number(segs.at(-1)!.slice(0, 20));
    const log = await PartitionLog.open(dir, cfg, undefined, { recoveryPoint: lastBase });
    assert.equal(log.logEndOffset, endOffset(batches));
    await log.close();
  }));
