/**
 * The consumer: `subscribe` (group membership, classic protocol) or `assign` (no group), then
 * read with `for await (const record of consumer)`, `consumer.batches()` or `consumer.run()`.
 * Positions advance when the application asks for the next record (or batch): what was handed
 * out before is then processed, so auto-commit and `commit()` are at-least-once. See
 * docs/client.md ("Consumer").
 */
import type { Logger } from 'pino';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { Cluster } from '../cluster/cluster.js';
import { ClientConfigError } from '../errors.js';
import { bufferDeserializer, type Deserializer } from '../serializers.js';
import { rebalanceProtocolOf, resolveAssignors, type Assignor, type RebalanceProtocol } from './assignors/index.js';
import { ChunkFailure, type Chunk } from './chunk.js';
import { Fetcher } from './fetcher.js';
import { DeliveryGate } from './gate.js';
import { GroupMembership, type MembershipHost } from './group/membership.js';
import { commitOffsets, fetchCommitted } from './offsets.js';
import { resolveConsumerOptions, type ConsumerOptions, type ResolvedConsumerOptions } from './options.js';
import { Assignment, type PartitionState } from './partition-state.js';
import { PositionResolver } from './positions.js';
import { formatTp, type ConsumerBatch, type ConsumerGroupMetadata, type ConsumerRecord, type RebalanceListener, type TopicPartition, type ConsumerOffset } from './types.js';

export interface RunHandlers<K, V> {
  /** Called per batch (one partition's records from one fetch); the batch counts as processed when it resolves. */
  eachBatch?: (batch: ConsumerBatch<K, V>) => void | Promise<void>;
  /** Called per record; the record counts as processed when it resolves. */
  eachRecord?: (record: ConsumerRecord<K, V>) => void | Promise<void>;
}

export class Consumer<K = Buffer | null, V = Buffer | null> implements AsyncIterable<ConsumerRecord<K, V>> {
  readonly cluster: Cluster;
  private readonly opts: ResolvedConsumerOptions;
  private readonly log: Logger;
  private readonly assignors: Assignor[];
  readonly rebalanceProtocol: RebalanceProtocol;
  private readonly keyDeserializer: Deserializer<K>;
  private readonly valueDeserializer: Deserializer<V>;
  private readonly assigned = new Assignment();
  private readonly fetcher: Fetcher<K, V>;
  private readonly positions: PositionResolver;
  private readonly gate = new DeliveryGate();
  private membership: GroupMembership | null = null;
  private mode: 'none' | 'subscribe' | 'assign' = 'none';
  private topics: string[] = [];
  private pattern: RegExp | null = null;
  private listener: RebalanceListener;
  private readonly errors: Error[] = [];
  private autoCommitTimer: NodeJS.Timeout | null = null;
  private subscriptionTimer: NodeJS.Timeout | null = null;
  private autoCommitting: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private iterating = false;
  /** The chunk whose record (batch) the application holds, and the position once that is processed. */
  private inHandChunk: Chunk<K, V> | null = null;
  private inHandNext = 0;

  constructor(options: ConsumerOptions<K, V>) {
    this.opts = resolveConsumerOptions(options as ConsumerOptions<unknown, unknown>);
    this.assignors = resolveAssignors(options.assignors);
    this.rebalanceProtocol = rebalanceProtocolOf(this.assignors);
    this.cluster = new Cluster(options, 'consumer');
    this.log = this.cluster.logger;
    this.keyDeserializer = options.keyDeserializer ?? (bufferDeserializer as Deserializer<K>);
    this.valueDeserializer = options.valueDeserializer ?? (bufferDeserializer as Deserializer<V>);
    this.listener = options.rebalanceListener ?? {};
    const onError = (err: Error): void => this.pushError(err);
    this.positions = new PositionResolver(this.cluster, this.assigned, this.opts, this.log, { resolved: () => this.fetcher.maybeFetch(), error: onError });
    const deserializers = { key: this.keyDeserializer, value: this.valueDeserializer };
    this.fetcher = new Fetcher<K, V>(this.cluster, this.assigned, this.opts, this.log, { needOffsets: () => this.positions.trigger(), error: onError }, deserializers);
  }

