/**
 * The deterministic Raft simulator: N voters and some observers, each a RaftClient on a MemoryRaftLog and
 * a MemoryQuorumStateStore (the "disk": they survive a crash, minus the log's unflushed tail), wired by a
 * SimNetwork and driven by one Scheduler and one seeded Prng. Random faults (crashes, restarts, isolated
 * nodes, cut links, message loss) run while the leader appends; invariants are checked after every event:
 *
 * - election safety: at most one leader per epoch;
 * - committed data never changes: every listener's batches agree with every other's, offset by offset;
 *   each record is committed once, and each listener gets batches in order without gaps;
 * - the high watermark never goes back on a node (within one incarnation);
 * - leader completeness: a new leader's log holds every batch known committed;
 * - log matching: two logs with the same (offset, epoch) batch are identical up to it;
 * - liveness: once faults stop and the network heals, a new append is committed on every node.
 *
 * A failure throws SimulationFailure, whose message names the seed to replay.
 */
import { MemoryRaftLog } from '../../../../src/cluster/raft/memory-raft-log.js';
import { MemoryQuorumStateStore } from '../../../../src/cluster/raft/quorum-state.js';
import { RaftClient } from '../../../../src/cluster/raft/raft-client.js';
import { batchHeaders } from '../../../../src/cluster/raft/raft-log.js';
import type { QuorumVoter } from '../../../../src/cluster/raft/raft-transport.js';
import type { CommittedBatch, LeaderAndEpoch, RaftListener, SnapshotContents } from '../../../../src/cluster/raft/types.js';
import { voteResponse } from '../../../../src/cluster/raft/raft-messages.js';
import type { VoteV2Request } from '../../../../src/cluster/raft/vote-v2.js';
import { ErrorCode } from '../../../../src/protocol/errors.js';
import { SimNetwork, type SimEndpoint } from './network.js';

const VOTE_API_KEY = 52;
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';

export interface SimOptions {
  voters?: number;
  observers?: number;
  /** Simulated time with faults; a calm phase follows to check liveness. */
  durationMs?: number;
  faults?: boolean;
  appendIntervalMs?: number;
  /** Nodes take snapshots and trim their logs (so lagging followers need FetchSnapshot). */
  snapshots?: boolean;
  /** Each log write takes a random 0..ioDelayMaxMs of simulated time (0: writes complete at once). */
  ioDelayMaxMs?: number;
  /** Called for every event with a line describing it (debugging a seed). */
  trace?: (line: string) => void;
  /**
   * Checker self-test: voter 1 breaks Raft's one-vote-per-epoch rule and grants every Vote it gets
   * (answered by the harness, not its client). The invariants must catch it.
   */
  brokenRule?: 'vote-for-everyone';
}

export interface SimResult {
  seed: number;
  events: number;
  messages: number;
  committedBatches: number;
  maxEpoch: number;
  leaderChanges: number;
  snapshotLoads: number;
  /** Follower truncations after a diverging epoch, and snapshots installed from a leader. */
  truncations: number;
  snapshotInstalls: number;
}

export class SimulationFailure extends Error {
  constructor(readonly seed: number, reason: string) {
    super(`raft simulation failed (seed ${seed}; replay with runSimulation(${seed}, sameOpts)): ${reason}`);
    this.name = 'SimulationFailure';
  }
}

interface CommittedEntry {
  readonly lastOffset: number;
  readonly epoch: number;
  readonly payload: string;
}

const ELECTION_TIMEOUT_MS = 300;
const FETCH_TIMEOUT_MS = 600;

class NodeListener implements RaftListener {
  nextOffset = 0;
  records: Buffer[] = [];
  lastDataEpoch = 0;

  constructor(private readonly node: SimNode, private readonly sim: Simulation) {}

  handleCommit(batch: CommittedBatch): void {
    if (batch.baseOffset < this.nextOffset) this.sim.fail(`node ${this.node.id}: batch ${batch.baseOffset} delivered again (next ${this.nextOffset})`);
    this.sim.recordCommit(this.node, batch);
    this.nextOffset = batch.lastOffset + 1;
    this.lastDataEpoch = batch.epoch;
    this.records.push(...batch.records);
  }

