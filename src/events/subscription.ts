/**
 * One subscription: a consumer group member that reads its topics (and its retry topics), runs the
 * handler for every event on a `KeyedScheduler` (different keys in parallel, one key in order),
 * retries, dead-letters and dedupes, and commits.
 *
 * At-least-once (default): offsets are committed every `commitIntervalMs`, on revocation and on
 * close, each only up to the lowest event of its partition not finished (`OffsetTracker`).
 * Exactly-once: each fetched batch is handled, then its emits, retry and dead-letter records and
 * its offsets go in one transaction; an aborted transaction rewinds the partition to the batch.
 *
 * See README.md for the lifecycle and concurrency rules.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  Admin,
  Consumer,
  Producer,
  ProducerFatalError,
  type ClientOptions,
  type ConsumerBatch,
  type ConsumerOptions,
  type ConsumerRecord,
  type TopicPartition,
} from '../client/index.js';
import { type DedupeStore } from './dedupe-store.js';
import { decodeEnvelope, type EventEnvelope } from './envelope.js';
import { EventsConfigError, isNonRetriable } from './errors.js';
import { HandlerContext, type EventContext, type EventSink, type OutgoingRecord } from './event-context.js';
import type { EventDefinition } from './event-definition.js';
import { attemptsOf, failureRecord, type DeadLetterReason, type FailedRecord } from './failure-record.js';
import { KeyedScheduler } from './key-scheduler.js';
import { OffsetTracker } from './offset-tracker.js';
import { deadLetterTopicName, decideRetry, resolveRetryPolicy, retryTopicName, type ResolvedRetryPolicy, type RetryOptions } from './retry-policy.js';
import { emptyCounters, type SubscriptionStats } from './stats.js';

export type EventHandler<T> = (event: EventEnvelope<T>, context: EventContext) => void | Promise<void>;

export type DeliveryMode = 'at-least-once' | 'exactly-once';

export interface SubscribeOptions extends RetryOptions {
  /** The consumer group: members of one group share the partitions; each group gets every event. */
  group: string;
  /** Handler calls running at once (different keys; one key is always handled in order). Default 1. */
  concurrency?: number;
  /** Events read and not finished before reading pauses. Default 1000. */
  maxInFlight?: number;
  /** Where events that cannot be handled go. Default `<group>.dlq`. */
  deadLetterTopic?: string;
  /** Skips events whose id this store has seen for the group. Default: none. */
  dedupe?: DedupeStore;
  /** A new group starts at the earliest event (true) or only sees new ones. Default true. */
  fromBeginning?: boolean;
  /** At-least-once: how often finished offsets are committed. Default 1000. */
  commitIntervalMs?: number;
  /** On revocation and close: how long running handlers may take to finish their call. Default 30000. */
  drainTimeoutMs?: number;
  /** Default 'at-least-once'. 'exactly-once' needs a broker with transactions. */
  delivery?: DeliveryMode;
  /** Exactly-once: the producer's transactional id. Default `<group>-<random uuid>`. */
  transactionalId?: string;
  /** Anything else for the group's consumer (session timeout, heartbeat, fetch sizes …). */
  consumer?: Partial<Pick<ConsumerOptions, 'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'maxPollIntervalMs' | 'fetchMaxWaitMs' | 'fetchMaxBytes' | 'maxPartitionFetchBytes' | 'groupInstanceId' | 'assignors'>>;
}

/** What a subscription needs from its bus. */
export interface SubscriptionHost {
  clientOptions: ClientOptions;
  source: string;
  producer: Producer;
  logger: Logger;
}

/** The events a subscription accepts: by definition (validated, other types skipped) or everything on topics. */
export interface SubscriptionTarget {
  topics: string[];
  definitions: Map<string, EventDefinition<unknown>> | null;
}

/** A copy of what the subscription keeps of a record while it is handled. */
interface HeldRecord extends FailedRecord {
  timestamp: number;
  headers: Array<{ key: string; value: Buffer | null }>;
}

/** A partition's tenure at this member: aborted when it is revoked or lost, so waiting work gives up. */
interface Lease {
  readonly controller: AbortController;
  /** Its events scheduled and not settled. */
  readonly pending: Set<Promise<void>>;
}

class Abandoned extends Error {
  constructor() {
    super('event abandoned: its partition was revoked or the subscription is closing');
    this.name = 'Abandoned';
  }
}

export class Subscription {
  readonly group: string;
  private readonly consumer: Consumer;
  private readonly scheduler: KeyedScheduler;
  private readonly tracker = new OffsetTracker();
  private readonly policy: ResolvedRetryPolicy;
  private readonly counters = emptyCounters();
  private readonly leases = new Map<string, Lease>();
  private readonly retryStages: Map<string, number>;
  private readonly deadLetterTopic: string;
  private readonly delivery: DeliveryMode;
  private readonly txProducer: Producer | null;
  private readonly log: Logger;
  private readonly maxInFlight: number;
  private readonly drainTimeoutMs: number;
  private commitTimer: NodeJS.Timeout | null = null;
  private committing: Promise<void> = Promise.resolve();
  private loop: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private failure: Error | null = null;
  private assignedOnce: Promise<void>;
  private markAssigned: () => void = () => {};

