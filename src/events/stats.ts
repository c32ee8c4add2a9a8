/**
 * A subscription's counters, readable at any time with `subscription.stats()` (and, summed per
 * group, from `bus.stats()`), named as a metrics endpoint would export them.
 */
export interface SubscriptionStats {
  group: string;
  /** Events read from the topics (source and retry). */
  received: number;
  /** Handler calls that succeeded. */
  handled: number;
  /** Handler calls that threw. */
  failed: number;
  /** Failed events tried again: in place, or moved to a retry topic. */
  retried: number;
  /** Events written to the dead-letter topic (any reason). */
  deadLettered: number;
  /** Events whose id the dedupe store had seen: not handled again. */
  duplicates: number;
  /** Events of types this subscription does not handle (on a topic it reads). */
  skipped: number;
  /** Events read and not finished. */
  inFlight: number;
  /** Events in the assigned partitions not finished yet: high watermark − committable offset, summed. */
  lag: number;
  /** Offset commits (at-least-once) or committed transactions (exactly-once). */
  commits: number;
  commitFailures: number;
  /** Transactions aborted (exactly-once): their events are read and handled again. */
  aborts: number;
}

export type CounterName = Exclude<keyof SubscriptionStats, 'group' | 'inFlight' | 'lag'>;

export function emptyCounters(): Record<CounterName, number> {
  return { received: 0, handled: 0, failed: 0, retried: 0, deadLettered: 0, duplicates: 0, skipped: 0, commits: 0, commitFailures: 0, aborts: 0 };
}
