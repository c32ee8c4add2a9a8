import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryDedupeStore } from '../../../src/events/dedupe-store.js';
import { attemptsOf, failureRecord, readFailureInfo } from '../../../src/events/failure-record.js';
import { createEnvelope, decodeEnvelope, encodeEnvelope } from '../../../src/events/envelope.js';

test('memory store: remembers, evicts the oldest beyond maxEntries, re-adding refreshes', async () => {
  const s = new MemoryDedupeStore({ maxEntries: 3 });
  for (const k of ['a', 'b', 'c']) await s.add(k);
  await s.add('a');
  await s.add('d');
  assert.equal(await s.has('b'), false, 'b was the oldest');
  for (const k of ['a', 'c', 'd']) assert.equal(await s.has(k), true, k);
  assert.equal(s.size, 3);
});

test('memory store: keys expire after ttlMs', async () => {
  let nowMs = 1000;
  const s = new MemoryDedupeStore({ ttlMs: 50, now: () => nowMs });
  await s.add('x');
  nowMs += 49;
  assert.equal(await s.has('x'), true);
  nowMs += 1;
  assert.equal(await s.has('x'), false);
  assert.equal(s.size, 0);
});

test('failure records keep the event and add reason, error, attempts and the original coordinates', () => {
  const enc = encodeEnvelope(createEnvelope({ type: 't', source: '/s', data: { a: 1 }, key: 'k' }));
  const consumed = { topic: 'orders', partition: 2, offset: 41, key: enc.key, value: enc.value, headers: enc.headers };
  const toRetry = failureRecord(consumed, { error: new TypeError('first'), attempts: 3, group: 'g', reason: null });
  const asConsumed = (m: typeof toRetry, at: { topic: string; partition: number; offset: number }) => ({
    ...at,
    key: m.key ?? null,
    value: m.value,
    headers: (m.headers as Array<{ key: string; value: Buffer | string }>).map((h) => ({ key: h.key, value: Buffer.from(h.value) })),
  });
  const inRetryTopic = asConsumed(toRetry, { topic: 'g.retry.1', partition: 0, offset: 7 });
  assert.equal(attemptsOf(inRetryTopic), 3);
  assert.deepEqual(decodeEnvelope(inRetryTopic), decodeEnvelope({ key: enc.key, value: enc.value, headers: enc.headers }), 'the envelope is unchanged');
  const dead = asConsumed(failureRecord(inRetryTopic, { error: new Error('second'), attempts: 6, group: 'g', reason: 'retries-exhausted' }), { topic: 'g.dlq', partition: 0, offset: 0 });
  const info = readFailureInfo(dead)!;
  assert.equal(info.reason, 'retries-exhausted');
  assert.equal(info.error, 'second');
  assert.equal(info.errorName, 'Error');
  assert.equal(info.attempts, 6);
  assert.deepEqual([info.originalTopic, info.originalPartition, info.originalOffset], ['orders', 2, 41], 'the first delivery, not the retry topic');
  assert.equal(info.group, 'g');
  assert.ok(!Number.isNaN(Date.parse(info.failedAt)));
  assert.equal(dead.headers.filter((h) => h.key === 'tributary-attempts').length, 1, 'old failure headers replaced, not repeated');
  assert.equal(readFailureInfo({ key: null, value: null, headers: enc.headers }), null);
});
