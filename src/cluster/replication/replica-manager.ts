/**
 * The replicas this broker holds, as leaders and followers (Kafka's ReplicaManager). The broker's
 * metadata publisher calls `applyPartition` with each partition's registration whenever the image
 * changes; the replica becomes leader (its epoch's start offset recorded in the log), follower (handed to
 * the fetcher of its leader) or waits leaderless, and is stopped when this broker is no longer a replica.
 *
 * As leader it serves appends (acks=0/1 answered after the local append, acks=all once the ISR has the
 * batch: `ProducePurgatory`), consumer reads below the high watermark, and follower fetches — which move
 * the followers' positions, the high watermark, and the ISR (expansions at fetch time, shrinks on a timer
 * after replica.lag.time.max.ms, both through AlterPartition to the controller).
 *
 * Concurrency: everything runs on the event loop. A replica's log is written by one party at a time: the
 * append path while it leads, its fetcher while it follows (a role change removes it from the fetcher
 * before the other starts).
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { CompressionType } from '../../protocol/compression/types.js';
import type { ResponsePartitionData } from '../../protocol/messages/alter-partition.js';
import type { LogManager } from '../../storage/log-manager.js';
import type { AppendOptions, LogConfig, PartitionLog } from '../../storage/partition-log.js';
import type { VerificationGuard } from '../../storage/producer-state/producer-state-manager.js';
import type { PartitionRegistration } from '../metadata/metadata-image.js';
import { realRuntime, type Runtime, type TimerHandle } from '../runtime.js';
import type { AlterPartitionSender } from './alter-partition-sender.js';
import { ReplicaFetcherManager } from './fetcher-manager.js';
import { LEADER_RECOVERY_RECOVERED, LEADER_RECOVERY_RECOVERING, Partition } from './partition.js';
import { ProducePurgatory } from './produce-purgatory.js';
import type { FetcherEndpoint } from './replica-fetcher.js';

/** What request handlers read of a replica this broker leads. */
export interface HostedPartition {
  readonly topic: string;
  readonly partition: number;
  readonly log: PartitionLog;
  readonly highWatermark: number;
  /** The high watermark, held back by transactions not yet stable (read_committed reads below it). */
  readonly lastStableOffset: number;
  readonly leaderEpoch: number;
}

export interface AppendInfo {
  baseOffset: number;
  lastOffset: number;
  logAppendTime: number;
  logStartOffset: number;
}

export type RequiredAcks = -1 | 0 | 1;

/** A follower's read from a leader (Fetch with a replica id). */
export interface FollowerRead {
  readonly records: Buffer;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  /** Set when the follower's last fetched epoch ends earlier here: it must truncate first. */
  readonly divergingEpoch?: { epoch: number; endOffset: number };
}

export interface ReplicationSettings {
  readonly replicaLagTimeMaxMs: number;
  readonly fetchMaxBytes: number;
  readonly fetchResponseMaxBytes: number;
  readonly fetchMinBytes: number;
  readonly fetchWaitMaxMs: number;
  readonly fetchBackoffMs: number;
  readonly socketTimeoutMs: number;
  readonly numFetchers: number;
}

/** What the replica manager needs to know of other brokers (from the metadata image). */
export interface ReplicaPeers {
  /** The inter-broker endpoint of a live broker, undefined when it has none or is fenced. */
  endpoint(brokerId: number): FetcherEndpoint | undefined;
  /** The broker epoch of a broker that may join an ISR (unfenced, not shutting down); undefined otherwise. */
  eligibleEpoch(brokerId: number): number | undefined;
}

export interface ReplicaManagerOptions {
  /** This broker's id; -1 in unit tests that host sole-replica partitions only. */
  nodeId?: number;
  /** The codec a topic stores batches in (its compression.type); null or absent = as the producer sent them. */
  topicCodec?: (topic: string) => CompressionType | null;
  /** Whether the cluster has this partition (led elsewhere, or leaderless): NOT_LEADER_OR_FOLLOWER rather than UNKNOWN_TOPIC_OR_PARTITION. */
  partitionExists?: (topic: string, partition: number) => boolean;
  /** min.insync.replicas of a topic (default 1). */
  minInsyncReplicas?: (topic: string) => number;
  runtime?: Runtime;
  replication?: ReplicationSettings;
  brokerEpoch?: () => number;
  peers?: ReplicaPeers;
  alterPartition?: AlterPartitionSender;
  /** The high watermark checkpointed for a log (replication-offset-checkpoint), if any. */
  checkpointedHighWatermark?: (topic: string, partition: number) => number | undefined;
}

