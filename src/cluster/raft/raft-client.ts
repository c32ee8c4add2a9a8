/**
 * The KRaft quorum state machine (KIP-595, with KIP-996 pre-vote and check-quorum) for the metadata log
 * `__cluster_metadata-0`. See README.md for the lifecycle and the concurrency rules; in short: every
 * state change runs in `serial()` (one at a time, in arrival order), nothing in there awaits the network,
 * and everything the state machine decides is persisted (quorum-state) or fsynced (log) before it is acted
 * on or reported to another node.
 */
import type { StorageLogger } from '../../storage/logger.js';
import { SILENT_LOGGER } from '../../storage/logger.js';
import { randomInt, type Runtime, type TimerHandle } from '../runtime.js';
import { CommitDelivery } from './commit-delivery.js';
import { ElectionTimers } from './election-timers.js';
import * as elections from './elections.js';
import { FollowerFetcher } from './follower-fetcher.js';
import { handleInbound } from './inbound.js';
import type { LeaderState } from './leader-state.js';
import type { QuorumStateStore } from './quorum-state.js';
import type { LeaderAppend, RaftLog } from './raft-log.js';
import type { QuorumVoter, RaftTransport } from './raft-transport.js';
import { NotLeaderError, type LeaderAndEpoch, type MetadataLogClient, type RaftListener, type SnapshotContents, type SnapshotId } from './types.js';

export type RaftRole = 'unattached' | 'prospective' | 'candidate' | 'leader' | 'follower' | 'resigned';

export interface RaftClientOptions {
  nodeId: number;
  clusterId: string;
  voters: readonly QuorumVoter[];
  log: RaftLog;
  quorumState: QuorumStateStore;
  transport: RaftTransport;
  runtime: Runtime;
  logger?: StorageLogger;
  /** controller.quorum.election.timeout.ms: the base of the randomized election timeout. */
  electionTimeoutMs?: number;
  /** controller.quorum.fetch.timeout.ms: a follower without a good fetch this long stands for election. */
  fetchTimeoutMs?: number;
  /** controller.quorum.election.backoff.max.ms. */
  electionBackoffMaxMs?: number;
  /** controller.quorum.append.linger.ms: appends within this window share one write and one fsync. */
  appendLingerMs?: number;
  fetchMaxBytes?: number;
  /** Long-poll wait of a follower's Fetch; default min(500, fetchTimeoutMs / 4). */
  fetchMaxWaitMs?: number;
  /** Timeout of Vote / BeginQuorumEpoch / EndQuorumEpoch requests; default electionTimeoutMs. */
  requestTimeoutMs?: number;
}

interface PendingAppend {
  readonly epoch: number;
  readonly records: readonly Buffer[];
  readonly resolve: (lastOffset: number) => void;
  readonly reject: (err: Error) => void;
}

export class RaftClient implements MetadataLogClient {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly voters: readonly QuorumVoter[];
  readonly voterIds: readonly number[];
  readonly log: RaftLog;
  readonly runtime: Runtime;
  readonly transport: RaftTransport;
  readonly logger: StorageLogger;
  readonly electionTimeoutMs: number;
  readonly fetchTimeoutMs: number;
  readonly electionBackoffMaxMs: number;
  readonly appendLingerMs: number;
  readonly fetchMaxBytes: number;
  readonly fetchMaxWaitMs: number;
  readonly requestTimeoutMs: number;
  private readonly quorumState: QuorumStateStore;

  // ------------------------------------------------------------ election state (persisted part first)
  epoch = 0;
  leaderId: number | null = null;
  votedId: number | null = null;
  role: RaftRole = 'unattached';
  /** Prospective / candidate: who granted and who refused (this node counts as granted). */
  /** @internal (elections.ts) */
  granted = new Set<number>();
  /** @internal (elections.ts) */
  rejected = new Set<number>();
  leader: LeaderState | null = null;
  /** Followers: when the leader last answered a fetch (pre-votes are refused while it is recent). */
  lastLeaderContactMs = -1;
  /** Known on followers from fetch responses and on the leader from its LeaderState; null until known. */
  private followerHighWatermark: number | null = null;

