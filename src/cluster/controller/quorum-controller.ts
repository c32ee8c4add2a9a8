/**
 * The QuorumController: on the node that leads the metadata quorum it turns controller requests into
 * metadata records, appends them through Raft and answers once they are committed. On every node it
 * replays the committed log into its own image.
 *
 * Lifecycle: inactive → (this node becomes Raft leader of epoch E) claiming: append a NoOpRecord in
 * E; its commit proves every earlier committed record has been replayed → active: on an empty log,
 * first write metadata.version (+ bootstrap records), give every registered broker a fresh session.
 * Any leader change (or failed append) → inactive: waiting requests get NOT_CONTROLLER.
 *
 * Concurrency: everything runs on the event loop. A request is computed synchronously against the
 * *pending* image (committed + everything this controller appended in its epoch), the result is
 * applied to the pending image and appended in the same tick, so the next request sees it; only the
 * wait for the commit is asynchronous. Offsets of appended records are predicted from the log end
 * (broker epochs are RegisterBrokerRecord offsets) and checked when the append returns.
 */
import type { Logger } from 'pino';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { AllocateProducerIdsRequest, AllocateProducerIdsResponse } from '../../protocol/messages/allocate-producer-ids.js';
import type { AlterConfigsRequest, AlterConfigsResponse } from '../../protocol/messages/alter-configs.js';
import type { AlterPartitionRequest, AlterPartitionResponse } from '../../protocol/messages/alter-partition.js';
import type { BrokerHeartbeatRequest, BrokerHeartbeatResponse } from '../../protocol/messages/broker-heartbeat.js';
import type { BrokerRegistrationRequest, BrokerRegistrationResponse } from '../../protocol/messages/broker-registration.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse } from '../../protocol/messages/create-partitions.js';
import type { CreatableTopicConfigs, CreateTopicsRequest, CreateTopicsResponse } from '../../protocol/messages/create-topics.js';
import type { DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/messages/delete-topics.js';
import type { AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse } from '../../protocol/messages/alter-partition-reassignments.js';
import type { ElectLeadersRequest, ElectLeadersResponse } from '../../protocol/messages/elect-leaders.js';
import type { ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse } from '../../protocol/messages/list-partition-reassignments.js';
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../../protocol/messages/incremental-alter-configs.js';
import type { UnregisterBrokerRequest, UnregisterBrokerResponse } from '../../protocol/messages/unregister-broker.js';
import type { CommittedBatch, LeaderAndEpoch, MetadataLogClient, RaftListener, SnapshotContents } from '../raft/types.js';
import type { Runtime, TimerHandle } from '../runtime.js';
import { MetadataDelta } from '../metadata/metadata-delta.js';
import { METADATA_VERSION_FEATURE, MetadataImage } from '../metadata/metadata-image.js';
import { decodeMetadataRecord, encodeRecord } from '../metadata/record-serde.js';
import { FEATURE_LEVEL_RECORD_TYPE, NO_OP_RECORD_TYPE, type FeatureLevelRecord } from '../metadata/records/index.js';
import { BrokerSessions, brokerHeartbeat, expireSession, registerBroker, unregisterBroker } from './cluster-control.js';
import { CommitWaiters } from './commit-waiters.js';
import { alterConfigs, incrementalAlterConfigs } from './config-control.js';
import type { ControlContext, ControllerResult, MetadataRecordValue } from './controller-result.js';
import { electLeaders, rebalanceLeaders } from './election-control.js';
import { allocateProducerIds, alterPartition } from './partition-control.js';
import { alterPartitionReassignments, listPartitionReassignments } from './reassignment-control.js';
import * as errors from './error-responses.js';
import { createPartitions, createTopics, deleteTopics, errorOf } from './topic-control.js';

/**
 * metadata.version written on an empty log: Kafka 4.0's 4.0-IV3 (MetadataVersion.IBP_4_0_IV3, feature
 * level 25, LATEST_PRODUCTION in Apache Kafka 4.0's server-common MetadataVersion.java).
 */
export const DEFAULT_METADATA_VERSION = 25;
export const DEFAULT_SESSION_TIMEOUT_MS = 9000;
export const DEFAULT_COMMIT_TIMEOUT_MS = 30_000;
/** How long after a failed append the controller tries to claim its epoch again. */
const RECLAIM_DELAY_MS = 100;
export const DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL_MS = 300_000;
export const DEFAULT_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE = 10;

export interface QuorumControllerOptions {
  readonly nodeId: number;
  readonly log: MetadataLogClient;
  readonly runtime: Runtime;
  readonly logger?: Logger;
  /** broker.session.timeout.ms */
  readonly sessionTimeoutMs?: number;
  /** num.partitions */
  readonly defaultNumPartitions?: number;
  /** default.replication.factor */
  readonly defaultReplicationFactor?: number;
  /** Written with metadata.version in the first batch of an empty log (e.g. an old single-node data dir). */
  readonly bootstrapRecords?: readonly Buffer[];
  readonly metadataVersion?: number;
  /** When set, broker registrations naming another cluster id are refused. */
  readonly clusterId?: string;
  /** How long a request waits for its records to commit when it names no timeout. */
  readonly commitTimeoutMs?: number;
  readonly describeTopicConfigs?: (overrides: Readonly<Record<string, string>>) => CreatableTopicConfigs[];
  /** unclean.leader.election.enable (the broker default; topics may override it). */
  readonly uncleanLeaderElectionEnable?: boolean;
  /** auto.leader.rebalance.enable (default true). */
  readonly autoLeaderRebalanceEnable?: boolean;
  /** leader.imbalance.check.interval.seconds, in ms (default 300 s). */
  readonly leaderImbalanceCheckIntervalMs?: number;
  /** leader.imbalance.per.broker.percentage (default 10). */
  readonly leaderImbalancePerBrokerPercentage?: number;
}

type State =
  | { readonly kind: 'inactive' }
  | { readonly kind: 'claiming'; readonly epoch: number; markerOffset: number | null }
  | { readonly kind: 'active'; readonly epoch: number };

function notController(): KafkaError {
  return new KafkaError(ErrorCode.NOT_CONTROLLER, 'This is not the active controller.');
}

export class QuorumController implements RaftListener {
  readonly nodeId: number;
  private committed = MetadataImage.EMPTY;
  private pending = MetadataImage.EMPTY;
  private nextOffset = 0;
  private state: State = { kind: 'inactive' };
  private readonly waiters: CommitWaiters;
  private readonly sessions: BrokerSessions;
  private readonly log: MetadataLogClient;
  private readonly runtime: Runtime;
  private readonly commitTimeoutMs: number;
  private started = false;
  private rebalanceTimer: TimerHandle | null = null;

  constructor(private readonly options: QuorumControllerOptions) {
    this.nodeId = options.nodeId;
    this.log = options.log;
    this.runtime = options.runtime;
    this.commitTimeoutMs = options.commitTimeoutMs ?? DEFAULT_COMMIT_TIMEOUT_MS;
    this.waiters = new CommitWaiters(options.runtime);
    const sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    if (!(sessionTimeoutMs > 0)) throw new Error('sessionTimeoutMs must be positive');
    this.sessions = new BrokerSessions(options.runtime, sessionTimeoutMs, (id, epoch) => this.onSessionExpired(id, epoch));
  }

  /** Registers with the Raft client (which replays the committed log into this controller first). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.log.register(this);
  }

  close(): void {
    if (this.started) this.log.unregister(this);
    this.started = false;
    this.deactivate('closed');
  }

  /** The committed metadata, as this node has replayed it. */
  image(): MetadataImage {
    return this.committed;
  }

  /** The committed metadata plus what this controller has appended but not yet seen committed. */
  pendingImage(): MetadataImage {
    return this.pending;
  }

  isActive(): boolean {
    return this.state.kind === 'active';
  }

  /** The epoch this controller is active in, or -1. */
  activeEpoch(): number {
    return this.state.kind === 'active' ? this.state.epoch : -1;
  }

  // ------------------------------------------------------------------ RaftListener

  handleCommit(batch: CommittedBatch): void {
    if (batch.lastOffset > this.committed.offset) {
      const delta = new MetadataDelta(this.committed);
      for (const buf of batch.records) {
        try {
          delta.replayBuffer(buf);
        } catch (err) {
          this.options.logger?.error({ err, baseOffset: batch.baseOffset }, 'controller could not apply a committed metadata record');
        }
      }
      this.committed = delta.apply(batch.lastOffset, batch.epoch);
    }
    if (this.state.kind !== 'active') this.pending = this.committed;
    const s = this.state;
    if (s.kind === 'claiming' && s.markerOffset !== null && this.committed.offset >= s.markerOffset) this.activate(s.epoch);
    this.waiters.complete(this.committed.offset);
  }

  handleLoadSnapshot(snapshot: SnapshotContents): void {
    // Only a lagging node loads a snapshot; an active controller never lags its own log.
    if (this.state.kind === 'active') this.deactivate('snapshot loaded while active');
    const delta = new MetadataDelta(this.committed, true);
    for (const buf of snapshot.records) {
      try {
        delta.replayBuffer(buf);
      } catch (err) {
        this.options.logger?.error({ err, snapshotId: snapshot.id }, 'controller could not apply a snapshot record');
      }
    }
    this.committed = delta.apply(snapshot.id.endOffset - 1, snapshot.id.epoch);
    this.pending = this.committed;
  }

  handleLeaderChange(leader: LeaderAndEpoch): void {
    const s = this.state;
    if (leader.leaderId === this.nodeId) {
      if (s.kind !== 'inactive' && s.epoch === leader.epoch) return;
      if (s.kind !== 'inactive') this.deactivate(`new epoch ${leader.epoch}`);
      this.claim(leader.epoch);
    } else if (s.kind !== 'inactive') {
      this.deactivate(`leader is now ${leader.leaderId ?? 'unknown'} in epoch ${leader.epoch}`);
    }
  }

  // ------------------------------------------------------------------ leadership

  private claim(epoch: number): void {
    const claiming: State = { kind: 'claiming', epoch, markerOffset: null };
    this.state = claiming;
    this.log.append(epoch, [encodeRecord(NO_OP_RECORD_TYPE, {})]).then(
      (offset) => {
        if (this.state !== claiming) return;
        claiming.markerOffset = offset;
        if (this.committed.offset >= offset) this.activate(epoch);
      },
      (err: unknown) => {
        if (this.state !== claiming) return;
        this.state = { kind: 'inactive' };
        this.options.logger?.info({ err, epoch }, 'could not claim controller leadership');
        this.scheduleReclaim(epoch);
      },
    );
  }

  /**
   * An append failed although Raft may still call us leader of `epoch` (e.g. it refused appends
   * for a moment): try to claim it again shortly, as long as that stays true.
   */
  private scheduleReclaim(epoch: number): void {
    this.runtime.timers.setTimeout(() => {
      const leader = this.log.leaderAndEpoch();
      if (this.started && this.state.kind === 'inactive' && leader.leaderId === this.nodeId && leader.epoch === epoch) this.claim(epoch);
    }, RECLAIM_DELAY_MS);
  }

  private activate(epoch: number): void {
    this.state = { kind: 'active', epoch };
    this.pending = this.committed;
    this.nextOffset = this.committed.offset + 1;
    for (const b of this.committed.cluster.brokers.values()) this.sessions.touch(b.brokerId, b.brokerEpoch, false);
    this.scheduleRebalance();
    this.options.logger?.info({ epoch, offset: this.committed.offset }, 'controller active');
    // Not from inside Raft's handleCommit call: append on a later tick.
    if (this.committed.metadataVersion() === undefined) {
      const active = this.state;
      queueMicrotask(() => {
        if (this.state === active) this.bootstrap();
      });
    }
  }

  private bootstrap(): void {
    const extra = this.options.bootstrapRecords ?? [];
    const setsVersion = extra.some((buf) => {
      try {
        const r = decodeMetadataRecord(buf);
        return r.type === FEATURE_LEVEL_RECORD_TYPE && (r.value as FeatureLevelRecord).name === METADATA_VERSION_FEATURE;
      } catch {
        return false; // write() refuses the batch and says why
      }
    });
    const level = this.options.metadataVersion ?? DEFAULT_METADATA_VERSION;
    const records = setsVersion ? [...extra] : [encodeRecord(FEATURE_LEVEL_RECORD_TYPE, { name: METADATA_VERSION_FEATURE, featureLevel: level }), ...extra];
    this.write(records, this.commitTimeoutMs).then(
      () => this.options.logger?.info({ metadataVersion: level, bootstrapRecords: extra.length }, 'metadata log bootstrapped'),
      (err: unknown) => this.options.logger?.error({ err }, 'metadata.version and bootstrap records not written'),
    );
  }

  private deactivate(why: string): void {
    const was = this.state.kind;
    this.state = { kind: 'inactive' };
    this.pending = this.committed;
    this.sessions.clear();
    if (this.rebalanceTimer !== null) this.runtime.timers.clearTimeout(this.rebalanceTimer);
    this.rebalanceTimer = null;
    this.waiters.failAll(notController);
    if (was === 'active') this.options.logger?.info({ why }, 'controller inactive');
  }

  // ------------------------------------------------------------------ writing

  /** Applies `records` to the pending image, appends them as one batch, resolves once committed. */
  private write(records: readonly Buffer[], timeoutMs: number): Promise<void> {
    const s = this.state;
    if (s.kind !== 'active') return Promise.reject(notController());
    const delta = new MetadataDelta(this.pending);
    try {
      for (const buf of records) delta.replayBuffer(buf); // fails before anything is appended
    } catch (err) {
      return Promise.reject(err);
    }
    const predictedLast = this.nextOffset + records.length - 1;
    this.pending = delta.apply(predictedLast, s.epoch);
    this.nextOffset = predictedLast + 1;
    return this.log.append(s.epoch, records).then(
      (lastOffset) => {
        if (lastOffset !== predictedLast) {
          // Raft put something else (a control record) ahead of our batch: later offsets shift.
          this.options.logger?.warn({ predictedLast, lastOffset }, 'metadata batch landed at an unexpected offset');
          if (this.state === s) this.nextOffset += lastOffset - predictedLast;
        }
        return this.waitCommitted(lastOffset, timeoutMs);
      },
      (err: unknown) => {
        if (this.state === s) {
          this.deactivate(`append failed: ${err instanceof Error ? err.message : String(err)}`);
          this.scheduleReclaim(s.epoch);
        }
        throw notController();
      },
    );
  }

  private waitCommitted(offset: number, timeoutMs: number): Promise<void> {
    if (this.committed.offset >= offset) return Promise.resolve();
    if (this.state.kind !== 'active') return Promise.reject(notController());
    return this.waiters.wait(offset, timeoutMs);
  }

  private context(): ControlContext {
    return { image: this.pending, nextOffset: this.nextOffset, nowMs: this.runtime.clock.now(), uncleanElectionDefault: this.options.uncleanLeaderElectionEnable ?? false };
  }

  /**
   * auto.leader.rebalance.enable: every leader.imbalance.check.interval.seconds the active controller
   * moves leadership back to preferred replicas on brokers over leader.imbalance.per.broker.percentage.
   */
  private scheduleRebalance(): void {
    if (this.options.autoLeaderRebalanceEnable === false) return;
    const intervalMs = this.options.leaderImbalanceCheckIntervalMs ?? DEFAULT_LEADER_IMBALANCE_CHECK_INTERVAL_MS;
    const active = this.state;
    this.rebalanceTimer = this.runtime.timers.setTimeout(() => {
      this.rebalanceTimer = null;
      if (this.state !== active) return;
      const records = rebalanceLeaders(this.context(), this.options.leaderImbalancePerBrokerPercentage ?? DEFAULT_LEADER_IMBALANCE_PER_BROKER_PERCENTAGE);
      if (records.length > 0) {
        this.options.logger?.info({ partitions: records.length }, 'moving leadership back to preferred replicas');
        this.write(encodeAll(records), this.commitTimeoutMs).catch((err: unknown) => this.options.logger?.warn({ err }, 'leader rebalance not committed'));
      }
      this.scheduleRebalance();
    }, intervalMs);
  }

  /**
   * Runs one request: NOT_CONTROLLER unless active; compute against the pending image; append the
   * records and answer after their commit. `onError` turns a failure into that API's response.
   */
  private async run<T>(
    compute: (ctx: ControlContext) => ControllerResult<T>,
    onError: (code: ErrorCode, message: string, computed: T | undefined) => T,
    timeoutMs = this.commitTimeoutMs,
  ): Promise<T> {
    if (this.state.kind !== 'active') return onError(ErrorCode.NOT_CONTROLLER, 'This is not the active controller.', undefined);
    let res: ControllerResult<T>;
    try {
      res = compute(this.context());
    } catch (err) {
      const { code, message } = errorOf(err);
      this.options.logger?.error({ err }, 'controller request failed');
      return onError(code, message, undefined);
    }
    if (res.records.length === 0) return res.response;
    try {
      await this.write(encodeAll(res.records), timeoutMs > 0 ? timeoutMs : this.commitTimeoutMs);
      return res.response;
    } catch (err) {
      const { code, message } = errorOf(err);
      return onError(code, message, res.response);
    }
  }

  private onSessionExpired(brokerId: number, brokerEpoch: number): void {
    if (this.state.kind !== 'active') return;
    const records = expireSession(this.context(), brokerId, brokerEpoch);
    if (records.length === 0) return;
    this.options.logger?.info({ brokerId, brokerEpoch }, 'broker session expired: fencing it');
    this.write(encodeAll(records), this.commitTimeoutMs).catch((err: unknown) => this.options.logger?.warn({ err, brokerId }, 'fencing not committed'));
  }

  // ------------------------------------------------------------------ requests

  registerBroker(req: BrokerRegistrationRequest): Promise<BrokerRegistrationResponse> {
    return this.run((ctx) => {
      const r = registerBroker(ctx, req, this.sessions, { clusterId: this.options.clusterId });
      if (r.message) this.options.logger?.info({ brokerId: req.brokerId, errorCode: r.response.errorCode }, r.message);
      return r;
    }, errors.registration);
  }

  brokerHeartbeat(req: BrokerHeartbeatRequest): Promise<BrokerHeartbeatResponse> {
    return this.run((ctx) => brokerHeartbeat(ctx, req, this.sessions), errors.heartbeat);
  }

  unregisterBroker(req: UnregisterBrokerRequest): Promise<UnregisterBrokerResponse> {
    return this.run((ctx) => unregisterBroker(ctx, req, this.sessions), errors.unregister);
  }

  createTopics(req: CreateTopicsRequest): Promise<CreateTopicsResponse> {
    const options = {
      defaultNumPartitions: this.options.defaultNumPartitions ?? 1,
      defaultReplicationFactor: this.options.defaultReplicationFactor ?? 1,
      random: this.runtime.random,
      describeTopicConfigs: this.options.describeTopicConfigs,
    };
    return this.run((ctx) => createTopics(ctx, req, options), errors.createTopics(req), req.timeoutMs);
  }

  deleteTopics(req: DeleteTopicsRequest): Promise<DeleteTopicsResponse> {
    return this.run((ctx) => deleteTopics(ctx, req), errors.deleteTopics(req), req.timeoutMs);
  }

  createPartitions(req: CreatePartitionsRequest): Promise<CreatePartitionsResponse> {
    return this.run((ctx) => createPartitions(ctx, req, this.runtime.random), errors.createPartitions(req), req.timeoutMs);
  }

  alterConfigs(req: AlterConfigsRequest): Promise<AlterConfigsResponse> {
    return this.run((ctx) => alterConfigs(ctx, req), errors.alterConfigs(req.resources));
  }

  incrementalAlterConfigs(req: IncrementalAlterConfigsRequest): Promise<IncrementalAlterConfigsResponse> {
    return this.run((ctx) => incrementalAlterConfigs(ctx, req), errors.alterConfigs(req.resources));
  }

  /** ISR changes from partition leaders. The response carries each partition's state after the change. */
  alterPartition(req: AlterPartitionRequest): Promise<AlterPartitionResponse> {
    return this.run((ctx) => alterPartition(ctx, req), errors.alterPartition);
  }

  allocateProducerIds(req: AllocateProducerIdsRequest): Promise<AllocateProducerIdsResponse> {
    return this.run((ctx) => allocateProducerIds(ctx, req), errors.allocateProducerIds);
  }

  electLeaders(req: ElectLeadersRequest): Promise<ElectLeadersResponse> {
    return this.run((ctx) => electLeaders(ctx, req), errors.electLeaders(req), req.timeoutMs);
  }

  alterPartitionReassignments(req: AlterPartitionReassignmentsRequest): Promise<AlterPartitionReassignmentsResponse> {
    return this.run((ctx) => alterPartitionReassignments(ctx, req), errors.alterPartitionReassignments(req), req.timeoutMs);
  }

  listPartitionReassignments(req: ListPartitionReassignmentsRequest): Promise<ListPartitionReassignmentsResponse> {
    return this.run((ctx) => listPartitionReassignments(ctx, req), errors.listPartitionReassignments, req.timeoutMs);
  }
}

function encodeAll(records: readonly MetadataRecordValue[]): Buffer[] {
  return records.map((r) => encodeRecord(r.type, r.value));
}
