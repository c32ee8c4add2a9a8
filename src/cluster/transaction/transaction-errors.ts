/**
 * How the coordinator's errors reach clients: storage errors of a `__transaction_state` append
 * become coordinator errors (Kafka's TransactionStateManager.appendTransactionToLog), and
 * PRODUCER_FENCED is answered as INVALID_PRODUCER_EPOCH to clients too old to know it (KIP-588,
 * as KafkaApis does per API version).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';

/** The coordinator error for a failed append to `__transaction_state`. */
export function coordinatorErrorForAppendFailure(err: unknown): KafkaError {
  const code = err instanceof KafkaError ? err.code : ErrorCode.UNKNOWN_SERVER_ERROR;
  const why = err instanceof Error ? err.message : String(err);
  switch (code) {
    case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
    case ErrorCode.NOT_ENOUGH_REPLICAS:
    case ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    // A timed-out append may still become durable; the client retries and finds out.
    case ErrorCode.REQUEST_TIMED_OUT:
      return new KafkaError(ErrorCode.COORDINATOR_NOT_AVAILABLE, `__transaction_state append failed: ${why}`);
    case ErrorCode.NOT_LEADER_OR_FOLLOWER:
    case ErrorCode.KAFKA_STORAGE_ERROR:
      return new KafkaError(ErrorCode.NOT_COORDINATOR, `__transaction_state append failed: ${why}`);
    case ErrorCode.MESSAGE_TOO_LARGE:
    case ErrorCode.RECORD_LIST_TOO_LARGE:
      return new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `__transaction_state append failed: ${why}`);
    default:
      return err instanceof KafkaError ? err : new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `__transaction_state append failed: ${why}`);
  }
}

/** TxnOffsetCommit is answered by the group coordinator; KafkaApis applies no such mapping to it. */
export type TransactionApi = 'InitProducerId' | 'AddPartitionsToTxn' | 'AddOffsetsToTxn' | 'EndTxn';

/** The first version of each API whose clients understand PRODUCER_FENCED (KafkaApis). */
const PRODUCER_FENCED_SINCE: Readonly<Record<TransactionApi, number>> = {
  InitProducerId: 4,
  AddPartitionsToTxn: 2,
  AddOffsetsToTxn: 2,
  EndTxn: 2,
};

/** The code to put in a response of `api` at `version`. */
export function errorCodeForVersion(api: TransactionApi, version: number, code: ErrorCode): ErrorCode {
  if (code === ErrorCode.PRODUCER_FENCED && version < PRODUCER_FENCED_SINCE[api]) return ErrorCode.INVALID_PRODUCER_EPOCH;
  return code;
}
