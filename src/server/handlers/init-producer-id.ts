import { InitProducerIdApi } from '../../protocol/messages/index.js';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../protocol/messages/init-producer-id.js';
import { ErrorCode } from '../../protocol/errors.js';
import { errorOf, register, type Reply } from '../request-context.js';

/**
 * InitProducerId for idempotent producers (transactionalId null): as Kafka's TransactionCoordinator, always a
 * fresh producer id with epoch 0 — also when the request names the producer's current id and epoch (a
 * KIP-360 reset after OUT_OF_ORDER_SEQUENCE_NUMBER: the new id starts its sequences at 0 everywhere).
 * Transactional ids need the transaction coordinator, which this broker does not run yet: they are answered
 * NOT_COORDINATOR, as FindCoordinator answers COORDINATOR_NOT_AVAILABLE for them.
 */
export const initProducerIdHandler = register<InitProducerIdRequest, Reply<InitProducerIdResponse>>(InitProducerIdApi, 0, 5, async (req, ctx) => {
  if (req.transactionalId !== null) return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_COORDINATOR, producerId: -1, producerEpoch: -1 };
  try {
    const producerId = await ctx.services.producerIds.generate();
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: errorOf(err).errorCode, producerId: -1, producerEpoch: -1 };
  }
});
