/**
 * Heartbeat v0-4. While the group is being loaded the heartbeat is answered NONE, as Kafka does
 * ("respond just blindly"): the member's session starts afresh once its group is back.
 */
import { HeartbeatApi } from '../../../protocol/messages/index.js';
import type { HeartbeatRequest, HeartbeatResponse } from '../../../protocol/messages/heartbeat.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { register, type Reply } from '../../request-context.js';
import { coordinatorErrorFor, coordinatorOf } from './context.js';

export const heartbeatHandler = register<HeartbeatRequest, Reply<HeartbeatResponse>>(HeartbeatApi, 0, 4, (req, ctx) => {
  const notHere = coordinatorErrorFor(ctx, req.groupId, { emptyIdInvalid: true });
  if (notHere === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE };
  if (notHere !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: notHere };
  const errorCode = coordinatorOf(ctx).heartbeat({
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: ctx.apiVersion >= 3 ? req.groupInstanceId : null,
  });
  return { throttleTimeMs: 0, errorCode };
});