  /** Reads cluster metadata (optional: the consumer connects on first use). */
  async connect(): Promise<void> {
    await this.cluster.connect();
  }

  /** The group member id ('' before the first join or without a group). */
  get memberId(): string {
    return this.membership?.memberId ?? '';
  }

  get generationId(): number {
    return this.membership?.generationId ?? -1;
  }

  /** The group, generation and member id a transactional producer's `sendOffsets({ consumer })` sends. */
  groupMetadata(): ConsumerGroupMetadata {
    return { groupId: this.requireGroup('groupMetadata'), generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.opts.groupInstanceId };
  }

  /**
   * Joins the group (groupId required) for these topics, or every topic matching a pattern
   * (internal topics excluded; new matches are picked up within metadataMaxAgeMs). Calling it
   * again replaces the subscription and rebalances.
   */
  subscribe(topics: string | readonly string[] | RegExp, listener?: RebalanceListener): void {
    this.ensureOpen();
    if (this.opts.groupId === null) throw new ClientConfigError('subscribe() needs a groupId; use assign() to read without a group');
    if (this.mode === 'assign') throw new ClientConfigError('this consumer uses assign(); subscribe() and assign() do not mix (unsubscribe() first)');
    if (topics instanceof RegExp) {
      // Without g / y, test() keeps no state between calls.
      this.pattern = new RegExp(topics.source, topics.flags.replace(/[gy]/g, ''));
      this.topics = [];
    } else {
      const list = typeof topics === 'string' ? [topics] : [...topics];
      if (list.length === 0 || list.some((t) => t.trim() === '')) throw new ClientConfigError('subscribe() needs at least one non-empty topic name');
      this.pattern = null;
      this.topics = [...new Set(list)].sort();
      this.cluster.addTopics(this.topics);
    }
    if (listener) this.listener = listener;
    this.mode = 'subscribe';
    if (!this.membership) {
      this.membership = new GroupMembership(this.cluster, this.opts.groupId, this.opts, this.assignors, this.rebalanceProtocol, this.membershipHost(), this.log);
      this.membership.start();
      this.subscriptionTimer = setInterval(() => {
        this.membership?.checkSubscription().catch((err: unknown) => this.log.debug({ err: (err as Error).message }, 'subscription check failed'));
      }, this.cluster.options.metadataMaxAgeMs);
      this.subscriptionTimer.unref();
    }
    this.membership.requestRejoin('subscription changed');
    this.startAutoCommit();
  }

  /** Reads exactly these partitions, without group membership (commits still work with a groupId). */
  assign(partitions: readonly TopicPartition[]): void {
    this.ensureOpen();
    if (this.mode === 'subscribe') throw new ClientConfigError('this consumer uses subscribe(); subscribe() and assign() do not mix (unsubscribe() first)');
    this.mode = 'assign';
    const wanted = new Set(partitions.map((tp) => `${tp.topic}\0${tp.partition}`));
    this.assigned.remove(this.assigned.partitions().filter((tp) => !wanted.has(`${tp.topic}\0${tp.partition}`)));
    this.assigned.add(partitions);
    this.cluster.addTopics(new Set(partitions.map((tp) => tp.topic)));
    this.startAutoCommit();
    void this.cluster
      .connect()
      .then(() => Promise.all([...new Set(partitions.map((tp) => tp.topic))].map((t) => this.cluster.waitForTopic(t, { timeoutMs: this.opts.requestTimeoutMs, allowAutoTopicCreation: false }))))
      .then(
        () => this.positions.trigger(),
        (err: unknown) => this.pushError(err as Error),
      );
  }

  /** Leaves the group (revoking every partition) or drops the manual assignment. */
  async unsubscribe(): Promise<void> {
    if (this.membership) {
      const m = this.membership;
      this.membership = null;
      if (this.subscriptionTimer) clearInterval(this.subscriptionTimer);
      await this.revokePartitions(this.assigned.partitions());
      await m.close(true);
    }
    this.assigned.clear();
    this.mode = 'none';
    this.topics = [];
    this.pattern = null;
    this.stopAutoCommit();
  }

