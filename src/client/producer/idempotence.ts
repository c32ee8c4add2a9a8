/**
 * The idempotent producer's state (KIP-98, KIP-360), as the Java client's TransactionManager keeps
 * it for `enable.idempotence=true` without a transactional id: the producer id and epoch from
 * InitProducerId, and per partition the next sequence number and the sequenced batches not yet
 * resolved. The sender asks it before draining a batch (`mayDrain`) and tells it every outcome.
 *
 * Producer id: InitProducerId (transactionalId null) goes to the least loaded broker before the
 * first batch is drained, retried with backoff on retriable errors (coordinator loading / not
 * available / not coordinator, network, timeouts) until the producer closes; batches waiting meanwhile
 * still expire on their delivery timeout. A cluster that does not serve it turns idempotence off
 * (one warning) unless the user asked for it explicitly: then every batch fails UNSUPPORTED_VERSION.
 * A non-retriable error, or PRODUCER_FENCED on a produce, is fatal: every later batch fails with it.
 *
 * Rules per partition (`PartitionSequences`):
 * - A batch gets its base sequence at its first drain and keeps it (and its sealed bytes) on every
 *   retry; sequences wrap from 2^31-1 to 0.
 * - `window` holds the sequenced batches from the earliest unresolved one (neither acknowledged
 *   nor failed) on, in sequence order, acknowledged ones after it included. A queued retry is
 *   drained only when it is the first of them; a new batch only when no retry waits (the queue is
 *   in send order, so a waiting retry is always ahead of it) and the window holds fewer than 5. So
 *   a retried batch is re-sent before any later batch of its partition, later batches that fail
 *   too (the broker refuses them with OUT_OF_ORDER_SEQUENCE_NUMBER while their predecessor is
 *   missing) follow one by one in sequence order, and a batch whose acknowledgement was lost is
 *   still among the broker's last 5 of this producer when it is re-sent (the broker recognises
 *   duplicates only there): at most 4 later batches can have been written before it.
 * - OUT_OF_ORDER_SEQUENCE_NUMBER / UNKNOWN_PRODUCER_ID for a batch that has an earlier unresolved
 *   one: a consequence, retried. For the first unresolved batch: the broker has a real gap (lost
 *   state, a batch that failed for good) → reset the partition (below) and retry. This relies on
 *   the sender handling each broker's responses in request order (sender.ts `settle`).
 * - A sequenced batch that fails for good (retries or delivery timeout exhausted — it may or may not
 *   be in the log —, or a non-retriable error) leaves a gap or an unknown: the partition is reset.
 * - Reset (KIP-360): InitProducerId again with the current id and epoch (v3+, older brokers get
 *   -1/-1); the broker answers a new epoch or a new id (Kafka always gives a new id without a
 *   transactional id). Once none of the partition's batches is in a request, its unresolved
 *   batches get new sequences from 0 under the new identity (header and CRC rewritten) and are
 *   retried. If such a batch had been written before (its acknowledgement lost),
 *   it is written again: a duplicate, as with the Java client.
 * - Other partitions keep their identity while they have unresolved batches (their retries re-send
 *   the same bytes); their next new batch waits until those resolve, then starts at 0 under the new
 *   identity (Java's maybeUpdateProducerIdAndEpoch).
 *
 * Transactional producers (`transactional`): the TransactionManager owns the identity (InitProducerId
 * with the transactional id, at its coordinator) and hands it over with `setIdentity`. There is no
 * reset within a transaction: a real sequence gap fails the batch, which makes the transaction
 * abortable, and after the abort the manager bumps the epoch (KIP-360 with the transactional id),
 * so every partition starts again at 0 — as the Java client does for transactions.
 */
import type { Logger } from 'pino';
import { InitProducerIdApi } from '../../protocol/messages/index.js';
import type { InitProducerIdResponse } from '../../protocol/messages/init-producer-id.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { backoffMs, sleep } from '../backoff.js';
import type { BrokerLink } from '../cluster/broker-link.js';
import type { Cluster } from '../cluster/cluster.js';
import { responseError } from '../errors.js';
import { incrementSequence } from '../../protocol/records/batch-header.js';
import { NO_PRODUCER, type BatchIdentity, type ProducerBatch } from './batch.js';
import { MAX_IN_FLIGHT_FOR_IDEMPOTENCE, type IdempotenceMode } from './options.js';

