/**
 * Heartbeat: keeps a member's session alive and tells it when to rejoin (REBALANCE_IN_PROGRESS)
 * or that it fell behind (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID).
 */
import type { GroupContext } from './group-context.js';
import { validateMember } from './join-group.js';
import type { Rebalancer } from './rebalancer.js';
import type { HeartbeatParams } from './types.js';
import { ErrorCode } from '../../protocol/errors.js';

export class HeartbeatHandler {
  constructor(private readonly ctx: GroupContext, private readonly rebalancer: Rebalancer) {}

  heartbeat(req: HeartbeatParams): ErrorCode {
    if (req.groupId.length === 0) return ErrorCode.INVALID_GROUP_ID;
    const group = this.ctx.groups.get(req.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (group.is('Dead')) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    const invalid = validateMember(group, req.memberId, req.groupInstanceId);
    if (invalid !== ErrorCode.NONE) return invalid;
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;

    const member = group.get(req.memberId)!;
    switch (group.state) {
      case 'Empty':
        return ErrorCode.UNKNOWN_MEMBER_ID;
      case 'PreparingRebalance':
        this.rebalancer.scheduleHeartbeat(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case 'CompletingRebalance':
      case 'Stable':
        // Members may heartbeat between their JoinGroup response and their SyncGroup; that is a
        // normal heartbeat.
        this.rebalancer.scheduleHeartbeat(group, member);
        return ErrorCode.NONE;
      case 'Dead':
        return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
  }
}
