/**
 * A follower's fetcher for one source broker (Kafka's ReplicaFetcherThread): one loop that sends Fetch
 * requests — as replica `brokerId` with its broker epoch (ReplicaState, v15+) — carrying every partition
 * this broker follows whose leader is that broker. Each answer's records are appended as they are
 * (the leader's offsets, epochs and bytes), the partition's high watermark follows the leader's, and a
 * diverging epoch (KIP-320/KIP-595 style, Fetch v12+) truncates the local tail to where the leader's
 * history and ours agree.
 *
 * Concurrency: the loop is the only writer of its partitions' logs while they are followers; a partition
 * removed (or whose leader epoch changed) while a fetch is in flight has its part of the answer ignored.
 * Errors back the partition (or, for a broken connection, the whole fetcher) off for
 * replica.fetch.backoff.ms.
 */
import type { Logger } from 'pino';
import { BrokerConnection } from '../../network/broker-connection.js';
import { FetchApi, ListOffsetsApi } from '../../protocol/messages/index.js';
import type { ListOffsetsResponse } from '../../protocol/messages/list-offsets.js';
import { ZERO_UUID } from '../../protocol/schema/uuid.js';
import type { FetchRequest, FetchResponse, PartitionData } from '../../protocol/messages/fetch.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { recordsToBuffer } from '../../protocol/schema/records.js';
import type { Clock, TimerHandle, Timers } from '../runtime.js';
import type { Partition } from './partition.js';

export interface FetcherEndpoint {
  readonly host: string;
  readonly port: number;
}

export interface ReplicaFetcherOptions {
  readonly brokerId: number;
  readonly brokerEpoch: () => number;
  readonly sourceBrokerId: number;
  readonly endpoint: FetcherEndpoint;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly logger: Logger;
  /** replica.fetch.max.bytes, replica.fetch.response.max.bytes, replica.fetch.min.bytes, replica.fetch.wait.max.ms. */
  readonly fetchMaxBytes: number;
  readonly responseMaxBytes: number;
  readonly minBytes: number;
  readonly maxWaitMs: number;
  readonly backoffMs: number;
  /** replica.socket.timeout.ms: a fetch not answered by then (beyond its max wait) drops the connection. */
  readonly socketTimeoutMs: number;
  /** After an append or truncation: the replica manager wakes waiters and checkpoints. */
  readonly onProgress: (p: Partition) => void;
}

/** Fetch v17 (the newest our codec has): topic ids, ReplicaState, diverging epochs. */
const FETCH_VERSION = 17;
/** ListOffsets v7 (currentLeaderEpoch), for the leader's log start and end after OFFSET_OUT_OF_RANGE. */
const LIST_OFFSETS_VERSION = 7;
const LATEST_TIMESTAMP = -1;
const EARLIEST_TIMESTAMP = -2;

interface Followed {
  readonly p: Partition;
  /** The leader epoch it was added in: an answer for another epoch is ignored. */
  readonly leaderEpoch: number;
  delayedUntilMs: number;
}

function key(p: Partition): string {
  return `${p.topic}\u0000${p.partition}`;
}

export class ReplicaFetcher {
  private readonly partitions = new Map<string, Followed>();
  private connection: Promise<BrokerConnection> | null = null;
  private running = false;
  private stopped = false;
  private wake: (() => void) | null = null;
  private sleepTimer: TimerHandle | null = null;
  private loop: Promise<void> | null = null;

  constructor(readonly options: ReplicaFetcherOptions) {}

  get sourceBrokerId(): number {
    return this.options.sourceBrokerId;
  }

  get endpoint(): FetcherEndpoint {
    return this.options.endpoint;
  }

  get size(): number {
    return this.partitions.size;
  }

  /** Carries `p` in its current leader epoch (again, after an epoch change: answers for the old one are ignored). */
  add(p: Partition): void {
    const existing = this.partitions.get(key(p));
    if (existing?.p !== p || existing.leaderEpoch !== p.leaderEpoch) this.partitions.set(key(p), { p, leaderEpoch: p.leaderEpoch, delayedUntilMs: 0 });
    if (!this.running && !this.stopped) {
      this.running = true;
      this.loop = this.run();
    }
    this.wakeUp();
  }

  remove(p: Partition): void {
    this.partitions.delete(key(p));
  }

  has(p: Partition): boolean {
    return this.partitions.get(key(p))?.p === p;
  }

