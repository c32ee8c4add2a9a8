/**
 * JoinGroup, following Kafka's classic coordinator:
 * - an unknown member (empty id) gets a fresh id; from v4 a dynamic one must come back with it
 *   (MEMBER_ID_REQUIRED) so that retries of a lost response do not pile up phantom members;
 * - a static member (group.instance.id) that comes back with a new id replaces its old self and,
 *   in a Stable group, gets the current generation without a rebalance when its metadata is
 *   unchanged; the old id is fenced (FENCED_INSTANCE_ID);
 * - a known member's JoinGroup parks until the join phase completes, or is answered at once with
 *   the current generation when it changes nothing (a follower re-sending identical metadata).
 */
import { ClassicGroup } from './classic-group.js';
import { joinError, syncError, type GroupContext } from './group-context.js';
import { GroupMember } from './group-member.js';
import type { Rebalancer } from './rebalancer.js';
import type { JoinGroupParams, JoinGroupResult } from './types.js';
import { ErrorCode } from '../../protocol/errors.js';

export class JoinGroupHandler {
  constructor(private readonly ctx: GroupContext, private readonly rebalancer: Rebalancer) {}

  join(req: JoinGroupParams): Promise<JoinGroupResult> {
    const { config } = this.ctx;
    if (req.groupId.length === 0) return done(joinError(req.memberId, ErrorCode.INVALID_GROUP_ID));
    if (req.sessionTimeoutMs < config.minSessionTimeoutMs || req.sessionTimeoutMs > config.maxSessionTimeoutMs) {
      return done(joinError(req.memberId, ErrorCode.INVALID_SESSION_TIMEOUT));
    }

    const isUnknownMember = req.memberId.length === 0;
    let group = this.ctx.groups.get(req.groupId);
    if (!group) {
      // Only a member without an id may create a group; a known id for a missing group is stale.
      if (!isUnknownMember) return done(joinError(req.memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      group = new ClassicGroup(req.groupId, this.ctx.clock.now());
      this.ctx.groups.set(req.groupId, group);
    }

    if (!this.acceptJoiningMember(group, req.memberId)) {
      const existing = group.get(req.memberId);
      if (existing) this.rebalancer.removeMemberAndUpdateGroup(group, existing, 'group is over capacity');
      return done(joinError('', ErrorCode.GROUP_MAX_SIZE_REACHED));
    }
    return isUnknownMember ? this.joinNewMember(group, req) : this.joinExistingMember(group, req);
  }

  /**
   * group.max.size: while preparing a rebalance count the members that already rejoined (so the
   * last ones to rejoin of an oversized group are turned away), otherwise the members.
   */
  private acceptJoiningMember(group: ClassicGroup, memberId: string): boolean {
    const max = this.ctx.config.maxSize;
    switch (group.state) {
      case 'Empty':
      case 'Dead':
        return true;
      case 'PreparingRebalance':
        return group.get(memberId)?.awaitingJoin != null || group.numAwaitingJoin() < max;
      case 'CompletingRebalance':
      case 'Stable':
        return group.has(memberId) || group.size < max;
    }
  }

  private joinNewMember(group: ClassicGroup, req: JoinGroupParams): Promise<JoinGroupResult> {
    if (group.is('Dead')) return done(joinError(req.memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(req.protocolType, req.protocols.map((p) => p.name))) {
      return done(joinError(req.memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const newMemberId = this.ctx.newMemberId(req.groupInstanceId ?? req.clientId);
    if (req.groupInstanceId !== null) {
      const existingId = group.staticMemberId(req.groupInstanceId);
      if (existingId !== undefined) return this.replaceStaticMember(group, req, existingId, newMemberId);
      return this.addMemberAndRebalance(group, req, newMemberId);
    }
    if (req.requireKnownMemberId) {
      group.addPendingMember(newMemberId);
      this.rebalancer.schedulePendingMemberExpiry(group, newMemberId, req.sessionTimeoutMs);
      this.ctx.logger.debug({ groupId: group.groupId, memberId: newMemberId }, 'asking new member to rejoin with its member id');
      return done(joinError(newMemberId, ErrorCode.MEMBER_ID_REQUIRED));
    }
    return this.addMemberAndRebalance(group, req, newMemberId);
  }

  private joinExistingMember(group: ClassicGroup, req: JoinGroupParams): Promise<JoinGroupResult> {
    const { memberId } = req;
    if (group.is('Dead')) return done(joinError(memberId, ErrorCode.COORDINATOR_NOT_AVAILABLE));
    if (!group.supportsProtocols(req.protocolType, req.protocols.map((p) => p.name))) {
      return done(joinError(memberId, ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    if (group.isPendingMember(memberId)) {
      // Pending ids are handed only to dynamic members; a static one presenting it is confused.
      if (req.groupInstanceId !== null) return done(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
      return this.addMemberAndRebalance(group, req, memberId);
    }
    const invalid = validateMember(group, memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return done(joinError(memberId, invalid));

    const member = group.get(memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        return this.updateMemberAndRebalance(group, member, req, `member ${memberId} rejoined during the rebalance`);
      case 'CompletingRebalance':
        // Same metadata: it probably lost the JoinGroup response; send it again.
        if (member.matches(req.protocols)) return done(this.currentGeneration(group, memberId, group.isLeader(memberId)));
        return this.updateMemberAndRebalance(group, member, req, `member ${memberId} changed its metadata`);
      case 'Stable':
        // A leader's rejoin forces a rebalance: that is how a consumer leader reacts to
        // changes that do not show in member metadata (new partitions, for one).
        if (group.isLeader(memberId)) return this.updateMemberAndRebalance(group, member, req, `leader ${memberId} rejoined`);
        if (!member.matches(req.protocols)) return this.updateMemberAndRebalance(group, member, req, `member ${memberId} changed its metadata`);
        return done(this.currentGeneration(group, memberId, false));
      case 'Empty':
      case 'Dead':
        return done(joinError(memberId, ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  private addMemberAndRebalance(group: ClassicGroup, req: JoinGroupParams, memberId: string): Promise<JoinGroupResult> {
    const member = new GroupMember({
      memberId,
      groupInstanceId: req.groupInstanceId,
      clientId: req.clientId,
      clientHost: req.clientHost,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      sessionTimeoutMs: req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols,
    });
    member.isNew = true;
    // Members arriving during a new group's initial delay extend that delay.
    if (group.is('PreparingRebalance') && group.previousState === 'Empty') group.newMemberAdded = true;
    const parked = park(member);
    group.add(member);
    // A new member cannot heartbeat (it has no generation yet), and a disconnect is invisible while
    // its JoinGroup is parked; bound the wait so retried joins do not leave defunct members behind.
    this.rebalancer.scheduleHeartbeat(group, member, this.ctx.config.newMemberJoinTimeoutMs);
    this.rebalancer.maybePrepareRebalance(group, `adding new member ${memberId}`);
    return parked;
  }

  private updateMemberAndRebalance(group: ClassicGroup, member: GroupMember, req: JoinGroupParams, reason: string): Promise<JoinGroupResult> {
    const parked = this.updateMember(group, member, req);
    this.rebalancer.maybePrepareRebalance(group, reason);
    return parked;
  }

  /** Take the rejoin's protocols and timeouts, and park its JoinGroup. */
  private updateMember(group: ClassicGroup, member: GroupMember, req: JoinGroupParams): Promise<JoinGroupResult> {
    group.updateProtocols(member, req.protocols);
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    // A join already parked for this member is superseded (the client gave up on it); answer it so
    // its connection, which answers in order, is not held up forever.
    member.completeJoin(joinError(member.memberId, ErrorCode.REBALANCE_IN_PROGRESS));
    return park(member);
  }

  /**
   * A known static member rejoined without its member id (it restarted). It takes over its old
   * entry under a new id; the old id is fenced. A Stable group whose protocol choice would not
   * change keeps its generation and assignment: no rebalance (KIP-345).
   */
  private replaceStaticMember(group: ClassicGroup, req: JoinGroupParams, oldMemberId: string, newMemberId: string): Promise<JoinGroupResult> {
    const instanceId = req.groupInstanceId!;
    const previousLeader = group.leaderId;
    const old = group.get(oldMemberId)!;
    old.completeJoin(joinError(oldMemberId, ErrorCode.FENCED_INSTANCE_ID));
    old.completeSync(syncError(ErrorCode.FENCED_INSTANCE_ID));
    this.rebalancer.cancelHeartbeat(group, oldMemberId);
    const member = group.replaceStaticMember(instanceId, oldMemberId, newMemberId);
    this.rebalancer.scheduleHeartbeat(group, member, req.sessionTimeoutMs);
    this.ctx.logger.info({ groupId: group.groupId, groupInstanceId: instanceId, oldMemberId, newMemberId }, 'static member rejoined with a new member id');
    const sameMetadata = member.matches(req.protocols);
    const parked = this.updateMember(group, member, req);

    switch (group.state) {
      case 'Stable': {
        // Kafka rebalances only when the group's protocol choice changes. We also rebalance when the
        // member's metadata changed (e.g. a new subscription), which Kafka would otherwise ignore
        // until the next rebalance.
        if (!sameMetadata || group.selectProtocol() !== group.protocolName) {
          this.rebalancer.maybePrepareRebalance(group, `static member ${newMemberId} rejoined with changed metadata`);
          break;
        }
        this.rebalancer.storeGroup(group);
        const isLeader = group.isLeader(newMemberId);
        if (req.supportSkippingAssignment) {
          // v9+: the leader learns everyone's metadata again but keeps the current assignment.
          member.completeJoin({ ...this.currentGeneration(group, newMemberId, isLeader), skipAssignment: isLeader });
        } else {
          // Older clients would compute (and lose) a fresh assignment if told they lead a Stable
          // group, so the old leader id is returned: it matches nobody's new id.
          member.completeJoin({ ...this.currentGeneration(group, newMemberId, false), leader: previousLeader ?? '' });
        }
        break;
      }
      case 'CompletingRebalance':
        // The leader may be assigning to the old id right now; start over so the new id gets a share.
        this.rebalancer.prepareRebalance(group, `static member ${instanceId} rejoined with a new member id during CompletingRebalance`);
        break;
      case 'PreparingRebalance':
        this.rebalancer.maybeCompleteJoinPhase(group);
        break;
      case 'Empty':
      case 'Dead':
        throw new Error(`group ${group.groupId} in state ${group.state} cannot have static member ${instanceId}`);
    }
    return parked;
  }

  private currentGeneration(group: ClassicGroup, memberId: string, withMembers: boolean): JoinGroupResult {
    return {
      errorCode: ErrorCode.NONE,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId ?? '',
      skipAssignment: false,
      memberId,
      members: withMembers ? group.joinMembers() : [],
    };
  }
}

/**
 * The member-identity checks shared by every group API: a static instance presenting another id
 * is fenced, an id the group does not know is unknown.
 */
export function validateMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): ErrorCode {
  if (groupInstanceId !== null) {
    const current = group.staticMemberId(groupInstanceId);
    if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (current !== memberId) return ErrorCode.FENCED_INSTANCE_ID;
  }
  return group.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
}

function done(result: JoinGroupResult): Promise<JoinGroupResult> {
  return Promise.resolve(result);
}

/** Park a member's JoinGroup: the promise resolves when the join phase answers it. */
function park(member: GroupMember): Promise<JoinGroupResult> {
  return new Promise<JoinGroupResult>((resolve) => {
    member.awaitingJoin = resolve;
  });
}
