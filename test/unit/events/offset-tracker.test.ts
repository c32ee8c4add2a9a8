import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OffsetTracker } from '../../../src/events/offset-tracker.js';

const tp = { topic: 't', partition: 0 };
const tp1 = { topic: 't', partition: 1 };

test('the committable offset is the lowest unfinished event, whatever order events finish in', () => {
  const t = new OffsetTracker();
  const finish = [10, 11, 12, 13].map((o) => t.track(tp, o));
  t.readUpTo(tp, 14);
  assert.equal(t.committable(tp), 10);
  assert.deepEqual(t.candidates(), [], 'nothing finished: nothing to commit');
  finish[2]!();
  finish[1]!();
  assert.equal(t.committable(tp), 10, '10 is still running');
  finish[0]!();
  assert.equal(t.committable(tp), 13);
  finish[3]!();
  assert.equal(t.committable(tp), 14);
  assert.equal(t.pending, 0);
});

test('a batch end past the last record (control records, aborted data) moves the committable offset once all finished', () => {
  const t = new OffsetTracker();
  const f = t.track(tp, 5);
  t.readUpTo(tp, 9);
  assert.equal(t.committable(tp), 5);
  f();
  assert.equal(t.committable(tp), 9);
});

test('candidates list only partitions that moved past their last commit', () => {
  const t = new OffsetTracker();
  t.track(tp, 0)();
  t.track(tp1, 100);
  assert.deepEqual(t.candidates(), [{ topic: 't', partition: 0, offset: 1 }]);
  t.markCommitted([{ topic: 't', partition: 0, offset: 1 }]);
  assert.deepEqual(t.candidates(), []);
  t.track(tp, 1)();
  assert.deepEqual(t.candidates([tp1]), []);
  assert.deepEqual(t.candidates([tp]), [{ topic: 't', partition: 0, offset: 2 }]);
});

test('completions after a partition was dropped (revoked or lost) change nothing, also after it comes back', () => {
  const t = new OffsetTracker();
  const late = t.track(tp, 0);
  t.drop(tp);
  assert.equal(t.committable(tp), null);
  const again = t.track(tp, 0);
  late();
  assert.equal(t.committable(tp), 0, 'the old completion must not finish the new tracking of offset 0');
  again();
  assert.equal(t.committable(tp), 1);
});

test('offsets must be tracked in ascending order', () => {
  const t = new OffsetTracker();
  t.track(tp, 3);
  assert.throws(() => t.track(tp, 3));
  assert.throws(() => t.track(tp, 1));
});

test('many events finishing out of order: committable is always the lowest unfinished one', () => {
  const t = new OffsetTracker();
  const n = 5000;
  const fins = Array.from({ length: n }, (_, i) => t.track(tp, i));
  // Finish in a scrambled but deterministic order.
  const order = Array.from({ length: n }, (_, i) => (i * 7919) % n);
  const done = new Set<number>();
  for (const o of order) {
    fins[o]!();
    done.add(o);
    let lowest = 0;
    while (done.has(lowest)) lowest++;
    if (o % 97 === 0) assert.equal(t.committable(tp), lowest);
  }
  assert.equal(t.committable(tp), n);
});
