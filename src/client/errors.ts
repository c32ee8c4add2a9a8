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
