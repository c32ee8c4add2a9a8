/**
 * The topics of a single-node broker: name, topic id, partition count and config overrides, persisted
 * as one JSON document written atomically (temp file, fsync, rename, fsync of the directory).
 * A TopicStore until the broker keeps its topics in the KRaft metadata log (`topic-store.ts`); the
 * changes are handed to `onChange` (which creates and deletes the partitions' logs) before a call returns.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { randomUuid } from '../protocol/schema/uuid.js';

import type { CreateTopicOptions, TopicInfo as StoredTopic, TopicStore } from './topic-store.js';

interface TopicInfo extends StoredTopic {
  partitions: number;
  configs: Readonly<Record<string, string>>;
}

/** What a change did, for the broker to create or delete logs. */
export type TopicChange =
  | { readonly kind: 'created'; readonly topic: StoredTopic }
  | { readonly kind: 'grown'; readonly topic: StoredTopic; readonly previousPartitions: number }
  | { readonly kind: 'deleted'; readonly topic: StoredTopic };

const FILE_NAME = 'tributary-topics.json';

export class TopicRegistry implements TopicStore {
  /** Called after each change is on disk, before the call that made it returns. */
  onChange: (change: TopicChange) => Promise<void> = async () => undefined;

  private readonly topics = new Map<string, TopicInfo>();
  private readonly byId = new Map<string, TopicInfo>();
  private writeChain: Promise<void> = Promise.resolve();
  /** The write that has not started yet: every change made before it starts joins it (one write for many). */
  private nextWrite: Promise<void> | null = null;

  /** `nodeId`: the one broker replicas can be assigned to. */
  private constructor(
    private readonly dir: string,
    private readonly nodeId: number,
  ) {}

  static async load(dir: string, nodeId: number): Promise<TopicRegistry> {
    const registry = new TopicRegistry(dir, nodeId);
    await mkdir(dir, { recursive: true });
    let text: string | null = null;
    try {
      text = await readFile(join(dir, FILE_NAME), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text !== null) {
      const doc = JSON.parse(text) as { topics: TopicInfo[] };
      for (const t of doc.topics) registry.put({ ...t });
    }
    return registry;
  }

  private put(t: TopicInfo): void {
    this.topics.set(t.name, t);
    this.byId.set(t.topicId, t);
  }

  get(name: string): TopicInfo | undefined {
    return this.topics.get(name);
  }

  getById(topicId: string): TopicInfo | undefined {
    return this.byId.get(topicId);
  }

  list(): TopicInfo[] {
    return [...this.topics.values()];
  }

  /** Manual assignments may only name this broker, the cluster's only one. */
  private checkAssignments(replicaLists: Iterable<readonly number[]>): void {
    for (const replicas of replicaLists) {
      const unknown = replicas.find((id) => id !== this.nodeId);
      if (unknown !== undefined) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Unknown broker id ${unknown} in the replica assignment.`);
      if (new Set(replicas).size !== replicas.length) throw new KafkaError(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Duplicate brokers in the replica assignment.');
    }
  }

  async create(name: string, partitions: number, configs: Record<string, string>, opts: CreateTopicOptions): Promise<TopicInfo> {
    if (opts.assignments) this.checkAssignments(opts.assignments.values());
    if (this.topics.has(name)) throw new KafkaError(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${name}' already exists.`);
    const t: TopicInfo = { name, topicId: randomUuid(), partitions, configs: { ...configs } };
    this.put(t);
    await this.persist();
    await this.onChange({ kind: 'created', topic: t });
    return t;
  }

  async setPartitionCount(name: string, partitions: number, assignments?: ReadonlyArray<readonly number[]>): Promise<void> {
    if (assignments) this.checkAssignments(assignments);
    const t = this.topics.get(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const previousPartitions = t.partitions;
    t.partitions = partitions;
    await this.persist();
    await this.onChange({ kind: 'grown', topic: t, previousPartitions });
  }

  /**
   * Replaces the topic's config overrides as a whole (AlterConfigs / IncrementalAlterConfigs): the
   * new object is installed in memory and the registry document is rewritten atomically. Readers
   * holding the previous `configs` object keep a consistent snapshot (it is never mutated).
   */
  async setConfigs(name: string, configs: Readonly<Record<string, string>>): Promise<TopicInfo> {
    const t = this.topics.get(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    const previous = t.configs;
    const next = { ...configs };
    t.configs = next;
    try {
      await this.persist();
    } catch (err) {
      // Not on disk: put the old overrides back unless a later change has replaced ours meanwhile.
      if (t.configs === next) t.configs = previous;
      throw err;
    }
    return t;
  }

  async delete(name: string): Promise<TopicInfo> {
    const t = this.topics.get(name);
    if (!t) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    this.topics.delete(name);
    this.byId.delete(t.topicId);
    await this.persist();
    await this.onChange({ kind: 'deleted', topic: t });
    return t;
  }

  /**
   * Serialises writes: each persists the state at the time it runs, in call order. Changes made while a write
   * is in progress share the next one (topics created concurrently, e.g. by auto-creation, cost one fsync'd
   * write together rather than one each).
   */
  private persist(): Promise<void> {
    if (this.nextWrite !== null) return this.nextWrite;
    // A failed write must not poison the writes queued after it: each reports its own outcome.
    const next = this.writeChain
      .catch(() => undefined)
      .then(() => {
        this.nextWrite = null;
        return this.writeNow();
      });
    this.nextWrite = next;
    this.writeChain = next;
    return next;
  }

  private async writeNow(): Promise<void> {
    const target = join(this.dir, FILE_NAME);
    const tmp = `${target}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify({ version: 1, topics: this.list() }, null, 2));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
    const dirHandle = await open(this.dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}
