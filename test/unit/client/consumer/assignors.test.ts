import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor, stickyAssign, type Assignor, type GroupAssignment, type MemberSubscription } from '../../../../src/client/consumer/assignors/index.js';
import { rebalanceProtocolOf, resolveAssignors } from '../../../../src/client/consumer/assignors/index.js';
import type { TopicPartition } from '../../../../src/client/consumer/types.js';
import { ClientConfigError } from '../../../../src/client/errors.js';

function member(memberId: string, topics: string[], owned: TopicPartition[] = [], generationId = -1, groupInstanceId: string | null = null): MemberSubscription {
  return { memberId, groupInstanceId, topics, ownedPartitions: owned, generationId, userData: null, rackId: null };
}

function fmt(a: GroupAssignment): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [m, list] of a) out[m] = list.map((tp) => `${tp.topic}-${tp.partition}`);
  return out;
}

/** Every partition of the subscribed topics assigned exactly once, only to subscribers. */
function checkComplete(a: GroupAssignment, members: readonly MemberSubscription[], ppt: Map<string, number>): void {
  const seen = new Map<string, string>();
  for (const [m, list] of a) {
    const sub = members.find((x) => x.memberId === m)!;
    for (const tp of list) {
      const k = `${tp.topic}-${tp.partition}`;
      assert.ok(!seen.has(k), `${k} assigned to ${seen.get(k)} and ${m}`);
      seen.set(k, m);
      assert.ok(sub.topics.includes(tp.topic), `${m} got ${k} without subscribing`);
    }
  }
  let total = 0;
  for (const [t, n] of ppt) if (members.some((m) => m.topics.includes(t))) total += n;
  assert.equal(seen.size, total, 'every partition assigned');
}

function counts(a: GroupAssignment): number[] {
  return [...a.values()].map((l) => l.length);
}

function spread(a: GroupAssignment): number {
  const c = counts(a);
  return Math.max(...c) - Math.min(...c);
}

test('range: consecutive ranges per topic, extra partitions to the first members (Kafka example)', () => {
  // Kafka's RangeAssignor javadoc: C0, C1 on t0, t1 with 3 partitions each.
  const members = [member('C1', ['t0', 't1']), member('C0', ['t0', 't1'])];
  const ppt = new Map([['t0', 3], ['t1', 3]]);
  const a = rangeAssignor.assign(members, ppt);
  assert.deepEqual(fmt(a), { C1: ['t0-2', 't1-2'], C0: ['t0-0', 't0-1', 't1-0', 't1-1'] });
  checkComplete(a, members, ppt);
});

test('range: static members ordered by instance id, only subscribers of a topic share it', () => {
  const members = [member('m-a', ['x'], [], -1, 'z'), member('m-b', ['x', 'y'], [], -1, 'a'), member('m-c', ['y'])];
  const ppt = new Map([['x', 5], ['y', 2]]);
  const a = rangeAssignor.assign(members, ppt);
  assert.deepEqual(fmt(a), { 'm-a': ['x-3', 'x-4'], 'm-b': ['x-0', 'x-1', 'x-2', 'y-0'], 'm-c': ['y-1'] });
  checkComplete(a, members, ppt);
});

test('roundrobin: partitions dealt in turn (Kafka example), skipping members not subscribed', () => {
  const members = [member('C0', ['t0', 't1']), member('C1', ['t0', 't1'])];
  const ppt = new Map([['t0', 3], ['t1', 3]]);
  assert.deepEqual(fmt(roundRobinAssignor.assign(members, ppt)), { C0: ['t0-0', 't0-2', 't1-1'], C1: ['t0-1', 't1-0', 't1-2'] });
  // Kafka's javadoc example with unequal subscriptions: C0 [t0], C1 [t0, t1], C2 [t0, t1, t2].
  const m2 = [member('C0', ['t0']), member('C1', ['t0', 't1']), member('C2', ['t0', 't1', 't2'])];
  const p2 = new Map([['t0', 1], ['t1', 2], ['t2', 3]]);
  const a2 = roundRobinAssignor.assign(m2, p2);
  assert.deepEqual(fmt(a2), { C0: ['t0-0'], C1: ['t1-0'], C2: ['t1-1', 't2-0', 't2-1', 't2-2'] });
  checkComplete(a2, m2, p2);
});