export const DEFAULT_REPLICATION_SETTINGS: ReplicationSettings = {
  replicaLagTimeMaxMs: 30_000,
  fetchMaxBytes: 1024 * 1024,
  fetchResponseMaxBytes: 10 * 1024 * 1024,
  fetchMinBytes: 1,
  fetchWaitMaxMs: 500,
  fetchBackoffMs: 1000,
  socketTimeoutMs: 30_000,
  numFetchers: 1,
};

function key(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function notLeader(topic: string, partition: number): KafkaError {
  return new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `This broker is not the leader of ${topic}-${partition}`);
}

export class ReplicaManager {
  private readonly partitions = new Map<string, Partition>();
  /** Emits `key(topic, partition)` whenever that partition's high watermark moves (consumer long polls). */
  readonly hwEvents = new EventEmitter();
  /** Emits `key(topic, partition)` whenever a led partition's log end moves or its role changes (follower long polls). */
  readonly logEndEvents = new EventEmitter();
  private readonly nodeId: number;
  private readonly runtime: Runtime;
  private readonly settings: ReplicationSettings;
  private readonly purgatory: ProducePurgatory;
  private readonly fetchers: ReplicaFetcherManager;
  private isrTimer: TimerHandle | null = null;
  private closed = false;

  constructor(
    private readonly logs: LogManager,
    private readonly logConfigFor: (topic: string) => LogConfig,
    private readonly logger: Logger,
    private readonly options: ReplicaManagerOptions = {},
  ) {
    this.hwEvents.setMaxListeners(0);
    this.logEndEvents.setMaxListeners(0);
    this.nodeId = options.nodeId ?? -1;
    this.runtime = options.runtime ?? realRuntime();
    this.settings = options.replication ?? DEFAULT_REPLICATION_SETTINGS;
    this.purgatory = new ProducePurgatory(this.runtime.timers);
    const s = this.settings;
    this.fetchers = new ReplicaFetcherManager(
      s.numFetchers,
      ReplicaFetcherManager.options({
        brokerId: this.nodeId,
        brokerEpoch: () => this.options.brokerEpoch?.() ?? -1,
        clock: this.runtime.clock,
        timers: this.runtime.timers,
        logger: logger.child({ component: 'replica-fetcher' }),
        fetchMaxBytes: s.fetchMaxBytes,
        responseMaxBytes: s.fetchResponseMaxBytes,
        minBytes: s.fetchMinBytes,
        maxWaitMs: s.fetchWaitMaxMs,
        backoffMs: s.fetchBackoffMs,
        socketTimeoutMs: s.socketTimeoutMs,
        onProgress: (p) => this.onFollowerProgress(p),
      }),
    );
    if (options.alterPartition) this.scheduleIsrCheck();
  }

  static partitionKey = key;

  // ---------------------------------------------------------------- roles (from the metadata)

  /**
   * Makes the local replica match `reg`: leader when it names this broker, follower of `reg.leader`
   * otherwise (fetching when there is one). The log is opened, or created when new.
   */
  async applyPartition(topic: string, topicId: string, partition: number, reg: PartitionRegistration, config: LogConfig = this.logConfigFor(topic)): Promise<void> {
    const p = await this.replicaFor(topic, topicId, partition, reg, config);
    // A registration older than the log's own history (an image replayed at start-up, before the broker has
    // caught up with the metadata log) is stale: acting on it would assign an old epoch at the log end and
    // wipe the newer epochs from the leader-epoch cache (a leader answering followers from such a cache sends
    // them into an endless divergence loop: found by the chaos harness after all-down). Controller epochs
    // only grow, so a newer image follows; until then the replica keeps its role.
    const latest = p.log.latestEpoch() ?? -1;
    if (reg.leaderEpoch < latest) {
      this.logger.debug({ topic, partition, leaderEpoch: reg.leaderEpoch, logLatestEpoch: latest }, 'skipping a stale partition registration');
      return;
    }
    if (reg.leader === this.nodeId) await this.becomeLeader(p, reg);
    else this.becomeFollower(p, reg);
  }