const INIT_PRODUCER_ID_VERSIONS = { minVersion: 0, maxVersion: 5 };
/** Any value: the broker ignores it without a transactional id. */
const TRANSACTION_TIMEOUT_MS = 60_000;

export class PartitionSequences {
  identity: BatchIdentity = NO_PRODUCER;
  nextSequence = 0;
  /**
   * Sequenced batches from the earliest unresolved one (neither acknowledged nor failed) on, in
   * sequence order, acknowledged ones after it included: the batches the broker may have written
   * since. The first is always unresolved.
   */
  window: ProducerBatch[] = [];
  /** Members of `window` already acknowledged. */
  readonly acked = new Set<ProducerBatch>();
  /** Members of `window` in a request now. */
  inRequest = 0;
  /** Needs new sequences under a new identity once nothing of it is in a request. */
  resetPending = false;

  get unresolved(): number {
    return this.window.length - this.acked.size;
  }

  /** Drops acknowledged batches from the front: the window starts at the earliest unresolved one. */
  trim(): void {
    while (this.window.length > 0 && this.acked.has(this.window[0]!)) this.acked.delete(this.window.shift()!);
  }
}

/** What the sender does with a produce error of an idempotent batch. */
export type SequenceVerdict = 'retry' | 'fail';

export class IdempotenceState {
  private mode: IdempotenceMode;
  /** The current producer id and epoch (NO_PRODUCER before the first InitProducerId). */
  identity: BatchIdentity = NO_PRODUCER;
  /** Set once idempotence cannot go on: every batch fails with it. */
  fatal: KafkaError | null = null;
  private initializing: Promise<void> | null = null;
  private readonly partitions = new Map<string, PartitionSequences>();

  constructor(
    private readonly cluster: Cluster,
    mode: IdempotenceMode,
    private readonly log: Logger,
    /** Called when the identity changes or the state becomes fatal (the sender drains again). */
    private readonly onChange: () => void,
    /** The identity comes from the TransactionManager (`setIdentity`); no resets of our own. */
    private readonly transactional = false,
  ) {
    this.mode = mode;
  }

  /**
   * A transactional producer's id and epoch (InitProducerId at its coordinator, or an epoch bump
   * after an abort). Partitions with nothing unresolved move to it at their next batch, from 0.
   */
  setIdentity(identity: BatchIdentity): void {
    this.identity = identity;
    this.onChange();
  }

  get enabled(): boolean {
    return this.mode !== 'off';
  }

  private partition(b: { topic: string; partition: number }): PartitionSequences {
    const key = `${b.topic}\0${b.partition}`;
    let s = this.partitions.get(key);
    if (!s) this.partitions.set(key, (s = new PartitionSequences()));
    return s;
  }

  /** Sequence state of a partition (for tests and diagnostics). */
  sequencesOf(topic: string, partition: number): PartitionSequences {
    return this.partition({ topic, partition });
  }

  /** True once batches may be sealed with the current identity (starts InitProducerId if needed). */
  private identityReady(): boolean {
    if (this.initializing) return false;
    if (this.identity.producerId >= 0) return true;
    if (this.transactional) return false; // the TransactionManager sets it before the first transaction
    this.startInit();
    return false;
  }

  /** May `head`, the head batch of its partition queue, be drained now? */
  mayDrain(head: ProducerBatch): boolean {
    if (!this.enabled) return true;
    if (this.fatal) return false;
    const s = this.partition(head);
    if (s.resetPending) {
      if (s.inRequest > 0 || !this.identityReady()) return false;
      this.resequence(s);
    }
    if (head.sequence !== null) return s.window[0] === head;
    if (s.unresolved > s.inRequest) return false; // a retry waits (it is ahead in the queue)
    // The broker recognises a duplicate only among its last 5 batches of this producer: at most 5
    // sent from the earliest unresolved one on, so if its acknowledgement was lost it is still
    // among them when re-sent.
    if (s.window.length >= MAX_IN_FLIGHT_FOR_IDEMPOTENCE) return false;
    if (!this.identityReady()) return false;
    if (!sameIdentity(s.identity, this.identity)) {
      if (s.window.length > 0) return false; // old-identity batches still unresolved
      s.identity = this.identity;
      s.nextSequence = 0;
    }
    return true;
  }

