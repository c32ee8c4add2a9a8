import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MotionWindows } from '../../../examples/motion-alerting/motion-window.js';

test('three motions within 10 s raise an alarm and empty the window', () => {
  const w = new MotionWindows(3, 10_000);
  assert.equal(w.add('a', 0), null);
  assert.equal(w.add('a', 4_000), null);
  assert.deepEqual(w.add('a', 9_999), { sensorId: 'a', fromMs: 0, toMs: 9_999, motions: 3 });
  assert.equal(w.add('a', 10_000), null, 'the window starts again after an alarm');
  assert.equal(w.add('a', 10_001), null);
  assert.notEqual(w.add('a', 10_002), null);
});

test('motions 10 s apart or more never meet; sensors have their own windows', () => {
  const w = new MotionWindows(3, 10_000);
  assert.equal(w.add('a', 0), null);
  assert.equal(w.add('b', 1), null);
  assert.equal(w.add('a', 10_000), null, 'exactly 10 s later: the first one left the window');
  assert.equal(w.add('b', 2), null);
  assert.equal(w.add('a', 20_000), null);
  assert.deepEqual(w.add('b', 3), { sensorId: 'b', fromMs: 1, toMs: 3, motions: 3 });
});

test('a late reading counts in its place', () => {
  const w = new MotionWindows(3, 10_000);
  assert.equal(w.add('a', 5_000), null);
  assert.equal(w.add('a', 12_000), null);
  assert.equal(w.add('a', 1_000), null, '1 s is 11 s before 12 s: outside the window');
  assert.deepEqual(w.add('a', 6_000), { sensorId: 'a', fromMs: 5_000, toMs: 12_000, motions: 3 });
});
