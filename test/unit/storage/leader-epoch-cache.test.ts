import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EpochCheckpointError,
  LeaderEpochCache,
  UNDEFINED_EPOCH,
  UNDEFINED_EPOCH_OFFSET,
  formatEpochCheckpoint,
  parseEpochCheckpoint,
} from '../../../src/storage/leader-epoch-cache.js';

const e = (epoch: number, startOffset: number): { epoch: number; startOffset: number } => ({ epoch, startOffset });

test('assign: a new epoch is appended; the latest epoch again at or after its start changes nothing', () => {
  const c = new LeaderEpochCache();
  assert.equal(c.latestEpoch(), null);
  assert.equal(c.earliestEntry(), undefined);
  assert.equal(c.assign(1, 0), true);
  assert.equal(c.assign(1, 5), false, 'same epoch, later offset: ignored');
  assert.equal(c.assign(1, 0), false, 'same epoch, same offset: ignored');
  assert.equal(c.assign(3, 10), true);
  assert.equal(c.assign(4, 10), true, 'a newer epoch starting where the latest starts replaces it (it wrote nothing)');
  assert.deepEqual(c.entries(), [e(1, 0), e(4, 10)]);
  assert.equal(c.latestEpoch(), 4);
  assert.deepEqual(c.earliestEntry(), e(1, 0));
});

test('assign: a newer epoch starting earlier removes the entries starting at or after it', () => {
  const c = new LeaderEpochCache([e(1, 0), e(2, 10), e(3, 20)]);
  assert.equal(c.assign(5, 15), true);
  assert.deepEqual(c.entries(), [e(1, 0), e(2, 10), e(5, 15)]);
});

test('assign: the latest epoch at an earlier offset moves its start back', () => {
  const c = new LeaderEpochCache([e(1, 0), e(2, 10)]);
  assert.equal(c.assign(2, 5), true);
  assert.deepEqual(c.entries(), [e(1, 0), e(2, 5)]);
});

test('assign: an older epoch replaces every newer entry, as Kafka does (a log never goes back in epochs)', () => {
  const c = new LeaderEpochCache([e(1, 0), e(3, 10), e(4, 20)]);
  assert.equal(c.assign(2, 30), true);
  assert.deepEqual(c.entries(), [e(1, 0), e(2, 30)]);
});

test('assign: negative epochs and offsets are refused', () => {
  const c = new LeaderEpochCache();
  assert.throws(() => c.assign(-1, 0), RangeError);
  assert.throws(() => c.assign(0, -1), RangeError);
  assert.equal(c.size, 0);
});

test('truncateFromEnd drops the entries starting at or after the offset', () => {
  const c = new LeaderEpochCache([e(1, 0), e(2, 10), e(3, 20)]);
  assert.equal(c.truncateFromEnd(25), false, 'nothing starts at or after 25');
  assert.equal(c.truncateFromEnd(20), true);
  assert.deepEqual(c.entries(), [e(1, 0), e(2, 10)]);
  assert.equal(c.truncateFromEnd(11), false);
  assert.equal(c.truncateFromEnd(0), true);
  assert.deepEqual(c.entries(), []);
});

test('truncateFromStart keeps the entry covering the new start, raised to it', () => {
  const c = new LeaderEpochCache([e(1, 0), e(2, 10), e(3, 20)]);
  assert.equal(c.truncateFromStart(0), false, 'the first entry starts there already');
  assert.equal(c.truncateFromStart(15), true);
  assert.deepEqual(c.entries(), [e(2, 15), e(3, 20)]);
  assert.equal(c.truncateFromStart(20), true, 'an entry starting exactly at the new start stays, the one before goes');
  assert.deepEqual(c.entries(), [e(3, 20)]);
  assert.equal(c.truncateFromStart(100), true);
  assert.deepEqual(c.entries(), [e(3, 100)], 'the latest epoch still covers the (empty) log');
  assert.equal(new LeaderEpochCache([e(4, 50)]).truncateFromStart(10), false, 'a start before the first entry changes nothing');
});

test('endOffsetFor: every case of Kafka\'s LeaderEpochFileCache.endOffsetFor', () => {
  const undef = { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
  assert.deepEqual(new LeaderEpochCache().endOffsetFor(0, 7), undef, 'empty cache');
  const c = new LeaderEpochCache([e(2, 10), e(4, 20), e(7, 30)]);
  assert.deepEqual(c.endOffsetFor(UNDEFINED_EPOCH, 40), undef, 'UNDEFINED_EPOCH requested');
  assert.deepEqual(c.endOffsetFor(7, 40), { epoch: 7, endOffset: 40 }, 'the latest epoch ends at the log end');
  assert.deepEqual(c.endOffsetFor(8, 40), undef, 'above every known epoch');
  assert.deepEqual(c.endOffsetFor(1, 40), { epoch: 1, endOffset: 10 }, 'below the first: the requested epoch, the first start');
  assert.deepEqual(c.endOffsetFor(2, 40), { epoch: 2, endOffset: 20 }, 'a known epoch ends where the next starts');
  assert.deepEqual(c.endOffsetFor(3, 40), { epoch: 2, endOffset: 20 }, 'an unknown epoch between: the floor epoch, the next start');
  assert.deepEqual(c.endOffsetFor(6, 40), { epoch: 4, endOffset: 30 });
});

test('checkpoint text: Kafka\'s format round-trips; malformed files are refused', () => {
  const text = formatEpochCheckpoint([e(1, 0), e(4, 3)]);
  assert.equal(text, '0\n2\n1 0\n4 3\n');
  assert.deepEqual(parseEpochCheckpoint(text), [e(1, 0), e(4, 3)]);
  assert.deepEqual(parseEpochCheckpoint(formatEpochCheckpoint([])), []);
  for (const bad of ['', '1\n0\n', '0\n2\n1 0\n', '0\n1\n1\n', '0\n1\nx 0\n', '0\n1\n-1 0\n', '0\n1\n1 2 3\n']) {
    assert.throws(() => parseEpochCheckpoint(bad), EpochCheckpointError, JSON.stringify(bad));
  }
});
