/**
 * The chaos checker on hand-written histories: a clean one passes, and each anomaly it names is
 * found in a history made to have it (so a checker that sees nothing cannot pass these).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkHistory } from '../../../chaos/checker.js';
import type { HistoryEvent } from '../../../chaos/history.js';
import { FAULT_CLASS, MAX_UNDER, prng, schedule, FAULT_KINDS } from '../../../chaos/faults.js';

const send = (t: number, lane: string, seq: number, partition = 0): HistoryEvent => ({ t, type: 'send', lane, seq, partition });
const ack = (t: number, lane: string, seq: number, offset: number, partition = 0): HistoryEvent => ({ t, type: 'ack', lane, seq, partition, offset });
const poll = (t: number, records: Array<[number, string | null]>, highWatermark: number, leader = 0, observer = 'o'): HistoryEvent => ({
  t, type: 'poll', observer, partition: 0, from: records[0]?.[0] ?? 0, records, highWatermark, leader,
});
const final = (records: Array<[number, string | null]>, highWatermark = records.length): HistoryEvent => ({ t: 1e9, type: 'final', partition: 0, highWatermark, logStartOffset: 0, records });

function clean(): HistoryEvent[] {
  return [
    send(1, 'a', 0), ack(2, 'a', 0, 0), send(3, 'a', 1), ack(4, 'a', 1, 1),
    poll(5, [[0, 'a:0'], [1, 'a:1']], 2),
    final([[0, 'a:0'], [1, 'a:1']]),
  ];
}

test('a clean history has no anomalies', () => {
  const r = checkHistory(clean());
  assert.deepEqual(r.anomalies, []);
  assert.equal(r.acknowledged, 2);
  assert.equal(r.stored, 2);
});

test('lost-write: an acknowledged record missing from its offset (overwritten, or past the final HW)', () => {
  const overwritten = checkHistory([...clean().slice(0, 4), final([[0, 'a:0'], [1, 'b:9']])]);
  assert.equal(overwritten.lost, 1);
  assert.ok(overwritten.failures.some((a) => a.kind === 'lost-write'));
  assert.ok(overwritten.failures.some((a) => a.kind === 'inconsistent-offsets'));
  const truncated = checkHistory([...clean().slice(0, 4), final([[0, 'a:0']], 1)]);
  assert.equal(truncated.lost, 1);
  assert.match(truncated.failures.find((a) => a.kind === 'lost-write')!.detail, /past the final high watermark/);
});

test('inconsistent-offsets between two observers; nonmonotonic-poll; poll-skip', () => {
  const h = clean();
  const r = checkHistory([...h.slice(0, 5), poll(6, [[1, 'x:1']], 2, 0, 'p'), poll(7, [[0, 'a:0']], 2), final([[0, 'a:0'], [1, 'a:1'], [2, 'a:2'], [3, 'a:3']], 4), poll(8, [[3, 'a:3']], 4)]);
  const kinds = new Set(r.failures.map((a) => a.kind));
  assert.ok(kinds.has('inconsistent-offsets'), JSON.stringify(r.failures));
  assert.ok(kinds.has('nonmonotonic-poll'), JSON.stringify(r.failures));
  assert.ok(kinds.has('poll-skip'), JSON.stringify(r.failures));
});

test('reordered: a lane whose later record was acknowledged at a lower offset', () => {
  const r = checkHistory([send(1, 'a', 0), ack(2, 'a', 0, 5), send(3, 'a', 1), ack(4, 'a', 1, 4), final([[0, null], [1, null], [2, null], [3, null], [4, 'a:1'], [5, 'a:0']])]);
  assert.ok(r.failures.some((a) => a.kind === 'reordered'));
});

test('the high watermark: down on one leader is an anomaly, behind after a leader change is counted apart', () => {
  const same = checkHistory([...clean().slice(0, 4), poll(5, [[0, 'a:0']], 2, 0), poll(6, [], 1, 0), final([[0, 'a:0'], [1, 'a:1']])]);
  assert.ok(same.failures.some((a) => a.kind === 'nonmonotonic-hw'));
  const moved = checkHistory([...clean().slice(0, 4), poll(5, [[0, 'a:0']], 2, 0), poll(6, [], 1, 1), final([[0, 'a:0'], [1, 'a:1']])]);
  assert.deepEqual(moved.failures, []);
  assert.equal(moved.hwBehindAfterLeaderChange, 1);
  // The same node in a new leader epoch (it restarted and leads again, its high watermark from its
  // checkpoint) is a new leader; in the same epoch a drop is still an anomaly.
  const epoch = (e: HistoryEvent, leaderEpoch: number): HistoryEvent => ({ ...e, leaderEpoch }) as HistoryEvent;
  const reelected = checkHistory([...clean().slice(0, 4), epoch(poll(5, [[0, 'a:0']], 2, 0), 3), epoch(poll(6, [], 1, 0), 4), final([[0, 'a:0'], [1, 'a:1']])]);
  assert.deepEqual(reelected.failures, []);
  assert.equal(reelected.hwBehindAfterLeaderChange, 1);
  const sameEpoch = checkHistory([...clean().slice(0, 4), epoch(poll(5, [[0, 'a:0']], 2, 0), 3), epoch(poll(6, [], 1, 0), 3), final([[0, 'a:0'], [1, 'a:1']])]);
  assert.ok(sameEpoch.failures.some((a) => a.kind === 'nonmonotonic-hw'));
});

test('duplicates fail only for idempotent lanes; the others are counted apart, as retries', () => {
  const h = [send(1, 'a', 0), ack(2, 'a', 0, 1), send(3, 'b', 0), ack(4, 'b', 0, 3), final([[0, 'a:0'], [1, 'a:0'], [2, 'b:0'], [3, 'b:0']])];
  const plain = checkHistory(h);
  assert.equal(plain.retryDuplicates, 2);
  assert.equal(plain.duplicated, 0);
  assert.deepEqual(plain.failures, []);
  const lanes: HistoryEvent[] = [{ t: 0, type: 'lane', lane: 'a', client: 'kafkajs', idempotent: false }, { t: 0, type: 'lane', lane: 'b', client: 'librdkafka', idempotent: true }];
  const mixed = checkHistory([...lanes, ...h]);
  assert.equal(mixed.retryDuplicates, 1);
  assert.equal(mixed.duplicated, 1);
  assert.deepEqual(mixed.idempotentLanes, ['b']);
  assert.deepEqual(mixed.failures.map((a) => a.kind), ['duplicate']);
  assert.match(mixed.failures[0]!.detail, /^b:0/);
  assert.equal(checkHistory(h, { idempotent: true }).failures.filter((a) => a.kind === 'duplicate').length, 2);
});

test('the schedule is a function of the seed and starts with every kind once', () => {
  const timing = { holdMs: [500, 6000] as [number, number], restMs: [500, 2500] as [number, number] };
  const a = schedule(42, 30, FAULT_KINDS, timing);
  assert.deepEqual(a, schedule(42, 30, FAULT_KINDS, timing));
  assert.notDeepEqual(a, schedule(43, 30, FAULT_KINDS, timing));
  assert.ok(a.every((s) => s.faults.length === 1), 'overlap 0 is one fault at a time');
  assert.deepEqual(new Set(a.slice(0, FAULT_KINDS.length).map((s) => s.faults[0]!.kind)), new Set(FAULT_KINDS));
  const r = prng(1);
  for (let i = 0; i < 1000; i++) {
    const x = r();
    assert.ok(x >= 0 && x < 1);
  }
});

test('composed schedules: a base fault with faults of the other class under it; cluster-wide faults alone', () => {
  const timing = { holdMs: [200, 1500] as [number, number], restMs: [100, 400] as [number, number], overlap: 0.75 };
  const steps = schedule(7, 500, FAULT_KINDS, timing);
  assert.deepEqual(steps, schedule(7, 500, FAULT_KINDS, timing));
  let composed = 0;
  for (const s of steps) {
    const [base, ...under] = s.faults as [(typeof s.faults)[0], ...typeof s.faults];
    assert.equal(base.startMs, 0);
    assert.ok(under.length === 0 || under.length === MAX_UNDER, `${under.length} under the base`);
    if (under.length === 0) continue;
    composed++;
    const other = FAULT_CLASS[base.kind] === 'process' ? 'network' : 'process';
    assert.notEqual(FAULT_CLASS[base.kind], 'cluster');
    for (const f of under) assert.equal(FAULT_CLASS[f.kind], other, `${f.kind} under ${base.kind}`);
    assert.ok(under[0]!.startMs >= 0 && under[0]!.startMs < base.holdMs, 'the first under the base starts within its hold');
  }
  // About 0.75 of the 9 of 11 kinds that can be a base.
  assert.ok(composed > 250 && composed < 360, `${composed} composed steps`);
  // The first round (bases and the first fault under each) still has every kind, in at most as many steps (a run's minSteps).
  const firstRound = steps.slice(0, FAULT_KINDS.length).flatMap((s) => s.faults.slice(0, 2).map((f) => f.kind));
  assert.deepEqual(new Set(firstRound), new Set(FAULT_KINDS));
  // Overlap 0 draws exactly what the one-at-a-time schedule drew.
  assert.deepEqual(schedule(7, 50, FAULT_KINDS, { ...timing, overlap: 0 }), schedule(7, 50, FAULT_KINDS, { holdMs: timing.holdMs, restMs: timing.restMs }));
});
