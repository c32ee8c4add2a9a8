/**
 * The records a subscription writes when an event fails: to a retry topic (to be handled again
 * after a delay) or to the dead-letter topic. Both keep the event as it was — key, value and every
 * header — and add `tributary-*` headers saying where it came from, why it failed and how many
 * attempts it has had. `readFailureInfo` reads them back (for dead-letter tooling and tests).
 */
import type { ProducerMessage } from '../client/index.js';
import { headerText, type RecordLike } from './envelope.js';

export const FAILURE_HEADERS = {
  reason: 'tributary-dlq-reason',
  error: 'tributary-error',
  errorName: 'tributary-error-name',
  attempts: 'tributary-attempts',
  originalTopic: 'tributary-original-topic',
  originalPartition: 'tributary-original-partition',
  originalOffset: 'tributary-original-offset',
  group: 'tributary-group',
  failedAt: 'tributary-failed-at',
} as const;

/** Why an event was dead-lettered. */
export type DeadLetterReason = 'malformed-envelope' | 'invalid-data' | 'non-retriable' | 'retries-exhausted';

/** Where a consumed record sits (its own coordinates, before any retry topic). */
export interface FailedRecord extends RecordLike {
  topic: string;
  partition: number;
  offset: number;
}

export interface FailureInfo {
  reason: DeadLetterReason | null;
  error: string;
  errorName: string;
  attempts: number;
  originalTopic: string;
  originalPartition: number;
  originalOffset: number;
  group: string;
  failedAt: string;
}

const MAX_ERROR_CHARS = 2000;

/** Attempts already made, from a record that came back through a retry topic (0 for a first delivery). */
export function attemptsOf(record: RecordLike): number {
  const n = Number(headerText(record.headers, FAILURE_HEADERS.attempts) ?? '0');
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/**
 * The record to send to a retry or dead-letter topic. `reason` is null for a retry topic. The
 * original coordinates are those of the first delivery (kept when the record comes from a retry topic).
 */
export function failureRecord(record: FailedRecord, failure: { error: unknown; attempts: number; group: string; reason: DeadLetterReason | null }): ProducerMessage<Buffer | null, Buffer | null> {
  const origin = {
    topic: headerText(record.headers, FAILURE_HEADERS.originalTopic) ?? record.topic,
    partition: headerText(record.headers, FAILURE_HEADERS.originalPartition) ?? String(record.partition),
    offset: headerText(record.headers, FAILURE_HEADERS.originalOffset) ?? String(record.offset),
  };
  const headers: Array<{ key: string; value: Buffer | string }> = [];
  for (const h of record.headers) if (!h.key.startsWith('tributary-') && h.value !== null) headers.push({ key: h.key, value: h.value });
  const err = failure.error instanceof Error ? failure.error : new Error(String(failure.error));
  const put = (key: string, value: string): void => void headers.push({ key, value });
  if (failure.reason !== null) put(FAILURE_HEADERS.reason, failure.reason);
  put(FAILURE_HEADERS.error, err.message.slice(0, MAX_ERROR_CHARS));
  put(FAILURE_HEADERS.errorName, err.name);
  put(FAILURE_HEADERS.attempts, String(failure.attempts));
  put(FAILURE_HEADERS.originalTopic, origin.topic);
  put(FAILURE_HEADERS.originalPartition, origin.partition);
  put(FAILURE_HEADERS.originalOffset, origin.offset);
  put(FAILURE_HEADERS.group, failure.group);
  put(FAILURE_HEADERS.failedAt, new Date().toISOString());
  return { key: record.key, value: record.value, headers };
}

/** The failure headers of a retry or dead-letter record (null when it has none). */
export function readFailureInfo(record: RecordLike): FailureInfo | null {
  const text = (name: string): string | null => headerText(record.headers, name);
  const originalTopic = text(FAILURE_HEADERS.originalTopic);
  if (originalTopic === null) return null;
  return {
    reason: text(FAILURE_HEADERS.reason) as DeadLetterReason | null,
    error: text(FAILURE_HEADERS.error) ?? '',
    errorName: text(FAILURE_HEADERS.errorName) ?? '',
    attempts: attemptsOf(record),
    originalTopic,
    originalPartition: Number(text(FAILURE_HEADERS.originalPartition) ?? '-1'),
    originalOffset: Number(text(FAILURE_HEADERS.originalOffset) ?? '-1'),
    group: text(FAILURE_HEADERS.group) ?? '',
    failedAt: text(FAILURE_HEADERS.failedAt) ?? '',
  };
}
