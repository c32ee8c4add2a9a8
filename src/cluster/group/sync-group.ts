/**
 * SyncGroup: every member of a new generation parks here until the leader's SyncGroup brings the
 * assignment; members that sync after the group is Stable get their part at once.
 */
import { syncError, type GroupContext } from './group-context.js';
import { validateMember } from './join-group.js';
import type { Rebalancer } from './rebalancer.js';
import type { SyncGroupParams, SyncGroupResult } from './types.js';
import { ErrorCode } from '../../protocol/errors.js';

export class SyncGroupHandler {
  constructor(private readonly ctx: GroupContext, private readonly rebalancer: Rebalancer) {}

  sync(req: SyncGroupParams): Promise<SyncGroupResult> {
    if (req.groupId.length === 0) return done(syncError(ErrorCode.INVALID_GROUP_ID));
    const group = this.ctx.groups.get(req.groupId);
    if (!group || group.is('Empty')) return done(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    if (group.is('Dead')) return done(syncError(ErrorCode.COORDINATOR_NOT_AVAILABLE));
    const invalid = validateMember(group, req.memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return done(syncError(invalid));
    if (req.generationId !== group.generationId) return done(syncError(ErrorCode.ILLEGAL_GENERATION));
    // v5+ carry the protocol the member thinks was chosen; a mismatch means it joined a different round.
    if (inconsistent(req.protocolType, group.protocolType) || inconsistent(req.protocolName, group.protocolName)) {
      return done(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }

    const member = group.get(req.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        return done(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance': {
        // A duplicate SyncGroup supersedes the earlier one, which must still get an answer.
        member.completeSync(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
        const parked = new Promise<SyncGroupResult>((resolve) => {
          member.awaitingSync = resolve;
        });
        group.removePendingSync(req.memberId);
        if (group.isLeader(req.memberId)) {
          const assignments = new Map<string, Buffer>();
          for (const a of req.assignments) if (group.has(a.memberId)) assignments.set(a.memberId, a.assignment);
          const missing = group.allMembers().filter((m) => !assignments.has(m.memberId)).map((m) => m.memberId);
          if (missing.length > 0) {
            this.ctx.logger.warn({ groupId: group.groupId, missing }, 'leader sent no assignment for some members; they get an empty one');
          }
          this.rebalancer.setAndPropagateAssignment(group, assignments);
        }
        return parked;
      }
      case 'Stable':
        group.removePendingSync(req.memberId);
        this.rebalancer.scheduleHeartbeat(group, member);
        return done({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
      case 'Empty':
      case 'Dead':
        return done(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }
}

function inconsistent(requested: string | null, actual: string | null): boolean {
  return requested !== null && actual !== null && requested !== actual;
}

function done(result: SyncGroupResult): Promise<SyncGroupResult> {
  return Promise.resolve(result);
}