  // ------------------------------------------------------------ machinery
  private chain: Promise<unknown> = Promise.resolve();
  closed = false;
  started = false;
  /** Bumped on every transition: a response or timer of an older state is ignored. */
  stateGeneration = 0;
  /** @internal */
  readonly timers: ElectionTimers;
  private readonly fetcher: FollowerFetcher;
  readonly delivery: CommitDelivery;
  private pendingAppends: PendingAppend[] = [];
  private lingerTimer: TimerHandle | null = null;
  private waiters = new Set<() => void>();
  /** The high watermark each replica was last sent in a Fetch answer (leader only; cleared on transitions). */
  readonly highWatermarkSentTo = new Map<number, number>();
  private failure: unknown = null;

  constructor(o: RaftClientOptions) {
    this.nodeId = o.nodeId;
    this.clusterId = o.clusterId;
    this.voters = o.voters;
    this.voterIds = o.voters.map((v) => v.id);
    this.log = o.log;
    this.quorumState = o.quorumState;
    this.transport = o.transport;
    this.runtime = o.runtime;
    this.logger = o.logger ?? SILENT_LOGGER;
    this.electionTimeoutMs = o.electionTimeoutMs ?? 1000;
    this.fetchTimeoutMs = o.fetchTimeoutMs ?? 2000;
    this.electionBackoffMaxMs = o.electionBackoffMaxMs ?? 1000;
    this.appendLingerMs = o.appendLingerMs ?? 25;
    this.fetchMaxBytes = o.fetchMaxBytes ?? 8 * 1024 * 1024;
    this.fetchMaxWaitMs = o.fetchMaxWaitMs ?? Math.min(500, Math.floor(this.fetchTimeoutMs / 4));
    this.requestTimeoutMs = o.requestTimeoutMs ?? this.electionTimeoutMs;
    this.timers = new ElectionTimers(this.runtime.timers);
    this.fetcher = new FollowerFetcher(this);
    this.delivery = new CommitDelivery(
      this.log,
      {
        highWatermark: () => this.highWatermark(),
        leaderAndEpoch: () => this.leaderAndEpoch(),
        leaderEpochStartOffset: () => (this.role === 'leader' && this.leader !== null ? this.leader.epochStartOffset : null),
        withLog: (fn) => this.serial(() => fn(this.log)),
      },
      (err) => this.fatal(err),
    );
  }

  get isVoter(): boolean {
    return this.voterIds.includes(this.nodeId);
  }

  get majority(): number {
    return Math.floor(this.voterIds.length / 2) + 1;
  }

  // ------------------------------------------------------------ lifecycle

  /** Reads the persisted election state and takes up the role it implies. */
  async start(): Promise<void> {
    if (this.started) throw new Error('RaftClient already started');
    this.started = true;
    const s = await this.quorumState.read();
    await this.serial(async () => {
      this.epoch = s.epoch;
      this.votedId = s.votedId;
      this.leaderId = s.leaderId;
      if (this.isVoter && s.leaderId === this.nodeId) {
        // A leader that restarted cannot know what it acknowledged: it resigns, and a new election follows.
        this.transition('resigned');
        this.timers.set('election', this.randomElectionTimeoutMs(), () => this.onTimer(() => this.becomeProspective()));
      } else if (s.leaderId !== null) {
        this.becomeFollower(this.epoch, s.leaderId);
      } else {
        this.becomeUnattached(this.epoch, this.votedId);
      }
      if (this.isVoter && this.voterIds.length === 1) await this.becomeCandidate();
    });
    this.delivery.kick();
  }

