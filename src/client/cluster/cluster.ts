/**
 * The client's view of a cluster: bootstrap, one `BrokerLink` per broker id, the metadata cache
 * and when to refresh it, coordinator lookup, and "send this to some broker, retrying on
 * retriable errors". The producer, the admin client and the consumer are built on it.
 *
 * Metadata is refreshed (a) when a caller reports a stale-leader error via `requestMetadataRefresh`
 * (NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, FENCED_LEADER_EPOCH,
 * connection failures), coalesced and spaced at least retryBackoffMs apart; (b) every
 * metadataMaxAgeMs for the topics the client uses (`addTopics`); (c) on demand (`refreshMetadata`,
 * `waitForTopic`). Concurrent refreshes share one request.
 */
import type { Logger } from 'pino';
import { FindCoordinatorApi, MetadataApi } from '../../protocol/messages/index.js';
import type { FindCoordinatorResponse } from '../../protocol/messages/find-coordinator.js';
import type { MetadataResponse } from '../../protocol/messages/metadata.js';
import type { ApiSpec } from '../../protocol/schema/dsl.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { backoffMs, sleep } from '../backoff.js';
import { isRetriableError, networkError, responseError } from '../errors.js';
import { resolveClientOptions, type ClientOptions, type ResolvedClientOptions } from '../options.js';
import { BrokerLink, type RequestBody, type RequestOptions } from './broker-link.js';
import { MetadataCache, type MetadataUpdate, type TopicInfo } from './metadata-cache.js';

export type CoordinatorType = 'group' | 'transaction';

export interface RetryOptions {
  /** Attempts after the first. Default 5. */
  retries?: number;
  /** Give up once this much time has passed (ms). Default: requestTimeoutMs. */
  deadlineMs?: number;
}

export class Cluster {
  readonly options: ResolvedClientOptions;
  readonly logger: Logger;
  readonly metadata = new MetadataCache();
  private readonly links = new Map<number, BrokerLink>();
  private readonly bootstrapLinks: BrokerLink[];
  private readonly topicsOfInterest = new Set<string>();
  private readonly coordinators = new Map<string, number>();
  private inFlightRefresh: Promise<MetadataUpdate> | null = null;
  private refreshQueued: Promise<MetadataUpdate> | null = null;
  private lastRefreshStartMs = 0;
  private refreshTimer: NodeJS.Timeout | null = null;
  private connected: Promise<void> | null = null;
  private closed = false;
  private bootstrapCursor = 0;

  constructor(options: ClientOptions | ResolvedClientOptions, component = 'client') {
    this.options = 'bootstrap' in options ? options : resolveClientOptions(options);
    this.logger = this.options.logger.child({ component });
    this.bootstrapLinks = this.options.bootstrap.map((a, i) => new BrokerLink(-1 - i, a.host, a.port, this.options, this.logger));
  }

