/** Heartbeat v0-4. */
import { HeartbeatApi } from '../../../protocol/messages/index.js';
import type { HeartbeatRequest, HeartbeatResponse } from '../../../protocol/messages/heartbeat.js';
import { register, type Reply } from '../../request-context.js';
import { coordinatorOf } from './context.js';

export const heartbeatHandler = register<HeartbeatRequest, Reply<HeartbeatResponse>>(HeartbeatApi, 0, 4, (req, ctx) => {
  const errorCode = coordinatorOf(ctx).heartbeat({
    groupId: req.groupId,
    generationId: req.generationId,
    memberId: req.memberId,
    groupInstanceId: ctx.apiVersion >= 3 ? req.groupInstanceId : null,
  });
  return { throttleTimeMs: 0, errorCode };
});