  private wakeUp(): void {
    const w = this.wake;
    this.wake = null;
    if (this.sleepTimer !== null) this.options.timers.clearTimeout(this.sleepTimer);
    this.sleepTimer = null;
    w?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = this.options.timers.setTimeout(() => this.wakeUp(), ms);
    });
  }

  private async run(): Promise<void> {
    const { logger, backoffMs, clock } = this.options;
    while (!this.stopped) {
      const now = clock.now();
      const ready = [...this.partitions.values()].filter((f) => f.delayedUntilMs <= now && f.p.role === 'follower' && f.p.leaderEpoch === f.leaderEpoch);
      if (ready.length === 0) {
        const next = Math.min(...[...this.partitions.values()].map((f) => f.delayedUntilMs).filter((t) => t > now), now + backoffMs);
        await this.sleep(Math.max(1, next - now));
        continue;
      }
      try {
        const conn = await this.connect();
        const res = await conn.send<FetchResponse>(FetchApi, FETCH_VERSION, this.request(ready));
        if (res.errorCode !== ErrorCode.NONE) {
          logger.warn({ source: this.options.sourceBrokerId, errorCode: res.errorCode }, 'replica fetch refused as a whole');
          for (const f of ready) f.delayedUntilMs = clock.now() + backoffMs;
          continue;
        }
        await this.process(ready, res);
      } catch (err) {
        if (this.stopped) break;
        logger.warn({ source: this.options.sourceBrokerId, err: (err as Error).message }, 'replica fetch failed; retrying after backoff');
        this.dropConnection();
        await this.sleep(backoffMs);
      }
    }
  }

  private connect(): Promise<BrokerConnection> {
    if (this.connection) return this.connection;
    const { host, port } = this.options.endpoint;
    const opening = BrokerConnection.open(host, port, {
      clientId: `broker-${this.options.brokerId}-fetcher-${this.options.sourceBrokerId}`,
      requestTimeoutMs: this.options.socketTimeoutMs + this.options.maxWaitMs,
      connectTimeoutMs: Math.min(this.options.socketTimeoutMs, 10_000),
      maxResponseBytes: this.options.responseMaxBytes + 16 * 1024 * 1024,
    });
    this.connection = opening;
    opening.catch(() => {
      if (this.connection === opening) this.connection = null;
    });
    return opening;
  }

  private dropConnection(): void {
    const c = this.connection;
    this.connection = null;
    void c?.then((conn) => conn.close(), () => undefined);
  }

  private request(ready: readonly Followed[]): FetchRequest {
    const byTopic = new Map<string, Followed[]>();
    for (const f of ready) {
      let list = byTopic.get(f.p.topicId);
      if (!list) byTopic.set(f.p.topicId, (list = []));
      list.push(f);
    }
    return {
      clusterId: null,
      replicaId: -1,
      replicaState: { replicaId: this.options.brokerId, replicaEpoch: this.options.brokerEpoch() },
      maxWaitMs: this.options.maxWaitMs,
      minBytes: this.options.minBytes,
      maxBytes: this.options.responseMaxBytes,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [...byTopic].map(([topicId, list]) => ({
        topic: list[0]!.p.topic,
        topicId,
        partitions: list.map((f) => ({
          partition: f.p.partition,
          currentLeaderEpoch: f.leaderEpoch,
          fetchOffset: f.p.log.logEndOffset,
          lastFetchedEpoch: f.p.log.latestEpoch() ?? -1,
          logStartOffset: f.p.log.logStartOffset,
          partitionMaxBytes: this.options.fetchMaxBytes,
          replicaDirectoryId: ZERO_UUID,
        })),
      })),
      forgottenTopicsData: [],
      rackId: '',
    };
  }

  private async process(ready: readonly Followed[], res: FetchResponse): Promise<void> {
    const names = new Map(ready.map((f) => [f.p.topicId, f.p.topic]));
    const byKey = new Map<string, PartitionData>();
    for (const t of res.responses) {
      const name = names.get(t.topicId);
      if (name === undefined) continue;
      for (const pd of t.partitions) byKey.set(`${name}\u0000${pd.partitionIndex}`, pd);
    }
    for (const f of ready) {
      const current = this.partitions.get(key(f.p));
      // Removed, re-added in another epoch, or no longer a follower: this answer is stale for it.
      if (current !== f || f.p.role !== 'follower' || f.p.leaderEpoch !== f.leaderEpoch) continue;
      const data = byKey.get(key(f.p));
      if (!data) continue;
      try {
        await this.processPartition(f, data);
      } catch (err) {
        this.options.logger.warn({ topic: f.p.topic, partition: f.p.partition, err }, 'applying fetched data failed; backing off');
        f.delayedUntilMs = this.options.clock.now() + this.options.backoffMs;
      }
    }
  }

  private async processPartition(f: Followed, data: PartitionData): Promise<void> {
    const { p } = f;
    switch (data.errorCode) {
      case ErrorCode.NONE: {
        const diverging = data.divergingEpoch;
        if (diverging && diverging.epoch >= 0 && diverging.endOffset >= 0) {
          await this.truncateOnDivergence(p, diverging.epoch, diverging.endOffset);
          this.options.onProgress(p);
          return;
        }
        const records = recordsToBuffer(data.records);
        if (records !== null && records.length > 0) await p.log.append(records, { origin: 'replication' });
        p.updateFollowerHighWatermark(data.highWatermark);
        // The leader's log start (retention, DeleteRecords) moves ours too, never past our high watermark.
        if (data.logStartOffset > p.log.logStartOffset && data.logStartOffset <= p.highWatermark) {
          await p.log.deleteRecordsBefore(data.logStartOffset, { highWatermark: p.highWatermark });
        }
        this.options.onProgress(p);
        return;
      }
      case ErrorCode.OFFSET_OUT_OF_RANGE:
        await this.handleOutOfRange(f);
        this.options.onProgress(p);
        return;
      default:
        // NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_ID…: the
        // metadata will move the partition; until then, back off.
        f.delayedUntilMs = this.options.clock.now() + this.options.backoffMs;
    }
  }

  /**
   * The leader's log for `epoch` ends at `endOffset` and ours disagrees past it. Kafka's follower rule:
   * with the same epoch locally, keep the shorter of the two ends; otherwise cut to the end of the last
   * epoch we share (at most the leader's end) — the next fetch checks again until they agree.
   */
  private async truncateOnDivergence(p: Partition, epoch: number, leaderEndOffset: number): Promise<void> {
    const local = p.log.endOffsetForEpoch(epoch);
    const target = local.endOffset < 0 ? Math.min(p.highWatermark, leaderEndOffset) : Math.min(local.endOffset, leaderEndOffset);
    if (target >= p.log.logEndOffset) {
      // Nothing to cut, but an epoch this replica started as leader without appending anything (an entry
      // at its log end) must go, or every fetch names it as the last fetched epoch and diverges again,
      // for ever (Kafka's truncateTo does the same; found by the chaos harness after all-down).
      if ((p.log.latestEpoch() ?? -1) > epoch) await p.log.truncateTo(p.log.logEndOffset);
      return;
    }
    this.options.logger.warn(
      { topic: p.topic, partition: p.partition, leaderEpoch: epoch, leaderEndOffset, localEpoch: local.epoch, from: p.log.logEndOffset, to: target },
      'truncating a divergent log tail to match the leader',
    );
    await p.log.truncateTo(target);
    if (p.highWatermark > p.log.logEndOffset) p.highWatermark = p.log.logEndOffset;
  }

  /**
   * OFFSET_OUT_OF_RANGE, Kafka's follower rule: ask the leader (ListOffsets as replica `brokerId`) for its
   * log start and end. Our end beyond the leader's (only after an unclean election, epochs cover the rest):
   * cut back to it. Our end below the leader's start (retention or DeleteRecords there moved past us):
   * nothing we hold can continue, so the log is emptied and restarts at the leader's start. Otherwise the
   * range moved under the fetch: fetch again after the backoff.
   */
  private async handleOutOfRange(f: Followed): Promise<void> {
    const { p } = f;
    const start = await this.leaderOffset(f, EARLIEST_TIMESTAMP);
    const end = await this.leaderOffset(f, LATEST_TIMESTAMP);
    const local = p.log.logEndOffset;
    const where = { topic: p.topic, partition: p.partition, logEndOffset: local, leaderLogStartOffset: start, leaderLogEndOffset: end };
    if (end < local) {
      this.options.logger.warn(where, 'out of range: our log ends beyond the leader\'s; truncating to its end');
      await p.log.truncateTo(end);
      if (p.highWatermark > p.log.logEndOffset) p.highWatermark = p.log.logEndOffset;
    } else if (start > local) {
      this.options.logger.warn(where, 'out of range: our log ends below the leader\'s log start; restarting the log there');
      await p.log.truncateFullyAndStartAt(start);
      p.highWatermark = start;
    } else {
      f.delayedUntilMs = this.options.clock.now() + this.options.backoffMs;
    }
  }

  private async leaderOffset(f: Followed, timestamp: number): Promise<number> {
    const conn = await this.connect();
    const res = await conn.send<ListOffsetsResponse>(ListOffsetsApi, LIST_OFFSETS_VERSION, {
      replicaId: this.options.brokerId,
      isolationLevel: 0,
      topics: [{ name: f.p.topic, partitions: [{ partitionIndex: f.p.partition, currentLeaderEpoch: f.leaderEpoch, timestamp, maxNumOffsets: 1 }] }],
      timeoutMs: this.options.socketTimeoutMs,
    });
    const part = res.topics[0]?.partitions[0];
    if (!part) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `ListOffsets from broker ${this.options.sourceBrokerId} answered without ${f.p.topic}-${f.p.partition}`);
    if (part.errorCode !== ErrorCode.NONE) throw new KafkaError(part.errorCode, `ListOffsets of ${f.p.topic}-${f.p.partition} from its leader ${this.options.sourceBrokerId}`);
    return part.offset;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.partitions.clear();
    this.wakeUp();
    this.dropConnection();
    await this.loop?.catch(() => undefined);
  }
}
