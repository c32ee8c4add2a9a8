/**
 * Cooperative sticky (the behaviour of Kafka's CooperativeStickyAssignor, our own algorithm):
 * 1. Every member keeps the partitions it owns (from its subscription's ownedPartitions); a
 *    partition claimed by several members goes to the claim with the highest generation.
 * 2. Partitions nobody owns go, most constrained first, to the least-loaded eligible member.
 * 3. Balance: while some member has at least two partitions more than an eligible other member,
 *    one partition moves from the first to the second (newly placed partitions move before owned
 *    ones), so with equal subscriptions the counts differ by at most one and only the excess
 *    moves.
 * 4. Cooperative rule: a partition moving from one owner to another is left out of this
 *    assignment; its owner revokes it and rejoins, and the follow-up rebalance places it.
 * Deterministic: members and partitions are visited in a fixed order.
 */
import { compareTp, tpKey, type TopicPartition } from '../types.js';
import { compareMembers, sortedTopics, type Assignor, type GroupAssignment, type MemberSubscription } from './types.js';

interface Slot {
  member: MemberSubscription;
  /** tpKey → partition, in insertion order. */
  parts: Map<string, TopicPartition>;
}

function validOwners(ordered: readonly MemberSubscription[], ppt: ReadonlyMap<string, number>): Map<string, { member: MemberSubscription; generation: number; conflict: boolean }> {
  const owners = new Map<string, { member: MemberSubscription; generation: number; conflict: boolean }>();
  for (const m of ordered) {
    for (const tp of m.ownedPartitions) {
      const count = ppt.get(tp.topic);
      if (count === undefined || tp.partition < 0 || tp.partition >= count || !m.topics.includes(tp.topic)) continue;
      const k = tpKey(tp.topic, tp.partition);
      const prev = owners.get(k);
      if (!prev || m.generationId > prev.generation) owners.set(k, { member: m, generation: m.generationId, conflict: false });
      else if (m.generationId === prev.generation) prev.conflict = true;
    }
  }
  for (const [k, o] of owners) if (o.conflict) owners.delete(k);
  return owners;
}

/** The sticky assignment before the cooperative rule (step 1-3); exported for tests. */
export function stickyAssign(members: readonly MemberSubscription[], ppt: ReadonlyMap<string, number>): { assignment: GroupAssignment; owners: Map<string, MemberSubscription> } {
  const ordered = [...members].sort(compareMembers);
  const slots = new Map<string, Slot>(ordered.map((m) => [m.memberId, { member: m, parts: new Map() }]));
  const owners = new Map<string, MemberSubscription>();
  for (const [k, o] of validOwners(ordered, ppt)) owners.set(k, o.member);

  const all: TopicPartition[] = [];
  for (const topic of sortedTopics(ppt)) for (let p = 0; p < ppt.get(topic)!; p++) all.push({ topic, partition: p });
  const eligibleOf = new Map<string, Slot[]>();
  for (const topic of ppt.keys()) eligibleOf.set(topic, ordered.filter((m) => m.topics.includes(topic)).map((m) => slots.get(m.memberId)!));

  // 1. Keep what is owned.
  const unassigned: TopicPartition[] = [];
  for (const tp of all) {
    const k = tpKey(tp.topic, tp.partition);
    const owner = owners.get(k);
    if (owner) slots.get(owner.memberId)!.parts.set(k, tp);
    else unassigned.push(tp);
  }
  // 2. Place the rest, most constrained first.
  unassigned.sort((a, b) => eligibleOf.get(a.topic)!.length - eligibleOf.get(b.topic)!.length || compareTp(a, b));
  for (const tp of unassigned) {
    const target = leastLoaded(eligibleOf.get(tp.topic)!, null);
    if (target) target.parts.set(tpKey(tp.topic, tp.partition), tp);
  }
  // 3. Balance: move from a member to an eligible one with at least two fewer partitions.
  const maxMoves = all.length * Math.max(1, ordered.length);
  for (let moves = 0, progress = true; progress && moves < maxMoves; ) {
    progress = false;
    const byLoad = [...slots.values()].sort((a, b) => b.parts.size - a.parts.size || compareMembers(a.member, b.member));
    for (const from of byLoad) {
      const candidates = [...from.parts.entries()].sort(([ka, a], [kb, b]) => {
        const ownedA = owners.get(ka) === from.member ? 1 : 0;
        const ownedB = owners.get(kb) === from.member ? 1 : 0;
        return ownedA - ownedB || compareTp(b, a);
      });
      for (const [k, tp] of candidates) {
        const to = leastLoaded(eligibleOf.get(tp.topic)!, from);
        if (to && to.parts.size < from.parts.size - 1) {
          from.parts.delete(k);
          to.parts.set(k, tp);
          moves++;
          progress = true;
          break;
        }
      }
      if (progress) break;
    }
  }
  const assignment: GroupAssignment = new Map();
  for (const m of members) assignment.set(m.memberId, [...slots.get(m.memberId)!.parts.values()].sort(compareTp));
  return { assignment, owners };
}

function leastLoaded(eligible: readonly Slot[], except: Slot | null): Slot | null {
  let best: Slot | null = null;
  for (const s of eligible) if (s !== except && (best === null || s.parts.size < best.parts.size)) best = s;
  return best;
}

export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  protocols: ['cooperative', 'eager'],
  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
    const { assignment, owners } = stickyAssign(members, partitionsPerTopic);
    for (const [memberId, list] of assignment) {
      assignment.set(
        memberId,
        list.filter((tp) => {
          const owner = owners.get(tpKey(tp.topic, tp.partition));
          return owner === undefined || owner.memberId === memberId;
        }),
      );
    }
    return assignment;
  },
};
