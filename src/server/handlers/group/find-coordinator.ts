/**
 * FindCoordinator v0-6. A group's coordinator is the leader of its `__consumer_offsets` partition
 * (`abs(hashCode(groupId)) % partitions`); the topic is created on the first lookup, as Kafka does.
 * Transactions are not implemented yet, so a
 * transactional id has no coordinator (COORDINATOR_NOT_AVAILABLE, which clients retry). v4+
 * batches several keys of one type.
 */
import { FindCoordinatorApi } from '../../../protocol/messages/index.js';
import type { Coordinator, FindCoordinatorRequest, FindCoordinatorResponse } from '../../../protocol/messages/find-coordinator.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC } from '../../../cluster/internal-topics.js';
import { register, type Reply, type RequestContext } from '../../request-context.js';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

async function lookup(key: string, keyType: number, ctx: RequestContext): Promise<Coordinator> {
  const none = (errorCode: ErrorCode, errorMessage: string): Coordinator => ({ key, nodeId: -1, host: '', port: -1, errorCode, errorMessage });
  switch (keyType) {
    case KEY_TYPE_GROUP: {
      const { groupLog } = ctx.services;
      try {
        await groupLog.ensureTopic();
      } catch (err) {
        ctx.logger.warn({ err: String(err) }, 'cannot create __consumer_offsets');
        return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
      }
      // The coordinator is the leader of the group's partition, wherever it is; none while it has no leader.
      const leaderId = ctx.services.cluster.partition(OFFSETS_TOPIC, groupLog.partitionFor(key))?.leaderId ?? -1;
      const broker = leaderId === -1 ? undefined : ctx.services.cluster.broker(leaderId);
      if (!broker) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
      return { key, nodeId: broker.nodeId, host: broker.host, port: broker.port, errorCode: ErrorCode.NONE, errorMessage: null };
    }
    case KEY_TYPE_TRANSACTION: {
      const { transactionLog, transactions } = ctx.services;
      try {
        await transactionLog.ensureTopic();
      } catch (err) {
        ctx.logger.warn({ err: String(err) }, 'cannot create __transaction_state');
        return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
      }
      // The coordinator is the leader of the id's __transaction_state partition, wherever it is.
      const leaderId = ctx.services.cluster.partition(TRANSACTION_STATE_TOPIC, transactions.partitionFor(key))?.leaderId ?? -1;
      const broker = leaderId === -1 ? undefined : ctx.services.cluster.broker(leaderId);
      if (!broker) return none(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator is not available.');
      return { key, nodeId: broker.nodeId, host: broker.host, port: broker.port, errorCode: ErrorCode.NONE, errorMessage: null };
    }
    default:
      return none(ErrorCode.INVALID_REQUEST, `Unknown coordinator key type ${keyType}`);
  }
}

export const findCoordinatorHandler = register<FindCoordinatorRequest, Reply<FindCoordinatorResponse>>(FindCoordinatorApi, 0, 6, async (req, ctx) => {
  const keyType = ctx.apiVersion >= 1 ? req.keyType : KEY_TYPE_GROUP;
  if (ctx.apiVersion >= 4) {
    return { throttleTimeMs: 0, coordinators: await Promise.all(req.coordinatorKeys.map((key) => lookup(key, keyType, ctx))) };
  }
  const c = await lookup(req.key, keyType, ctx);
  return { throttleTimeMs: 0, errorCode: c.errorCode, errorMessage: c.errorMessage, nodeId: c.nodeId, host: c.host, port: c.port };
});