  /** Bootstraps: reads cluster metadata from the first bootstrap server that answers. Idempotent. */
  connect(): Promise<void> {
    if (!this.connected) {
      this.connected = this.refreshMetadata().then(() => {
        this.refreshTimer = setInterval(() => this.periodicRefresh(), Math.min(this.options.metadataMaxAgeMs, 60_000));
        this.refreshTimer.unref();
      });
      this.connected.catch(() => {
        this.connected = null;
      });
    }
    return this.connected;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes every connection. Requests in flight fail with NETWORK_EXCEPTION. */
  close(): void {
    this.closed = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    for (const l of this.links.values()) l.close();
    for (const l of this.bootstrapLinks) l.close();
    this.links.clear();
  }

  /** The link to broker `nodeId` (created on first use from metadata). */
  link(nodeId: number): BrokerLink {
    const info = this.metadata.broker(nodeId);
    const existing = this.links.get(nodeId);
    if (existing && (!info || (existing.host === info.host && existing.port === info.port))) return existing;
    if (!info) throw networkError(`broker ${nodeId} is not in the cluster metadata`);
    existing?.close();
    const link = new BrokerLink(nodeId, info.host, info.port, this.options, this.logger);
    this.links.set(nodeId, link);
    return link;
  }

  /** Some broker to ask: a connected known broker if any, else the next one round-robin, else a bootstrap server. */
  anyLink(): BrokerLink {
    const brokers = this.metadata.brokers();
    for (const b of brokers) {
      const l = this.links.get(b.nodeId);
      if (l?.isConnected) return l;
    }
    const candidates: BrokerLink[] = brokers.length > 0 ? brokers.map((b) => this.link(b.nodeId)) : this.bootstrapLinks;
    const l = candidates[this.bootstrapCursor++ % candidates.length]!;
    return l;
  }

  /** Keep these topics' metadata fresh (periodic and triggered refreshes include them). */
  addTopics(topics: Iterable<string>): void {
    for (const t of topics) this.topicsOfInterest.add(t);
  }

  removeTopics(topics: Iterable<string>): void {
    for (const t of topics) this.topicsOfInterest.delete(t);
  }

  /**
   * Sends Metadata for `topics` (default: the topics of interest; null: every topic) to some
   * broker and updates the cache. Tries other brokers (and bootstrap servers) on network errors.
   */
  async fetchMetadata(topics?: readonly string[] | null, allowAutoTopicCreation = false): Promise<{ response: MetadataResponse; update: MetadataUpdate }> {
    const names = topics === undefined ? [...this.topicsOfInterest] : topics;
    const response = await this.requestAny<MetadataResponse>(
      MetadataApi,
      {
        topics: names === null ? null : names.map((name) => ({ name })),
        allowAutoTopicCreation,
        includeClusterAuthorizedOperations: false,
        includeTopicAuthorizedOperations: false,
      },
      { retries: Math.max(3, this.options.bootstrap.length + 1) },
    );
    const update = this.metadata.update(response, names);
    for (const [topic, code] of update.topicErrors) this.logger.debug({ topic, error: ErrorCode[code] }, 'metadata: topic error');
    return { response, update };
  }

  /** Refreshes the topics of interest now; concurrent callers share one request. */
  refreshMetadata(): Promise<MetadataUpdate> {
    if (this.inFlightRefresh) {
      // One more round after the current one, shared by everyone who asks meanwhile.
      this.refreshQueued ??= this.inFlightRefresh.catch(() => undefined).then(() => {
        this.refreshQueued = null;
        return this.refreshMetadata();
      });
      return this.refreshQueued;
    }
    this.lastRefreshStartMs = Date.now();
    const p = this.fetchMetadata().then((r) => r.update);
    this.inFlightRefresh = p;
    const clear = (): void => {
      if (this.inFlightRefresh === p) this.inFlightRefresh = null;
    };
    p.then(clear, clear);
    return p;
  }

  /**
   * Ask for a refresh soon: callers report errors that mean "the metadata is stale". Spaced at
   * least retryBackoffMs after the previous refresh started; never throws.
   */
  requestMetadataRefresh(reason: string): void {
    if (this.closed || this.refreshQueued) return;
    const wait = Math.max(0, this.lastRefreshStartMs + this.options.retryBackoffMs - Date.now());
    this.logger.debug({ reason, wait }, 'metadata refresh requested');
    const run = (): void => {
      if (this.closed) return;
      this.refreshMetadata().catch((err: unknown) => this.logger.debug({ err: (err as Error).message }, 'metadata refresh failed'));
    };
    if (wait === 0) run();
    else setTimeout(run, wait).unref();
  }

  /** Metadata for `topic`, fetched (and auto-created if allowed) until it has partitions or the timeout passes. */
  async waitForTopic(topic: string, opts: { timeoutMs: number; allowAutoTopicCreation: boolean }): Promise<TopicInfo> {
    const known = this.metadata.topic(topic);
    if (known && known.partitions.length > 0) return known;
    this.addTopics([topic]);
    const deadline = Date.now() + opts.timeoutMs;
    let lastError: number = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    for (let attempt = 0; ; attempt++) {
      try {
        const { update } = await this.fetchMetadata([...new Set([...this.topicsOfInterest, topic])], opts.allowAutoTopicCreation);
        const info = this.metadata.topic(topic);
        if (info && info.partitions.length > 0) return info;
        lastError = update.topicErrors.get(topic) ?? ErrorCode.LEADER_NOT_AVAILABLE;
        if (lastError !== ErrorCode.NONE && !new KafkaError(lastError as ErrorCode).retriable) {
          this.removeTopics([topic]);
          throw responseError(lastError, `metadata for topic '${topic}'`);
        }
      } catch (err) {
        if (!isRetriableError(err)) throw err;
        lastError = (err as KafkaError).code;
      }
      const wait = backoffMs(attempt, this.options.retryBackoffMs, this.options.retryBackoffMaxMs);
      if (Date.now() + wait > deadline) {
        throw new KafkaError(
          ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
          `topic '${topic}' not available within ${opts.timeoutMs} ms (last error ${ErrorCode[lastError] ?? lastError}); create it or enable auto-creation`,
        );
      }
      await sleep(wait);
    }
  }

  /**
   * Sends to some broker (see anyLink), retrying retriable errors — network failures and
   * retriable Kafka codes thrown by `check` — with backoff. Use for requests any broker can answer.
   */
  async requestAny<Res>(api: ApiSpec, body: RequestBody, opts: RequestOptions & RetryOptions = {}): Promise<Res> {
    return this.withRetries(`${api.name}`, opts, () => this.anyLink().request<Res>(api, body, opts));
  }

  /** Runs `attempt` until it succeeds, fails with a non-retriable error, or retries run out. */
  async withRetries<T>(what: string, opts: RetryOptions, attempt: (n: number) => Promise<T>): Promise<T> {
    const retries = opts.retries ?? 5;
    const deadline = Date.now() + (opts.deadlineMs ?? this.options.requestTimeoutMs);
    for (let n = 0; ; n++) {
      try {
        return await attempt(n);
      } catch (err) {
        if (this.closed || !isRetriableError(err) || n >= retries) throw err;
        const wait = backoffMs(n, this.options.retryBackoffMs, this.options.retryBackoffMaxMs);
        if (Date.now() + wait > deadline) throw err;
        this.logger.debug({ what, err: (err as Error).message, attempt: n, wait }, 'retrying');
        await sleep(wait);
      }
    }
  }

  /** The controller's link (admin requests that need it), or any broker if none is known. */
  controllerLink(): BrokerLink {
    const id = this.metadata.controllerId;
    return id >= 0 && this.metadata.broker(id) ? this.link(id) : this.anyLink();
  }

  /** Finds the coordinator of a group (or transactional id); cached until `invalidateCoordinator`. */
  async coordinator(type: CoordinatorType, key: string): Promise<BrokerLink> {
    const cacheKey = `${type}:${key}`;
    const cached = this.coordinators.get(cacheKey);
    if (cached !== undefined && this.metadata.broker(cached)) return this.link(cached);
    const keyType = type === 'group' ? 0 : 1;
    return this.withRetries('FindCoordinator', { retries: 8, deadlineMs: this.options.requestTimeoutMs }, async () => {
      const res = await this.anyLink().request<FindCoordinatorResponse>(FindCoordinatorApi, { key, keyType, coordinatorKeys: [key] });
      const entry = res.coordinators.length > 0 ? res.coordinators[0]! : res;
      if (entry.errorCode !== ErrorCode.NONE) throw responseError(entry.errorCode, `FindCoordinator for ${type} '${key}'`, entry.errorMessage);
      if (!this.metadata.broker(entry.nodeId)) await this.fetchMetadata();
      if (!this.metadata.broker(entry.nodeId)) throw networkError(`coordinator ${entry.nodeId} for ${type} '${key}' is not in the metadata`);
      this.coordinators.set(cacheKey, entry.nodeId);
      return this.link(entry.nodeId);
    });
  }

  /** Forget a cached coordinator (after NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE / network errors). */
  invalidateCoordinator(type: CoordinatorType, key: string): void {
    this.coordinators.delete(`${type}:${key}`);
  }

  private periodicRefresh(): void {
    if (this.closed) return;
    if (Date.now() - this.metadata.lastUpdateMs < this.options.metadataMaxAgeMs) return;
    this.refreshMetadata().catch((err: unknown) => this.logger.debug({ err: (err as Error).message }, 'periodic metadata refresh failed'));
  }
}
