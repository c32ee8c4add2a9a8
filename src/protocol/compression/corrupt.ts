import { ErrorCode, KafkaError } from '../errors.js';

/**
 * Native codecs throw plain Errors with library-specific messages. Callers (the batch decoder, the
 * produce path) need one thing: "this payload is corrupt", which Kafka reports as CORRUPT_MESSAGE.
 */
export function corrupt(codec: string, cause: unknown): KafkaError {
  if (cause instanceof KafkaError) return cause;
  const detail = cause instanceof Error ? cause.message : String(cause);
  const err = new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${codec}: cannot decompress: ${detail}`);
  (err as Error).cause = cause;
  return err;
}
