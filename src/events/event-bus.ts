/**
 * The entry point: one `EventBus` per service. It owns an idempotent producer for `publish` (and
 * for the subscriptions' emits, retries and dead letters in at-least-once mode) and the
 * subscriptions it starts; `close()` closes the subscriptions (each finishing its in-flight
 * events and committing), then the producer.
 */
import { pino, type Logger } from 'pino';
import { Producer, type ClientOptions, type RecordMetadata } from '../client/index.js';
import { encodeEnvelope, type EventEnvelope } from './envelope.js';
import { EventsConfigError } from './errors.js';
import type { CreateEventOptions, EventData, EventDefinition } from './event-definition.js';
import type { SubscriptionStats } from './stats.js';
import { Subscription, type EventHandler, type SubscribeOptions, type SubscriptionTarget } from './subscription.js';

export interface EventBusOptions extends ClientOptions {
  /** CloudEvents `source` of every event this service publishes, e.g. `/services/billing`. */
  source: string;
  /** Producer tuning for `publish`. Default lingerMs 1 (events are small and latency matters). */
  lingerMs?: number;
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';
}

export interface PublishedEvent<T> {
  envelope: EventEnvelope<T>;
  topic: string;
  partition: number;
  offset: number;
}

export class EventBus {
  readonly source: string;
  private readonly clientOptions: ClientOptions;
  private readonly producer: Producer;
  private readonly logger: Logger;
  private readonly subscriptions = new Set<Subscription>();
  private closed: Promise<void> | null = null;

  constructor(options: EventBusOptions) {
    if (!options.source || options.source.trim() === '') throw new EventsConfigError('EventBus: options.source is required (a URI reference naming this service)');
    const { source, lingerMs, compression, ...clientOptions } = options;
    this.source = source;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.clientOptions = { ...clientOptions, logger: this.logger };
    this.producer = new Producer({ ...this.clientOptions, lingerMs: lingerMs ?? 1, ...(compression && { compression }) });
  }

  /**
   * Validates `data`, wraps it in an envelope (key from the definition unless given) and sends it;
   * resolves once the broker acknowledged it (acks=all, idempotent).
   */
  async publish<T>(definition: EventDefinition<T>, data: T, options: CreateEventOptions = {}): Promise<PublishedEvent<T>> {
    this.ensureOpen();
    const envelope = await definition.create(this.source, data, options);
    const [meta] = await this.publishEnvelope(definition.topic, envelope);
    return { envelope, topic: meta!.topic, partition: meta!.partition, offset: meta!.offset };
  }

  /** Sends an envelope as it is (no validation): for relays and tools. */
  publishEnvelope(topic: string, envelope: EventEnvelope): Promise<RecordMetadata[]> {
    this.ensureOpen();
    return this.producer.send({ topic, messages: [encodeEnvelope(envelope)] });
  }

  /** Handles events of one definition (validated; other types on its topic are skipped). */
  subscribe<T>(definition: EventDefinition<T>, handler: EventHandler<T>, options: SubscribeOptions): Promise<Subscription>;
  /** Handles events of several definitions (their topics; the handler tells them apart by `event.type`). */
  subscribe<const Ds extends readonly EventDefinition<unknown>[]>(definitions: Ds, handler: EventHandler<EventData<Ds[number]>>, options: SubscribeOptions): Promise<Subscription>;
  /** Handles every event on a topic (or topics), unvalidated. */
  subscribe(topics: string | readonly string[], handler: EventHandler<unknown>, options: SubscribeOptions): Promise<Subscription>;
  async subscribe(
    what: EventDefinition<unknown> | readonly EventDefinition<unknown>[] | string | readonly string[],
    handler: EventHandler<never>,
    options: SubscribeOptions,
  ): Promise<Subscription> {
    this.ensureOpen();
    const subscription = new Subscription(
      { clientOptions: this.clientOptions, source: this.source, producer: this.producer, logger: this.logger },
      targetOf(what),
      handler as EventHandler<unknown>,
      options,
    );
    this.subscriptions.add(subscription);
    try {
      await subscription.start();
    } catch (err) {
      this.subscriptions.delete(subscription);
      await subscription.close();
      throw err;
    }
    return subscription;
  }

  /** Every subscription's counters. */
  stats(): SubscriptionStats[] {
    return [...this.subscriptions].map((s) => s.stats());
  }

  /** Closes every subscription (in-flight events finish, offsets are committed), then the producer. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await Promise.all([...this.subscriptions].map((s) => s.close()));
      await this.producer.close();
    })();
    return this.closed;
  }

  private ensureOpen(): void {
    if (this.closed) throw new EventsConfigError('EventBus is closed');
  }
}

function targetOf(what: EventDefinition<unknown> | readonly EventDefinition<unknown>[] | string | readonly string[]): SubscriptionTarget {
  if (typeof what === 'string') return { topics: [what], definitions: null };
  const list = Array.isArray(what) ? (what as ReadonlyArray<EventDefinition<unknown> | string>) : [what as EventDefinition<unknown>];
  if (list.length === 0) throw new EventsConfigError('subscribe: nothing to subscribe to');
  if (list.every((x): x is string => typeof x === 'string')) return { topics: [...new Set(list)], definitions: null };
  const definitions = new Map<string, EventDefinition<unknown>>();
  for (const d of list) {
    if (typeof d === 'string') throw new EventsConfigError('subscribe: pass event definitions or topic names, not both');
    if (definitions.has(d.type)) throw new EventsConfigError(`subscribe: event type '${d.type}' given twice`);
    definitions.set(d.type, d);
  }
  return { topics: [...new Set([...definitions.values()].map((d) => d.topic))], definitions };
}
