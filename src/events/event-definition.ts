/**
 * Typed event definitions: a type name, the topic its events go to, a schema that validates their
 * data at both ends (publish and consume), and optional rules for the partition key and subject.
 *
 *   const UserRegistered = defineEvent({
 *     type: 'user.registered', topic: 'users',
 *     schema: z.object({ userId: z.string(), email: z.email() }),
 *     key: (d) => d.userId,
 *   });
 */
import { createEnvelope, type EventEnvelope, type NewEnvelopeInput } from './envelope.js';
import { EventValidationError, EventsConfigError } from './errors.js';
import { formatIssues, validateWith, type SchemaOutput, type StandardSchema } from './schema.js';

export interface EventDefinitionOptions<S extends StandardSchema> {
  /** CloudEvents `type`, e.g. `payment.requested`. */
  type: string;
  /** The topic the events are published to. */
  topic: string;
  /** Validates `data` on publish and on consume (any Standard Schema v1 validator: zod, valibot, …). */
  schema: S;
  /** The partition key of an event from its data (events with one key keep their order). Default: none. */
  key?: (data: SchemaOutput<S>) => string;
  /** The CloudEvents subject from its data. Default: none. */
  subject?: (data: SchemaOutput<S>) => string;
}

export interface CreateEventOptions {
  /** Overrides the definition's key rule. */
  key?: string | null;
  subject?: string | null;
  /** The event being handled: its correlation id carries over, its id becomes the causation id. */
  causedBy?: Pick<EventEnvelope, 'id' | 'correlationId'> | null;
  correlationId?: string;
  id?: string;
  time?: Date | string;
}

export interface EventDefinition<T = unknown> {
  readonly type: string;
  readonly topic: string;
  readonly schema: StandardSchema<unknown, T>;
  /** Validates `data` (throws EventValidationError) and builds an envelope for it. */
  create(source: string, data: T, options?: CreateEventOptions): Promise<EventEnvelope<T>>;
  /** Validates a decoded envelope's data: resolves with the typed envelope or throws EventValidationError. */
  accept(envelope: EventEnvelope<unknown>): Promise<EventEnvelope<T>>;
}

/** The data type of a definition. */
export type EventData<D> = D extends EventDefinition<infer T> ? T : never;

export function defineEvent<S extends StandardSchema>(options: EventDefinitionOptions<S>): EventDefinition<SchemaOutput<S>> {
  type T = SchemaOutput<S>;
  if (options.type.trim() === '') throw new EventsConfigError('defineEvent: type must be non-empty');
  if (options.topic.trim() === '') throw new EventsConfigError(`defineEvent('${options.type}'): topic must be non-empty`);
  const schema = options.schema as StandardSchema<unknown, T>;
  const validate = async (data: unknown): Promise<T> => {
    const result = await validateWith(schema, data);
    if (result.issues !== undefined) throw new EventValidationError(options.type, formatIssues(result.issues));
    return result.value;
  };
  return {
    type: options.type,
    topic: options.topic,
    schema,
    async create(source, data, create = {}) {
      const valid = await validate(data);
      const input: NewEnvelopeInput<T> = {
        type: options.type,
        source,
        data: valid,
        key: create.key !== undefined ? create.key : options.key ? options.key(valid) : null,
        subject: create.subject !== undefined ? create.subject : options.subject ? options.subject(valid) : null,
        causedBy: create.causedBy ?? null,
      };
      if (create.correlationId !== undefined) input.correlationId = create.correlationId;
      if (create.id !== undefined) input.id = create.id;
      if (create.time !== undefined) input.time = create.time;
      return createEnvelope(input);
    },
    async accept(envelope) {
      if (envelope.type !== options.type) throw new EventValidationError(options.type, `type is '${envelope.type}'`);
      return { ...envelope, data: await validate(envelope.data) };
    },
  };
}
