/**
 * What a handler gets besides its event: where the event was read, which attempt this is, and
 * `emit` for the events its handling causes. Emitted events carry the handled event's correlation
 * id, its id as causation id, and an id derived from (handled event id, group, n-th emit), so an
 * event handled twice (a retry, a redelivery after a crash) emits the same ids and downstream
 * dedupe recognises the repeats.
 *
 * Where emitted records go is the subscription's `EventSink`: straight to the producer
 * (at-least-once, awaited before the event counts as finished) or into the batch's transaction
 * (exactly-once).
 */
import { createHash } from 'node:crypto';
import type { ConsumerHeader, ProducerMessage } from '../client/index.js';
import { encodeEnvelope, type EventEnvelope } from './envelope.js';
import type { CreateEventOptions, EventDefinition } from './event-definition.js';

export type OutgoingRecord = ProducerMessage<Buffer | null, Buffer | null>;

/** Where a subscription's outgoing records (emits, retries, dead letters) go. */
export interface EventSink {
  send(topic: string, record: OutgoingRecord): Promise<void>;
}

export type EmitOptions = Omit<CreateEventOptions, 'causedBy' | 'id'>;

export interface EventContext {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** 1 on the first call for this event, counting the attempts of earlier stages (retry topics). */
  readonly attempt: number;
  readonly group: string;
  /** The record's headers (copies). */
  readonly headers: readonly ConsumerHeader[];
  /** Publishes an event caused by this one (validated by its definition). */
  emit<T>(definition: EventDefinition<T>, data: T, options?: EmitOptions): Promise<EventEnvelope<T>>;
}

export class HandlerContext implements EventContext {
  private emitted = 0;
  private readonly sends: Array<Promise<void>> = [];

  constructor(
    private readonly event: EventEnvelope,
    readonly topic: string,
    readonly partition: number,
    readonly offset: number,
    readonly attempt: number,
    readonly group: string,
    readonly headers: readonly ConsumerHeader[],
    private readonly source: string,
    private readonly sink: EventSink,
  ) {}

  async emit<T>(definition: EventDefinition<T>, data: T, options: EmitOptions = {}): Promise<EventEnvelope<T>> {
    const id = derivedEventId(this.event.id, this.group, this.emitted++);
    const envelope = await definition.create(this.source, data, { ...options, id, causedBy: this.event });
    const send = this.sink.send(definition.topic, encodeEnvelope(envelope));
    this.sends.push(send);
    await send;
    return envelope;
  }

  /** Waits for every emit of this call (a handler that did not await its emits). */
  async settled(): Promise<void> {
    if (this.sends.length > 0) await Promise.all(this.sends);
  }
}

/** A UUID-shaped id from the parent event id, the group and the emit's index: the same on every redelivery. */
export function derivedEventId(parentId: string, group: string, index: number): string {
  const h = createHash('sha256').update(`${parentId}\u0000${group}\u0000${index}`).digest('hex');
  // Version 8 (custom) UUID layout: xxxxxxxx-xxxx-8xxx-yxxx-xxxxxxxxxxxx
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