  /** Stops timers and fetching; a leader tells the voters it resigns so they elect quickly. */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.role === 'leader' && this.leader !== null) elections.sendEndQuorumEpoch(this, this.leader.preferredSuccessors());
    this.closed = true;
    this.stateGeneration++;
    this.timers.clearAll();
    if (this.lingerTimer !== null) this.runtime.timers.clearTimeout(this.lingerTimer);
    this.failAppends(new NotLeaderError(this.leaderAndEpoch(), 'raft client closed'));
    this.wakeWaiters();
    await this.chain.catch(() => undefined);
  }

  /**
   * Runs `fn` after every state change queued before it. Nothing inside may await the network (only the
   * log and the quorum-state file), so the chain never stalls behind a slow peer.
   */
  serial<T>(fn: () => Promise<T> | T): Promise<T> {
    const run = this.chain.then(() => {
      if (this.failure !== null) throw this.failure;
      return fn();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** A timer callback: runs in the chain unless the client closed. */
  onTimer(fn: () => Promise<void> | void): void {
    if (this.closed) return;
    this.serial(fn).catch((err) => this.fatal(err));
  }

  /** The error that stopped this client (an invariant broke or storage failed), or null. */
  get failureReason(): unknown {
    return this.failure;
  }

  fatal(err: unknown): void {
    if (this.closed) return;
    this.logger.error({ nodeId: this.nodeId, err: String(err) }, 'raft client failed');
    this.failure ??= err;
  }

  // ------------------------------------------------------------ MetadataLogClient

  register(listener: RaftListener): void {
    this.delivery.register(listener);
  }

  unregister(listener: RaftListener): void {
    this.delivery.unregister(listener);
  }

  leaderAndEpoch(): LeaderAndEpoch {
    return { leaderId: this.role === 'resigned' ? null : this.leaderId, epoch: this.epoch };
  }

  highWatermark(): number | null {
    if (this.role === 'leader' && this.leader !== null) return this.leader.highWatermark ?? this.followerHighWatermark;
    return this.followerHighWatermark;
  }

  append(epoch: number, records: readonly Buffer[]): Promise<number> {
    if (this.closed || this.role !== 'leader' || epoch !== this.epoch) return Promise.reject(new NotLeaderError(this.leaderAndEpoch()));
    if (records.length === 0) return Promise.reject(new RangeError('append needs at least one record'));
    return new Promise<number>((resolve, reject) => {
      this.pendingAppends.push({ epoch, records, resolve, reject });
      // Idle: write at once (appends of the same tick still share the write). While a write and its
      // fsync are in flight, appends wait up to the linger and share the next one (group commit).
      this.lingerTimer ??= this.runtime.timers.setTimeout(() => {
        this.lingerTimer = null;
        this.onTimer(() => this.writePendingAppends());
      }, this.leaderWriting ? this.appendLingerMs : 0);
    });
  }

  async createSnapshot(contents: SnapshotContents): Promise<void> {
    const hw = this.highWatermark();
    if (hw === null || contents.id.endOffset > hw) throw new RangeError(`snapshot end ${contents.id.endOffset} is not committed (high watermark ${hw})`);
    await this.serial(() => this.log.createSnapshot(contents));
  }

  latestSnapshotId(): SnapshotId | null {
    return this.log.latestSnapshotId();
  }

  /** Inbound Raft RPCs (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch, FetchSnapshot, DescribeQuorum). */
  handleRequest(apiKey: number, version: number, body: unknown): Promise<unknown> {
    return handleInbound(this, apiKey, version, body);
  }

  // ------------------------------------------------------------ appends (leader)

  /** True while the leader writes and fsyncs a batch of appends. */
  private leaderWriting = false;

  private async writePendingAppends(): Promise<void> {
    this.leaderWriting = true;
    try {
      await this.writePendingAppendsNow();
    } finally {
      this.leaderWriting = false;
    }
  }

  private async writePendingAppendsNow(): Promise<void> {
    const batch = this.pendingAppends;
    this.pendingAppends = [];
    if (batch.length === 0) return;
    const leader = this.leader;
    if (this.role !== 'leader' || leader === null) {
      for (const p of batch) p.reject(new NotLeaderError(this.leaderAndEpoch()));
      return;
    }
    const ok = batch.filter((p) => p.epoch === this.epoch);
    for (const p of batch) if (p.epoch !== this.epoch) p.reject(new NotLeaderError(this.leaderAndEpoch()));
    if (ok.length === 0) return;
    const appends: LeaderAppend[] = ok.map((p) => ({ records: p.records.map((value) => ({ value })) }));
    const offsets = await this.log.appendAsLeader(appends, this.epoch, this.runtime.clock.now());
    ok.forEach((p, i) => p.resolve(offsets[i]!.lastOffset));
    this.wakeWaiters(); // followers long-polling can replicate before the leader's own fsync
    await this.flushAsLeader();
  }

  /** Fsyncs the leader's log, then counts its end offset towards the quorum. */
  async flushAsLeader(): Promise<void> {
    await this.log.flush();
    if (this.role === 'leader' && this.leader !== null) {
      if (this.leader.updateLocal(this.log.flushedOffset(), this.runtime.clock.now())) this.onHighWatermarkAdvanced();
    }
  }

  onHighWatermarkAdvanced(): void {
    this.wakeWaiters();
    void this.delivery.kick();
  }

  private failAppends(err: Error): void {
    const pending = this.pendingAppends;
    this.pendingAppends = [];
    for (const p of pending) p.reject(err);
  }

  // ------------------------------------------------------------ long polls

  /** Resolves on the next append / HW change / transition, or after `ms`. */
  waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.waiters.delete(done);
        this.runtime.timers.clearTimeout(timer);
        resolve();
      };
      const timer = this.runtime.timers.setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  wakeWaiters(): void {
    for (const w of [...this.waiters]) w();
  }

  // ------------------------------------------------------------ transitions

  /** @internal Enters `role` (epoch, leader and vote already set): clears the old state's timers. */
  transition(role: RaftRole): void {
    const before = this.leaderAndEpoch();
    if (this.role === 'leader' && role !== 'leader') {
      this.failAppends(new NotLeaderError({ leaderId: null, epoch: this.epoch }));
      // What the leader knew committed stays known: followers learn more from the next leader.
      this.followerHighWatermark = this.leader?.highWatermark ?? this.followerHighWatermark;
      this.leader = null;
    }
    this.role = role;
    this.highWatermarkSentTo.clear();
    this.stateGeneration++;
    this.timers.clearAll();
    this.granted = new Set();
    this.rejected = new Set();
    this.wakeWaiters();
    const after = this.leaderAndEpoch();
    if (before.epoch !== after.epoch || before.leaderId !== after.leaderId || role === 'leader') void this.delivery.kick();
    this.logger.debug({ nodeId: this.nodeId, role, epoch: this.epoch, leaderId: this.leaderId }, 'raft transition');
  }

  /** @internal */
  async persist(): Promise<void> {
    await this.quorumState.write({ epoch: this.epoch, leaderId: this.leaderId, votedId: this.votedId });
  }

  randomElectionTimeoutMs(): number {
    return this.electionTimeoutMs + randomInt(this.runtime.random, 0, this.electionTimeoutMs);
  }

  electionBackoffMs(): number {
    return randomInt(this.runtime.random, 0, this.electionBackoffMaxMs);
  }

  /** Unattached in `epoch` (maybe having voted): waits for a leader, and a voter stands after a timeout. */
  async becomeUnattached(epoch: number, votedId: number | null, timeoutMs = this.randomElectionTimeoutMs()): Promise<void> {
    const changed = epoch !== this.epoch || votedId !== this.votedId || this.leaderId !== null;
    this.epoch = epoch;
    this.votedId = votedId;
    this.leaderId = null;
    if (changed && this.started) await this.persist();
    this.transition('unattached');
    if (this.isVoter) this.timers.set('election', timeoutMs, () => this.onTimer(() => this.becomeProspective()));
    else this.fetcher.start(); // an observer looks for the leader by fetching from any voter
  }

  /** Follows `leaderId` in `epoch`: fetches from it; a voter stands for election after a fetch timeout. */
  async becomeFollower(epoch: number, leaderId: number): Promise<void> {
    if (leaderId === this.nodeId) throw new Error(`node ${this.nodeId} cannot follow itself in epoch ${epoch}`);
    const changed = epoch !== this.epoch || leaderId !== this.leaderId;
    if (epoch !== this.epoch) this.votedId = null;
    this.epoch = epoch;
    this.leaderId = leaderId;
    if (changed && this.started) await this.persist();
    this.transition('follower');
    this.lastLeaderContactMs = -1;
    this.resetFetchTimeout();
    this.fetcher.start();
  }

  /**
   * Followers: restarts the fetch timeout after a good answer from the leader. The timeout is
   * jittered (up to a quarter more): when a leader dies every follower's timer was last reset by the
   * same kind of event, and voters that stand at the same instant split the vote and wait out a whole
   * election timeout (with Kafka's defaults that pushed a failover past 3 s).
   */
  resetFetchTimeout(): void {
    const timeoutMs = this.fetchTimeoutMs + randomInt(this.runtime.random, 0, Math.floor(this.fetchTimeoutMs / 4));
    this.timers.set('fetch', timeoutMs, () =>
      this.onTimer(async () => {
        if (this.role !== 'follower') return;
        if (this.isVoter) await this.becomeProspective();
        else await this.becomeUnattached(this.epoch, null);
      }),
    );
  }

  /**
   * Called with what another node says of the leadership: a higher epoch, or a leader for an epoch this
   * node had none for, is adopted (persisted first).
   */
  async observeLeader(epoch: number, leaderId: number | null): Promise<boolean> {
    if (epoch < this.epoch) return false;
    if (epoch > this.epoch) {
      if (leaderId !== null && leaderId !== this.nodeId) await this.becomeFollower(epoch, leaderId);
      else await this.becomeUnattached(epoch, null);
      return true;
    }
    if (leaderId === null || leaderId === this.nodeId || this.role === 'leader') return false;
    if (this.role === 'follower' && this.leaderId === leaderId) return false;
    if (this.leaderId !== null && this.leaderId !== leaderId && this.role !== 'resigned') {
      throw new Error(`two leaders in epoch ${epoch}: ${this.leaderId} and ${leaderId}`);
    }
    await this.becomeFollower(epoch, leaderId);
    return true;
  }

  /** KIP-996: asks for pre-votes for epoch+1 without changing anyone's epoch (elections.ts). */
  becomeProspective(): Promise<void> {
    return elections.becomeProspective(this);
  }

  becomeCandidate(): Promise<void> {
    return elections.becomeCandidate(this);
  }

  /** The leader stops leading its epoch (lost its quorum); the others elect a successor. */
  resign(): Promise<void> {
    return elections.resign(this);
  }

  /** Another voter (or the fetcher) learned the leader is gone in this epoch: stand after `backoffMs`. */
  async leaderGone(epoch: number, backoffMs: number): Promise<void> {
    if (epoch !== this.epoch || this.role !== 'follower') return;
    await this.becomeUnattached(this.epoch, this.votedId, this.isVoter ? backoffMs : 0);
  }

  // ------------------------------------------------------------ followers' high watermark

  /** A follower learned the leader's high watermark (capped at its own log end). Monotonic. */
  updateFollowerHighWatermark(leaderHighWatermark: number): void {
    if (leaderHighWatermark < 0) return;
    const hw = Math.min(leaderHighWatermark, this.log.endOffset());
    if (this.followerHighWatermark === null || hw > this.followerHighWatermark) {
      this.followerHighWatermark = hw;
      void this.delivery.kick();
    }
  }

  /** After installing a snapshot: everything below its end is committed. */
  snapshotInstalled(id: SnapshotId): void {
    if (this.followerHighWatermark === null || id.endOffset > this.followerHighWatermark) this.followerHighWatermark = id.endOffset;
    void this.delivery.kick();
  }

  /** Durable-state check for the vote rules: what this node last persisted. */
  describe(): { nodeId: number; role: RaftRole; epoch: number; leaderId: number | null; votedId: number | null } {
    return { nodeId: this.nodeId, role: this.role, epoch: this.epoch, leaderId: this.leaderId, votedId: this.votedId };
  }

  /** Grants (or not) a vote; used by the Vote handler. Persists the vote before answering. */
  async castVote(candidateId: number): Promise<void> {
    await this.log.flush(); // the candidate was judged by our log: it must not shrink after a crash
    this.votedId = candidateId;
    await this.persist();
    const timeout = this.randomElectionTimeoutMs();
    this.transition('unattached');
    this.timers.set('election', timeout, () => this.onTimer(() => this.becomeProspective()));
  }
}
