/**
 * The event envelope and its codec: CloudEvents 1.0 in the Kafka protocol binding's binary mode.
 * Attributes travel as `ce_`-prefixed headers (UTF-8), the content type as `content-type`, the data
 * as the record value (JSON) and the partition key as the record key. Correlation and causation
 * ids are the extension attributes `correlationid` and `causationid`.
 */
import { randomUUID } from 'node:crypto';
import { EnvelopeError } from './errors.js';

export const SPEC_VERSION = '1.0';
export const JSON_CONTENT_TYPE = 'application/json';

export interface EventEnvelope<T = unknown> {
  /** Unique per event (`ce_id`); the dedupe key. */
  readonly id: string;
  /** What happened, e.g. `user.registered` (`ce_type`). */
  readonly type: string;
  /** Who says so, a URI reference such as `/services/accounts` (`ce_source`). */
  readonly source: string;
  readonly specversion: typeof SPEC_VERSION;
  /** When it happened, RFC 3339 (`ce_time`). */
  readonly time: string;
  /** What it is about within the source, e.g. a user id (`ce_subject`). */
  readonly subject: string | null;
  /** Media type of `data` (`content-type`); JSON. */
  readonly datacontenttype: string;
  /** The conversation this event belongs to: the first event's id, carried along by every event it causes. */
  readonly correlationId: string;
  /** The id of the event whose handling emitted this one; null for a first event. */
  readonly causationId: string | null;
  /** Partition key (the record key): events with the same key keep their order. */
  readonly key: string | null;
  readonly data: T;
}

/** A record as the producer sends it. */
export interface EncodedEvent {
  key: Buffer | null;
  value: Buffer;
  headers: Array<{ key: string; value: Buffer }>;
}

/** The parts of a consumed record the codec reads. */
export interface RecordLike {
  key: Buffer | null;
  value: Buffer | null;
  headers: ReadonlyArray<{ key: string; value: Buffer | null }>;
}

const HEADER = {
  id: 'ce_id',
  type: 'ce_type',
  source: 'ce_source',
  specversion: 'ce_specversion',
  time: 'ce_time',
  subject: 'ce_subject',
  contentType: 'content-type',
  correlationId: 'ce_correlationid',
  causationId: 'ce_causationid',
} as const;

/** Header names the envelope owns (copied by retries and dead letters unchanged). */
export const ENVELOPE_HEADERS: ReadonlySet<string> = new Set(Object.values(HEADER));

export interface NewEnvelopeInput<T> {
  type: string;
  source: string;
  data: T;
  id?: string;
  time?: Date | string;
  subject?: string | null;
  key?: string | null;
  /** The event being handled when this one is emitted: its correlation id carries over and its id becomes the causation id. */
  causedBy?: Pick<EventEnvelope, 'id' | 'correlationId'> | null;
  correlationId?: string;
}

export function newEventId(): string {
  return randomUUID();
}

/** Builds an envelope with a fresh id and the current time unless given. */
export function createEnvelope<T>(input: NewEnvelopeInput<T>): EventEnvelope<T> {
  if (input.type === '') throw new EnvelopeError('an event needs a non-empty type');
  if (input.source === '') throw new EnvelopeError('an event needs a non-empty source');
  const id = input.id ?? newEventId();
  const time = input.time === undefined ? new Date().toISOString() : typeof input.time === 'string' ? input.time : input.time.toISOString();
  return {
    id,
    type: input.type,
    source: input.source,
    specversion: SPEC_VERSION,
    time,
    subject: input.subject ?? null,
    datacontenttype: JSON_CONTENT_TYPE,
    correlationId: input.causedBy?.correlationId ?? input.correlationId ?? id,
    causationId: input.causedBy?.id ?? null,
    key: input.key ?? null,
    data: input.data,
  };
}

export function encodeEnvelope(envelope: EventEnvelope): EncodedEvent {
  const headers: Array<{ key: string; value: Buffer }> = [];
  const put = (key: string, value: string | null): void => {
    if (value !== null) headers.push({ key, value: Buffer.from(value, 'utf8') });
  };
  put(HEADER.specversion, envelope.specversion);
  put(HEADER.id, envelope.id);
  put(HEADER.type, envelope.type);
  put(HEADER.source, envelope.source);
  put(HEADER.time, envelope.time);
  put(HEADER.subject, envelope.subject);
  put(HEADER.contentType, envelope.datacontenttype);
  put(HEADER.correlationId, envelope.correlationId);
  put(HEADER.causationId, envelope.causationId);
  const json = JSON.stringify(envelope.data);
  if (json === undefined) throw new EnvelopeError(`event '${envelope.type}' has data JSON cannot represent`);
  return { key: envelope.key === null ? null : Buffer.from(envelope.key, 'utf8'), value: Buffer.from(json, 'utf8'), headers };
}

/** The last value of a header (as UTF-8), or null. */
export function headerText(headers: RecordLike['headers'], name: string): string | null {
  for (let i = headers.length - 1; i >= 0; i--) {
    const h = headers[i]!;
    if (h.key === name) return h.value === null ? null : h.value.toString('utf8');
  }
  return null;
}

/** Reads a binary-mode CloudEvent; throws EnvelopeError for anything that is not one. The data is parsed, not validated. */
export function decodeEnvelope(record: RecordLike): EventEnvelope<unknown> {
  // One pass over the headers; a repeated name: the last one wins.
  const found = new Map<string, string | null>();
  for (const h of record.headers) if (ENVELOPE_HEADERS.has(h.key)) found.set(h.key, h.value === null ? null : h.value.toString('utf8'));
  const optional = (name: string): string | null => found.get(name) ?? null;
  const required = (name: string): string => {
    const v = found.get(name);
    if (v === undefined || v === null || v === '') throw new EnvelopeError(`missing header '${name}'`);
    return v;
  };
  const specversion = required(HEADER.specversion);
  if (specversion !== SPEC_VERSION) throw new EnvelopeError(`unsupported CloudEvents specversion '${specversion}' (expected ${SPEC_VERSION})`);
  const id = required(HEADER.id);
  const type = required(HEADER.type);
  const source = required(HEADER.source);
  const time = optional(HEADER.time) ?? '';
  if (time !== '' && Number.isNaN(Date.parse(time))) throw new EnvelopeError(`header '${HEADER.time}' is not an RFC 3339 time: '${time}'`);
  const contentType = optional(HEADER.contentType) ?? JSON_CONTENT_TYPE;
  if (contentType !== JSON_CONTENT_TYPE && !isJsonContentType(contentType)) throw new EnvelopeError(`unsupported content type '${contentType}' (JSON only)`);
  if (record.value === null) throw new EnvelopeError(`event ${id} has no data (null value)`);
  let data: unknown;
  try {
    data = JSON.parse(record.value.toString('utf8'));
  } catch (err) {
    throw new EnvelopeError(`event ${id} data is not JSON: ${(err as Error).message}`);
  }
  return {
    id,
    type,
    source,
    specversion: SPEC_VERSION,
    time,
    subject: optional(HEADER.subject),
    datacontenttype: contentType,
    correlationId: optional(HEADER.correlationId) ?? id,
    causationId: optional(HEADER.causationId),
    key: record.key === null ? null : record.key.toString('utf8'),
    data,
  };
}

function isJsonContentType(contentType: string): boolean {
  const media = contentType.split(';')[0]!.trim().toLowerCase();
  return media === JSON_CONTENT_TYPE || media.endsWith('+json');
}
