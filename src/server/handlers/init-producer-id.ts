import { InitProducerIdApi } from '../../protocol/messages/index.js';
import type { InitProducerIdRequest, InitProducerIdResponse } from '../../protocol/messages/init-producer-id.js';
import { ErrorCode } from '../../protocol/errors.js';
import { errorCodeForVersion } from '../../cluster/transaction/transaction-errors.js';
import { errorOf, register, type Reply } from '../request-context.js';

/**
 * InitProducerId. Idempotent producers (transactionalId null): as Kafka's TransactionCoordinator, always a
 * fresh producer id with epoch 0 — also when the request names the producer's current id and epoch (a
 * KIP-360 reset after OUT_OF_ORDER_SEQUENCE_NUMBER: the new id starts its sequences at 0 everywhere).
 * Transactional producers: the transaction coordinator of the id (this broker must lead its
 * `__transaction_state` partition) creates it or bumps its epoch, aborting a transaction left open.
 */
export const initProducerIdHandler = register<InitProducerIdRequest, Reply<InitProducerIdResponse>>(InitProducerIdApi, 0, 5, async (req, ctx) => {
  try {
    if (req.transactionalId === null) {
      const producerId = await ctx.services.producerIds.generate();
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
    }
    const expected = ctx.apiVersion >= 3 && Number(req.producerId) >= 0 ? { producerId: Number(req.producerId), producerEpoch: req.producerEpoch } : undefined;
    const r = await ctx.services.transactions.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: r.producerId, producerEpoch: r.producerEpoch };
  } catch (err) {
    return { throttleTimeMs: 0, errorCode: errorCodeForVersion('InitProducerId', ctx.apiVersion, errorOf(err).errorCode as ErrorCode), producerId: -1, producerEpoch: -1 };
  }
});