  /** `b` was taken for a request (after `mayDrain`): a new batch gets its sequence now. */
  onDrained(b: ProducerBatch): void {
    if (!this.enabled) return;
    const s = this.partition(b);
    if (b.sequence === null) {
      b.sequence = { producerId: s.identity.producerId, producerEpoch: s.identity.producerEpoch, baseSequence: s.nextSequence };
      s.nextSequence = incrementSequence(s.nextSequence, b.count);
      s.window.push(b);
    }
    s.inRequest++;
  }

  /** Acknowledged (NONE, or DUPLICATE_SEQUENCE_NUMBER from old brokers). */
  onAcked(b: ProducerBatch): void {
    if (b.sequence === null) return;
    const s = this.partition(b);
    s.inRequest--;
    if (s.window.includes(b)) s.acked.add(b);
    s.trim();
  }

  /** Back in its queue for a retry: still unresolved. */
  onRequeued(b: ProducerBatch): void {
    if (b.sequence !== null) this.partition(b).inRequest--;
  }

  /** Replaced by two halves (MESSAGE_TOO_LARGE): they take its place and its sequence range. */
  onSplit(b: ProducerBatch, halves: readonly [ProducerBatch, ProducerBatch]): void {
    if (b.sequence === null) return;
    const s = this.partition(b);
    s.inRequest--;
    const [first, second] = halves;
    first.sequence = { ...b.sequence };
    second.sequence = { ...b.sequence, baseSequence: incrementSequence(b.sequence.baseSequence, first.count) };
    const i = s.window.indexOf(b);
    if (i >= 0) s.window.splice(i, 1, first, second);
  }

  /** Failed for good (`wasInRequest`: it came back from a request rather than expiring in its queue). */
  onFailed(b: ProducerBatch, wasInRequest: boolean): void {
    if (b.sequence === null) return;
    const s = this.partition(b);
    if (wasInRequest) s.inRequest--;
    const i = s.window.indexOf(b);
    if (i < 0) return;
    s.window.splice(i, 1);
    s.trim();
    this.requestReset(s, b.sequence);
  }

  /**
   * A produce error of a sequenced batch that idempotence decides: 'retry' (also for errors that
   * are not retriable in general), 'fail', or null to let the sender's usual rules decide.
   */
  verdict(b: ProducerBatch, err: KafkaError): SequenceVerdict | null {
    if (b.sequence === null) return null;
    const s = this.partition(b);
    switch (err.code) {
      case ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER:
      case ErrorCode.UNKNOWN_PRODUCER_ID:
        if (s.window[0] !== b) return 'retry'; // an earlier batch is missing: a consequence
        if (this.transactional) {
          // No reset inside a transaction: it becomes abortable and the epoch is bumped after the abort.
          this.log.info({ topic: b.topic, partition: b.partition, error: ErrorCode[err.code], baseSequence: b.sequence.baseSequence }, 'sequence gap in a transaction: the batch fails');
          return 'fail';
        }
        this.log.info({ topic: b.topic, partition: b.partition, error: ErrorCode[err.code], baseSequence: b.sequence.baseSequence }, 'sequence gap: resetting the producer id and the partition sequences');
        this.requestReset(s, b.sequence);
        return 'retry';
      case ErrorCode.PRODUCER_FENCED:
        this.fail(err);
        return 'fail';
      case ErrorCode.INVALID_PRODUCER_EPOCH:
        return 'fail';
      default:
        return null;
    }
  }

