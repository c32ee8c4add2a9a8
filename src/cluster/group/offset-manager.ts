/**
 * Committed offsets: OffsetCommit (members of the current generation, or anyone with generation -1
 * while the group has no members — "simple" consumers), OffsetFetch, OffsetDelete, and the
 * retention sweep (offsets.retention.minutes, KIP-211). Topic existence is the handler's job.
 */
import { ClassicGroup } from './classic-group.js';
import type { GroupContext } from './group-context.js';
import type { CommittedOffset, GroupRecord } from './group-records.js';
import { validateMember } from './join-group.js';
import type { Rebalancer } from './rebalancer.js';
import { CONSUMER_PROTOCOL_TYPE } from './types.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';

export interface OffsetCommitParams {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** OffsetCommit v2-4 retention override; -1 for the broker default. */
  readonly retentionTimeMs: number;
  /** v9+ answers GROUP_ID_NOT_FOUND (not ILLEGAL_GENERATION) for a commit with a generation to a missing group. */
  readonly groupIdNotFoundForMissingGroup: boolean;
  readonly offsets: ReadonlyArray<{ topic: string; partition: number; offset: number; leaderEpoch: number; metadata: string | null }>;
}

type OffsetCommitRecord = Extract<GroupRecord, { type: 'offset-commit' }>;

export interface PartitionError {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
}

export interface FetchedPartition {
  readonly partition: number;
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly errorCode: number;
}

export interface FetchedOffsets {
  readonly errorCode: number;
  readonly topics: ReadonlyArray<{ readonly name: string; readonly partitions: readonly FetchedPartition[] }>;
}

export interface OffsetDeleteResult {
  readonly errorCode: number;
  readonly partitions: readonly PartitionError[];
}

export class OffsetManager {
  constructor(private readonly ctx: GroupContext, private readonly rebalancer: Rebalancer) {}

