/**
 * Fetching: one Fetch in flight per broker (no fetch sessions), for the assigned partitions that
 * broker leads, have a known fetch position, are not paused, and have fewer than
 * MAX_QUEUED_CHUNKS chunks waiting. A response is only walked batch header by batch header (to
 * learn where each partition continues) and queued as chunks; the next fetch to that broker goes
 * out at once, so the broker reads it while this client checks CRCs, decodes records (lazily, as
 * the application reaches them, see chunk.ts) and the application processes — at most one chunk
 * in hand, MAX_QUEUED_CHUNKS queued and one in flight per partition, which bounds memory to about
 * 4 × maxPartitionFetchBytes per partition (and fetchMaxBytes per response).
 *
 * Errors: OFFSET_OUT_OF_RANGE resets the position by the reset policy (or fails the partition
 * until `seek` when the policy is 'none'); stale-leader errors refresh metadata and back the
 * partition off for retryBackoffMs; a failed request backs its broker off exponentially.
 */
import type { Logger } from 'pino';
import { FetchApi } from '../../protocol/messages/index.js';
import type { FetchRequest, FetchResponse, PartitionData } from '../../protocol/messages/fetch.js';
import { iterateBatchHeaders } from '../../protocol/records/batch-iterator.js';
import type { BatchInfo } from '../../protocol/records/types.js';
import { recordsToBuffer } from '../../protocol/schema/records.js';
import { ZERO_UUID } from '../../protocol/schema/uuid.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { backoffMs } from '../backoff.js';
import type { Cluster } from '../cluster/cluster.js';
import { isRetriableError, responseError } from '../errors.js';
import { bufferDeserializer } from '../serializers.js';
import { Chunk } from './chunk.js';
import type { ResolvedConsumerOptions } from './options.js';
import type { Assignment, PartitionState } from './partition-state.js';
import type { Deserializers } from './record-factory.js';
import { Signal } from './signal.js';
import { formatTp, tpKey } from './types.js';

/** Partition errors that mean "the metadata is stale": refresh it and retry. */
const LEADER_ERRORS = new Set<number>([
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.KAFKA_STORAGE_ERROR,
  ErrorCode.REPLICA_NOT_AVAILABLE,
  ErrorCode.OFFSET_NOT_AVAILABLE,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.INCONSISTENT_TOPIC_ID,
]);

export interface FetcherHooks {
  /** Some partitions need their position looked up. */
  needOffsets(): void;
  /** An error the application should see (thrown by the next iteration step). */
  error(err: Error): void;
}

interface Sent {
  state: PartitionState;
  epoch: number;
  offset: number;
}

export class Fetcher<K = Buffer | null, V = Buffer | null> {
  private readonly queue: Array<Chunk<K, V>> = [];
  private readonly inFlight = new Set<number>();
  private readonly brokerFailures = new Map<number, { count: number; untilMs: number }>();
  private rotation = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Notified when a chunk is queued. */
  readonly arrivals = new Signal();

