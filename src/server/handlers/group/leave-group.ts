/**
 * LeaveGroup v0-5. v0-2 name one member and carry its error at the top level; v3+ name a batch
 * (possibly by group.instance.id only) and answer per member.
 */
import { LeaveGroupApi } from '../../../protocol/messages/index.js';
import type { LeaveGroupRequest, LeaveGroupResponse } from '../../../protocol/messages/leave-group.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { register, type Reply } from '../../request-context.js';
import { coordinatorErrorFor, coordinatorOf } from './context.js';

export const leaveGroupHandler = register<LeaveGroupRequest, Reply<LeaveGroupResponse>>(LeaveGroupApi, 0, 5, (req, ctx) => {
  const v = ctx.apiVersion;
  const leaving =
    v >= 3
      ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, reason: v >= 5 ? m.reason : null }))
      : [{ memberId: req.memberId, groupInstanceId: null, reason: null }];
  const notHere = coordinatorErrorFor(ctx, req.groupId, { emptyIdInvalid: true });
  const result = notHere !== ErrorCode.NONE ? { errorCode: notHere, members: [] } : coordinatorOf(ctx).leaveGroup(req.groupId, leaving);
  if (v >= 3) return { throttleTimeMs: 0, errorCode: result.errorCode, members: result.members.map((m) => ({ ...m })) };
  // Kafka's LeaveGroupResponse for old versions: the top-level error, else the member's.
  const memberError = result.members.find((m) => m.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE;
  return { throttleTimeMs: 0, errorCode: result.errorCode !== ErrorCode.NONE ? result.errorCode : memberError };
});