  handleLoadSnapshot(snapshot: SnapshotContents): void {
    this.sim.snapshotLoads++;
    this.sim.checkSnapshot(this.node, snapshot);
    this.nextOffset = snapshot.id.endOffset;
    this.lastDataEpoch = snapshot.id.epoch;
    this.records = [...snapshot.records];
  }

  handleLeaderChange(_leader: LeaderAndEpoch): void {}
}

export class SimNode implements SimEndpoint {
  readonly log: MemoryRaftLog;
  readonly quorumState = new MemoryQuorumStateStore();
  client: RaftClient | null = null;
  listener: NodeListener | null = null;
  up = false;
  incarnation = 0;
  lastHighWatermark = -1;
  /** Epochs in which this incarnation was seen leading and its log was checked for completeness. */
  readonly checkedLeaderEpochs = new Set<number>();

  /** Set by the checker self-test: this node grants every Vote (see SimOptions.brokenRule). */
  grantsEveryVote = false;

  constructor(readonly id: number, readonly isVoter: boolean, sched: Scheduler, rng: Prng, ioDelayMaxMs: number) {
    // A write started by an incarnation that crashed meanwhile never completes: a dead process does nothing.
    const ioDelay = (): Promise<void> => {
      const incarnation = this.incarnation;
      return new Promise((resolve) => {
        sched.setTimeout(() => {
          if (this.up && this.incarnation === incarnation) resolve();
        }, rng.int(0, ioDelayMaxMs));
      });
    };
    this.log = new MemoryRaftLog(ioDelayMaxMs > 0 ? { ioDelay } : {});
  }

  handle(apiKey: number, version: number, body: unknown): Promise<unknown> {
    if (this.client === null) return Promise.reject(new Error(`node ${this.id} is down`));
    if (this.grantsEveryVote && apiKey === VOTE_API_KEY) {
      const p = (body as VoteV2Request).topics[0]!.partitions[0]!;
      return Promise.resolve(voteResponse(ErrorCode.NONE, ErrorCode.NONE, null, p.candidateEpoch, true));
    }
    return this.client.handleRequest(apiKey, version, body);
  }
}

export class Simulation {
  readonly rng: Prng;
  readonly sched = new Scheduler();
  readonly net: SimNetwork;
  readonly nodes: SimNode[] = [];
  readonly voters: QuorumVoter[];
  private readonly committed = new Map<number, CommittedEntry>();
  readonly recordOffsets = new Map<string, number>();
  private readonly leadersByEpoch = new Map<number, number>();
  private failure: SimulationFailure | null = null;
  snapshotLoads = 0;
  private truncations = 0;
  private snapshotInstalls = 0;
  /** Counts the paths worth knowing were exercised (the client logs them). */
  private readonly logger = {
    debug: (): void => undefined,
    info: (_obj: object, msg?: string): void => {
      if (msg === 'raft follower truncates a diverging log') this.truncations++;
      if (msg === 'raft follower installed a snapshot') this.snapshotInstalls++;
    },
    warn: (): void => undefined,
    error: (obj: object, msg?: string): void => this.fail(`${msg ?? 'error'}: ${JSON.stringify(obj)}`),
  };
  private appended = 0;
  private steps = 0;

  constructor(readonly seed: number, readonly opts: ReturnType<typeof simDefaults>) {
    this.rng = new Prng(seed);
    this.net = new SimNetwork(this.sched, this.rng);
    this.voters = Array.from({ length: opts.voters }, (_, i) => ({ id: i + 1, host: 'sim', port: 0 }));
    for (const v of this.voters) this.nodes.push(new SimNode(v.id, true, this.sched, this.rng, opts.ioDelayMaxMs));
    for (let i = 0; i < opts.observers; i++) this.nodes.push(new SimNode(100 + i, false, this.sched, this.rng, opts.ioDelayMaxMs));
    for (const n of this.nodes) this.net.endpoints.set(n.id, n);
    if (opts.brokenRule === 'vote-for-everyone') this.nodes[0]!.grantsEveryVote = true;
  }

  fail(reason: string): void {
    this.failure ??= new SimulationFailure(this.seed, `t=${this.sched.nowMs}ms: ${reason}`);
  }

