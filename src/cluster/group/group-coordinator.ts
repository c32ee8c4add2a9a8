/**
 * The classic consumer group coordinator of this broker, for the groups of the `__consumer_offsets`
 * partitions it leads and has loaded (`group-log.ts` tracks which; `unloadGroups` forgets the groups
 * of a partition led elsewhere now): membership and rebalances
 * (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), committed offsets, and the admin views
 * (ListGroups, DescribeGroups, DeleteGroups, OffsetDelete).
 *
 * Lifecycle: constructed once by the broker; `close()` cancels every timer and answers every parked
 * JoinGroup/SyncGroup with NOT_COORDINATOR (clients then look for the coordinator again).
 * Concurrency: all state lives on the event loop; every method runs to completion without awaiting,
 * so no locking is needed. Time comes only from the injected clock and timers, which is what makes
 * the unit tests deterministic.
 * Durability: every change to offsets and group metadata is expressed as a GroupRecord and handed
 * to `journal` (in the broker, `GroupLog`, which writes `__consumer_offsets`); OffsetCommit answers
 * once the journal has the commit. At start the broker replays the topic through `replay` and
 * `completeLoad` before it serves any request.
 */
import { randomUUID } from 'node:crypto';
import { createContext, isTimerOfGroup, joinError, syncError, type GroupContext } from './group-context.js';
import { ClassicGroup } from './classic-group.js';
import { GroupMember } from './group-member.js';
import { NO_JOURNAL, type GroupJournal, type GroupRecord, type StoredGroupMetadata, type TransactionalWriter } from './group-records.js';
import { HeartbeatHandler } from './heartbeat.js';
import { JoinGroupHandler } from './join-group.js';
import { KeyedTimers } from './keyed-timers.js';
import { LeaveGroupHandler } from './leave-group.js';
import { OffsetManager, commitErrorFor, type FetchedOffsets, type OffsetCommitParams, type OffsetDeleteResult, type PartitionError } from './offset-manager.js';
import { TransactionalOffsets } from './txn-offsets.js';
import { OffsetStore } from './offset-store.js';
import { Rebalancer } from './rebalancer.js';
import { SyncGroupHandler } from './sync-group.js';
import {
  CLASSIC_GROUP_TYPE,
  type Clock,
  type CoordinatorConfig,
  type GroupDescription,
  type GroupListing,
  type GroupLogger,
  type HeartbeatParams,
  type JoinGroupParams,
  type JoinGroupResult,
  type LeaveGroupResult,
  type LeavingMember,
  type SyncGroupParams,
  type SyncGroupResult,
  type Timers,
} from './types.js';
import { ErrorCode } from '../../protocol/errors.js';

export interface GroupCoordinatorOptions {
  readonly initialRebalanceDelayMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly maxSize: number;
  readonly offsetsRetentionMs: number;
  readonly offsetMetadataMaxBytes: number;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: GroupLogger;
  /** offsets.retention.check.interval.ms; default 600,000 (Kafka's). */
  readonly offsetsRetentionCheckIntervalMs?: number;
  /** Default 300,000 (Kafka's group.new.member.join.timeout). */
  readonly newMemberJoinTimeoutMs?: number;
  /** Receives every state record; default: none (in-memory only). */
  readonly journal?: GroupJournal;
  /** Source of member-id suffixes; default crypto.randomUUID (tests pass a counter). */
  readonly randomId?: () => string;
}

const RETENTION_TIMER = 'offsets-retention';
const DEFAULT_RETENTION_CHECK_INTERVAL_MS = 600_000;
const DEFAULT_NEW_MEMBER_JOIN_TIMEOUT_MS = 300_000;

export class GroupCoordinator {
  private readonly ctx: GroupContext;
  private readonly joins: JoinGroupHandler;
  private readonly syncs: SyncGroupHandler;
  private readonly heartbeats: HeartbeatHandler;
  private readonly leaves: LeaveGroupHandler;
  private readonly offsetManager: OffsetManager;
  private readonly rebalancer: Rebalancer;
  /** Group metadata read while loading (null: deleted), turned into groups by completeLoad. */
  private loading: Map<string, StoredGroupMetadata | null> | null = new Map();
  private closed = false;
  /** Offsets committed inside transactions whose markers have not arrived yet. */
  private readonly txnOffsets = new TransactionalOffsets();
  private readonly journal: GroupJournal;