  constructor(
    private readonly host: SubscriptionHost,
    private readonly target: SubscriptionTarget,
    private readonly handler: EventHandler<unknown>,
    private readonly options: SubscribeOptions,
  ) {
    if (!options.group || options.group.trim() === '') throw new EventsConfigError('subscribe: options.group is required');
    this.group = options.group;
    this.policy = resolveRetryPolicy(options);
    this.scheduler = new KeyedScheduler(options.concurrency ?? 1);
    this.maxInFlight = options.maxInFlight ?? 1000;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1) throw new EventsConfigError(`maxInFlight must be an integer >= 1, got ${this.maxInFlight}`);
    this.delivery = options.delivery ?? 'at-least-once';
    if (this.delivery === 'exactly-once' && options.dedupe) {
      throw new EventsConfigError('exactly-once delivery takes no dedupe store: outputs and offsets commit together, and an aborted batch must be handled again');
    }
    this.deadLetterTopic = options.deadLetterTopic ?? deadLetterTopicName(this.group);
    this.retryStages = new Map(this.policy.retryTopicDelaysMs.map((_, i) => [retryTopicName(this.group, i + 1), i + 1]));
    this.log = host.logger.child({ component: 'events', group: this.group });
    this.consumer = new Consumer({
      ...host.clientOptions,
      ...options.consumer,
      groupId: this.group,
      enableAutoCommit: false,
      isolationLevel: 'read_committed',
      autoOffsetReset: options.fromBeginning === false ? 'latest' : 'earliest',
    });
    this.txProducer =
      this.delivery === 'exactly-once' ? new Producer({ ...host.clientOptions, transactionalId: options.transactionalId ?? `${this.group}-${randomUUID()}` }) : null;
    this.assignedOnce = new Promise((resolve) => (this.markAssigned = resolve));
  }

  /** Joins the group and starts reading (resolves once subscribed, not once assigned). */
  async start(): Promise<void> {
    if (this.loop) return;
    await this.ensureTopics();
    await this.options.dedupe?.sync?.();
    if (this.txProducer) await this.txProducer.initTransactions();
    this.consumer.subscribe([...this.target.topics, ...this.retryStages.keys()], {
      onPartitionsAssigned: async (tps) => {
        for (const tp of tps) this.leases.set(keyOf(tp), newLease());
        await this.options.dedupe?.sync?.();
        this.markAssigned();
      },
      onPartitionsRevoked: (tps) => this.release(tps, true),
      onPartitionsLost: (tps) => this.release(tps, false),
    });
    if (this.delivery === 'at-least-once') {
      const intervalMs = this.options.commitIntervalMs ?? 1000;
      this.commitTimer = setInterval(() => void this.commitFinished(), intervalMs);
      this.commitTimer.unref();
    }
    this.loop = this.read().catch((err: unknown) => {
      this.failure ??= err as Error;
      this.log.error({ err: (err as Error).message }, 'subscription stopped');
      void this.consumer.close();
    });
  }

  /** Resolves once this member has been assigned partitions for the first time. */
  async waitForAssignment(timeoutMs = 30_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`group '${this.group}': no assignment within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.assignedOnce, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The error that stopped the subscription (a dead-letter write that failed, a fenced producer …), or null. */
  get error(): Error | null {
    return this.failure;
  }

  stats(): SubscriptionStats {
    let lag = 0;
    for (const tp of this.consumer.assignment()) {
      const hw = this.consumer.highWatermark(tp);
      if (hw < 0) continue;
      const from = this.tracker.committable(tp) ?? this.consumer.position(tp) ?? hw;
      lag += Math.max(0, hw - from);
    }
    return { group: this.group, ...this.counters, inFlight: this.tracker.pending, lag };
  }

  /**
   * Stops reading, lets running handlers finish their call (at most drainTimeoutMs), commits what
   * finished and leaves the group. Events read but not started, or waiting for a retry, are left
   * uncommitted: the group reads them again.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.commitTimer) clearInterval(this.commitTimer);
    // Closing the consumer ends the read loop and revokes every partition: release() drains and commits.
    await this.consumer.close();
    await this.loop;
    await this.scheduler.idle();
    await this.txProducer?.close();
  }

  /**
   * The topics read and the dead-letter topic, created with the broker's defaults unless they exist:
   * a group that joins before its topic exists would be assigned nothing until its next metadata
   * refresh, and a cluster may refuse auto-creation.
   */
  private async ensureTopics(): Promise<void> {
    const admin = new Admin(this.host.clientOptions);
    const names = [...this.target.topics, ...this.retryStages.keys(), this.deadLetterTopic];
    try {
      await admin.createTopics(names.map((name) => ({ name })), { ignoreExisting: true });
    } catch (err) {
      this.log.warn({ err: (err as Error).message, topics: names }, 'could not create the topics; they must exist or be auto-created');
    } finally {
      await admin.close();
    }
  }

  private async read(): Promise<void> {
    for await (const batch of this.consumer.batches()) {
      if (this.failure) throw this.failure;
      if (this.txProducer) await this.handleTransactionally(batch, this.txProducer);
      else this.dispatch(batch, this.directSink);
      await this.scheduler.whenBelow(this.maxInFlight);
    }
  }

  /** Schedules every record of the batch; resolves when all of them finished. */
  private dispatch(batch: ConsumerBatch, sink: EventSink): Promise<void> {
    const tp = { topic: batch.topic, partition: batch.partition };
    const lease = this.leaseOf(tp);
    const done: Array<Promise<void>> = [];
    for (const r of batch.records) {
      const record = hold(r);
      const finish = this.tracker.track(tp, record.offset);
      this.counters.received++;
      const laneKey = record.key === null ? null : `${tp.topic}\u0000${tp.partition}\u0000${record.key.toString('latin1')}`;
      const task = this.scheduler.schedule(laneKey, () => this.handleRecord(record, lease, sink)).then(finish, (err: unknown) => {
        if (err instanceof Abandoned) return;
        // Not finished, so never committed past: it is redelivered after the restart.
        this.failure ??= err as Error;
        this.log.error({ err: (err as Error).message, topic: record.topic, partition: record.partition, offset: record.offset }, 'event could not be finished; stopping');
        void this.consumer.close();
      });
      lease.pending.add(task);
      void task.then(() => lease.pending.delete(task));
      done.push(task);
    }
    this.tracker.readUpTo(tp, batch.nextOffset);
    return Promise.all(done).then(() => undefined);
  }

  private leaseOf(tp: TopicPartition): Lease {
    let lease = this.leases.get(keyOf(tp));
    if (!lease) {
      lease = newLease();
      this.leases.set(keyOf(tp), lease);
    }
    return lease;
  }

  private async handleTransactionally(batch: ConsumerBatch, producer: Producer): Promise<void> {
    const outgoing = new Map<string, OutgoingRecord[]>();
    const sink: EventSink = {
      send: async (topic, record) => {
        const list = outgoing.get(topic);
        if (list) list.push(record);
        else outgoing.set(topic, [record]);
      },
    };
    const tp = { topic: batch.topic, partition: batch.partition };
    const lease = this.leaseOf(tp);
    await this.dispatch(batch, sink);
    if (this.failure) throw this.failure;
    if (lease.controller.signal.aborted) return; // revoked or lost meanwhile: the next owner reads it again
    const txn = await producer.transaction();
    try {
      // One send per topic, issued together: the producer keeps their order per partition.
      await Promise.all([...outgoing].map(([topic, messages]) => txn.send({ topic, messages })));
      await txn.sendOffsets({ consumer: this.consumer, offsets: [{ ...tp, offset: batch.nextOffset }] });
      await txn.commit();
      this.counters.commits++;
    } catch (err) {
      if (err instanceof ProducerFatalError) throw err;
      this.counters.aborts++;
      this.log.warn({ err: (err as Error).message, ...tp }, 'transaction aborted; the batch is read again');
      await txn.abort().catch((abortErr: unknown) => this.log.warn({ err: (abortErr as Error).message }, 'abort failed'));
      const first = batch.records[0];
      if (first) {
        this.tracker.assign(tp, first.offset);
        try {
          this.consumer.seek(tp, first.offset);
        } catch {
          // no longer assigned: the next owner starts from the group's committed offset
        }
      }
    }
  }

  private readonly directSink: EventSink = {
    send: async (topic, record) => {
      await this.host.producer.send({ topic, messages: [record] });
    },
  };

  /** Handles one event to its end: handled, skipped, duplicate, moved to a retry topic, or dead-lettered. */
  private async handleRecord(record: HeldRecord, lease: Lease, sink: EventSink): Promise<void> {
    const signal = lease.controller.signal;
    if (signal.aborted) throw new Abandoned();
    const attemptsBefore = attemptsOf(record);
    let envelope: EventEnvelope<unknown>;
    try {
      envelope = decodeEnvelope(record);
    } catch (err) {
      return this.deadLetter(sink, record, 'malformed-envelope', err, attemptsBefore);
    }
    const definition = this.target.definitions?.get(envelope.type);
    if (this.target.definitions && !definition) {
      this.counters.skipped++;
      return;
    }
    let event: EventEnvelope<unknown>;
    try {
      event = definition ? await definition.accept(envelope) : envelope;
    } catch (err) {
      return this.deadLetter(sink, record, 'invalid-data', err, attemptsBefore);
    }
    const dedupeKey = `${this.group}/${envelope.id}`;
    if (this.options.dedupe && (await this.options.dedupe.has(dedupeKey))) {
      this.counters.duplicates++;
      return;
    }
    const stage = this.retryStages.get(record.topic) ?? 0;
    if (stage > 0) await abortableSleep(record.timestamp + this.policy.retryTopicDelaysMs[stage - 1]! - Date.now(), signal);
    for (let failures = 0; ; ) {
      const attempt = attemptsBefore + failures + 1;
      const context = new HandlerContext(event, record.topic, record.partition, record.offset, attempt, this.group, record.headers, this.host.source, sink);
      try {
        await this.handler(event, context);
        await context.settled();
        this.counters.handled++;
        if (this.options.dedupe) await this.options.dedupe.add(dedupeKey);
        return;
      } catch (err) {
        this.counters.failed++;
        failures++;
        if (isNonRetriable(err)) return this.deadLetter(sink, record, 'non-retriable', err, attempt);
        const decision = decideRetry(this.policy, stage, failures);
        this.log.debug({ err: (err as Error).message, id: envelope.id, attempt, decision: decision.action }, 'handler failed');
        if (decision.action === 'dead-letter') return this.deadLetter(sink, record, 'retries-exhausted', err, attempt);
        this.counters.retried++;
        if (decision.action === 'retry-topic') {
          await sink.send(retryTopicName(this.group, decision.stage), failureRecord(record, { error: err, attempts: attempt, group: this.group, reason: null }));
          return;
        }
        await abortableSleep(decision.delayMs, signal);
      }
    }
  }

  private async deadLetter(sink: EventSink, record: HeldRecord, reason: DeadLetterReason, error: unknown, attempts: number): Promise<void> {
    this.log.warn({ reason, err: error instanceof Error ? error.message : String(error), topic: record.topic, offset: record.offset }, 'dead-lettered');
    await sink.send(this.deadLetterTopic, failureRecord(record, { error, attempts, group: this.group, reason }));
    this.counters.deadLettered++;
  }

  /**
   * Revocation (commit = true) or loss. Events of these partitions not started yet are abandoned
   * (the next owner reads them again); running handlers finish their current call (at most
   * drainTimeoutMs); on revocation the finished prefix is committed.
   */
  private async release(tps: readonly TopicPartition[], commit: boolean): Promise<void> {
    const leases = tps.map((tp) => this.leases.get(keyOf(tp))).filter((l): l is Lease => l !== undefined);
    for (const lease of leases) lease.controller.abort();
    const running = Promise.all(leases.flatMap((l) => [...l.pending]));
    if (!(await waitAtMost(running, this.drainTimeoutMs))) this.log.warn(`handlers still running after ${this.drainTimeoutMs} ms; their events will be redelivered`);
    if (commit && this.delivery === 'at-least-once') await this.commitFinished(tps);
    for (const tp of tps) {
      this.leases.delete(keyOf(tp));
      this.tracker.drop(tp);
    }
  }

  /** Commits every partition's finished prefix (one commit at a time). */
  private commitFinished(only?: readonly TopicPartition[]): Promise<void> {
    this.committing = this.committing.then(async () => {
      const offsets = this.tracker.candidates(only);
      if (offsets.length === 0) return;
      try {
        await this.consumer.commit(offsets);
        this.tracker.markCommitted(offsets);
        this.counters.commits++;
      } catch (err) {
        this.counters.commitFailures++;
        this.log.warn({ err: (err as Error).message }, 'commit failed; trying again at the next interval');
      }
    });
    return this.committing;
  }
}

function newLease(): Lease {
  return { controller: new AbortController(), pending: new Set() };
}

function keyOf(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

/** Copies what is kept of a record: the consumer's buffers are views into the fetch response. */
function hold(r: ConsumerRecord): HeldRecord {
  // One allocation for the key, the value and every header value (views into it).
  let sizeBytes = (r.key?.length ?? 0) + (r.value?.length ?? 0);
  for (const h of r.headers) sizeBytes += h.value?.length ?? 0;
  const block = Buffer.allocUnsafe(sizeBytes);
  let at = 0;
  const copy = (b: Buffer | null): Buffer | null => {
    if (b === null) return null;
    b.copy(block, at);
    at += b.length;
    return block.subarray(at - b.length, at);
  };
  const headers = r.headers.map((h) => ({ key: h.key, value: copy(h.value) }));
  return { topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: copy(r.key), value: copy(r.value), headers };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new Abandoned());
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Abandoned());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** True if `p` settled within `ms`. */
async function waitAtMost(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
