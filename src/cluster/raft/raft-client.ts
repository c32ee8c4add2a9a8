/**
 * The KRaft quorum state machine (KIP-595, with KIP-996 pre-vote and check-quorum) for the metadata log
 * `__cluster_metadata-0`. See README.md for the lifecycle and the concurrency rules; in short: every
 * state change runs in `serial()` (one at a time, in arrival order), nothing in there awaits the network,
 * and everything the state machine decides is persisted (quorum-state) or fsynced (log) before it is acted
 * on or reported to another node.
 */
import { ByteWriter } from '../../protocol/bytes.js';
import { ErrorCode } from '../../protocol/errors.js';
import { LeaderChangeMessageSchema } from '../../protocol/messages/leader-change-message.js';
import { ControlRecordType, encodeControlKey } from '../../protocol/records/control.js';
import { encodeMessage } from '../../protocol/schema/codec.js';
import { ZERO_UUID } from '../../protocol/schema/uuid.js';
import type { StorageLogger } from '../../storage/logger.js';
import { SILENT_LOGGER } from '../../storage/logger.js';
import { randomInt, type Runtime, type TimerHandle } from '../runtime.js';
import { CommitDelivery } from './commit-delivery.js';
import { ElectionTimers } from './election-timers.js';
import { FollowerFetcher } from './follower-fetcher.js';
import { handleInbound } from './inbound.js';
import { LeaderState } from './leader-state.js';
import type { QuorumStateStore } from './quorum-state.js';
import type { LeaderAppend, RaftLog } from './raft-log.js';
import { beginQuorumEpochRequest, endQuorumEpochRequest, QUORUM_RPC_VERSION, voteRequest } from './raft-messages.js';
import type { QuorumVoter, RaftTransport } from './raft-transport.js';
import { BeginQuorumEpochApi } from '../../protocol/messages/begin-quorum-epoch.js';
import { EndQuorumEpochApi } from '../../protocol/messages/end-quorum-epoch.js';
import type { VoteResponse } from '../../protocol/messages/vote.js';
import { VOTE_VERSION, VoteV2Api } from './vote-v2.js';
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
  private granted = new Set<number>();
  private rejected = new Set<number>();
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
  private readonly timers: ElectionTimers;
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
    if (this.role === 'leader' && this.leader !== null) this.sendEndQuorumEpoch(this.leader.preferredSuccessors());
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
      this.lingerTimer ??= this.runtime.timers.setTimeout(() => {
        this.lingerTimer = null;
        this.onTimer(() => this.writePendingAppends());
      }, this.appendLingerMs);
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

  private async writePendingAppends(): Promise<void> {
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

  private transition(role: RaftRole): void {
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

  private async persist(): Promise<void> {
    await this.quorumState.write({ epoch: this.epoch, leaderId: this.leaderId, votedId: this.votedId });
  }

  randomElectionTimeoutMs(): number {
    return this.electionTimeoutMs + randomInt(this.runtime.random, 0, this.electionTimeoutMs);
  }

  private electionBackoffMs(): number {
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

  /** KIP-996: asks for pre-votes for epoch+1 without changing anyone's epoch. */
  async becomeProspective(): Promise<void> {
    if (!this.isVoter) return;
    this.transition('prospective');
    this.granted.add(this.nodeId);
    this.timers.set('election', this.randomElectionTimeoutMs(), () => this.onTimer(() => this.prospectiveFailed()));
    if (this.granted.size >= this.majority) {
      await this.becomeCandidate();
      return;
    }
    this.requestVotes(true);
  }

  /** The pre-vote failed or timed out: back off, then go back to following (or waiting) and retry later. */
  private async prospectiveFailed(): Promise<void> {
    if (this.role !== 'prospective') return;
    const backoff = this.electionBackoffMs();
    if (this.leaderId !== null && this.leaderId !== this.nodeId) {
      await this.becomeFollower(this.epoch, this.leaderId);
    } else {
      await this.becomeUnattached(this.epoch, this.votedId, this.randomElectionTimeoutMs() + backoff);
    }
  }

  async becomeCandidate(): Promise<void> {
    this.epoch += 1;
    this.votedId = this.nodeId;
    this.leaderId = null;
    await this.log.flush(); // our own vote counts our log: it must be durable
    await this.persist();
    this.transition('candidate');
    this.granted.add(this.nodeId);
    this.timers.set('election', this.randomElectionTimeoutMs(), () =>
      this.onTimer(async () => {
        if (this.role !== 'candidate') return;
        const gen = this.stateGeneration;
        this.timers.set('backoff', this.electionBackoffMs(), () => this.onTimer(() => (gen === this.stateGeneration ? this.becomeProspective() : undefined)));
      }),
    );
    if (this.granted.size >= this.majority) {
      await this.becomeLeader();
      return;
    }
    this.requestVotes(false);
  }

  private requestVotes(preVote: boolean): void {
    const gen = this.stateGeneration;
    const body = voteRequest({
      clusterId: this.clusterId,
      voterId: -1,
      candidateEpoch: preVote ? this.epoch + 1 : this.epoch,
      candidateId: this.nodeId,
      lastOffsetEpoch: this.log.lastFetchedEpoch(),
      lastOffset: this.log.endOffset(),
      preVote,
    });
    for (const id of this.voterIds) {
      if (id === this.nodeId) continue;
      this.transport
        .send<VoteResponse>(id, VoteV2Api, VOTE_VERSION, { ...body, voterId: id }, this.requestTimeoutMs)
        .then(
          (res) => this.onTimer(() => this.onVoteResponse(gen, id, res)),
          () => undefined, // a lost vote is a missing vote: the election timer covers it
        );
    }
  }

  private async onVoteResponse(gen: number, from: number, res: VoteResponse): Promise<void> {
    const p = res.topics[0]?.partitions[0];
    if (res.errorCode !== ErrorCode.NONE || p === undefined) return;
    if (p.leaderEpoch > this.epoch || (p.leaderEpoch === this.epoch && p.leaderId >= 0 && this.leaderId === null)) {
      if (await this.observeLeader(p.leaderEpoch, p.leaderId < 0 ? null : p.leaderId)) return;
    }
    if (gen !== this.stateGeneration || (this.role !== 'prospective' && this.role !== 'candidate')) return;
    if (p.errorCode === ErrorCode.NONE && p.voteGranted) this.granted.add(from);
    else this.rejected.add(from);
    if (this.granted.size >= this.majority) {
      if (this.role === 'prospective') await this.becomeCandidate();
      else await this.becomeLeader();
    } else if (this.rejected.size > this.voterIds.length - this.majority) {
      if (this.role === 'prospective') await this.prospectiveFailed();
      else {
        const g = this.stateGeneration;
        this.timers.set('election', this.electionBackoffMs(), () => this.onTimer(() => (g === this.stateGeneration ? this.becomeProspective() : undefined)));
      }
    }
  }

  private async becomeLeader(): Promise<void> {
    this.leaderId = this.nodeId;
    await this.persist();
    const epochStartOffset = this.log.endOffset();
    const now = this.runtime.clock.now();
    this.leader = new LeaderState(this.nodeId, this.epoch, epochStartOffset, this.voterIds, now);
    this.transition('leader');
    // The LeaderChangeMessage opens the epoch: committing it commits everything before it (Raft §5.4.2).
    const w = new ByteWriter(64);
    encodeMessage(LeaderChangeMessageSchema, 0, {
      version: 0,
      leaderId: this.nodeId,
      voters: this.voterIds.map((voterId) => ({ voterId, voterDirectoryId: ZERO_UUID })),
      grantingVoters: [...this.granted].map((voterId) => ({ voterId, voterDirectoryId: ZERO_UUID })),
    }, w);
    await this.log.appendAsLeader([{ control: true, records: [{ key: encodeControlKey(ControlRecordType.LeaderChange), value: w.toBuffer() }] }], this.epoch, now);
    this.logger.info({ nodeId: this.nodeId, epoch: this.epoch, epochStartOffset }, 'became raft leader');
    this.sendBeginQuorumEpoch();
    this.scheduleCheckQuorum();
    await this.flushAsLeader();
  }

  /** Resent to every voter that has not fetched in this epoch yet, until all have. */
  private sendBeginQuorumEpoch(): void {
    const leader = this.leader;
    if (leader === null || this.role !== 'leader') return;
    for (const [id, p] of leader.voters) {
      if (p.hasFetched) continue;
      this.transport
        .send(id, BeginQuorumEpochApi, QUORUM_RPC_VERSION, beginQuorumEpochRequest(this.clusterId, id, this.nodeId, this.epoch), this.requestTimeoutMs)
        .catch(() => undefined);
    }
    this.timers.set('begin-epoch', Math.max(1, Math.floor(this.electionTimeoutMs / 2)), () => this.onTimer(() => this.sendBeginQuorumEpoch()));
  }

  /** KIP-996 check-quorum: a leader a majority stopped fetching from steps down. */
  private scheduleCheckQuorum(): void {
    this.timers.set('check-quorum', Math.max(1, Math.floor(this.fetchTimeoutMs / 2)), () =>
      this.onTimer(async () => {
        if (this.role !== 'leader' || this.leader === null) return;
        if (this.leader.hasQuorum(this.runtime.clock.now(), this.fetchTimeoutMs)) this.scheduleCheckQuorum();
        else await this.resign();
      }),
    );
  }

  /** The leader stops leading its epoch (lost its quorum); the others elect a successor. */
  async resign(): Promise<void> {
    const successors = this.leader?.preferredSuccessors() ?? [];
    this.logger.warn({ nodeId: this.nodeId, epoch: this.epoch }, 'raft leader resigns');
    this.transition('resigned');
    this.sendEndQuorumEpoch(successors);
    this.timers.set('election', this.randomElectionTimeoutMs(), () => this.onTimer(() => this.becomeProspective()));
  }

  private sendEndQuorumEpoch(successors: readonly number[]): void {
    const body = endQuorumEpochRequest(this.clusterId, this.nodeId, this.epoch, successors);
    for (const id of this.voterIds) {
      if (id !== this.nodeId) this.transport.send(id, EndQuorumEpochApi, QUORUM_RPC_VERSION, body, this.requestTimeoutMs).catch(() => undefined);
    }
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
