/** The consumer: group membership or manual assignment, fetching, commits, assignors. */
export { Consumer, type RunHandlers } from './consumer.js';
export type { ConsumerOptions, AutoOffsetReset, IsolationLevel } from './options.js';
export type { TopicPartition, ConsumerOffset, ConsumerRecord, ConsumerBatch, ConsumerHeader, ConsumerGroupMetadata, RebalanceListener } from './types.js';
export {
  rangeAssignor,
  roundRobinAssignor,
  cooperativeStickyAssignor,
  type Assignor,
  type AssignorName,
  type MemberSubscription,
  type GroupAssignment,
  type RebalanceProtocol,
} from './assignors/index.js';