  start(node: SimNode): void {
    node.incarnation++;
    node.lastHighWatermark = -1;
    node.checkedLeaderEpochs.clear();
    const client = new RaftClient({
      nodeId: node.id,
      clusterId: 'sim-cluster',
      voters: this.voters,
      log: node.log,
      quorumState: node.quorumState,
      transport: this.net.transportFor(node.id),
      runtime: this.sched.runtime(this.rng),
      electionTimeoutMs: ELECTION_TIMEOUT_MS,
      fetchTimeoutMs: FETCH_TIMEOUT_MS,
      electionBackoffMaxMs: 200,
      appendLingerMs: 5,
      fetchMaxWaitMs: 100,
      fetchMaxBytes: 4096,
      logger: this.logger,
    });
    node.client = client;
    node.up = true;
    node.listener = new NodeListener(node, this);
    client.register(node.listener);
    client.start().catch((err: unknown) => this.fail(`node ${node.id} failed to start: ${String(err)}`));
  }

  /** Power loss: in-memory state is gone, the log keeps only what was flushed. */
  crash(node: SimNode): void {
    if (!node.up) return;
    node.up = false;
    const c = node.client!;
    node.client = null;
    node.listener = null;
    void c.close();
    node.log.crash();
    this.trace(`crash ${node.id}`);
  }

  private trace(line: string): void {
    this.opts.trace?.(`[${this.sched.nowMs}] ${line}`);
  }

  recordCommit(node: SimNode, b: CommittedBatch): void {
    const payload = b.records.map((r) => r.toString('utf8')).join(',');
    const prev = this.committed.get(b.baseOffset);
    if (prev === undefined) {
      this.committed.set(b.baseOffset, { lastOffset: b.lastOffset, epoch: b.epoch, payload });
      for (const r of b.records) {
        const key = r.toString('utf8');
        const at = this.recordOffsets.get(key);
        if (at !== undefined) this.fail(`record ${key} committed twice (offsets ${at} and ${b.baseOffset})`);
        this.recordOffsets.set(key, b.baseOffset);
      }
    } else if (prev.lastOffset !== b.lastOffset || prev.epoch !== b.epoch || prev.payload !== payload) {
      this.fail(`node ${node.id}: committed batch at ${b.baseOffset} changed: ${JSON.stringify(prev)} vs ${JSON.stringify({ lastOffset: b.lastOffset, epoch: b.epoch, payload })}`);
    }
  }

  /** A snapshot must hold exactly the committed records below its end offset. */
  checkSnapshot(node: SimNode, s: SnapshotContents): void {
    const expected: string[] = [];
    for (const [base, e] of [...this.committed.entries()].sort((a, b) => a[0] - b[0])) {
      if (base < s.id.endOffset && e.payload !== '') expected.push(...e.payload.split(','));
    }
    const got = s.records.map((r) => r.toString('utf8'));
    if (got.length > expected.length || got.some((r, i) => r !== expected[i])) {
      this.fail(`node ${node.id}: snapshot ${s.id.endOffset}-${s.id.epoch} does not match the committed records`);
    }
  }

  private async checkInvariants(): Promise<void> {
    for (const n of this.nodes) {
      const c = n.client;
      if (c === null) continue;
      if (c.failureReason !== null) this.fail(`node ${n.id} failed: ${String(c.failureReason)}`);
      const hw = c.highWatermark();
      if (hw !== null) {
        if (hw < n.lastHighWatermark) this.fail(`node ${n.id}: high watermark went back from ${n.lastHighWatermark} to ${hw}`);
        n.lastHighWatermark = hw;
      }
      if (c.role === 'leader') {
        const known = this.leadersByEpoch.get(c.epoch);
        if (known !== undefined && known !== n.id) this.fail(`two leaders in epoch ${c.epoch}: ${known} and ${n.id}`);
        this.leadersByEpoch.set(c.epoch, n.id);
        if (!n.checkedLeaderEpochs.has(c.epoch)) {
          n.checkedLeaderEpochs.add(c.epoch);
          await this.checkLeaderCompleteness(n);
        }
      }
      if (!n.isVoter && (c.role !== 'follower' && c.role !== 'unattached')) this.fail(`observer ${n.id} is ${c.role}`);
    }
    if (++this.steps % 25 === 0) await this.checkLogMatching();
  }