  private requestReset(s: PartitionSequences, from: BatchIdentity): void {
    if (this.cluster.isClosed || this.fatal || this.transactional) return;
    s.resetPending = true;
    if (sameIdentity(from, this.identity) && !this.initializing) this.startInit();
  }

  /** New sequences from 0 under the current identity for a partition with nothing in a request. */
  private resequence(s: PartitionSequences): void {
    s.identity = this.identity;
    s.nextSequence = 0;
    s.window = s.window.filter((b) => !s.acked.has(b));
    s.acked.clear();
    for (const b of s.window) {
      b.resequence({ producerId: s.identity.producerId, producerEpoch: s.identity.producerEpoch, baseSequence: s.nextSequence });
      s.nextSequence = incrementSequence(s.nextSequence, b.count);
    }
    s.resetPending = false;
    this.log.debug({ producerId: s.identity.producerId, producerEpoch: s.identity.producerEpoch, batches: s.window.length }, 'partition sequences reset');
  }

  private fail(err: KafkaError): void {
    if (this.fatal) return;
    this.fatal = err;
    this.log.error({ err: err.message }, 'idempotent producer failed: every further send fails');
    this.onChange();
  }

  private startInit(): void {
    if (this.initializing || this.fatal || this.cluster.isClosed) return;
    const p = this.initLoop(this.identity).finally(() => {
      if (this.initializing === p) this.initializing = null;
      this.onChange();
    });
    this.initializing = p;
  }

  private async initLoop(prev: BatchIdentity): Promise<void> {
    for (let attempt = 0; !this.cluster.isClosed; attempt++) {
      let link: BrokerLink | null = null;
      try {
        if (this.cluster.metadata.brokers().length === 0) await this.cluster.connect();
        link = this.leastLoadedLink();
        const res = await link.request<InitProducerIdResponse>(
          InitProducerIdApi,
          (v) => ({ transactionalId: null, transactionTimeoutMs: TRANSACTION_TIMEOUT_MS, producerId: v >= 3 ? prev.producerId : -1, producerEpoch: v >= 3 ? prev.producerEpoch : -1 }),
          { versions: INIT_PRODUCER_ID_VERSIONS },
        );
        if (res.errorCode !== ErrorCode.NONE) throw responseError(res.errorCode, `InitProducerId from ${link.description}`);
        this.identity = { producerId: res.producerId, producerEpoch: res.producerEpoch };
        this.log.debug({ producerId: res.producerId, producerEpoch: res.producerEpoch, previous: prev }, 'producer id');
        return;
      } catch (err) {
        if (!(err instanceof KafkaError)) throw err;
        if (err.code === ErrorCode.UNSUPPORTED_VERSION) return this.unsupported(err, link);
        if (!err.retriable) return this.fail(err);
        const wait = backoffMs(attempt, this.cluster.options.retryBackoffMs, this.cluster.options.retryBackoffMaxMs);
        this.log.debug({ err: err.message, attempt, wait }, 'InitProducerId failed; retrying');
        await sleep(wait);
      }
    }
  }

  private unsupported(err: KafkaError, link: BrokerLink | null): void {
    const where = link?.description ?? 'the cluster';
    if (this.mode === 'default') {
      this.mode = 'off';
      this.log.warn({ broker: where }, `${where} does not support InitProducerId (idempotent producing): producing without idempotence; set idempotent: false to silence this`);
      return;
    }
    this.fail(new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `idempotent: true, but ${where} does not support InitProducerId (${err.message}); upgrade the broker or set idempotent: false`));
  }

  /** The connected broker with the fewest requests in flight, else any broker (Kafka's leastLoadedNode). */
  private leastLoadedLink(): BrokerLink {
    let best: BrokerLink | null = null;
    for (const b of this.cluster.metadata.brokers()) {
      const l = this.cluster.link(b.nodeId);
      if (l.isConnected && (best === null || l.inFlight < best.inFlight)) best = l;
    }
    return best ?? this.cluster.anyLink();
  }
}

function sameIdentity(a: BatchIdentity, b: BatchIdentity): boolean {
  return a.producerId === b.producerId && a.producerEpoch === b.producerEpoch;
}