test('six partitions, three members: two each with every assignor', () => {
  const members = [member('a', ['t']), member('b', ['t']), member('c', ['t'])];
  const ppt = new Map([['t', 6]]);
  for (const assignor of [rangeAssignor, roundRobinAssignor, cooperativeStickyAssignor]) {
    const a = assignor.assign(members, ppt);
    checkComplete(a, members, ppt);
    assert.deepEqual(counts(a), [2, 2, 2], assignor.name);
  }
});

test('cooperative-sticky: balanced on a fresh group, and deterministic whatever the member order', () => {
  const ppt = new Map([['a', 7], ['b', 5], ['c', 1]]);
  const members = ['m3', 'm1', 'm4', 'm2'].map((id) => member(id, ['a', 'b', 'c']));
  const first = cooperativeStickyAssignor.assign(members, ppt);
  checkComplete(first, members, ppt);
  assert.ok(spread(first) <= 1, JSON.stringify(fmt(first)));
  const again = cooperativeStickyAssignor.assign([...members].reverse(), ppt);
  for (const m of members) assert.deepEqual(again.get(m.memberId), first.get(m.memberId));
});

test('cooperative-sticky: a member joining takes only the excess; a moving partition is withheld until the owner revokes it', () => {
  const ppt = new Map([['t', 6]]);
  const gen1 = [member('a', ['t'], []), member('b', ['t'], [])];
  const a1 = cooperativeStickyAssignor.assign(gen1, ppt);
  assert.deepEqual(counts(a1), [3, 3]);
  // c joins; a and b report what they own.
  const gen2 = [member('a', ['t'], a1.get('a')!, 1), member('b', ['t'], a1.get('b')!, 1), member('c', ['t'], [], -1)];
  const { assignment: target } = stickyAssign(gen2, ppt);
  assert.deepEqual(counts(target), [2, 2, 2]);
  for (const m of ['a', 'b']) {
    const kept = target.get(m)!.filter((tp) => a1.get(m)!.some((o) => o.partition === tp.partition));
    assert.equal(kept.length, 2, `${m} keeps two of its partitions`);
  }
  // First (cooperative) round: c gets nothing yet, a and b each give one up.
  const round1 = cooperativeStickyAssignor.assign(gen2, ppt);
  assert.deepEqual(round1.get('c'), []);
  assert.equal(round1.get('a')!.length, 2);
  assert.equal(round1.get('b')!.length, 2);
  // Follow-up round after the revocation: c gets the two freed partitions, nobody else moves.
  const gen3 = [member('a', ['t'], round1.get('a')!, 2), member('b', ['t'], round1.get('b')!, 2), member('c', ['t'], [], 2)];
  const round2 = cooperativeStickyAssignor.assign(gen3, ppt);
  checkComplete(round2, gen3, ppt);
  assert.deepEqual(round2.get('a'), round1.get('a'));
  assert.deepEqual(round2.get('b'), round1.get('b'));
  assert.equal(round2.get('c')!.length, 2);
});

test('cooperative-sticky: a member leaving: survivors keep everything and share the orphans', () => {
  const ppt = new Map([['t', 6]]);
  const owned = { a: [0, 1], b: [2, 3], c: [4, 5] };
  const tps = (ps: number[]): TopicPartition[] => ps.map((partition) => ({ topic: 't', partition }));
  const members = [member('a', ['t'], tps(owned.a), 3), member('b', ['t'], tps(owned.b), 3)];
  const a = cooperativeStickyAssignor.assign(members, ppt);
  checkComplete(a, members, ppt);
  assert.deepEqual(counts(a), [3, 3]);
  assert.ok(owned.a.every((p) => a.get('a')!.some((tp) => tp.partition === p)));
  assert.ok(owned.b.every((p) => a.get('b')!.some((tp) => tp.partition === p)));
});

