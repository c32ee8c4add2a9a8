/**
 * LeaveGroup: members leaving on their own (by member id), or removed by an administrator by
 * group.instance.id alone (v3+, empty member id). The group rebalances once for the whole batch.
 */
import type { GroupContext } from './group-context.js';
import { validateMember } from './join-group.js';
import type { Rebalancer } from './rebalancer.js';
import type { LeaveGroupResult, LeavingMember } from './types.js';
import { ErrorCode } from '../../protocol/errors.js';

export class LeaveGroupHandler {
  constructor(private readonly ctx: GroupContext, private readonly rebalancer: Rebalancer) {}

  leave(groupId: string, leaving: readonly LeavingMember[]): LeaveGroupResult {
    if (groupId.length === 0) return { errorCode: ErrorCode.INVALID_GROUP_ID, members: [] };
    const group = this.ctx.groups.get(groupId);
    if (!group) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
    if (group.is('Dead')) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };

    const members: Array<{ memberId: string; groupInstanceId: string | null; errorCode: number }> = [];
    for (const m of leaving) {
      const reason = `member ${m.memberId || m.groupInstanceId} left the group: ${m.reason ?? 'no reason given'}`;
      let errorCode: ErrorCode = ErrorCode.NONE;
      if (m.memberId.length === 0) {
        const staticId = m.groupInstanceId === null ? undefined : group.staticMemberId(m.groupInstanceId);
        const member = staticId === undefined ? undefined : group.get(staticId);
        if (member) this.rebalancer.removeMemberAndUpdateGroup(group, member, reason);
        else errorCode = ErrorCode.UNKNOWN_MEMBER_ID;
      } else if (group.isPendingMember(m.memberId)) {
        group.removePendingMember(m.memberId);
        this.rebalancer.cancelHeartbeat(group, m.memberId);
        this.rebalancer.maybeCompleteJoinPhase(group);
      } else {
        errorCode = validateMember(group, m.memberId, m.groupInstanceId);
        if (errorCode === ErrorCode.NONE) this.rebalancer.removeMemberAndUpdateGroup(group, group.get(m.memberId)!, reason);
      }
      if (errorCode === ErrorCode.NONE) this.ctx.logger.info({ groupId, memberId: m.memberId, groupInstanceId: m.groupInstanceId }, 'member left the group');
      members.push({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode });
    }
    return { errorCode: ErrorCode.NONE, members };
  }
}
