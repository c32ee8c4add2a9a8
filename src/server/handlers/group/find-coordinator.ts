/**
 * FindCoordinator v0-6. This single broker coordinates every group. Transactions are not
 * implemented yet, so a transactional id has no coordinator (COORDINATOR_NOT_AVAILABLE, which
 * clients retry). v4+ batches several keys of one type.
 */
import { FindCoordinatorApi } from '../../../protocol/messages/index.js';
import type { Coordinator, FindCoordinatorRequest, FindCoordinatorResponse } from '../../../protocol/messages/find-coordinator.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { register, type Reply, type RequestContext } from '../../request-context.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

function lookup(key: string, keyType: number, ctx: RequestContext): Coordinator {
  const { nodeId, host, port } = ctx.services.identity;
  const none = (errorCode: ErrorCode, errorMessage: string): Coordinator => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  switch (keyType) {
    case KEY_TYPE_GROUP:
      return { key, nodeId, host, port, errorCode: ErrorCode.NONE, errorMessage: null };
    case KEY_TYPE_TRANSACTION:
      return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'Transactions are not supported by this broker yet');
    default:
      return none(ErrorCode.INVALID_REQUEST, `Unknown coordinator key type ${keyType}`);
  }
}

export const findCoordinatorHandler = register<FindCoordinatorRequest, Reply<FindCoordinatorResponse>>(FindCoordinatorApi, 0, 6, (req, ctx) => {
  const keyType = ctx.apiVersion >= 1 ? req.keyType : KEY_TYPE_GROUP;
  if (ctx.apiVersion >= 4) {
    return { throttleTimeMs: 0, coordinators: req.coordinatorKeys.map((key) => lookup(key, keyType, ctx)) };
  }
  const c = lookup(req.key, keyType, ctx);
  return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port };
});