test('cooperative-sticky: stale and conflicting ownership claims are ignored (highest generation wins)', () => {
  const ppt = new Map([['t', 4]]);
  const tp = (partition: number): TopicPartition => ({ topic: 't', partition });
  const members = [member('a', ['t'], [tp(0), tp(1)], 5), member('b', ['t'], [tp(0), tp(1), tp(2)], 4), member('c', ['t'], [tp(9)], 5)];
  const { assignment } = stickyAssign(members, ppt);
  checkComplete(assignment, members, ppt);
  assert.ok(assignment.get('a')!.some((x) => x.partition === 0) && assignment.get('a')!.some((x) => x.partition === 1), 'a (gen 5) keeps 0 and 1');
  assert.ok(assignment.get('b')!.some((x) => x.partition === 2), 'b keeps 2 (uncontested)');
  assert.ok(spread(assignment) <= 1);
});

test('cooperative-sticky: unequal subscriptions stay valid and as balanced as eligibility allows', () => {
  const ppt = new Map([['x', 4], ['y', 4]]);
  const members = [member('a', ['x']), member('b', ['x', 'y']), member('c', ['y'])];
  const { assignment } = stickyAssign(members, ppt);
  checkComplete(assignment, members, ppt);
  assert.ok(spread(assignment) <= 1, JSON.stringify(fmt(assignment)));
});

test('cooperative-sticky: large group balance and stickiness over a sequence of membership changes', () => {
  const ppt = new Map([['a', 37], ['b', 11], ['c', 64]]);
  let ids = Array.from({ length: 9 }, (_, i) => `m${i}`);
  let prev = new Map<string, TopicPartition[]>();
  for (let gen = 1; gen <= 6; gen++) {
    if (gen === 3) ids = ids.filter((id) => id !== 'm4' && id !== 'm7');
    if (gen === 5) ids = [...ids, 'm9', 'm10', 'm11'];
    const members = ids.map((id) => member(id, ['a', 'b', 'c'], prev.get(id) ?? [], gen - 1));
    const { assignment } = stickyAssign(members, ppt);
    checkComplete(assignment, members, ppt);
    assert.ok(spread(assignment) <= 1, `generation ${gen} balanced`);
    // Stickiness: each surviving member keeps min(owned, its new count) of what it owned.
    for (const [id, list] of assignment) {
      const owned = prev.get(id) ?? [];
      const kept = list.filter((tp) => owned.some((o) => o.topic === tp.topic && o.partition === tp.partition)).length;
      assert.equal(kept, Math.min(owned.length, list.length), `generation ${gen}: ${id} kept ${kept} of ${owned.length}`);
    }
    prev = assignment;
  }
});

test('assignor resolution: names, defaults, protocol choice, errors', () => {
  const byName = (xs: Assignor[]): string[] => xs.map((a) => a.name);
  assert.deepEqual(byName(resolveAssignors(undefined)), ['range', 'cooperative-sticky']);
  assert.equal(rebalanceProtocolOf(resolveAssignors(undefined)), 'eager');
  assert.equal(rebalanceProtocolOf(resolveAssignors(['cooperative-sticky'])), 'cooperative');
  assert.equal(rebalanceProtocolOf(resolveAssignors(['roundrobin'])), 'eager');
  assert.throws(() => resolveAssignors([]), ClientConfigError);
  assert.throws(() => resolveAssignors(['sticky' as 'range']), ClientConfigError);
  assert.throws(() => resolveAssignors(['range', 'range']), ClientConfigError);
});