  private async checkLeaderCompleteness(n: SimNode): Promise<void> {
    const start = n.log.startOffset();
    for (const [base, e] of this.committed) {
      if (base < start) continue; // covered by the snapshot the log starts at
      const bytes = await n.log.read(base, 1);
      const h = bytes.length === 0 ? undefined : batchHeaders(bytes)[0];
      if (h === undefined || h.baseOffset !== base || h.lastOffset !== e.lastOffset || h.partitionLeaderEpoch !== e.epoch) {
        this.fail(`leader ${n.id} (epoch ${n.client?.epoch}) lacks committed batch ${base} (epoch ${e.epoch})`);
        return;
      }
    }
  }

  /** Raft's log matching property between every pair of nodes. */
  private async checkLogMatching(): Promise<void> {
    const logs = await Promise.all(
      this.nodes.map(async (n) => {
        const bytes = await n.log.read(n.log.startOffset(), Number.MAX_SAFE_INTEGER);
        const m = new Map<number, { epoch: number; crc: number; lastOffset: number }>();
        for (const h of batchHeaders(bytes)) m.set(h.baseOffset, { epoch: h.partitionLeaderEpoch, crc: h.crc, lastOffset: h.lastOffset });
        return { id: n.id, m };
      }),
    );
    for (let i = 0; i < logs.length; i++) {
      for (let j = i + 1; j < logs.length; j++) {
        const a = logs[i]!;
        const b = logs[j]!;
        // The highest offset where both hold a batch of the same epoch: everything both hold below must be equal.
        let match = -1;
        for (const [off, x] of a.m) {
          const y = b.m.get(off);
          if (y !== undefined && y.epoch === x.epoch && off > match) match = off;
        }
        for (const [off, x] of a.m) {
          if (off > match) continue;
          const y = b.m.get(off);
          if (y !== undefined && (y.crc !== x.crc || y.lastOffset !== x.lastOffset || y.epoch !== x.epoch)) {
            this.fail(`log matching: nodes ${a.id} and ${b.id} agree at ${match} but differ at ${off}`);
            return;
          }
        }
      }
    }
  }

  leaders(): SimNode[] {
    return this.nodes.filter((n) => n.client?.role === 'leader');
  }

  appendOne(): void {
    for (const n of this.leaders()) {
      const c = n.client!;
      const record = `s${this.seed}-${this.appended++}`;
      c.append(c.epoch, [Buffer.from(record)]).catch(() => undefined);
    }
  }

  private maybeSnapshot(): void {
    for (const n of this.nodes) {
      const c = n.client;
      const l = n.listener;
      if (c === null || l === null || l.nextOffset === 0) continue;
      const latest = n.log.latestSnapshotId();
      if (l.nextOffset - (latest?.endOffset ?? 0) < 40) continue;
      const contents: SnapshotContents = { id: { endOffset: l.nextOffset, epoch: l.lastDataEpoch }, lastContainedLogTimestampMs: this.sched.nowMs, records: [...l.records] };
      c.createSnapshot(contents).then(() => n.log.trimToLatestSnapshot(), () => undefined);
    }
  }

  private injectFault(): void {
    const r = this.rng.next();
    const down = this.nodes.filter((n) => !n.up);
    const node = this.rng.pick(this.nodes);
    if (r < 0.25) {
      if (down.length < Math.ceil(this.nodes.length / 2)) {
        this.crash(node);
        this.sched.setTimeout(() => {
          if (!node.up && !this.calm) this.start(node);
        }, this.rng.int(100, 3000));
      }
    } else if (r < 0.45) {
      this.trace(`isolate ${node.id}`);
      this.net.isolate(node.id);
      this.sched.setTimeout(() => {
        if (!this.calm) this.net.healAll();
      }, this.rng.int(200, 4000));
    } else if (r < 0.55) {
      const other = this.rng.pick(this.nodes);
      if (other !== node) this.net.cutLink(node.id, other.id);
    } else if (r < 0.7) {
      this.net.healAll();
    } else if (r < 0.8) {
      this.net.faults = { ...this.net.faults, dropRate: this.rng.next() * 0.2 };
    } else if (r < 0.9) {
      this.net.faults = { ...this.net.faults, dropRate: 0 };
    }
  }

  private calm = false;

  private every(intervalMs: number, fn: () => void): void {
    const tick = (): void => {
      if (this.failure !== null) return;
      fn();
      this.sched.setTimeout(tick, intervalMs);
    };
    this.sched.setTimeout(tick, intervalMs);
  }