  /** The partitions assigned to this consumer now. */
  assignment(): TopicPartition[] {
    return this.assigned.partitions();
  }

  /** The next offset to be handed out for `tp` (null while unknown). */
  position(tp: TopicPartition): number | null {
    return this.assigned.get(tp)?.position ?? null;
  }

  /** The high watermark last seen for `tp` (-1 before the first fetch). */
  highWatermark(tp: TopicPartition): number {
    return this.assigned.get(tp)?.highWatermark ?? -1;
  }

  /** Waits until every assigned partition has a position (or failed). For tests and tools. */
  async waitForPositions(timeoutMs = 30_000): Promise<void> {
    await this.positions.settle(timeoutMs);
  }

  /** Moves `tp` to `offset`; records fetched for the old position are dropped. */
  seek(tp: TopicPartition, offset: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new ClientConfigError(`seek offset must be an integer >= 0, got ${offset}`);
    this.stateOf(tp, 'seek').moveTo(offset);
    this.fetcher.maybeFetch();
  }

  seekToBeginning(partitions: readonly TopicPartition[] = this.assignment()): void {
    for (const tp of partitions) this.stateOf(tp, 'seekToBeginning').requireOffset('earliest');
    this.positions.trigger();
  }

  seekToEnd(partitions: readonly TopicPartition[] = this.assignment()): void {
    for (const tp of partitions) this.stateOf(tp, 'seekToEnd').requireOffset('latest');
    this.positions.trigger();
  }

