/** SyncGroup v0-5. Followers' responses wait for the leader's SyncGroup (bounded by the rebalance timeout). */
import { SyncGroupApi } from '../../../protocol/messages/index.js';
import type { SyncGroupRequest, SyncGroupResponse } from '../../../protocol/messages/sync-group.js';
import { syncError } from '../../../cluster/group/group-context.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { register, type Reply } from '../../request-context.js';
import { coordinatorErrorFor, coordinatorOf } from './context.js';

export const syncGroupHandler = register<SyncGroupRequest, Reply<SyncGroupResponse>>(SyncGroupApi, 0, 5, async (req, ctx) => {
  const v = ctx.apiVersion;
  const notHere = coordinatorErrorFor(ctx, req.groupId, { emptyIdInvalid: true });
  const result = notHere !== ErrorCode.NONE ? syncError(notHere) : await coordinatorOf(ctx).syncGroup({
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: v >= 3 ? req.groupInstanceId : null,
    protocolType: v >= 5 ? req.protocolType : null,
    protocolName: v >= 5 ? req.protocolName : null,
    assignments: req.assignments,
  });
  return { throttleTimeMs: 0, errorCode: result.errorCode, protocolType: result.protocolType, protocolName: result.protocolName, assignment: result.assignment };
});
