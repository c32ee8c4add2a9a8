/**
 * The durable facts the group coordinator produces, as explicit records. They mirror what Kafka
 * writes to `__consumer_offsets` (OffsetCommit key/value, GroupMetadata key/value, and tombstones),
 * and the broker's journal (`group-log.ts`) writes them to that topic and replays them at start.
 */

export interface CommittedOffset {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestampMs: number;
  /** Set when the commit carried an explicit retention (OffsetCommit v2-4); otherwise null. */
  readonly expireTimestampMs: number | null;
}

/** One member as stored in a GroupMetadata record (the selected protocol's metadata only). */
export interface StoredMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly rebalanceTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly subscription: Buffer;
  readonly assignment: Buffer;
}

export interface StoredGroupMetadata {
  readonly protocolType: string | null;
  readonly generationId: number;
  readonly protocolName: string | null;
  readonly leader: string | null;
  readonly stateTimestampMs: number;
  readonly members: readonly StoredMember[];
}

export type GroupRecord =
  | { readonly type: 'offset-commit'; readonly groupId: string; readonly topic: string; readonly partition: number; readonly value: CommittedOffset }
  | { readonly type: 'offset-tombstone'; readonly groupId: string; readonly topic: string; readonly partition: number }
  | { readonly type: 'group-metadata'; readonly groupId: string; readonly value: StoredGroupMetadata }
  | { readonly type: 'group-tombstone'; readonly groupId: string };

/**
 * Where record batches go once applied in memory (`__consumer_offsets` in the broker). The promise
 * settles when the records are durable; a rejection means they were not written.
 */
export interface GroupJournal {
  /** `txn`: the records are a transaction's offsets (TxnOffsetCommit): a transactional batch of that producer. */
  append(records: readonly GroupRecord[], txn?: TransactionalWriter): Promise<void> | void;
}

/** The producer a transactional offset commit is written for. */
export interface TransactionalWriter {
  readonly producerId: number;
  readonly producerEpoch: number;
}

export const NO_JOURNAL: GroupJournal = { append: () => undefined };
