import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OffsetIndex } from '../../../src/storage/offset-index.js';
import { TimeIndex } from '../../../src/storage/time-index.js';
import { withTempDir } from './helpers.js';

test('offset index: lookup returns the floor entry, persist and load round-trip', () =>
  withTempDir(async (dir) => {
    const file = path.join(dir, '00000000000000000100.index');
    const idx = new OffsetIndex(file, 100, 1024);
    assert.equal(idx.maxEntries, 128);
    assert.deepEqual(idx.lookup(150), { offset: 100, position: 0 });
    idx.append(110, 500);
    idx.append(120, 1000);
    idx.append(135, 2000);
    assert.deepEqual(idx.lookup(109), { offset: 100, position: 0 });
    assert.deepEqual(idx.lookup(110), { offset: 110, position: 500 });
    assert.deepEqual(idx.lookup(134), { offset: 120, position: 1000 });
    assert.deepEqual(idx.lookup(1e9), { offset: 135, position: 2000 });
    assert.throws(() => idx.append(135, 3000));
    assert.throws(() => idx.append(140, 2000));
    await idx.persist(true);
    const raw = await readFile(file);
    assert.equal(raw.length, 24);
    assert.equal(raw.readInt32BE(8), 20); // relative offset
    assert.equal(raw.readInt32BE(12), 1000); // position
    const loaded = new OffsetIndex(file, 100, 1024);
    assert.equal(await loaded.loadChecked(5000), true);
    assert.equal(loaded.entries, 3);
    assert.deepEqual(loaded.lookup(125), { offset: 120, position: 1000 });
    loaded.truncateTo(120);
    assert.equal(loaded.entries, 1);
    await loaded.persist(false);
    assert.equal((await stat(file)).size, 8);
  }));

test('offset index: the sanity check rejects torn, unordered or out-of-file entries', () =>
  withTempDir(async (dir) => {
    const file = path.join(dir, 'x.index');
    const entries = (pairs: number[][]): Buffer => {
      const b = Buffer.alloc(pairs.length * 8);
      pairs.forEach(([o, p], i) => {
        b.writeInt32BE(o!, i * 8);
        b.writeInt32BE(p!, i * 8 + 4);
      });
      return b;
    };
    const cases: Array<[Buffer, boolean]> = [
      [entries([[1, 100], [2, 200]]), true],
      [entries([[1, 100], [2, 200]]).subarray(0, 12), false],
      [entries([[2, 100], [1, 200]]), false],
      [entries([[1, 200], [2, 100]]), false],
      [entries([[1, 100], [2, 9999]]), false],
      [entries([[-1, 100]]), false],
    ];
    for (const [data, ok] of cases) {
      await writeFile(file, data);
      const idx = new OffsetIndex(file, 0, 1024);
      assert.equal(await idx.loadChecked(1000), ok);
      if (!ok) assert.equal(idx.entries, 0);
    }
    assert.equal(await new OffsetIndex(path.join(dir, 'missing.index'), 0, 1024).loadChecked(10), false);
  }));

test('time index: only increasing timestamps are appended; lookup floors by timestamp', () =>
  withTempDir(async (dir) => {
    const file = path.join(dir, '00000000000000000050.timeindex');
    const idx = new TimeIndex(file, 50, 120);
    assert.equal(idx.maxEntries, 10);
    assert.equal(idx.maybeAppend(-1, 50), false);
    assert.equal(idx.maybeAppend(1000, 55), true);
    assert.equal(idx.maybeAppend(1000, 56), false);
    assert.equal(idx.maybeAppend(999, 57), false);
    assert.equal(idx.maybeAppend(2000, 60), true);
    assert.deepEqual(idx.lookup(500), { timestamp: -1, offset: 50 });
    assert.deepEqual(idx.lookup(1500), { timestamp: 1000, offset: 55 });
    assert.deepEqual(idx.lookup(2000), { timestamp: 2000, offset: 60 });
    await idx.persist(true);
    const raw = await readFile(file);
    assert.equal(raw.length, 24);
    assert.equal(raw.readInt32BE(20), 10);
    const loaded = new TimeIndex(file, 50, 120);
    assert.equal(await loaded.loadChecked(), true);
    assert.deepEqual(loaded.lastEntry(), { timestamp: 2000, offset: 60 });
    loaded.truncateTo(60);
    assert.deepEqual(loaded.lastEntry(), { timestamp: 1000, offset: 55 });
    await writeFile(file, Buffer.alloc(13));
    assert.equal(await new TimeIndex(file, 50, 120).loadChecked(), false);
  }));
