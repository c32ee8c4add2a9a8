/**
 * Membership in a classic consumer group: JoinGroup (rejoining with the id the coordinator hands
 * out on MEMBER_ID_REQUIRED), the leader's assignment, SyncGroup, heartbeats on their own timer,
 * LeaveGroup, and the rebalance protocol:
 * - eager: every owned partition is revoked before joining;
 * - cooperative: owned partitions stay and are listed in the subscription; after SyncGroup only
 *   partitions no longer assigned are revoked, and a revocation triggers a follow-up rebalance
 *   in which the leader hands them to their new owner.
 * Heartbeat answers drive the state: REBALANCE_IN_PROGRESS → rejoin; ILLEGAL_GENERATION /
 * UNKNOWN_MEMBER_ID → the partitions are lost (no commit) and the member rejoins;
 * FENCED_INSTANCE_ID → fatal. A member whose application holds a record longer than
 * maxPollIntervalMs leaves the group (dynamic members send LeaveGroup) and rejoins afterwards.
 *
 * One rebalance runs at a time in `loop()`; requests to rejoin during one cause another.
 */
import type { Logger } from 'pino';
import { HeartbeatApi, JoinGroupApi, LeaveGroupApi, SyncGroupApi } from '../../../protocol/messages/index.js';
import type { HeartbeatResponse } from '../../../protocol/messages/heartbeat.js';
import type { JoinGroupResponse } from '../../../protocol/messages/join-group.js';
import type { LeaveGroupResponse } from '../../../protocol/messages/leave-group.js';
import type { SyncGroupResponse } from '../../../protocol/messages/sync-group.js';
import { ErrorCode, KafkaError } from '../../../protocol/errors.js';
import { backoffMs, sleep } from '../../backoff.js';
import type { Cluster } from '../../cluster/cluster.js';
import { responseError } from '../../errors.js';
import type { Assignor, MemberSubscription, RebalanceProtocol } from '../assignors/types.js';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../consumer-protocol.js';
import type { ResolvedConsumerOptions } from '../options.js';
import { Signal } from '../signal.js';
import { tpKey, type TopicPartition } from '../types.js';
import { HeartbeatTimer } from './heartbeat.js';

export interface MembershipHost {
  /** The topics this member subscribes to now (a pattern resolved against metadata). */
  subscribedTopics(): Promise<string[]>;
  owned(): TopicPartition[];
  /** Orderly handover: commit (with auto-commit), onPartitionsRevoked, stop consuming. */
  revoke(parts: TopicPartition[]): Promise<void>;
  /** Gone without handover: onPartitionsLost, no commit. */
  lose(parts: TopicPartition[]): Promise<void>;
  /** Start consuming; onPartitionsAssigned. */
  assign(parts: TopicPartition[]): Promise<void>;
  /** An error the member cannot recover from (the application sees it). */
  fatal(err: Error): void;
  /** How long the application has been holding a record or batch (0 when it is not). */
  heldMs(): number;
}

export type MemberState = 'unjoined' | 'rebalancing' | 'stable' | 'closed';

/** Errors after which the member resets and simply rejoins. */
const REJOIN_ERRORS = new Set<number>([ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.ILLEGAL_GENERATION, ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.MEMBER_ID_REQUIRED]);
const COORDINATOR_ERRORS = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NETWORK_EXCEPTION, ErrorCode.REQUEST_TIMED_OUT]);

export class GroupMembership {
  memberId = '';
  generationId = -1;
  protocolName: string | null = null;
  leaderId = '';
  state: MemberState = 'unjoined';
  /** Resolves waiters after every completed rebalance. */
  readonly rebalanced = new Signal();
  private needRejoin = false;
  private rejoinReason = 'initial join';
  private lostPending = false;
  private readonly wake = new Signal();
  private loopDone: Promise<void> | null = null;
  private readonly heartbeat: HeartbeatTimer;
  private lastHeartbeatOkMs = 0;
  /** Topic → partition count the leader assigned from; checked for changes. */
  private assignedFrom = new Map<string, number>();
  private joinedTopics: string[] = [];

  constructor(
    private readonly cluster: Cluster,
    private readonly groupId: string,
    private readonly opts: ResolvedConsumerOptions,
    private readonly assignors: readonly Assignor[],
    readonly protocol: RebalanceProtocol,
    private readonly host: MembershipHost,
    private readonly log: Logger,
  ) {
    this.heartbeat = new HeartbeatTimer(() => this.beat());
  }

  get isLeader(): boolean {
    return this.memberId !== '' && this.memberId === this.leaderId;
  }