  /** Stops fetching these partitions (buffered records are dropped and fetched again on resume). */
  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const s = this.stateOf(tp, 'pause');
      if (s.paused) continue;
      s.paused = true;
      s.rewindFetch();
    }
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) this.stateOf(tp, 'resume').paused = false;
    this.fetcher.maybeFetch();
  }

  paused(): TopicPartition[] {
    return [...this.assigned.states()].filter((s) => s.paused).map((s) => s.tp);
  }

  /** The group's committed offsets for `partitions` (-1 where none). */
  async committed(partitions: readonly TopicPartition[]): Promise<ConsumerOffset[]> {
    const groupId = this.requireGroup('committed');
    await this.cluster.connect();
    const found = await fetchCommitted(this.cluster, groupId, partitions, this.opts.isolationLevel === 1);
    return partitions.map((tp) => {
      const c = found.get(`${tp.topic}\0${tp.partition}`);
      return { topic: tp.topic, partition: tp.partition, offset: c?.offset ?? -1, metadata: c?.metadata ?? null };
    });
  }

  /**
   * Commits `offsets` (default: the position of every assigned partition — what has been
   * processed) and waits for the coordinator. Rejects with a KafkaError: ILLEGAL_GENERATION /
   * UNKNOWN_MEMBER_ID when the member was fenced by a rebalance, REBALANCE_IN_PROGRESS while
   * a rebalance completes.
   */
  async commit(offsets?: readonly ConsumerOffset[]): Promise<void> {
    const groupId = this.requireGroup('commit');
    const list = offsets ?? [...this.assigned.states()].filter((s) => s.position !== null).map((s) => ({ topic: s.topic, partition: s.partition, offset: s.position! }));
    await this.commitList(groupId, list);
  }

  /** Commits without waiting; the callback (or, without one, the log) gets the outcome. */
  commitAsync(offsets?: readonly ConsumerOffset[], callback?: (err: Error | null) => void): void {
    this.commit(offsets).then(
      () => callback?.(null),
      (err: unknown) => {
        if (callback) callback(err as Error);
        else this.log.warn({ err: (err as Error).message }, 'async commit failed');
      },
    );
  }

  /** Records one at a time; the previous record counts as processed when the next is asked for. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ConsumerRecord<K, V>, void, undefined> {
    this.beginIteration();
    try {
      for (;;) {
        const chunk = await this.nextChunk();
        if (!chunk) return;
        const s = chunk.state;
        try {
          for (;;) {
            const r = this.nextOf(chunk);
            if (r === null) {
              if (chunk.valid && chunk.done) s.position = chunk.nextOffset;
              break;
            }
            this.inHandChunk = chunk;
            this.inHandNext = r.offset + 1;
            yield r;
            this.inHandChunk = null;
            if (!chunk.valid) break;
            s.position = r.offset + 1;
            if (this.gate.contended || this.closing || this.errors.length > 0) {
              this.gate.exitApp();
              this.throwPendingError();
              if (this.closing) return;
              const wait = this.gate.enterApp();
              if (wait) await wait;
              if (!chunk.valid) break;
            }
          }
        } finally {
          this.leaveChunk(chunk);
        }
      }
    } finally {
      this.iterating = false;
    }
  }

  /** Batches: one partition's records from one fetch; a batch counts as processed when the next is asked for. */
  async *batches(): AsyncGenerator<ConsumerBatch<K, V>, void, undefined> {
    this.beginIteration();
    try {
      for (;;) {
        const chunk = await this.nextChunk();
        if (!chunk) return;
        const s = chunk.state;
        try {
          // Normally all of the chunk; only a failure part-way leaves a rest (its error comes next).
          while (chunk.valid && !chunk.done) {
            const records = this.restOf(chunk);
            if (records.length === 0) break;
            const next = chunk.done ? chunk.nextOffset : records[records.length - 1]!.offset + 1;
            this.inHandChunk = chunk;
            this.inHandNext = next;
            yield { topic: s.topic, partition: s.partition, records, highWatermark: chunk.highWatermark, nextOffset: next };
            this.inHandChunk = null;
            if (chunk.valid) s.position = next;
          }
          if (chunk.valid && chunk.done) s.position = chunk.nextOffset;
        } finally {
          this.leaveChunk(chunk);
        }
      }
    } finally {
      this.iterating = false;
    }
  }

  /**
   * Calls the handler for every batch (or record) until `close()`. A handler that throws stops
   * the run with its error; its batch (record) is not counted as processed and is read again.
   */
  async run(handlers: RunHandlers<K, V>): Promise<void> {
    const { eachBatch, eachRecord } = handlers;
    if (eachBatch) {
      for await (const batch of this.batches()) {
        try {
          await eachBatch(batch);
        } catch (err) {
          this.rewindTo(batch, batch.records[0]!.offset);
          throw err;
        }
      }
    } else if (eachRecord) {
      for await (const record of this) {
        try {
          await eachRecord(record);
        } catch (err) {
          this.rewindTo(record, record.offset);
          throw err;
        }
      }
    } else {
      throw new ClientConfigError('run() needs eachBatch or eachRecord');
    }
  }

  /**
   * Stops consuming: iterators finish, positions are committed (auto-commit), onPartitionsRevoked
   * runs, and a dynamic member leaves the group (LeaveGroup); a static member (groupInstanceId)
   * does not leave, so its restart within sessionTimeoutMs causes no rebalance. Then closes
   * every connection.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.stopAutoCommit();
    if (this.subscriptionTimer) clearInterval(this.subscriptionTimer);
    this.fetcher.arrivals.notify();
    this.finishInHand();
    try {
      if (this.opts.groupId !== null && this.opts.enableAutoCommit && this.mode !== 'none') {
        await this.autoCommitting?.catch(() => undefined);
        const owned = this.membership === null || this.membership.generationId >= 0 || this.mode === 'assign';
        if (owned) await this.commitPositions(true).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'commit on close failed'));
      }
      if (this.membership) {
        const parts = this.assigned.partitions();
        if (parts.length > 0 && this.membership.state === 'stable') await this.callListener('onPartitionsRevoked', parts);
        await this.membership.close(true);
      }
    } finally {
      this.fetcher.close();
      this.positions.close();
      this.cluster.close();
    }
  }

  // ------------------------------------------------------------------ internals

  private membershipHost(): MembershipHost {
    return {
      subscribedTopics: () => this.subscribedTopics(),
      owned: () => this.assigned.partitions(),
      revoke: (parts) => this.gate.asGroup(() => this.revokePartitions(parts), this.opts.maxPollIntervalMs),
      lose: (parts) =>
        this.gate.asGroup(async () => {
          this.log.info({ partitions: parts.map(formatTp) }, 'partitions lost');
          this.assigned.remove(parts);
          await this.callListener(this.listener.onPartitionsLost ? 'onPartitionsLost' : 'onPartitionsRevoked', parts);
        }, this.opts.maxPollIntervalMs),
      assign: (parts) =>
        this.gate.asGroup(async () => {
          this.assigned.add(parts);
          this.log.info({ partitions: parts.map(formatTp) }, 'partitions assigned');
          await this.callListener('onPartitionsAssigned', parts);
          this.positions.trigger();
          this.fetcher.maybeFetch();
        }, this.opts.maxPollIntervalMs),
      fatal: (err) => this.pushError(err),
      heldMs: () => (this.gate.heldByApp ? Date.now() - this.gate.appSinceMs : 0),
    };
  }

  private async revokePartitions(parts: TopicPartition[]): Promise<void> {
    if (parts.length === 0) return;
    if (this.opts.enableAutoCommit && this.opts.groupId !== null) {
      const states = parts.map((tp) => this.assigned.get(tp)).filter((s): s is PartitionState => s !== undefined && s.position !== null);
      const offsets = states.map((s) => ({ topic: s.topic, partition: s.partition, offset: s.position! }));
      await this.commitList(this.opts.groupId, offsets).catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'commit before revocation failed'));
    }
    this.log.info({ partitions: parts.map(formatTp) }, 'partitions revoked');
    await this.callListener('onPartitionsRevoked', parts);
    this.assigned.remove(parts);
  }

  private async callListener(name: keyof RebalanceListener, parts: TopicPartition[]): Promise<void> {
    const fn = this.listener[name];
    if (!fn) return;
    try {
      await fn.call(this.listener, parts);
    } catch (err) {
      this.log.warn({ listener: name, err: (err as Error).message }, 'rebalance listener failed');
      this.pushError(err as Error);
    }
  }

  private async subscribedTopics(): Promise<string[]> {
    await this.cluster.connect();
    if (this.pattern) {
      const { response } = await this.cluster.fetchMetadata(null);
      const pattern = this.pattern;
      return response.topics
        .filter((t) => t.name !== null && !t.isInternal && t.errorCode === ErrorCode.NONE && pattern.test(t.name))
        .map((t) => t.name!)
        .sort();
    }
    await this.cluster.fetchMetadata(this.topics, this.opts.allowAutoTopicCreation).catch((err: unknown) => this.log.debug({ err: (err as Error).message }, 'metadata for subscribed topics failed'));
    return [...this.topics];
  }

  private async commitList(groupId: string, offsets: readonly ConsumerOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const who = this.membership?.commitIdentity() ?? { generationId: -1, memberId: '', groupInstanceId: null };
    await commitOffsets(this.cluster, groupId, who, offsets);
    for (const o of offsets) {
      const s = this.assigned.get(o);
      if (s) s.committed = o.offset;
    }
  }

  private commitPositions(all: boolean): Promise<void> {
    const groupId = this.opts.groupId!;
    const list = all ? [...this.assigned.states()].filter((s) => s.position !== null).map((s) => ({ state: s, offset: s.position! })) : this.assigned.uncommitted();
    return this.commitList(groupId, list.map(({ state, offset }) => ({ topic: state.topic, partition: state.partition, offset })));
  }

  private startAutoCommit(): void {
    if (!this.opts.enableAutoCommit || this.opts.groupId === null || this.autoCommitTimer) return;
    this.autoCommitTimer = setInterval(() => {
      if (this.autoCommitting || this.closing) return;
      if (this.membership && (this.membership.generationId < 0 || this.membership.state === 'unjoined')) return;
      this.autoCommitting = this.commitPositions(false)
        .catch((err: unknown) => this.log.debug({ err: (err as Error).message }, 'auto-commit failed'))
        .finally(() => {
          this.autoCommitting = null;
        });
    }, this.opts.autoCommitIntervalMs);
    this.autoCommitTimer.unref();
  }

  private stopAutoCommit(): void {
    if (this.autoCommitTimer) clearInterval(this.autoCommitTimer);
    this.autoCommitTimer = null;
  }

  private beginIteration(): void {
    if (this.iterating) throw new ClientConfigError('this consumer is already being iterated; use one iterator (or run()) at a time');
    if (this.mode === 'none' && !this.closing) throw new ClientConfigError('call subscribe() or assign() before reading');
    this.iterating = true;
  }

  /** The next chunk to hand out, with the gate held for the application; null once closing. */
  private async nextChunk(): Promise<Chunk<K, V> | null> {
    for (;;) {
      this.throwPendingError();
      if (this.closing) return null;
      const chunk = this.fetcher.take();
      if (chunk) {
        if (chunk.ready) await chunk.ready;
        const wait = this.gate.enterApp();
        if (wait) await wait;
        if (chunk.valid && !chunk.state.paused && !this.closing) return chunk;
        this.gate.exitApp();
        continue;
      }
      this.fetcher.maybeFetch();
      await this.fetcher.arrivals.wait(1000);
    }
  }

  private nextOf(chunk: Chunk<K, V>): ConsumerRecord<K, V> | null {
    try {
      return chunk.next();
    } catch (err) {
      if (err instanceof ChunkFailure) return this.chunkFailed(chunk, err);
      throw err;
    }
  }

  private restOf(chunk: Chunk<K, V>): Array<ConsumerRecord<K, V>> {
    try {
      return chunk.rest();
    } catch (err) {
      if (err instanceof ChunkFailure) return this.chunkFailed(chunk, err) ?? [];
      throw err;
    }
  }

  /**
   * A corrupt batch or a throwing deserializer: the position stops at it, what was fetched beyond
   * is dropped, and the error is thrown next. Corrupt data stops the partition until a seek past
   * it; a deserializer's error comes again when the partition is read again (Kafka's
   * RecordDeserializationException), so the application can seek past the record.
   */
  private chunkFailed(chunk: Chunk<K, V>, f: ChunkFailure): null {
    const s = chunk.state;
    if (!chunk.valid) return null;
    s.position = f.offset;
    s.rewindFetch();
    if (f.corrupt) {
      s.failed = true;
      this.pushError(new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${formatTp(s)} at offset ${f.offset}: ${f.error.message}; seek() past it to go on`));
    } else {
      this.pushError(f.error);
    }
    return null;
  }

  /**
   * The iterator is done with a chunk. If the application stopped early (break, throw, close)
   * while holding records, they count as processed, as Kafka's poll counts them; records of the
   * chunk not handed out yet are fetched again (the fetch position had run ahead of them).
   */
  private leaveChunk(chunk: Chunk<K, V>): void {
    this.finishInHand();
    if (chunk.valid && !chunk.done) chunk.state.rewindFetch();
    this.gate.exitApp();
  }

  /** The application stopped early (break, throw, close) while holding records: count them processed, as Kafka's poll does. */
  private finishInHand(): void {
    const c = this.inHandChunk;
    this.inHandChunk = null;
    if (c && c.valid) c.state.position = this.inHandNext;
  }

  private rewindTo(tp: TopicPartition, offset: number): void {
    const s = this.assigned.get(tp);
    if (s && s.assigned) s.moveTo(offset);
  }

  private pushError(err: Error): void {
    this.errors.push(err);
    this.fetcher.arrivals.notify();
  }

  private throwPendingError(): void {
    const err = this.errors.shift();
    if (err) throw err;
  }

  private stateOf(tp: TopicPartition, what: string): PartitionState {
    const s = this.assigned.get(tp);
    if (!s) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `${what}: ${formatTp(tp)} is not assigned to this consumer`);
    return s;
  }

  private requireGroup(what: string): string {
    if (this.opts.groupId === null) throw new ClientConfigError(`${what}() needs a groupId`);
    return this.opts.groupId;
  }

  private ensureOpen(): void {
    if (this.closing) throw new KafkaError(ErrorCode.NETWORK_EXCEPTION, 'consumer is closed');
  }
}
