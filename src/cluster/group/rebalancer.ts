/**
 * The rebalance machinery shared by JoinGroup, SyncGroup, Heartbeat and LeaveGroup, following
 * Kafka's classic group coordinator:
 * - a rebalance parks every JoinGroup until all members rejoined or the rebalance timeout (the
 *   largest among the members) expired; members that did not rejoin by then are removed;
 * - a new group's first rebalance waits group.initial.rebalance.delay.ms, extended while members
 *   keep arriving, up to the rebalance timeout (Kafka's InitialDelayedJoin);
 * - after the join phase every member must SyncGroup within the rebalance timeout, or it is removed
 *   and the group rebalances again;
 * - a member whose session timer expires without a heartbeat is removed (and the group rebalances).
 */
import type { ClassicGroup } from './classic-group.js';
import { heartbeatTimerKey, joinError, joinTimerKey, syncError, syncTimerKey, type GroupContext } from './group-context.js';
import type { GroupMember } from './group-member.js';
import type { StoredGroupMetadata } from './group-records.js';
import { ErrorCode } from '../../protocol/errors.js';

const EMPTY = Buffer.alloc(0);

export class Rebalancer {
  constructor(private readonly ctx: GroupContext) {}

  private now(): number {
    return this.ctx.clock.now();
  }

  // ------------------------------------------------------------------ join phase

