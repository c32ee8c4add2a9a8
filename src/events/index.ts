/**
 * tributary/events: typed events on Tributary's client. See README.md (lifecycle, concurrency) and
 * docs/event-driven.md.
 */
export { EventBus, type EventBusOptions, type PublishedEvent } from './event-bus.js';
export { Subscription, type EventHandler, type SubscribeOptions, type DeliveryMode } from './subscription.js';
export { defineEvent, type EventDefinition, type EventDefinitionOptions, type CreateEventOptions, type EventData } from './event-definition.js';
export type { EventContext, EmitOptions } from './event-context.js';
export { derivedEventId } from './event-context.js';
export {
  createEnvelope,
  decodeEnvelope,
  encodeEnvelope,
  newEventId,
  ENVELOPE_HEADERS,
  SPEC_VERSION,
  JSON_CONTENT_TYPE,
  type EventEnvelope,
  type EncodedEvent,
  type NewEnvelopeInput,
  type RecordLike,
} from './envelope.js';
export { EnvelopeError, EventValidationError, NonRetriableError, EventsConfigError } from './errors.js';
export { MemoryDedupeStore, type DedupeStore, type MemoryDedupeStoreOptions } from './dedupe-store.js';
export { CompactedTopicDedupeStore, type CompactedTopicStoreOptions } from './compacted-topic-store.js';
export { FAILURE_HEADERS, readFailureInfo, type DeadLetterReason, type FailureInfo } from './failure-record.js';
export { resolveRetryPolicy, retryDelayMs, decideRetry, retryTopicName, deadLetterTopicName, type RetryOptions, type BackoffOptions, type RetryDecision } from './retry-policy.js';
export { KeyedScheduler } from './key-scheduler.js';
export { OffsetTracker } from './offset-tracker.js';
export type { SubscriptionStats } from './stats.js';
export type { StandardSchema, SchemaOutput, SchemaIssue } from './schema.js';
