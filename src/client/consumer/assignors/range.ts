/**
 * Range (Kafka's RangeAssignor): per topic, the members subscribed to it in member order each get
 * a consecutive range; the first `partitions % members` members get one extra partition.
 */
import { compareMembers, emptyAssignment, sortedTopics, type Assignor, type GroupAssignment, type MemberSubscription } from './types.js';

export const rangeAssignor: Assignor = {
  name: 'range',
  protocols: ['eager'],
  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
    const out = emptyAssignment(members);
    const ordered = [...members].sort(compareMembers);
    for (const topic of sortedTopics(partitionsPerTopic)) {
      const count = partitionsPerTopic.get(topic)!;
      const subscribed = ordered.filter((m) => m.topics.includes(topic));
      if (subscribed.length === 0) continue;
      const per = Math.floor(count / subscribed.length);
      const extra = count % subscribed.length;
      subscribed.forEach((m, i) => {
        const start = per * i + Math.min(i, extra);
        const length = per + (i < extra ? 1 : 0);
        const list = out.get(m.memberId)!;
        for (let p = start; p < start + length; p++) list.push({ topic, partition: p });
      });
    }
    return out;
  },
};