  /** `applyPartition` for several partitions of one topic: their missing logs are created together. */
  async applyTopicPartitions(topic: string, topicId: string, states: ReadonlyArray<{ partition: number; reg: PartitionRegistration }>, config: LogConfig = this.logConfigFor(topic)): Promise<void> {
    const missing = states.filter((s) => !this.partitions.has(key(topic, s.partition)) && !this.logs.getLog(topic, s.partition)).map((s) => s.partition);
    if (missing.length > 1) await this.logs.createLogs(topic, missing, config, topicId);
    for (const s of states) await this.applyPartition(topic, topicId, s.partition, s.reg, config);
  }

  /** The replica as the registration would have it, without changing its role: whether `applyPartition` has work. */
  isUpToDate(topic: string, partition: number, reg: PartitionRegistration): boolean {
    const p = this.partitions.get(key(topic, partition));
    if (!p) return false;
    if (reg.leader === this.nodeId) return p.isLeader && p.leaderEpoch === reg.leaderEpoch && p.partitionEpoch >= reg.partitionEpoch;
    if (p.isLeader || p.leaderId !== reg.leader || p.leaderEpoch !== reg.leaderEpoch) return false;
    return reg.leader < 0 || this.fetchers.isFollowing(p);
  }

  private async replicaFor(topic: string, topicId: string, partition: number, reg: PartitionRegistration, config: LogConfig): Promise<Partition> {
    const existing = this.partitions.get(key(topic, partition));
    if (existing) return existing;
    const log = this.logs.getLog(topic, partition) ?? (await this.logs.createLog(topic, partition, config, topicId));
    const raced = this.partitions.get(key(topic, partition));
    if (raced) return raced;
    // Without a checkpoint, a sole replica's log is all committed (as before replication); a replicated one
    // starts at its log start and learns the rest from its leader or its followers.
    const checkpoint = this.options.checkpointedHighWatermark?.(topic, partition);
    const initialHw = checkpoint ?? (reg.replicas.length <= 1 ? log.logEndOffset : log.logStartOffset);
    const p = new Partition(topic, partition, topicId, log, initialHw);
    this.partitions.set(key(topic, partition), p);
    return p;
  }

  private async becomeLeader(p: Partition, reg: PartitionRegistration): Promise<void> {
    this.fetchers.unfollow(p);
    const newEpoch = p.makeLeader(reg, this.nodeId, this.runtime.clock.now());
    if (newEpoch) {
      await p.log.assignEpochStartOffset(reg.leaderEpoch, p.log.logEndOffset);
      this.logger.info({ topic: p.topic, partition: p.partition, leaderEpoch: reg.leaderEpoch, isr: reg.isr, logEndOffset: p.log.logEndOffset, highWatermark: p.highWatermark }, 'leading partition');
      // KIP-704: an uncleanly elected leader tells the controller it has recovered (no transactions to abort here yet).
      if (reg.leaderRecoveryState === LEADER_RECOVERY_RECOVERING) this.submitIsrChange(p, [...p.isr], LEADER_RECOVERY_RECOVERED);
    }
    this.logEndEvents.emit(key(p.topic, p.partition));
    this.maybeAdvanceHighWatermark(p);
  }

  private becomeFollower(p: Partition, reg: PartitionRegistration): void {
    const k = key(p.topic, p.partition);
    const changed = p.isLeader || p.leaderId !== reg.leader || p.leaderEpoch !== reg.leaderEpoch;
    if (changed) {
      const wasLeader = p.isLeader;
      p.makeFollower(reg);
      if (wasLeader) {
        this.purgatory.failAll(k, notLeader(p.topic, p.partition));
        this.logger.info({ topic: p.topic, partition: p.partition, leader: reg.leader, leaderEpoch: reg.leaderEpoch }, 'no longer leading partition; following');
      }
      // Parked fetches on it answer at once (NOT_LEADER_OR_FOLLOWER now).
      this.logEndEvents.emit(k);
      this.hwEvents.emit(k);
    } else if (reg.partitionEpoch > p.partitionEpoch) {
      p.makeFollower(reg);
    }
    const endpoint = reg.leader >= 0 ? this.options.peers?.endpoint(reg.leader) : undefined;
    if (endpoint) this.fetchers.follow(p, reg.leader, endpoint);
    else this.fetchers.unfollow(p);
  }

