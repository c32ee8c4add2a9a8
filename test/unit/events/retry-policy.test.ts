import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideRetry, resolveRetryPolicy, retryDelayMs } from '../../../src/events/retry-policy.js';
import { EventsConfigError } from '../../../src/events/errors.js';

test('delays grow by the multiplier from initialMs and stop at maxMs (no jitter)', () => {
  const p = resolveRetryPolicy({ backoff: { initialMs: 100, maxMs: 1000, multiplier: 3, jitter: 0 } });
  assert.deepEqual([1, 2, 3, 4, 5].map((r) => retryDelayMs(p, r)), [100, 300, 900, 1000, 1000]);
});

test('jitter spreads a delay within ±jitter and never above maxMs', () => {
  const p = resolveRetryPolicy({ backoff: { initialMs: 1000, maxMs: 1100, jitter: 0.2 } });
  assert.equal(retryDelayMs(p, 1, () => 0), 800);
  assert.equal(retryDelayMs(p, 1, () => 0.5), 1000);
  assert.equal(retryDelayMs(p, 1, () => 0.999999), 1100, 'capped');
  for (let i = 0; i < 100; i++) {
    const d = retryDelayMs(p, 1);
    assert.ok(d >= 800 && d <= 1100, String(d));
  }
});

test('decisions: in-place retries first, then each retry topic, then the dead-letter topic', () => {
  const p = resolveRetryPolicy({ retries: 2, retryTopics: [1000, 5000], backoff: { jitter: 0 } });
  const trail: string[] = [];
  for (let stage = 0; ; ) {
    let next: number | null = null;
    for (let failures = 1; ; failures++) {
      const d = decideRetry(p, stage, failures);
      trail.push(d.action === 'retry-topic' ? `topic-${d.stage}` : d.action);
      if (d.action === 'retry-in-place') continue;
      if (d.action === 'retry-topic') next = d.stage;
      break;
    }
    if (next === null) break;
    stage = next;
  }
  const inPlace = ['retry-in-place', 'retry-in-place'];
  assert.deepEqual(trail, [...inPlace, 'topic-1', ...inPlace, 'topic-2', ...inPlace, 'dead-letter']);
});

test('retries: 0 and no retry topics dead-letters at the first failure', () => {
  assert.deepEqual(decideRetry(resolveRetryPolicy({ retries: 0 }), 0, 1), { action: 'dead-letter' });
});

test('bad policies fail fast', () => {
  for (const bad of [{ retries: -1 }, { retries: 1.5 }, { backoff: { initialMs: 100, maxMs: 10 } }, { backoff: { multiplier: 0.5 } }, { backoff: { jitter: 1 } }, { retryTopics: [-1] }]) {
    assert.throws(() => resolveRetryPolicy(bad), EventsConfigError, JSON.stringify(bad));
  }
});