  /**
   * Validates synchronously (before any await), applies the commit in memory and resolves once the
   * records are durable. A failed write answers Kafka's error for it and takes the commit back.
   */
  async commit(req: OffsetCommitParams): Promise<PartitionError[]> {
    const fail = (errorCode: number): PartitionError[] => req.offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode }));
    let group = this.ctx.groups.get(req.groupId);
    if (!group) {
      if (req.generationId >= 0) {
        // A member of a generation the coordinator does not know: reject rather than create.
        return fail(req.groupIdNotFoundForMissingGroup ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
      }
      // A consumer that manages its own partitions stores offsets under a group of its own.
      group = new ClassicGroup(req.groupId, this.ctx.clock.now());
      this.ctx.groups.set(req.groupId, group);
      this.ctx.logger.info({ groupId: req.groupId }, 'created a simple group for a manual offset commit');
    }

    const invalid = this.validateCommit(group, req);
    if (invalid !== ErrorCode.NONE) return fail(invalid);
    // A commit proves the member is alive (it may be busy processing and not heartbeating).
    const member = group.get(req.memberId);
    if (member && (group.is('Stable') || group.is('PreparingRebalance'))) this.rebalancer.scheduleHeartbeat(group, member);

    const { records, results } = this.commitRecords(req);
    if (records.length === 0) return results;
    const previous = records.map((r) => (r.type === 'offset-commit' ? this.ctx.offsets.get(r.groupId, r.topic, r.partition) : undefined));
    try {
      await this.ctx.record(records);
    } catch (err) {
      const errorCode = commitErrorFor(err);
      records.forEach((r, i) => {
        if (r.type !== 'offset-commit') return;
        // Undo only if nothing newer replaced it meanwhile.
        if (this.ctx.offsets.get(r.groupId, r.topic, r.partition) !== r.value) return;
        const before = previous[i];
        this.ctx.offsets.apply(before ? { ...r, value: before } : { type: 'offset-tombstone', groupId: r.groupId, topic: r.topic, partition: r.partition });
      });
      const failed = new Set(records.map((r) => (r.type === 'offset-commit' ? `${r.partition}:${r.topic}` : '')));
      return results.map((x) => (failed.has(`${x.partition}:${x.topic}`) ? { ...x, errorCode } : x));
    }
    return results;
  }

  /**
   * The offset-commit records of a validated commit (OffsetCommit and TxnOffsetCommit), and each
   * partition's answer: OFFSET_METADATA_TOO_LARGE for metadata over offset.metadata.max.bytes.
   */
  commitRecords(req: OffsetCommitParams): { records: OffsetCommitRecord[]; results: PartitionError[] } {
    const now = this.ctx.clock.now();
    const expireTimestampMs = req.retentionTimeMs >= 0 ? now + req.retentionTimeMs : null;
    const records: OffsetCommitRecord[] = [];
    const results: PartitionError[] = [];
    for (const o of req.offsets) {
      const metadata = o.metadata ?? '';
      if (Buffer.byteLength(metadata, 'utf8') > this.ctx.config.offsetMetadataMaxBytes) {
        results.push({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE });
        continue;
      }
      const value: CommittedOffset = { offset: o.offset, leaderEpoch: o.leaderEpoch, metadata, commitTimestampMs: now, expireTimestampMs };
      records.push({ type: 'offset-commit', groupId: req.groupId, topic: o.topic, partition: o.partition, value });
      results.push({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.NONE });
    }
    return { records, results };
  }

  /**
   * Kafka's ClassicGroup.validateOffsetCommit, for OffsetCommit and (`isTransactional`) TxnOffsetCommit: a
   * transactional commit without member id and generation (TxnOffsetCommit v0-2, or kafkajs' `sendOffsets`
   * with a group id only) is accepted while the group is active, and the group's state is not enforced —
   * the producer's epoch fences zombies there.
   */
  validateCommit(group: ClassicGroup, req: OffsetCommitParams, isTransactional = false): ErrorCode {
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    // Generation -1 is an admin client or a consumer without group management: fine while the
    // group has no members.
    if (req.generationId < 0 && group.is('Empty')) return ErrorCode.NONE;
    if (req.generationId >= 0 || req.memberId.length > 0 || req.groupInstanceId !== null) {
      const invalid = validateMember(group, req.memberId, req.groupInstanceId);
      if (invalid !== ErrorCode.NONE) return invalid;
      if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    } else if (!isTransactional && !group.is('Empty')) {
      // Without an identity, only an empty group accepts (plain) commits.
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    // The member got its JoinGroup response but not its assignment yet: it must not commit for
    // partitions it may be about to lose; it will retry after the rebalance.
    if (!isTransactional && group.is('CompletingRebalance')) return ErrorCode.REBALANCE_IN_PROGRESS;
    return ErrorCode.NONE;
  }

  /**
   * The committed offsets of the requested partitions (-1 for none), or with `topics` null every
   * committed offset of the group.
   */
  fetch(groupId: string, topics: ReadonlyArray<{ name: string; partitions: readonly number[] }> | null): FetchedOffsets {
    const { offsets } = this.ctx;
    if (topics === null) {
      const byTopic = new Map<string, FetchedPartition[]>();
      for (const e of offsets.entries(groupId)) {
        let list = byTopic.get(e.topic);
        if (!list) byTopic.set(e.topic, (list = []));
        list.push(fetched(e.partition, e.value));
      }
      return { errorCode: ErrorCode.NONE, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })) };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => fetched(p, offsets.get(groupId, t.name, p))) })),
    };
  }

  /** OffsetDelete: allowed for topics the group does not consume (any topic when it has no members). */
  delete(groupId: string, partitions: ReadonlyArray<{ topic: string; partition: number }>): OffsetDeleteResult {
    const group = this.ctx.groups.get(groupId);
    if (!group || group.is('Dead')) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, partitions: [] };
    if (!group.is('Empty') && group.protocolType !== CONSUMER_PROTOCOL_TYPE) return { errorCode: ErrorCode.NON_EMPTY_GROUP, partitions: [] };
    const records: GroupRecord[] = [];
    const results: PartitionError[] = [];
    for (const { topic, partition } of partitions) {
      if (group.isSubscribedToTopic(topic)) {
        results.push({ topic, partition, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC });
        continue;
      }
      if (this.ctx.offsets.get(groupId, topic, partition)) records.push({ type: 'offset-tombstone', groupId, topic, partition });
      results.push({ topic, partition, errorCode: ErrorCode.NONE });
    }
    this.ctx.record(records);
    return { errorCode: ErrorCode.NONE, partitions: results };
  }

  /**
   * Drop expired offsets of every group, then groups left Empty without offsets. Offsets of an
   * Empty group expire a retention period after the group became Empty; offsets of a simple group
   * (no protocol) and of topics a Stable consumer group no longer subscribes to expire a retention
   * period after their commit. An explicit retention from the commit wins.
   */
  expire(): { offsets: number; groups: number } {
    const now = this.ctx.clock.now();
    const retentionMs = this.ctx.config.offsetsRetentionMs;
    let expiredOffsets = 0;
    let deletedGroups = 0;
    for (const group of [...this.ctx.groups.values()]) {
      const base = expiryBase(group);
      if (base !== null) {
        const records: GroupRecord[] = [];
        for (const e of this.ctx.offsets.entries(group.groupId)) {
          if (base.onlyUnsubscribed && group.isSubscribedToTopic(e.topic)) continue;
          const expired = e.value.expireTimestampMs !== null ? now >= e.value.expireTimestampMs : now - base.timestamp(e.value) >= retentionMs;
          if (expired) records.push({ type: 'offset-tombstone', groupId: group.groupId, topic: e.topic, partition: e.partition });
        }
        expiredOffsets += records.length;
        this.ctx.record(records);
      }
      if (group.is('Empty') && !this.ctx.offsets.hasOffsets(group.groupId) && group.pendingMemberCount === 0) {
        this.deleteGroup(group);
        deletedGroups += 1;
      }
    }
    if (expiredOffsets > 0 || deletedGroups > 0) this.ctx.logger.info({ expiredOffsets, deletedGroups }, 'removed expired offsets and groups');
    return { offsets: expiredOffsets, groups: deletedGroups };
  }

  /** Remove an Empty group and its offsets (DeleteGroups, or nothing left after expiry). */
  deleteGroup(group: ClassicGroup): void {
    group.transitionTo('Dead', this.ctx.clock.now());
    this.ctx.groups.delete(group.groupId);
    const records: GroupRecord[] = this.ctx.offsets
      .entries(group.groupId)
      .map((e) => ({ type: 'offset-tombstone', groupId: group.groupId, topic: e.topic, partition: e.partition }));
    records.push({ type: 'group-tombstone', groupId: group.groupId });
    this.ctx.record(records);
  }
}

