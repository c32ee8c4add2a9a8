/**
 * Round-robin (Kafka's RoundRobinAssignor): every partition of every subscribed topic, in topic
 * then partition order, goes to the next member in member order that subscribes to its topic.
 */
import { compareMembers, emptyAssignment, sortedTopics, type Assignor, type GroupAssignment, type MemberSubscription } from './types.js';

export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  protocols: ['eager'],
  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
    const out = emptyAssignment(members);
    const ordered = [...members].sort(compareMembers);
    if (ordered.length === 0) return out;
    let cursor = 0;
    for (const topic of sortedTopics(partitionsPerTopic)) {
      if (!ordered.some((m) => m.topics.includes(topic))) continue;
      const count = partitionsPerTopic.get(topic)!;
      for (let p = 0; p < count; p++) {
        while (!ordered[cursor % ordered.length]!.topics.includes(topic)) cursor++;
        out.get(ordered[cursor % ordered.length]!.memberId)!.push({ topic, partition: p });
        cursor++;
      }
    }
    return out;
  },
};