  async runUntil(untilMs: number): Promise<void> {
    while (this.failure === null && (await this.sched.step(untilMs))) await this.checkInvariants();
    if (this.failure !== null) throw this.failure;
  }

  /** Starts every node and the append workload (scenario tests drive faults themselves after this). */
  boot(): void {
    for (const n of this.nodes) this.start(n);
    this.every(this.opts.appendIntervalMs, () => (this.calm ? undefined : this.appendOne()));
  }

  node(id: number): SimNode {
    const n = this.nodes.find((x) => x.id === id);
    if (n === undefined) throw new Error(`no node ${id}`);
    return n;
  }

  async run(): Promise<SimResult> {
    this.boot();
    if (this.opts.faults) this.every(400, () => (this.calm ? undefined : this.injectFault()));
    if (this.opts.snapshots) this.every(250, () => this.maybeSnapshot());
    await this.runUntil(this.opts.durationMs);
    await this.heal();
    return this.result();
  }

  /** Ends the faults, then checks that an append is committed everywhere within a bounded time. */
  async heal(): Promise<void> {
    this.calm = true;
    this.net.healAll();
    this.net.faults = { ...this.net.faults, dropRate: 0 };
    for (const n of this.nodes) if (!n.up) this.start(n);
    const deadline = this.sched.nowMs + 20_000;
    // An append may be lost with its leader (appended, then truncated): retry with a new marker until one
    // is delivered to every node.
    const markers: string[] = [];
    let sentAtMs = -Infinity;
    while (this.sched.nowMs < deadline) {
      await this.runUntil(this.sched.nowMs + 100);
      const leader = this.leaders()[0];
      if (leader !== undefined && this.sched.nowMs - sentAtMs > 3000) {
        sentAtMs = this.sched.nowMs;
        const marker = `s${this.seed}-final-${markers.length}`;
        markers.push(marker);
        leader.client!.append(leader.client!.epoch, [Buffer.from(marker)]).catch(() => {
          sentAtMs = -Infinity; // lost its leadership meanwhile: try again with the next leader
        });
      }
      for (const m of markers) {
        const at = this.recordOffsets.get(m);
        if (at !== undefined && this.nodes.every((n) => (n.listener?.nextOffset ?? -1) > at)) return;
      }
    }
    this.fail(`no progress within 20 s after healing (leaders: ${this.leaders().map((n) => `${n.id}@${n.client!.epoch}`).join(',') || 'none'}; roles: ${this.nodes.map((n) => `${n.id}:${n.client?.role}@${n.client?.epoch}`).join(' ')})`);
    throw this.failure;
  }

  result(): SimResult {
    return {
      seed: this.seed,
      events: this.sched.events,
      messages: this.net.messages,
      committedBatches: this.committed.size,
      maxEpoch: Math.max(0, ...this.leadersByEpoch.keys()),
      leaderChanges: this.leadersByEpoch.size,
      snapshotLoads: this.snapshotLoads,
      truncations: this.truncations,
      snapshotInstalls: this.snapshotInstalls,
    };
  }

  /** Stops every client (not awaited: writes pending in simulated time will never complete). */
  close(): Promise<void> {
    for (const n of this.nodes) if (n.client !== null) void n.client.close();
    return Promise.resolve();
  }
}

export function simDefaults(opts: SimOptions = {}): Required<Omit<SimOptions, 'trace' | 'brokenRule'>> & Pick<SimOptions, 'trace' | 'brokenRule'> {
  return {
    voters: opts.voters ?? 3,
    observers: opts.observers ?? 1,
    durationMs: opts.durationMs ?? 20_000,
    faults: opts.faults ?? true,
    appendIntervalMs: opts.appendIntervalMs ?? 50,
    snapshots: opts.snapshots ?? false,
    ioDelayMaxMs: opts.ioDelayMaxMs ?? 3,
    trace: opts.trace,
    brokenRule: opts.brokenRule,
  };
}

/** Runs one seeded simulation; throws SimulationFailure (naming the seed) when an invariant breaks. */
export async function runSimulation(seed: number, opts: SimOptions = {}): Promise<SimResult> {
  const sim = new Simulation(seed, simDefaults(opts));
  try {
    return await sim.run();
  } finally {
    await sim.close();
  }
}