  /** This broker is no longer a replica (or the topic is gone): the replica stops; with `deleteLog` its log goes. */
  async stopReplica(topic: string, partition: number, opts: { deleteLog: boolean }): Promise<void> {
    const k = key(topic, partition);
    const p = this.partitions.get(k);
    if (p) {
      this.fetchers.unfollow(p);
      this.partitions.delete(k);
      this.purgatory.failAll(k, notLeader(topic, partition));
      this.logEndEvents.emit(k);
      this.hwEvents.emit(k);
    }
    if (opts.deleteLog && this.logs.getLog(topic, partition)) await this.logs.deleteLog(topic, partition);
  }

  /** Unit tests and tools: partitions [0, count) of a topic led here alone (leader epoch 0, ISR = this broker). */
  async hostPartitions(topic: string, count: number, topicId: string): Promise<void> {
    for (let p = 0; p < count; p++) {
      if (this.partitions.has(key(topic, p))) continue;
      await this.applyPartition(topic, topicId, p, soleReplica(this.nodeId));
    }
  }

  // ---------------------------------------------------------------- lookups

  /** The partitions led here now. */
  *hosted(): IterableIterator<HostedPartition> {
    for (const p of this.partitions.values()) if (p.isLeader) yield p;
  }

  /** Every replica held here, led or followed. */
  replicas(): IterableIterator<Partition> {
    return this.partitions.values();
  }

  /** The partition led here, or NOT_LEADER_OR_FOLLOWER / UNKNOWN_TOPIC_OR_PARTITION. */
  get(topic: string, partition: number): HostedPartition {
    return this.leaderOf(topic, partition);
  }

