/**
 * Errors of the events toolkit. Broker and transport failures stay `KafkaError`s from the client;
 * these are about events: a record that is not a valid envelope, a payload its schema refuses,
 * and the error a handler throws to skip the retries.
 */

/** A record that is not a CloudEvents binary-mode envelope (a required header missing or malformed). */
export class EnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

/** A payload that its event definition's schema refuses. `issues` is the validator's report, formatted. */
export class EventValidationError extends Error {
  constructor(
    readonly eventType: string,
    readonly issues: string,
  ) {
    super(`invalid '${eventType}' event: ${issues}`);
    this.name = 'EventValidationError';
  }
}

/**
 * Thrown by a handler (or wrapping its cause) for a failure retrying cannot fix: the event goes to
 * the dead-letter topic at once.
 */
export class NonRetriableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetriableError';
  }
}

/** A subscription or bus option that fails validation. */
export class EventsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventsConfigError';
  }
}

/** Errors that go straight to the dead-letter topic, without retries. */
export function isNonRetriable(err: unknown): boolean {
  return err instanceof NonRetriableError || err instanceof EventValidationError || err instanceof EnvelopeError;
}