  /** Identity for OffsetCommit: the current generation, or -1 / '' before the first join. */
  commitIdentity(): { generationId: number; memberId: string; groupInstanceId: string | null } {
    if (this.generationId < 0) return { generationId: -1, memberId: '', groupInstanceId: null };
    return { generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.opts.groupInstanceId };
  }

  start(): void {
    this.loopDone ??= this.loop();
  }

  requestRejoin(reason: string): void {
    if (this.state === 'closed') return;
    if (!this.needRejoin) this.log.debug({ reason }, 'rejoin requested');
    this.needRejoin = true;
    this.rejoinReason = reason;
    this.wake.notify();
  }

  /** Subscribed topics or their partition counts changed since the last join: rejoin. */
  async checkSubscription(): Promise<void> {
    if (this.state !== 'stable') return;
    const topics = await this.host.subscribedTopics();
    if (topics.join('\0') !== this.joinedTopics.join('\0')) {
      this.requestRejoin('subscribed topics changed');
      return;
    }
    if (!this.isLeader) return;
    await this.cluster.fetchMetadata([...this.assignedFrom.keys()]);
    for (const [topic, count] of this.assignedFrom) {
      if ((this.cluster.metadata.partitionCount(topic) ?? 0) !== count) {
        this.requestRejoin(`partition count of '${topic}' changed`);
        return;
      }
    }
  }

  /** Stops heartbeats and the loop; a dynamic member (no groupInstanceId) sends LeaveGroup. */
  async close(leave: boolean): Promise<void> {
    if (this.state === 'closed') return;
    this.heartbeat.stop();
    const wasJoined = this.memberId !== '';
    this.state = 'closed';
    this.wake.notify();
    this.rebalanced.notify();
    if (leave && wasJoined) await this.leave('the consumer is closing');
  }

  private async loop(): Promise<void> {
    let attempt = 0;
    while (this.state !== 'closed') {
      if (!this.needRejoin) {
        await this.wake.wait();
        continue;
      }
      try {
        await this.rebalance();
        attempt = 0;
      } catch (err) {
        if (this.isClosed()) break;
        if (isFatal(err)) {
          this.log.error({ err: (err as Error).message }, 'group membership failed');
          this.state = 'unjoined';
          this.host.fatal(err as Error);
          this.rebalanced.notify();
          continue;
        }
        const wait = backoffMs(attempt++, this.opts.retryBackoffMs, this.cluster.options.retryBackoffMaxMs);
        this.log.debug({ err: (err as Error).message, wait }, 'rebalance failed; retrying');
        this.needRejoin = true;
        await sleep(wait);
      }
    }
  }