  /** Start a rebalance if the group's state allows one, else see whether the running one can finish. */
  maybePrepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
    else this.maybeCompleteJoinPhase(group);
  }

  prepareRebalance(group: ClassicGroup, reason: string): void {
    // Members waiting for an assignment of a generation that will never be stable must rejoin.
    if (group.is('CompletingRebalance')) this.resetAndPropagateError(group, ErrorCode.REBALANCE_IN_PROGRESS);
    this.ctx.timers.cancel(syncTimerKey(group.groupId));

    const initial = group.is('Empty');
    if (initial) {
      const delayMs = this.ctx.config.initialRebalanceDelayMs;
      const remainingMs = Math.max(group.rebalanceTimeoutMs() - delayMs, 0);
      this.scheduleInitialJoin(group.groupId, delayMs, remainingMs);
    } else {
      this.ctx.timers.schedule(joinTimerKey(group.groupId), group.rebalanceTimeoutMs(), () => this.onJoinTimeout(group.groupId));
    }
    group.transitionTo('PreparingRebalance', this.now());
    this.ctx.logger.info({ groupId: group.groupId, generationId: group.generationId, reason }, 'preparing to rebalance group');
    // The initial rebalance never completes early: it exists to wait for more members.
    if (!initial) this.maybeCompleteJoinPhase(group);
  }

  private scheduleInitialJoin(groupId: string, delayMs: number, remainingMs: number): void {
    this.ctx.timers.schedule(joinTimerKey(groupId), delayMs, () => {
      const group = this.ctx.groups.get(groupId);
      if (!group || !group.is('PreparingRebalance')) return;
      if (group.newMemberAdded && remainingMs !== 0) {
        // Someone joined during the delay: wait once more, but never past the rebalance timeout.
        group.newMemberAdded = false;
        const nextDelayMs = Math.min(this.ctx.config.initialRebalanceDelayMs, remainingMs);
        this.scheduleInitialJoin(groupId, nextDelayMs, Math.max(remainingMs - delayMs, 0));
      } else {
        this.completeJoin(group);
      }
    });
  }

  private onJoinTimeout(groupId: string): void {
    const group = this.ctx.groups.get(groupId);
    if (group?.is('PreparingRebalance')) this.completeJoin(group);
  }

  /** Complete the join phase now if everyone is in (never during the initial delay). */
  maybeCompleteJoinPhase(group: ClassicGroup): void {
    if (group.is('PreparingRebalance') && group.hasAllMembersJoined() && group.previousState !== 'Empty') {
      this.ctx.timers.cancel(joinTimerKey(group.groupId));
      this.completeJoin(group);
    }
  }

  /**
   * End the join phase: drop dynamic members that did not rejoin (static ones keep their place
   * until their session expires), pick a leader among those that did, start the next generation
   * and answer every parked JoinGroup.
   */
  completeJoin(group: ClassicGroup): void {
    this.ctx.timers.cancel(joinTimerKey(group.groupId));
    for (const member of group.notYetRejoined()) {
      if (member.isStatic) continue;
      this.ctx.logger.info({ groupId: group.groupId, memberId: member.memberId }, 'removing member that did not rejoin before the rebalance timeout');
      group.remove(member.memberId);
      this.cancelHeartbeat(group, member.memberId);
    }

    if (!group.maybeElectNewJoinedLeader() && group.size > 0) {
      // Nobody rejoined (only static members that did not come back are left): wait another
      // rebalance timeout; their sessions will expire meanwhile if they are really gone.
      this.ctx.logger.warn({ groupId: group.groupId }, 'no member rejoined; postponing the end of the join phase');
      this.ctx.timers.schedule(joinTimerKey(group.groupId), group.rebalanceTimeoutMs(), () => this.onJoinTimeout(group.groupId));
      return;
    }

    group.initNextGeneration(this.now());
    if (group.is('Empty')) {
      this.ctx.logger.info({ groupId: group.groupId, generationId: group.generationId }, 'group is now empty');
      this.storeGroup(group);
      return;
    }

    this.ctx.logger.info(
      { groupId: group.groupId, generationId: group.generationId, protocol: group.protocolName, members: group.size },
      'join phase complete; waiting for the leader\'s assignment',
    );
    for (const member of group.allMembers()) {
      const isLeader = group.isLeader(member.memberId);
      member.completeJoin({
        errorCode: ErrorCode.NONE,
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leader: group.leaderId ?? '',
        skipAssignment: false,
        memberId: member.memberId,
        members: isLeader ? group.joinMembers() : [],
      });
      this.scheduleHeartbeat(group, member);
      member.isNew = false;
      group.addPendingSync(member.memberId);
    }
    this.schedulePendingSync(group);
  }

  // ------------------------------------------------------------------ sync phase

  private schedulePendingSync(group: ClassicGroup): void {
    const generationId = group.generationId;
    this.ctx.timers.schedule(syncTimerKey(group.groupId), group.rebalanceTimeoutMs(), () => this.onPendingSyncTimeout(group.groupId, generationId));
  }

  /** Members that never sent SyncGroup are gone; everyone else rebalances without them. */
  private onPendingSyncTimeout(groupId: string, generationId: number): void {
    const group = this.ctx.groups.get(groupId);
    if (!group || group.generationId !== generationId) return;
    if (!group.is('CompletingRebalance') && !group.is('Stable')) return;
    const missing = group.pendingSyncMembers();
    if (missing.length === 0) return;
    for (const memberId of missing) {
      const member = group.remove(memberId);
      if (member) member.completeJoin(joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
      this.cancelHeartbeat(group, memberId);
    }
    this.prepareRebalance(group, `members ${missing.join(', ')} did not sync before the rebalance timeout`);
  }

  /** The leader's assignment: store it, hand each member its part, and the group is Stable. */
  /**
   * The leader's assignment: stored first, then answered. As in Kafka, members learn their assignment
   * only once the group's metadata record is durable; a failed write sends them back to rejoin.
   */
  setAndPropagateAssignment(group: ClassicGroup, assignments: ReadonlyMap<string, Buffer>): void {
    for (const member of group.allMembers()) member.assignment = assignments.get(member.memberId) ?? EMPTY;
    const generationId = group.generationId;
    const stillWaiting = (): boolean => group.is('CompletingRebalance') && group.generationId === generationId;
    this.storeGroup(group).then(
      () => {
        if (!stillWaiting()) return; // the group moved on (a member left or rejoined) while the write ran
        group.transitionTo('Stable', this.now());
        this.propagateAssignment(group);
        this.ctx.logger.info({ groupId: group.groupId, generationId }, 'group is stable');
      },
      () => {
        if (!stillWaiting()) return;
        this.resetAndPropagateError(group, ErrorCode.COORDINATOR_NOT_AVAILABLE);
        this.maybePrepareRebalance(group, 'storing the group assignment failed');
      },
    );
  }

  private propagateAssignment(group: ClassicGroup): void {
    for (const member of group.allMembers()) {
      const answered = member.completeSync({
        errorCode: ErrorCode.NONE,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        assignment: member.assignment,
      });
      // A member parked in SyncGroup was spared by its session timer; give it a fresh session now.
      if (answered) this.scheduleHeartbeat(group, member);
    }
  }

  private resetAndPropagateError(group: ClassicGroup, errorCode: number): void {
    for (const member of group.allMembers()) {
      member.assignment = EMPTY;
      member.completeSync(syncError(errorCode));
    }
  }

  // ------------------------------------------------------------------ sessions

  /** (Re)start a member's session timer: it must heartbeat (or be parked in a join/sync) before it fires. */
  scheduleHeartbeat(group: ClassicGroup, member: GroupMember, timeoutMs = member.sessionTimeoutMs): void {
    const { groupId } = group;
    const { memberId } = member;
    this.ctx.timers.schedule(heartbeatTimerKey(groupId, memberId), timeoutMs, () => this.onHeartbeatExpired(groupId, memberId));
  }

  cancelHeartbeat(group: ClassicGroup, memberId: string): void {
    this.ctx.timers.cancel(heartbeatTimerKey(group.groupId, memberId));
  }

  /** A pending member (handed an id with MEMBER_ID_REQUIRED) gets one session timeout to come back. */
  schedulePendingMemberExpiry(group: ClassicGroup, memberId: string, sessionTimeoutMs: number): void {
    const { groupId } = group;
    this.ctx.timers.schedule(heartbeatTimerKey(groupId, memberId), sessionTimeoutMs, () => this.onHeartbeatExpired(groupId, memberId));
  }

  private onHeartbeatExpired(groupId: string, memberId: string): void {
    const group = this.ctx.groups.get(groupId);
    if (!group || group.is('Dead')) return;
    if (group.isPendingMember(memberId)) {
      this.ctx.logger.info({ groupId, memberId }, 'pending member did not rejoin within its session timeout');
      group.removePendingMember(memberId);
      this.maybeCompleteJoinPhase(group);
      return;
    }
    const member = group.get(memberId);
    if (!member || member.hasSatisfiedHeartbeat()) return;
    this.ctx.logger.info({ groupId, memberId, sessionTimeoutMs: member.sessionTimeoutMs }, 'member session expired');
    this.removeMemberAndUpdateGroup(group, member, `removing member ${memberId} on heartbeat expiration`);
  }

  // ------------------------------------------------------------------ leaving

  /**
   * Remove a member for good (left, expired, or kicked) and move the group on: a running join
   * phase may now be complete, a settled group must rebalance without it.
   */
  removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember, reason: string): void {
    // Answer anything it has parked so its connection is not stuck; it must rejoin from scratch.
    member.completeJoin(joinError('', ErrorCode.UNKNOWN_MEMBER_ID));
    member.completeSync(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    this.cancelHeartbeat(group, member.memberId);
    group.remove(member.memberId);
    if (group.is('Stable') || group.is('CompletingRebalance')) this.maybePrepareRebalance(group, reason);
    else if (group.is('PreparingRebalance')) this.maybeCompleteJoinPhase(group);
  }

  // ------------------------------------------------------------------ persistence hook

  /** Emit the group's metadata record (members, generation, assignment) for the journal. */
  storeGroup(group: ClassicGroup): Promise<void> {
    const value: StoredGroupMetadata = {
      protocolType: group.protocolType,
      generationId: group.generationId,
      protocolName: group.protocolName,
      leader: group.leaderId,
      stateTimestampMs: group.stateTimestampMs,
      members: group.allMembers().map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        sessionTimeoutMs: m.sessionTimeoutMs,
        subscription: m.metadata(group.protocolName),
        assignment: m.assignment,
      })),
    };
    return this.ctx.record([{ type: 'group-metadata', groupId: group.groupId, value }]);
  }
}