  constructor(options: GroupCoordinatorOptions) {
    const config: CoordinatorConfig = {
      initialRebalanceDelayMs: options.initialRebalanceDelayMs,
      minSessionTimeoutMs: options.minSessionTimeoutMs,
      maxSessionTimeoutMs: options.maxSessionTimeoutMs,
      maxSize: options.maxSize,
      offsetsRetentionMs: options.offsetsRetentionMs,
      offsetsRetentionCheckIntervalMs: options.offsetsRetentionCheckIntervalMs ?? DEFAULT_RETENTION_CHECK_INTERVAL_MS,
      offsetMetadataMaxBytes: options.offsetMetadataMaxBytes,
      newMemberJoinTimeoutMs: options.newMemberJoinTimeoutMs ?? DEFAULT_NEW_MEMBER_JOIN_TIMEOUT_MS,
    };
    const randomId = options.randomId ?? randomUUID;
    this.journal = options.journal ?? NO_JOURNAL;
    this.ctx = createContext({
      config,
      clock: options.clock,
      timers: new KeyedTimers(options.timers),
      logger: options.logger,
      groups: new Map(),
      offsets: new OffsetStore(),
      journal: options.journal ?? NO_JOURNAL,
      newMemberId: (prefix) => `${prefix}-${randomId()}`,
    });
    const rebalancer = new Rebalancer(this.ctx);
    this.rebalancer = rebalancer;
    this.joins = new JoinGroupHandler(this.ctx, rebalancer);
    this.syncs = new SyncGroupHandler(this.ctx, rebalancer);
    this.heartbeats = new HeartbeatHandler(this.ctx, rebalancer);
    this.leaves = new LeaveGroupHandler(this.ctx, rebalancer);
    this.offsetManager = new OffsetManager(this.ctx, rebalancer);
    this.scheduleRetentionSweep();
  }

  // ------------------------------------------------------------------ membership

  /** Resolves when the join phase answers this member (at once for errors and MEMBER_ID_REQUIRED). */
  joinGroup(params: JoinGroupParams): Promise<JoinGroupResult> {
    if (this.closed) return Promise.resolve(joinError(params.memberId, ErrorCode.NOT_COORDINATOR));
    return this.joins.join(params);
  }

  /** Resolves when the leader's assignment arrives (at once for followers of a Stable group). */
  syncGroup(params: SyncGroupParams): Promise<SyncGroupResult> {
    if (this.closed) return Promise.resolve(syncError(ErrorCode.NOT_COORDINATOR));
    return this.syncs.sync(params);
  }

  heartbeat(params: HeartbeatParams): ErrorCode {
    if (this.closed) return ErrorCode.NOT_COORDINATOR;
    return this.heartbeats.heartbeat(params);
  }

  leaveGroup(groupId: string, members: readonly LeavingMember[]): LeaveGroupResult {
    if (this.closed) return { errorCode: ErrorCode.NOT_COORDINATOR, members: [] };
    return this.leaves.leave(groupId, members);
  }

  // ------------------------------------------------------------------ offsets

