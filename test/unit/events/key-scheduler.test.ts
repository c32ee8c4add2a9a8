import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KeyedScheduler } from '../../../src/events/key-scheduler.js';
import { EventsConfigError } from '../../../src/events/errors.js';
import { mulberry32 } from '../../helpers/fuzz.js';

const tick = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

for (const seed of [1, 2, 3]) {
  test(`one key runs strictly in order, keys run in parallel, never more than concurrency at once (seed ${seed})`, async () => {
    const random = mulberry32(seed);
    const concurrency = 4;
    const s = new KeyedScheduler(concurrency);
    const seen = new Map<string, number[]>();
    const runningKeys = new Set<string>();
    let running = 0;
    let maxRunning = 0;
    const all: Array<Promise<void>> = [];
    for (let i = 0; i < 200; i++) {
      const key = `k${Math.floor(random() * 10)}`;
      const delayMs = Math.floor(random() * 3);
      all.push(
        s.schedule(key, async () => {
          assert.ok(!runningKeys.has(key), `two tasks of ${key} ran at once`);
          runningKeys.add(key);
          running++;
          maxRunning = Math.max(maxRunning, running);
          await tick(delayMs);
          seen.set(key, [...(seen.get(key) ?? []), i]);
          running--;
          runningKeys.delete(key);
        }),
      );
    }
    await Promise.all(all);
    assert.ok(maxRunning <= concurrency, `ran ${maxRunning} at once`);
    assert.ok(maxRunning > 1, 'different keys never overlapped');
    for (const [key, order] of seen) assert.deepEqual(order, [...order].sort((a, b) => a - b), `order of ${key}`);
    assert.equal([...seen.values()].reduce((n, l) => n + l.length, 0), 200);
    assert.equal(s.size, 0);
  });
}

test('a slow key does not hold back the others; keyless tasks run in parallel', async () => {
  const s = new KeyedScheduler(2);
  const done: string[] = [];
  let releaseSlow!: () => void;
  const slow = s.schedule('slow', () => new Promise<void>((r) => (releaseSlow = r)).then(() => void done.push('slow')));
  const queuedBehindSlow = s.schedule('slow', async () => void done.push('slow-2'));
  const others = [s.schedule('a', async () => void done.push('a')), s.schedule(null, async () => void done.push('n1')), s.schedule(null, async () => void done.push('n2'))];
  await Promise.all(others);
  assert.deepEqual(done, ['a', 'n1', 'n2']);
  releaseSlow();
  await Promise.all([slow, queuedBehindSlow]);
  assert.deepEqual(done.slice(3), ['slow', 'slow-2']);
});

test('a failing task rejects its own promise only; the key goes on', async () => {
  const s = new KeyedScheduler(1);
  const order: number[] = [];
  const first = s.schedule('k', async () => {
    order.push(1);
    throw new Error('boom');
  });
  const second = s.schedule('k', async () => void order.push(2));
  await assert.rejects(first, /boom/);
  await second;
  assert.deepEqual(order, [1, 2]);
});

test('whenBelow and idle wait for pending tasks', async () => {
  const s = new KeyedScheduler(1);
  const releases: Array<() => void> = [];
  for (let i = 0; i < 3; i++) void s.schedule(`k${i}`, () => new Promise<void>((r) => releases.push(r)));
  assert.equal(s.size, 3);
  let below = false;
  void s.whenBelow(2).then(() => (below = true));
  let idle = false;
  void s.idle().then(() => (idle = true));
  await tick(1);
  assert.equal(below, false);
  releases.shift()!();
  await tick(1);
  assert.equal(below, false, 'two still pending');
  releases.shift()!();
  await tick(1);
  assert.equal(below, true);
  assert.equal(idle, false);
  releases.shift()!();
  await tick(1);
  assert.equal(idle, true);
  await s.whenBelow(1);
});

test('concurrency must be a positive integer', () => {
  assert.throws(() => new KeyedScheduler(0), EventsConfigError);
  assert.throws(() => new KeyedScheduler(1.5), EventsConfigError);
});