  private async rebalance(): Promise<void> {
    this.needRejoin = false;
    const reason = this.rejoinReason;
    this.heartbeat.stop();
    this.state = 'rebalancing';
    if (this.lostPending) {
      this.lostPending = false;
      const owned = this.host.owned();
      if (owned.length > 0) await this.host.lose(owned);
    }
    if (this.protocol === 'eager') {
      const owned = this.host.owned();
      if (owned.length > 0) await this.host.revoke(owned);
    }
    if (this.isClosed()) return;
    const topics = await this.host.subscribedTopics();
    this.joinedTopics = topics;
    const join = await this.join(topics, reason);
    if (this.isClosed()) return;
    const assignments = join.leader === this.memberId && !join.skipAssignment ? await this.assign(join) : [];
    const assigned = await this.sync(assignments);
    if (this.isClosed()) return;
    await this.complete(assigned);
    if (this.isClosed()) return;
    this.state = 'stable';
    this.lastHeartbeatOkMs = Date.now();
    this.heartbeat.start(this.opts.heartbeatIntervalMs);
    this.log.info({ memberId: this.memberId, generationId: this.generationId, protocol: this.protocolName, partitions: assigned.length }, 'joined group');
    this.rebalanced.notify();
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private async coordinatorRequest<Res>(fn: (link: Awaited<ReturnType<Cluster['coordinator']>>) => Promise<Res>): Promise<Res> {
    const link = await this.cluster.coordinator('group', this.groupId);
    try {
      return await fn(link);
    } catch (err) {
      if (err instanceof KafkaError && COORDINATOR_ERRORS.has(err.code)) this.cluster.invalidateCoordinator('group', this.groupId);
      throw err;
    }
  }

  private checkCoordinatorError(code: number): void {
    if (COORDINATOR_ERRORS.has(code)) this.cluster.invalidateCoordinator('group', this.groupId);
  }

  private async join(topics: string[], reason: string): Promise<JoinGroupResponse> {
    const owned = this.protocol === 'cooperative' ? this.host.owned() : [];
    const protocols = this.assignors.map((a) => ({
      name: a.name,
      metadata: encodeSubscription({ topics, ownedPartitions: owned, generationId: this.generationId, userData: a.userData?.(topics) ?? null, rackId: null }),
    }));
    for (let round = 0; ; round++) {
      const res = await this.coordinatorRequest((link) =>
        link.request<JoinGroupResponse>(
          JoinGroupApi,
          {
            groupId: this.groupId,
            sessionTimeoutMs: this.opts.sessionTimeoutMs,
            rebalanceTimeoutMs: this.opts.rebalanceTimeoutMs,
            memberId: this.memberId,
            groupInstanceId: this.opts.groupInstanceId,
            protocolType: 'consumer',
            protocols,
            reason,
          },
          { timeoutMs: Math.max(this.opts.requestTimeoutMs, this.opts.rebalanceTimeoutMs + 5000) },
        ),
      );
      if (this.isClosed()) return res;
      switch (res.errorCode) {
        case ErrorCode.NONE:
          this.memberId = res.memberId;
          this.generationId = res.generationId;
          this.protocolName = res.protocolName;
          this.leaderId = res.leader;
          return res;
        case ErrorCode.MEMBER_ID_REQUIRED:
          if (round > 3) throw responseError(res.errorCode, `JoinGroup '${this.groupId}'`);
          this.memberId = res.memberId;
          continue;
        case ErrorCode.UNKNOWN_MEMBER_ID:
          this.memberId = '';
          this.generationId = -1;
          throw responseError(res.errorCode, `JoinGroup '${this.groupId}'`);
        case ErrorCode.ILLEGAL_GENERATION:
          this.generationId = -1;
          throw responseError(res.errorCode, `JoinGroup '${this.groupId}'`);
        default:
          this.checkCoordinatorError(res.errorCode);
          throw responseError(res.errorCode, `JoinGroup '${this.groupId}'`);
      }
    }
  }

  /** The leader's job: decode every subscription, read partition counts, run the chosen assignor. */
  private async assign(join: JoinGroupResponse): Promise<Array<{ memberId: string; assignment: Buffer }>> {
    const assignor = this.assignors.find((a) => a.name === join.protocolName);
    if (!assignor) throw new KafkaError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `the coordinator chose assignor '${join.protocolName}', which this consumer does not have`);
    const members: MemberSubscription[] = join.members.map((m) => {
      let sub;
      try {
        sub = decodeSubscription(m.metadata);
      } catch (err) {
        this.log.warn({ member: m.memberId, err: (err as Error).message }, 'unreadable subscription; assigning it nothing');
        sub = { topics: [], ownedPartitions: [], generationId: -1, userData: null, rackId: null };
      }
      return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, ...sub };
    });
    const union = [...new Set(members.flatMap((m) => m.topics))].sort();
    if (union.length > 0) await this.cluster.fetchMetadata(union);
    const partitionsPerTopic = new Map<string, number>();
    for (const t of union) {
      const n = this.cluster.metadata.partitionCount(t);
      if (n !== undefined && n > 0) partitionsPerTopic.set(t, n);
    }
    this.assignedFrom = partitionsPerTopic;
    const result = assignor.assign(members, partitionsPerTopic);
    this.log.debug({ assignor: assignor.name, members: members.length, topics: partitionsPerTopic.size }, 'assignment computed as leader');
    return members.map((m) => ({ memberId: m.memberId, assignment: encodeAssignment(result.get(m.memberId) ?? []) }));
  }

  private async sync(assignments: Array<{ memberId: string; assignment: Buffer }>): Promise<TopicPartition[]> {
    const res = await this.coordinatorRequest((link) =>
      link.request<SyncGroupResponse>(SyncGroupApi, {
        groupId: this.groupId,
        generationId: this.generationId,
        memberId: this.memberId,
        groupInstanceId: this.opts.groupInstanceId,
        protocolType: 'consumer',
        protocolName: this.protocolName,
        assignments,
      }, { timeoutMs: Math.max(this.opts.requestTimeoutMs, this.opts.rebalanceTimeoutMs + 5000) }),
    );
    if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID || res.errorCode === ErrorCode.ILLEGAL_GENERATION) {
      if (res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
      this.generationId = -1;
      this.lostPending = true;
    }
    this.checkCoordinatorError(res.errorCode);
    if (res.errorCode !== ErrorCode.NONE) throw responseError(res.errorCode, `SyncGroup '${this.groupId}'`);
    return decodeAssignment(res.assignment).partitions;
  }

  private async complete(assigned: TopicPartition[]): Promise<void> {
    if (this.protocol === 'eager') {
      await this.host.assign(assigned);
      return;
    }
    const owned = this.host.owned();
    const assignedKeys = new Set(assigned.map((tp) => tpKey(tp.topic, tp.partition)));
    const ownedKeys = new Set(owned.map((tp) => tpKey(tp.topic, tp.partition)));
    const revoked = owned.filter((tp) => !assignedKeys.has(tpKey(tp.topic, tp.partition)));
    const added = assigned.filter((tp) => !ownedKeys.has(tpKey(tp.topic, tp.partition)));
    if (revoked.length > 0) {
      await this.host.revoke(revoked);
      this.requestRejoin('partitions revoked in a cooperative rebalance');
    }
    await this.host.assign(added);
  }

  /** One heartbeat; returns the delay before the next. */
  private async beat(): Promise<number> {
    if (this.state !== 'stable') return this.opts.heartbeatIntervalMs;
    if (this.host.heldMs() > this.opts.maxPollIntervalMs) {
      this.log.warn({ maxPollIntervalMs: this.opts.maxPollIntervalMs }, 'the application held a record longer than maxPollIntervalMs; leaving the group');
      await this.leave('consumer poll timeout has expired');
      this.memberId = this.opts.groupInstanceId === null ? '' : this.memberId;
      this.generationId = -1;
      this.lostPending = true;
      this.requestRejoin('poll timeout expired');
      return this.opts.heartbeatIntervalMs;
    }
    let code: number;
    try {
      const res = await this.coordinatorRequest((link) =>
        link.request<HeartbeatResponse>(HeartbeatApi, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.opts.groupInstanceId }),
      );
      code = res.errorCode;
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'heartbeat failed');
      if (Date.now() - this.lastHeartbeatOkMs > this.opts.sessionTimeoutMs && this.state === 'stable') {
        // The coordinator has surely expired this member by now: the partitions are lost.
        this.generationId = -1;
        this.lostPending = true;
        this.requestRejoin('no successful heartbeat within sessionTimeoutMs');
      }
      return Math.max(100, this.opts.retryBackoffMs);
    }
    if (this.state !== 'stable') return this.opts.heartbeatIntervalMs;
    switch (code) {
      case ErrorCode.NONE:
        this.lastHeartbeatOkMs = Date.now();
        return this.opts.heartbeatIntervalMs;
      case ErrorCode.REBALANCE_IN_PROGRESS:
        this.requestRejoin('the group is rebalancing');
        return this.opts.heartbeatIntervalMs;
      case ErrorCode.UNKNOWN_MEMBER_ID:
      case ErrorCode.ILLEGAL_GENERATION:
        this.log.info({ error: ErrorCode[code] }, 'heartbeat: membership lost; rejoining');
        if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
        this.generationId = -1;
        this.lostPending = true;
        this.requestRejoin(`heartbeat: ${ErrorCode[code]}`);
        return this.opts.heartbeatIntervalMs;
      case ErrorCode.FENCED_INSTANCE_ID:
        this.heartbeat.stop();
        this.state = 'unjoined';
        this.host.fatal(responseError(code, `Heartbeat '${this.groupId}': another consumer uses groupInstanceId '${this.opts.groupInstanceId}'`));
        return this.opts.heartbeatIntervalMs;
      default:
        this.checkCoordinatorError(code);
        this.log.debug({ error: ErrorCode[code] }, 'heartbeat error');
        return Math.max(100, this.opts.retryBackoffMs);
    }
  }

  private async leave(reason: string): Promise<void> {
    if (this.memberId === '' || this.opts.groupInstanceId !== null) return;
    try {
      const res = await this.coordinatorRequest((link) =>
        link.request<LeaveGroupResponse>(
          LeaveGroupApi,
          { groupId: this.groupId, memberId: this.memberId, members: [{ memberId: this.memberId, groupInstanceId: null, reason }] },
          { timeoutMs: Math.min(this.opts.requestTimeoutMs, 5000) },
        ),
      );
      if (res.errorCode !== ErrorCode.NONE) this.log.debug({ error: ErrorCode[res.errorCode] }, 'LeaveGroup error');
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'LeaveGroup failed');
    }
  }
}

function isFatal(err: unknown): boolean {
  if (!(err instanceof KafkaError)) return true;
  if (err.retriable || REJOIN_ERRORS.has(err.code)) return false;
  return true;
}