/** Kafka's mapping of a failed offsets-topic append to the OffsetCommit error (GroupMetadataManager). */
export function commitErrorFor(err: unknown): number {
  const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case ErrorCode.REQUEST_TIMED_OUT:
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return ErrorCode.NOT_COORDINATOR;
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
    case ErrorCode.INVALID_FETCH_SIZE:
      return ErrorCode.INVALID_COMMIT_OFFSET_SIZE;
    default:
      return ErrorCode.UNKNOWN_SERVER_ERROR;
  }
}

function fetched(partition: number, value: CommittedOffset | undefined): FetchedPartition {
  if (!value) return { partition, offset: -1, leaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
  return { partition, offset: value.offset, leaderEpoch: value.leaderEpoch, metadata: value.metadata, errorCode: ErrorCode.NONE };
}

/** Kafka's offset expiration condition for a group, or null when none of its offsets may expire now. */
function expiryBase(group: ClassicGroup): { timestamp: (o: CommittedOffset) => number; onlyUnsubscribed: boolean } | null {
  if (group.protocolType === null) return { timestamp: (o) => o.commitTimestampMs, onlyUnsubscribed: false };
  if (group.is('Empty')) return { timestamp: () => group.stateTimestampMs, onlyUnsubscribed: false };
  if (group.protocolType === CONSUMER_PROTOCOL_TYPE && group.subscribedTopics !== null && group.is('Stable')) {
    return { timestamp: (o) => o.commitTimestampMs, onlyUnsubscribed: true };
  }
  return null;
}