  constructor(
    private readonly cluster: Cluster,
    private readonly assignment: Assignment,
    private readonly opts: ResolvedConsumerOptions,
    private readonly log: Logger,
    private readonly hooks: FetcherHooks,
    private readonly deserializers: Deserializers<K, V> = { key: bufferDeserializer, value: bufferDeserializer } as unknown as Deserializers<K, V>,
  ) {}

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.queue.length = 0;
    this.arrivals.notify();
  }

  /** Takes the next chunk that is still valid, and lets its partition be fetched again. */
  take(): Chunk<K, V> | null {
    for (;;) {
      const c = this.queue.shift();
      if (!c) return null;
      c.state.queued--;
      if (c.valid && !c.state.paused) {
        this.maybeFetch();
        return c;
      }
    }
  }

  /** Sends a fetch to every broker that has fetchable partitions and nothing in flight. */
  maybeFetch(): void {
    if (this.closed) return;
    const now = Date.now();
    const byLeader = new Map<number, PartitionState[]>();
    let needOffsets = false;
    let wakeAt = Number.POSITIVE_INFINITY;
    for (const s of this.assignment.states()) {
      if (s.need !== null && !s.resolving && !s.failed) needOffsets = true;
      if (!s.fetchable) {
        if (s.backoffUntilMs > now && !s.inFlight && s.queued === 0) wakeAt = Math.min(wakeAt, s.backoffUntilMs);
        continue;
      }
      const leader = this.cluster.metadata.leaderOf(s.topic, s.partition);
      if (leader < 0 || !this.cluster.metadata.broker(leader)) {
        this.cluster.requestMetadataRefresh(`fetch: no leader for ${formatTp(s)}`);
        wakeAt = Math.min(wakeAt, now + Math.max(50, this.opts.retryBackoffMs));
        continue;
      }
      if (this.inFlight.has(leader)) continue;
      const failure = this.brokerFailures.get(leader);
      if (failure && failure.untilMs > now) {
        wakeAt = Math.min(wakeAt, failure.untilMs);
        continue;
      }
      let list = byLeader.get(leader);
      if (!list) byLeader.set(leader, (list = []));
      list.push(s);
    }
    if (needOffsets) this.hooks.needOffsets();
    for (const [leader, states] of byLeader) this.send(leader, states);
    if (wakeAt !== Number.POSITIVE_INFINITY) this.scheduleRetry(wakeAt - now);
  }

  private scheduleRetry(delayMs: number): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.maybeFetch();
    }, Math.max(1, delayMs));
    this.retryTimer.unref();
  }

  private send(leader: number, states: PartitionState[]): void {
    // Rotate the partition order so that every partition gets to be first (KIP-74: the first
    // partition always gets at least one whole batch).
    const start = this.rotation++ % states.length;
    const ordered = [...states.slice(start), ...states.slice(0, start)];
    const sent: Sent[] = ordered.map((s) => ({ state: s, epoch: s.epoch, offset: s.fetchPosition! }));
    for (const s of ordered) s.inFlight = true;
    this.inFlight.add(leader);
    const topicIds = new Map<string, string>();
    for (const s of ordered) topicIds.set(s.topic, this.cluster.metadata.topic(s.topic)?.topicId ?? ZERO_UUID);
    const haveIds = [...topicIds.values()].every((id) => id !== ZERO_UUID);
    const byTopic = new Map<string, Sent[]>();
    for (const x of sent) {
      let list = byTopic.get(x.state.topic);
      if (!list) byTopic.set(x.state.topic, (list = []));
      list.push(x);
    }
    const body = (): FetchRequest => ({
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: -1, replicaEpoch: -1 },
      maxWaitMs: this.opts.fetchMaxWaitMs,
      minBytes: this.opts.fetchMinBytes,
      maxBytes: this.opts.fetchMaxBytes,
      isolationLevel: this.opts.isolationLevel,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic].map(([topic, list]) => ({
        topic,
        topicId: topicIds.get(topic)!,
        partitions: list.map((x) => ({
          partition: x.state.partition,
          currentLeaderEpoch: -1,
          fetchOffset: x.offset,
          lastFetchedEpoch: -1,
          logStartOffset: -1,
          partitionMaxBytes: this.opts.maxPartitionFetchBytes,
          replicaDirectoryId: ZERO_UUID,
        })),
      })),
      forgottenTopicsData: [],
      rackId: '',
    });
    const link = this.cluster.link(leader);
    link
      .request<FetchResponse>(FetchApi, body, {
        versions: haveIds ? undefined : { minVersion: 4, maxVersion: 12 },
        timeoutMs: this.opts.requestTimeoutMs + this.opts.fetchMaxWaitMs,
      })
      .then(
        (res) => this.handle(leader, sent, res, topicIds),
        (err: unknown) => this.failed(leader, sent, err),
      )
      .catch((err: unknown) => this.hooks.error(err as Error))
      .finally(() => this.settled(leader));
  }

  /**
   * The broker can take the next fetch. Called synchronously once a response is queued, before
   * the application gets to run on it (and again, harmlessly, when the request settles): a
   * fetch sent a few microtasks later would wait for the application to process a whole chunk.
   */
  private settled(leader: number): void {
    if (!this.inFlight.delete(leader)) return;
    this.maybeFetch();
  }

  private failed(leader: number, sent: readonly Sent[], err: unknown): void {
    for (const x of sent) x.state.inFlight = false;
    if (this.closed) return;
    const f = this.brokerFailures.get(leader) ?? { count: 0, untilMs: 0 };
    f.untilMs = Date.now() + backoffMs(f.count++, this.opts.retryBackoffMs, 1000);
    this.brokerFailures.set(leader, f);
    this.log.debug({ broker: leader, err: (err as Error).message }, 'fetch failed');
    if (isRetriableError(err)) this.cluster.requestMetadataRefresh(`fetch from broker ${leader} failed`);
    else this.hooks.error(err as Error);
  }

  private handle(leader: number, sent: readonly Sent[], res: FetchResponse, topicIds: ReadonlyMap<string, string>): void {
    this.brokerFailures.delete(leader);
    const nameOf = new Map<string, string>();
    for (const [topic, id] of topicIds) nameOf.set(id, topic);
    const found = new Map<string, PartitionData>();
    for (const t of res.responses) {
      const topic = t.topic !== '' && t.topic !== undefined ? t.topic : nameOf.get(t.topicId);
      if (topic === undefined) continue;
      for (const p of t.partitions) found.set(tpKey(topic, p.partitionIndex), p);
    }
    if (res.errorCode !== ErrorCode.NONE) this.log.debug({ broker: leader, error: ErrorCode[res.errorCode] }, 'fetch: top-level error');
    try {
      for (const x of sent) {
        const p = found.get(x.state.key);
        if (p && !this.closed && x.state.assigned && x.state.epoch === x.epoch) this.partition(x, p);
      }
    } finally {
      for (const x of sent) x.state.inFlight = false;
    }
    this.settled(leader);
  }

  private partition(x: Sent, p: PartitionData): void {
    const s = x.state;
    if (p.errorCode === ErrorCode.NONE) {
      if (p.highWatermark >= 0) s.highWatermark = p.highWatermark;
      const buf = recordsToBuffer(p.records);
      if (!buf || buf.length === 0) return;
      let infos: BatchInfo[];
      try {
        infos = Array.from(iterateBatchHeaders(buf));
      } catch (err) {
        s.failed = true;
        this.hooks.error(new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${formatTp(s)} at offset ${x.offset}: ${(err as Error).message}; seek() past it to go on`));
        return;
      }
      if (infos.length === 0) return;
      const nextOffset = infos[infos.length - 1]!.lastOffset + 1;
      if (nextOffset <= x.offset) return;
      const chunk = new Chunk<K, V>(s, x.epoch, x.offset, buf, infos, nextOffset, s.highWatermark, {
        verifyCrc: this.opts.checkCrcs,
        aborted: this.opts.isolationLevel === 1 ? p.abortedTransactions : null,
        deserializers: this.deserializers,
      });
      s.fetchPosition = nextOffset;
      s.queued++;
      this.queue.push(chunk);
      this.arrivals.notify();
      return;
    }
    if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
      if (this.opts.autoOffsetReset === 'none') {
        s.failed = true;
        this.hooks.error(responseError(p.errorCode, `fetch ${formatTp(s)} at offset ${x.offset} (autoOffsetReset is 'none'; seek() to a valid offset)`));
      } else {
        this.log.info({ partition: formatTp(s), offset: x.offset, reset: this.opts.autoOffsetReset }, 'fetch offset out of range; resetting');
        s.requireOffset(this.opts.autoOffsetReset);
        this.hooks.needOffsets();
      }
      return;
    }
    s.backoffUntilMs = Date.now() + Math.max(50, this.opts.retryBackoffMs);
    if (LEADER_ERRORS.has(p.errorCode)) {
      this.cluster.requestMetadataRefresh(`fetch ${formatTp(s)}: ${ErrorCode[p.errorCode]}`);
      return;
    }
    this.hooks.error(responseError(p.errorCode, `fetch ${formatTp(s)}`));
  }
}
