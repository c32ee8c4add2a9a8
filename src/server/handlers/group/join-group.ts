/**
 * JoinGroup v0-9. The response may wait for the whole rebalance (bounded by the rebalance timeout).
 * v0 has no rebalance timeout of its own: Kafka uses the session timeout for it.
 */
import { JoinGroupApi } from '../../../protocol/messages/index.js';
import type { JoinGroupRequest, JoinGroupResponse } from '../../../protocol/messages/join-group.js';
import { joinError } from '../../../cluster/group/group-context.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { register, type Reply } from '../../request-context.js';
import { clientHostOf, clientIdOf, coordinatorErrorFor, coordinatorOf } from './context.js';

export const joinGroupHandler = register<JoinGroupRequest, Reply<JoinGroupResponse>>(JoinGroupApi, 0, 9, async (req, ctx) => {
  const v = ctx.apiVersion;
  const notHere = coordinatorErrorFor(ctx, req.groupId, { emptyIdInvalid: true });
  const result = notHere !== ErrorCode.NONE ? joinError(req.memberId, notHere) : await coordinatorOf(ctx).joinGroup({
    groupId: req.groupId,
    memberId: req.memberId,
    groupInstanceId: v >= 5 ? req.groupInstanceId : null,
    clientId: clientIdOf(ctx),
    clientHost: clientHostOf(ctx),
    sessionTimeoutMs: req.sessionTimeoutMs,
    rebalanceTimeoutMs: v >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
    protocolType: req.protocolType,
    protocols: req.protocols,
    requireKnownMemberId: v >= 4,
    supportSkippingAssignment: v >= 9,
    reason: v >= 8 ? req.reason : null,
  });
  return {
    throttleTimeMs: 0,
    errorCode: result.errorCode,
    generationId: result.generationId,
    protocolType: result.protocolType,
    // Not nullable before v7: "" stands for "no protocol".
    protocolName: v >= 7 ? result.protocolName : (result.protocolName ?? ''),
    leader: result.leader,
    skipAssignment: result.skipAssignment,
    memberId: result.memberId,
    members: result.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadata })),
  };
});
