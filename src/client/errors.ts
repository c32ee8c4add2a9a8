/**
 * Errors the client raises. Broker error codes surface as `KafkaError` (with `code` and
 * `retriable`); transport failures map onto Kafka's own codes so callers can treat both alike:
 * a dropped connection is NETWORK_EXCEPTION, a request that outlived its timeout is
 * REQUEST_TIMED_OUT, an API the broker does not advertise is UNSUPPORTED_VERSION.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';

export { ErrorCode, KafkaError, isRetriable } from '../protocol/errors.js';

/** An option the client reserves but does not implement yet (TLS, SASL). Thrown by constructors. */
export class UnsupportedFeatureError extends Error {
  constructor(readonly feature: string, detail: string) {
    super(`${feature} is not supported yet: ${detail}`);
    this.name = 'UnsupportedFeatureError';
  }
}

/** Options that fail validation (a bad number, an unknown compression name, ...). */
export class ClientConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientConfigError';
  }
}

/**
 * The producer cannot go on (TRANSACTIONAL_ID_AUTHORIZATION_FAILED, UNSUPPORTED_VERSION for
 * InitProducerId, ...): every later send and transaction call rejects with this error. Close the
 * producer; a new one with the same transactionalId takes over.
 */
export class ProducerFatalError extends KafkaError {
  constructor(code: ErrorCode, message: string, cause?: unknown) {
    super(code, message);
    this.name = 'ProducerFatalError';
    if (cause !== undefined) this.cause = cause;
  }
}

/**
 * PRODUCER_FENCED or INVALID_PRODUCER_EPOCH for a transactional producer: another producer with the
 * same transactionalId started (InitProducerId bumped the epoch), or the coordinator aborted the
 * open transaction after transactionTimeoutMs (which bumps the epoch too). Fatal, as in Kafka.
 */
export class ProducerFencedError extends ProducerFatalError {
  constructor(code: ErrorCode, message: string, cause?: unknown) {
    super(code, message, cause);
    this.name = 'ProducerFencedError';
  }
}

/**
 * The open transaction can no longer commit (a send failed, an offset commit was refused, ...):
 * `commit()` rejects with this, `abort()` works and the producer goes on. Its code is
 * TRANSACTION_ABORTABLE (not retriable: retrying the commit cannot help); `cause` is the failure.
 */
export class TransactionAbortableError extends KafkaError {
  constructor(message: string, cause?: unknown) {
    super(ErrorCode.TRANSACTION_ABORTABLE, message);
    this.name = 'TransactionAbortableError';
    if (cause !== undefined) this.cause = cause;
  }
}

/**
 * A transaction call in the wrong state (INVALID_TXN_STATE): a second transaction while one is
 * open, a send without a transaction, a handle used after its commit or abort, or records dropped
 * because their transaction was aborted before they were sent.
 */
export class TransactionStateError extends KafkaError {
  constructor(message: string) {
    super(ErrorCode.INVALID_TXN_STATE, message);
    this.name = 'TransactionStateError';
  }
}

/** A KafkaError for a non-zero error code found in a response, with context in the message. */
export function responseError(code: number, context: string, brokerMessage?: string | null): KafkaError {
  const name = ErrorCode[code] ?? `error ${code}`;
  const detail = brokerMessage ? `: ${brokerMessage}` : '';
  return new KafkaError(code as ErrorCode, `${context}: ${name}${detail}`);
}

/** Throws `responseError` when `code` is not NONE. */
export function throwIfError(code: number, context: string, brokerMessage?: string | null): void {
  if (code !== ErrorCode.NONE) throw responseError(code, context, brokerMessage);
}

export function networkError(message: string, cause?: unknown): KafkaError {
  const err = new KafkaError(ErrorCode.NETWORK_EXCEPTION, message);
  if (cause !== undefined) (err as Error & { cause?: unknown }).cause = cause;
  return err;
}

export function timeoutError(message: string): KafkaError {
  return new KafkaError(ErrorCode.REQUEST_TIMED_OUT, message);
}

/** True for errors worth retrying: retriable Kafka codes and transport failures. */
export function isRetriableError(err: unknown): boolean {
  return err instanceof KafkaError && err.retriable;
}
