/**
 * A dedupe store kept in a compacted topic, so handled ids survive restarts and move with
 * partitions between the members of a group. `add` writes `key → handled-at ms` (acks=all,
 * idempotent) and remembers it locally; a reader without a group tails every partition of the
 * topic into a bounded in-memory index. `sync()` waits until the reader has caught up with the
 * topic's end as it is now: a subscription calls it after every assignment, so a member that takes
 * over a partition sees what the previous owner handled before it handles anything.
 */
import type { Logger } from 'pino';
import { Admin, Consumer, Producer, type ClientOptions } from '../client/index.js';
import { sleep } from '../client/backoff.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { MemoryDedupeStore, type DedupeStore } from './dedupe-store.js';

export interface CompactedTopicStoreOptions {
  bootstrapServers: ClientOptions['bootstrapServers'];
  /** The store's topic; created (cleanup.policy=compact) if missing. */
  topic: string;
  /** For a new topic. Default 3. */
  partitions?: number;
  /** For a new topic. Default: the broker's default. */
  replicationFactor?: number;
  /** Keys kept in memory. Default 1000000. */
  maxEntries?: number;
  /** How long a key is remembered in memory. Default: until evicted. */
  ttlMs?: number;
  /** Longest `sync()` waits. Default 30000. */
  syncTimeoutMs?: number;
  clientId?: string;
  logger?: Logger;
}

export class CompactedTopicDedupeStore implements DedupeStore {
  private readonly index: MemoryDedupeStore;
  private readonly admin: Admin;
  private readonly producer: Producer;
  private readonly reader: Consumer;
  private started: Promise<void> | null = null;
  private tailing: Promise<void> | null = null;
  private tailError: Error | null = null;
  private closed = false;

  constructor(private readonly options: CompactedTopicStoreOptions) {
    const base: ClientOptions = { bootstrapServers: options.bootstrapServers, clientId: options.clientId ?? 'tributary-dedupe' };
    if (options.logger) base.logger = options.logger;
    this.index = new MemoryDedupeStore({ maxEntries: options.maxEntries ?? 1_000_000, ...(options.ttlMs !== undefined && { ttlMs: options.ttlMs }) });
    this.admin = new Admin(base);
    this.producer = new Producer({ ...base, lingerMs: 1 });
    this.reader = new Consumer({ ...base, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100, allowAutoTopicCreation: false });
  }

  /** Keys in the local index. */
  get size(): number {
    return this.index.size;
  }

  async has(key: string): Promise<boolean> {
    await this.start();
    return this.index.hasNow(key);
  }

  async add(key: string): Promise<void> {
    await this.start();
    this.index.addNow(key);
    await this.producer.send({ topic: this.options.topic, messages: [{ key: Buffer.from(key, 'utf8'), value: Buffer.from(String(Date.now()), 'utf8') }] });
  }

  /** Resolves once the reader has read up to the topic's end as of this call. */
  async sync(): Promise<void> {
    await this.start();
    const timeoutMs = this.options.syncTimeoutMs ?? 30_000;
    const deadline = Date.now() + timeoutMs;
    const ends = await this.admin.listOffsets(this.options.topic, 'latest');
    for (;;) {
      if (this.tailError) throw this.tailError;
      if (ends.every((e) => (this.reader.position({ topic: e.topic, partition: e.partition }) ?? -1) >= e.offset)) return;
      if (Date.now() > deadline) throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `dedupe store '${this.options.topic}' did not catch up within ${timeoutMs} ms`);
      await sleep(10);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.reader.close();
    await this.tailing;
    await Promise.all([this.producer.close(), this.admin.close()]);
  }

  private start(): Promise<void> {
    this.started ??= this.open();
    return this.started;
  }

  private async open(): Promise<void> {
    const { topic } = this.options;
    await this.admin.createTopics(
      [{ name: topic, numPartitions: this.options.partitions ?? 3, ...(this.options.replicationFactor !== undefined && { replicationFactor: this.options.replicationFactor }), configs: { 'cleanup.policy': 'compact' } }],
      { ignoreExisting: true },
    );
    const [described] = await this.admin.describeTopics([topic]);
    this.reader.assign((described?.partitions ?? []).map((p) => ({ topic, partition: p.partition })));
    this.tailing = this.tail();
  }

  private async tail(): Promise<void> {
    try {
      for await (const record of this.reader) {
        if (record.key === null) continue;
        const key = record.key.toString('utf8');
        if (record.value === null) this.index.forget(key);
        else this.index.addNow(key, Number(record.value.toString('utf8')) || record.timestamp);
      }
    } catch (err) {
      if (!this.closed) this.tailError = err as Error;
    }
  }
}