  /**
   * Per-partition results. Async although the in-memory store answers at once, so that waiting
   * for a durable write later changes no caller.
   */
  async commitOffsets(params: OffsetCommitParams): Promise<PartitionError[]> {
    if (this.closed) return params.offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode: ErrorCode.NOT_COORDINATOR }));
    return this.offsetManager.commit(params);
  }

  /**
   * `topics` null = every committed offset of the group. `requireStable` (OffsetFetch v7+, read_committed
   * consumers): a partition with a commit pending in an open transaction answers UNSTABLE_OFFSET_COMMIT.
   */
  fetchOffsets(groupId: string, topics: ReadonlyArray<{ name: string; partitions: readonly number[] }> | null, requireStable = false): FetchedOffsets {
    if (this.closed) return { errorCode: ErrorCode.NOT_COORDINATOR, topics: [] };
    const fetched = this.offsetManager.fetch(groupId, topics);
    if (!requireStable) return fetched;
    return {
      ...fetched,
      topics: fetched.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => (this.txnOffsets.hasPending(groupId, t.name, p.partition) ? { ...p, offset: -1, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT } : p)),
      })),
    };
  }

  /**
   * TxnOffsetCommit: validated as an OffsetCommit (a missing group is created as a simple group when the
   * request names no generation), written as a transactional batch of the producer, and kept pending —
   * invisible to OffsetFetch — until `completeTransaction` sees the transaction's marker.
   */
  async commitTransactionalOffsets(params: OffsetCommitParams & TransactionalWriter): Promise<PartitionError[]> {
    const fail = (errorCode: number): PartitionError[] => params.offsets.map((o) => ({ topic: o.topic, partition: o.partition, errorCode }));
    if (this.closed) return fail(ErrorCode.NOT_COORDINATOR);
    let group = this.ctx.groups.get(params.groupId);
    if (!group) {
      if (params.generationId >= 0) return fail(ErrorCode.ILLEGAL_GENERATION);
      group = new ClassicGroup(params.groupId, this.ctx.clock.now());
      this.ctx.groups.set(params.groupId, group);
    }
    const invalid = this.offsetManager.validateCommit(group, params, true);
    if (invalid !== ErrorCode.NONE) return fail(invalid);
    const { records, results } = this.offsetManager.commitRecords(params);
    if (records.length === 0) return results;
    try {
      await this.journal.append(records, { producerId: params.producerId, producerEpoch: params.producerEpoch });
    } catch (err) {
      const errorCode = commitErrorFor(err);
      return results.map((r) => (r.errorCode === ErrorCode.NONE ? { ...r, errorCode } : r));
    }
    this.txnOffsets.stage(params.producerId, records);
    return results;
  }

  /**
   * A transaction marker of `producerId` was written to a `__consumer_offsets` partition: its pending
   * offsets of the groups living there become committed (COMMIT) or are dropped (ABORT).
   */
  completeTransaction(producerId: number, inPartition: (groupId: string) => boolean, commit: boolean): number {
    const records = this.txnOffsets.complete(producerId, inPartition);
    if (commit) for (const r of records) this.ctx.offsets.apply(r);
    return records.length;
  }

  /** Loading: offsets of a transaction whose marker is not in the log yet stay pending. */
  stageTransactionalOffsets(producerId: number, records: ReadonlyArray<Extract<GroupRecord, { type: 'offset-commit' }>>): void {
    this.txnOffsets.stage(producerId, records);
  }

  deleteOffsets(groupId: string, partitions: ReadonlyArray<{ topic: string; partition: number }>): OffsetDeleteResult {
    if (this.closed) return { errorCode: ErrorCode.NOT_COORDINATOR, partitions: [] };
    return this.offsetManager.delete(groupId, partitions);
  }

  /** Run the offsets retention sweep now (it also runs every offsets.retention.check.interval.ms). */
  expireOffsets(): { offsets: number; groups: number } {
    return this.offsetManager.expire();
  }

  // ------------------------------------------------------------------ admin views

  /** Groups matching the filters (case-insensitive, as Kafka); empty filters match everything. */
  listGroups(statesFilter: readonly string[] = [], typesFilter: readonly string[] = []): GroupListing[] {
    const states = new Set(statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(typesFilter.map((s) => s.toLowerCase()));
    if (types.size > 0 && !types.has(CLASSIC_GROUP_TYPE)) return [];
    const out: GroupListing[] = [];
    for (const g of this.ctx.groups.values()) {
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      out.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, groupType: CLASSIC_GROUP_TYPE });
    }
    return out;
  }

  /**
   * A group's state and members. Metadata and assignments are shown only when Stable (in other
   * states they are in flux), as Kafka does; an unknown group is reported as Dead with no members.
   */
  describeGroup(groupId: string): GroupDescription {
    const group = this.ctx.groups.get(groupId);
    if (!group) return { groupId, state: 'Dead', protocolType: '', protocolData: '', members: [] };
    const stable = group.is('Stable');
    const empty = Buffer.alloc(0);
    return {
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? (group.protocolName ?? '') : '',
      members: group.allMembers().map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: stable ? m.metadata(group.protocolName) : empty,
        assignment: stable ? m.assignment : empty,
      })),
    };
  }

  /** Delete groups that have no members, with their offsets. */
  deleteGroups(groupIds: readonly string[]): Array<{ groupId: string; errorCode: number }> {
    return groupIds.map((groupId) => {
      if (this.closed) return { groupId, errorCode: ErrorCode.NOT_COORDINATOR };
      // An empty id names no group: GROUP_ID_NOT_FOUND, as Kafka 4.1 answers (not INVALID_GROUP_ID).
      const group = this.ctx.groups.get(groupId);
      if (!group || group.is('Dead')) return { groupId, errorCode: ErrorCode.GROUP_ID_NOT_FOUND };
      if (!group.is('Empty')) return { groupId, errorCode: ErrorCode.NON_EMPTY_GROUP };
      this.offsetManager.deleteGroup(group);
      this.ctx.logger.info({ groupId }, 'group deleted');
      return { groupId, errorCode: ErrorCode.NONE };
    });
  }

  // ------------------------------------------------------------------ loading

  /**
   * Starts loading another `__consumer_offsets` partition (this broker became its leader after the
   * first load): `replay` its records, then `completeLoad`. Groups already here are kept as they are.
   */
  beginLoad(): void {
    this.loading ??= new Map();
  }

  /**
   * Apply one record read back from `__consumer_offsets`, in log order. Offsets take effect at
   * once; the last GroupMetadata of each group becomes a group in `completeLoad`.
   */
  replay(record: GroupRecord): void {
    if (this.loading === null) throw new Error('replay after completeLoad');
    this.ctx.offsets.apply(record);
    if (record.type === 'group-metadata') this.loading.set(record.groupId, record.value);
    else if (record.type === 'group-tombstone') this.loading.set(record.groupId, null);
  }

  /**
   * Build the loaded groups: Stable with their last generation and assignments when they had
   * members (each member must heartbeat within its session timeout or it is removed, which starts
   * a rebalance), Empty otherwise; groups that only have offsets (manual commits) become Empty
   * groups so their offsets expire. Returns how many groups were loaded.
   */
  completeLoad(): number {
    const loaded = this.loading;
    if (loaded === null) return 0;
    this.loading = null;
    const now = this.ctx.clock.now();
    for (const groupId of this.ctx.offsets.groupIds()) if (!loaded.has(groupId)) loaded.set(groupId, null);
    let count = 0;
    for (const [groupId, stored] of loaded) {
      if (this.ctx.groups.has(groupId)) continue;
      if (stored === null && !this.ctx.offsets.hasOffsets(groupId)) continue;
      const group = new ClassicGroup(groupId, now);
      if (stored !== null) {
        const protocolType = stored.protocolType ?? '';
        const members = stored.members.map(
          (m) =>
            new GroupMember({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              rebalanceTimeoutMs: m.rebalanceTimeoutMs,
              sessionTimeoutMs: m.sessionTimeoutMs,
              protocolType,
              protocols: stored.protocolName !== null ? [{ name: stored.protocolName, metadata: m.subscription }] : [],
              assignment: m.assignment,
            }),
        );
        group.restore({ ...stored, members }, now);
      }
      this.ctx.groups.set(groupId, group);
      for (const m of group.allMembers()) this.rebalancer.scheduleHeartbeat(group, m);
      count += 1;
    }
    return count;
  }

  /**
   * Forget the groups `belongs` selects, because their `__consumer_offsets` partition is no longer
   * led here (Kafka's removeGroupsForPartition / onGroupUnloaded): parked JoinGroup and SyncGroup
   * requests are answered NOT_COORDINATOR (their clients look for the new coordinator), the groups'
   * timers are cancelled, and the groups and their offsets leave memory. Nothing is written: the log
   * keeps them, for the next leader and for this broker if it leads the partition again. Returns
   * how many groups were unloaded.
   */
  unloadGroups(belongs: (groupId: string) => boolean): number {
    let count = 0;
    const now = this.ctx.clock.now();
    for (const group of [...this.ctx.groups.values()]) {
      const { groupId } = group;
      if (!belongs(groupId)) continue;
      for (const m of group.allMembers()) {
        m.completeJoin(joinError(m.memberId, ErrorCode.NOT_COORDINATOR));
        m.completeSync(syncError(ErrorCode.NOT_COORDINATOR));
      }
      this.ctx.timers.cancelWhere((key) => isTimerOfGroup(key, groupId));
      // Dead, so a write still in flight for it (an assignment being stored) changes nothing on return.
      group.transitionTo('Dead', now);
      this.ctx.groups.delete(groupId);
      count += 1;
    }
    for (const groupId of this.ctx.offsets.groupIds()) if (belongs(groupId)) this.ctx.offsets.unload(groupId);
    this.txnOffsets.unload(belongs);
    if (this.loading) for (const groupId of [...this.loading.keys()]) if (belongs(groupId)) this.loading.delete(groupId);
    return count;
  }

  // ------------------------------------------------------------------ lifecycle

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.ctx.timers.cancelAll();
    for (const group of this.ctx.groups.values()) {
      for (const m of group.allMembers()) {
        m.completeJoin(joinError(m.memberId, ErrorCode.NOT_COORDINATOR));
        m.completeSync(syncError(ErrorCode.NOT_COORDINATOR));
      }
    }
  }

  private scheduleRetentionSweep(): void {
    this.ctx.timers.schedule(RETENTION_TIMER, this.ctx.config.offsetsRetentionCheckIntervalMs, () => {
      try {
        this.offsetManager.expire();
      } finally {
        if (!this.closed) this.scheduleRetentionSweep();
      }
    });
  }
}