  private leaderOf(topic: string, partition: number): Partition {
    const p = this.partitions.get(key(topic, partition));
    if (p?.isLeader) return p;
    if (p || this.options.partitionExists?.(topic, partition)) throw notLeader(topic, partition);
    throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `This server does not host this topic-partition: ${topic}-${partition}`);
  }

  /**
   * KIP-890 part 1, on the leader before a transactional produce: null when the producer's transaction is
   * open here already, else the guard its coordinator must confirm (NOT_LEADER_OR_FOLLOWER elsewhere).
   */
  startTransactionVerification(topic: string, partition: number, producerId: number, producerEpoch: number): VerificationGuard | null {
    return this.leaderOf(topic, partition).log.maybeStartTransactionVerification(producerId, producerEpoch);
  }

  /** The partition if led here. */
  tryGet(topic: string, partition: number): HostedPartition | undefined {
    const p = this.partitions.get(key(topic, partition));
    return p?.isLeader ? p : undefined;
  }

  /** The replica held here in either role. */
  tryGetReplica(topic: string, partition: number): Partition | undefined {
    return this.partitions.get(key(topic, partition));
  }

  // ---------------------------------------------------------------- appends (leader)

  /**
   * Appends client batches (validated by the log, recompressed when the topic says so), or with origin
   * 'coordinator' a coordinator's (transaction markers, group records). acks=all: refused
   * with NOT_ENOUGH_REPLICAS when the ISR is smaller than min.insync.replicas, then answered once the
   * high watermark passes the batch (REQUEST_TIMED_OUT after `timeoutMs`).
   */
  async append(
    topic: string,
    partition: number,
    records: Buffer,
    opts: { acks?: RequiredAcks; timeoutMs?: number; origin?: 'client' | 'coordinator'; transactionVerification?: { guard: VerificationGuard | null } } = {},
  ): Promise<AppendInfo> {
    const p = this.leaderOf(topic, partition);
    const acks = opts.acks ?? 1;
    const minIsr = acks === -1 ? (this.options.minInsyncReplicas?.(topic) ?? 1) : 1;
    if (acks === -1 && p.isr.length < minIsr) {
      throw new KafkaError(
        ErrorCode.NOT_ENOUGH_REPLICAS,
        `The size of the current ISR [${p.isr.join(',')}] is insufficient to satisfy the min.isr requirement of ${minIsr} for partition ${topic}-${partition}`,
      );
    }
    const epoch = p.leaderEpoch;
    // Control batches (a coordinator's transaction markers) are stored as written, never recompressed.
    const recompressTo = opts.origin === 'coordinator' ? null : (this.options.topicCodec?.(topic) ?? null);
    const appendOptions: AppendOptions = { leaderEpoch: epoch, recompressTo, origin: opts.origin ?? 'client' };
    if (opts.transactionVerification) appendOptions.transactionVerification = opts.transactionVerification;
    const result = await p.log.append(records, appendOptions);
    const k = key(topic, partition);
    this.logEndEvents.emit(k);
    this.maybeAdvanceHighWatermark(p);
    if (acks !== -1 || result.lastOffset < 0) return result;
    if (p.highWatermark <= result.lastOffset) {
      // Leadership lost while appending: the waiters were failed before this one could join them.
      if (!p.isLeader || p.leaderEpoch !== epoch || this.partitions.get(k) !== p) throw notLeader(topic, partition);
      await this.purgatory.wait(k, result.lastOffset + 1, opts.timeoutMs ?? 30_000);
    } else {
      const err = this.afterAppendError(p);
      if (err) throw err;
    }
    return result;
  }

  /** NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR that acknowledged is smaller than min.insync.replicas. */
  private afterAppendError(p: Partition): KafkaError | null {
    const minIsr = this.options.minInsyncReplicas?.(p.topic) ?? 1;
    const isr = p.maximalIsr();
    if (isr.length >= minIsr) return null;
    return new KafkaError(ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND, `The write was appended, but the ISR [${isr.join(',')}] is smaller than min.isr ${minIsr} for partition ${p.topic}-${p.partition}`);
  }

  private maybeAdvanceHighWatermark(p: Partition): void {
    if (!p.maybeAdvanceHighWatermark(this.nodeId)) return;
    const k = key(p.topic, p.partition);
    this.hwEvents.emit(k);
    this.purgatory.complete(k, p.highWatermark, this.afterAppendError(p));
  }

  // ---------------------------------------------------------------- follower fetches (leader side)

  /**
   * A follower's fetch of a partition led here: checks its leader epoch and its last fetched epoch (a
   * divergence is answered instead of records), reads from the log end side (not bounded by the high
   * watermark), and records its position — which may move the high watermark and add it to the ISR.
   */
  async readForFollower(
    replicaId: number,
    replicaEpoch: number,
    t: { topic: string; partition: number; fetchOffset: number; lastFetchedEpoch: number; currentLeaderEpoch: number; maxBytes: number; minOneMessage: boolean },
  ): Promise<FollowerRead> {
    const p = this.leaderOf(t.topic, t.partition);
    checkEpoch(p, t.currentLeaderEpoch);
    if (!p.replicas.includes(replicaId)) {
      throw new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, `Replica ${replicaId} is not one of the assigned replicas [${p.replicas.join(',')}] of ${t.topic}-${t.partition}`);
    }
    const log = p.log;
    if (t.lastFetchedEpoch >= 0) {
      const end = log.endOffsetForEpoch(t.lastFetchedEpoch);
      if (end.epoch < t.lastFetchedEpoch || end.endOffset < t.fetchOffset) {
        return { records: Buffer.alloc(0), highWatermark: p.highWatermark, logStartOffset: log.logStartOffset, divergingEpoch: { epoch: end.epoch, endOffset: end.endOffset } };
      }
    }
    const leaderLogEnd = log.logEndOffset;
    if (t.fetchOffset > leaderLogEnd || t.fetchOffset < log.logStartOffset) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `Fetch offset ${t.fetchOffset} is out of range [${log.logStartOffset}, ${leaderLogEnd}] for ${t.topic}-${t.partition}`);
    }
    // The position is what the request says, so it is recorded before the read: acks=all requests the
    // new high watermark completes are answered without waiting for this read from disk.
    p.recordFollowerFetch(replicaId, t.fetchOffset, leaderLogEnd, this.runtime.clock.now(), replicaEpoch);
    this.maybeExpandIsr(p, replicaId);
    this.maybeAdvanceHighWatermark(p);
    const read = await log.read(t.fetchOffset, t.maxBytes, { minOneMessage: t.minOneMessage });
    return { records: read.records, highWatermark: p.highWatermark, logStartOffset: log.logStartOffset };
  }

  // ---------------------------------------------------------------- followers (fetcher callbacks)

  private onFollowerProgress(p: Partition): void {
    this.hwEvents.emit(key(p.topic, p.partition));
  }

  // ---------------------------------------------------------------- ISR

  private maybeExpandIsr(p: Partition, followerId: number): void {
    if (!this.options.alterPartition || !p.canExpandIsrWith(followerId) || this.runtime.clock.now() < p.isrRetryAtMs) return;
    if (this.options.peers?.eligibleEpoch(followerId) === undefined) return;
    this.logger.info({ topic: p.topic, partition: p.partition, isr: p.isr, adding: followerId }, 'expanding the ISR');
    this.submitIsrChange(p, [...p.isr, followerId], p.leaderRecoveryState);
  }

  private scheduleIsrCheck(): void {
    if (this.closed) return;
    const intervalMs = Math.max(10, Math.floor(this.settings.replicaLagTimeMaxMs / 2));
    this.isrTimer = this.runtime.timers.setTimeout(() => {
      this.shrinkLaggingIsrs();
      this.scheduleIsrCheck();
    }, intervalMs);
  }

  /** Followers that have not caught up within replica.lag.time.max.ms leave the ISR (Kafka's maybeShrinkIsr). */
  shrinkLaggingIsrs(): void {
    const now = this.runtime.clock.now();
    for (const p of this.partitions.values()) {
      if (!p.isLeader || now < p.isrRetryAtMs) continue;
      const lagging = p.outOfSyncReplicas(this.nodeId, now, this.settings.replicaLagTimeMaxMs);
      if (lagging.length === 0) continue;
      const isr = p.isr.filter((id) => !lagging.includes(id));
      this.logger.info({ topic: p.topic, partition: p.partition, isr: p.isr, removing: lagging, lagMaxMs: this.settings.replicaLagTimeMaxMs }, 'shrinking the ISR: followers out of sync');
      this.submitIsrChange(p, isr, p.leaderRecoveryState);
    }
  }

  private submitIsrChange(p: Partition, isr: number[], leaderRecoveryState: number): void {
    const sender = this.options.alterPartition;
    if (!sender) return;
    p.pendingIsr = { isr, leaderRecoveryState };
    const leaderEpoch = p.leaderEpoch;
    const members = isr.map((brokerId) => ({
      brokerId,
      brokerEpoch: brokerId === this.nodeId ? (this.options.brokerEpoch?.() ?? -1) : (p.followers.get(brokerId)?.brokerEpoch ?? -1),
    }));
    sender.submit({
      topicId: p.topicId,
      partition: p.partition,
      leaderEpoch,
      partitionEpoch: p.partitionEpoch,
      isr: members,
      leaderRecoveryState,
      onAnswer: (answer) => this.onIsrAnswer(p, leaderEpoch, answer),
    });
  }

  private onIsrAnswer(p: Partition, leaderEpoch: number, answer: ResponsePartitionData): void {
    if (this.partitions.get(key(p.topic, p.partition)) !== p || !p.isLeader || p.leaderEpoch !== leaderEpoch) return;
    if (answer.errorCode === ErrorCode.NONE && answer.leaderEpoch === leaderEpoch) {
      p.applyIsrChange(answer.isr, answer.partitionEpoch, answer.leaderRecoveryState);
      this.logger.info({ topic: p.topic, partition: p.partition, isr: answer.isr, partitionEpoch: answer.partitionEpoch }, 'ISR updated');
      this.maybeAdvanceHighWatermark(p);
      return;
    }
    const pending = p.pendingIsr;
    if (answer.errorCode === ErrorCode.OPERATION_NOT_ATTEMPTED || answer.errorCode === ErrorCode.INELIGIBLE_REPLICA) {
      // Refused before anything was written: the committed ISR is still the truth. Try again a little later.
      p.pendingIsr = null;
      p.isrRetryAtMs = this.runtime.clock.now() + this.isrRetryBackoffMs();
      this.logger.warn({ topic: p.topic, partition: p.partition, errorCode: answer.errorCode }, 'AlterPartition was not accepted');
      return;
    }
    // Not delivered, timed out, or answered by a controller that knows better (a newer partition epoch, a
    // new leader epoch): the change may have been committed all the same. The leader keeps counting the
    // maximal ISR (Kafka's PendingExpandIsr / PendingShrinkIsr) — reverting to the smaller set here could
    // advance the high watermark past what a member the controller did add has — until the metadata
    // brings the partition's registration, and sends the same change again meanwhile.
    this.logger.warn({ topic: p.topic, partition: p.partition, errorCode: answer.errorCode }, 'AlterPartition not answered; the change stays pending');
    if (pending === null || (answer.errorCode !== ErrorCode.REQUEST_TIMED_OUT && answer.errorCode !== ErrorCode.NOT_CONTROLLER && answer.errorCode !== ErrorCode.NETWORK_EXCEPTION)) return;
    this.runtime.timers.setTimeout(() => {
      if (this.closed || p.pendingIsr !== pending || !p.isLeader || p.leaderEpoch !== leaderEpoch || this.partitions.get(key(p.topic, p.partition)) !== p) return;
      this.submitIsrChange(p, [...pending.isr], pending.leaderRecoveryState);
    }, this.isrRetryBackoffMs());
  }

  private isrRetryBackoffMs(): number {
    return Math.min(1000, this.settings.replicaLagTimeMaxMs / 4);
  }

  // ---------------------------------------------------------------- other leader operations

  /**
   * DeleteRecords on the leader: moves the log start offset up to `offset` (-1 = the high
   * watermark) and returns the new low watermark. Kafka's rules: OFFSET_OUT_OF_RANGE beyond the
   * high watermark; POLICY_VIOLATION on a topic whose cleanup.policy lacks `delete`; an offset at
   * or below the current log start changes nothing.
   */
  async deleteRecords(topic: string, partition: number, offset: number): Promise<number> {
    const hosted = this.get(topic, partition);
    const policy = this.logConfigFor(topic).cleanupPolicy ?? ['delete'];
    if (!policy.includes('delete')) {
      throw new KafkaError(ErrorCode.POLICY_VIOLATION, `Records of partition ${topic}-${partition} can not be deleted due to the configured policy (cleanup.policy=${policy.join(',')})`);
    }
    const target = offset === -1 ? hosted.highWatermark : offset;
    if (target < 0 || target > hosted.highWatermark) {
      throw new KafkaError(ErrorCode.OFFSET_OUT_OF_RANGE, `Cannot delete records of partition ${topic}-${partition} before offset ${offset}: it is outside [0, ${hosted.highWatermark}] (the high watermark)`);
    }
    if (target <= hosted.log.logStartOffset) return hosted.log.logStartOffset;
    return hosted.log.deleteRecordsBefore(target, { highWatermark: hosted.highWatermark });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.isrTimer !== null) this.runtime.timers.clearTimeout(this.isrTimer);
    this.purgatory.close(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'the broker is shutting down'));
    await this.fetchers.close();
    this.partitions.clear();
    this.logger.debug('replica manager closed');
  }
}

/** FENCED_LEADER_EPOCH when the request's epoch is older than ours, UNKNOWN_LEADER_EPOCH when newer (-1: unchecked). */
export function checkEpoch(hosted: { leaderEpoch: number }, requested: number): void {
  if (requested < 0) return;
  if (requested < hosted.leaderEpoch) throw new KafkaError(ErrorCode.FENCED_LEADER_EPOCH);
  if (requested > hosted.leaderEpoch) throw new KafkaError(ErrorCode.UNKNOWN_LEADER_EPOCH);
}

function soleReplica(nodeId: number): PartitionRegistration {
  return {
    replicas: [nodeId],
    isr: [nodeId],
    removingReplicas: [],
    addingReplicas: [],
    leader: nodeId,
    leaderRecoveryState: LEADER_RECOVERY_RECOVERED,
    leaderEpoch: 0,
    partitionEpoch: 0,
    directories: [],
    eligibleLeaderReplicas: [],
    lastKnownElr: [],
  };
}
