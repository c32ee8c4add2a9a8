/**
 * A broker's membership of the cluster, as Kafka's BrokerLifecycleManager: it registers with the
 * active controller (BrokerRegistration, a new incarnation id per process start), then heartbeats
 * every `broker.heartbeat.interval.ms`. The controller registers it fenced; the broker asks to be
 * unfenced once its metadata has caught up with its own registration record (the broker epoch is that
 * record's offset), and the controller fences it again if heartbeats stop for
 * `broker.session.timeout.ms`. Shutdown is controlled: heartbeats say `wantShutDown` until the
 * controller answers `shouldShutDown` (its leaders have moved), bounded by a timeout.
 *
 * States: STARTING → (registered) RECOVERY (fenced) → RUNNING (unfenced) → PENDING_CONTROLLED_SHUTDOWN → SHUTDOWN.
 * A STALE_BROKER_EPOCH or BROKER_ID_NOT_REGISTERED answer means the controller lost the registration
 * (e.g. a fresh cluster): the broker registers again.
 *
 * Concurrency: one request in flight at a time (the next heartbeat is scheduled when the previous one
 * settles); everything runs on the injected timers.
 */
import type { Logger } from 'pino';
import { BrokerHeartbeatApi, BrokerRegistrationApi } from '../protocol/messages/index.js';
import type { BrokerHeartbeatRequest, BrokerHeartbeatResponse } from '../protocol/messages/broker-heartbeat.js';
import type { BrokerRegistrationRequest, BrokerRegistrationResponse, Listener } from '../protocol/messages/broker-registration.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { randomUuid } from '../protocol/schema/uuid.js';
import type { ControllerChannel } from './controller-channel.js';
import type { Runtime, TimerHandle } from './runtime.js';

export type BrokerState = 'STARTING' | 'RECOVERY' | 'RUNNING' | 'PENDING_CONTROLLED_SHUTDOWN' | 'SHUTDOWN';

/** The versions this broker sends (our controller serves BrokerRegistration 0-4 and BrokerHeartbeat 0-1). */
const REGISTRATION_VERSION = 3;
const HEARTBEAT_VERSION = 1;

export interface BrokerLifecycleOptions {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly rack: string | null;
  readonly listeners: () => readonly Listener[];
  /** metadata.version levels this broker supports. */
  readonly metadataVersion: { readonly min: number; readonly max: number };
  readonly logDirIds: readonly string[];
  /** The offset of the metadata this broker has applied (its image's), -1 before any. */
  readonly appliedMetadataOffset: () => number;
  readonly channel: ControllerChannel;
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly heartbeatIntervalMs: number;
  readonly requestTimeoutMs: number;
}

export class BrokerLifecycleManager {
  private stateNow: BrokerState = 'STARTING';
  private readonly incarnationId = randomUuid();
  private brokerEpoch = -1;
  private timer: TimerHandle | null = null;
  private stopped = false;
  private unfencedWaiters: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  private shutdownWaiter: (() => void) | null = null;

  constructor(private readonly options: BrokerLifecycleOptions) {}

  get state(): BrokerState {
    return this.stateNow;
  }

  /** The broker epoch the controller gave this incarnation (-1 until registered). */
  get epoch(): number {
    return this.brokerEpoch;
  }

  start(): void {
    this.schedule(0);
  }

  /** Resolves once the controller has unfenced this broker; rejects after `timeoutMs`. */
  waitUntilUnfenced(timeoutMs: number): Promise<void> {
    if (this.stateNow === 'RUNNING') return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject };
      this.unfencedWaiters.push(waiter);
      const timer = this.options.runtime.timers.setTimeout(() => {
        this.unfencedWaiters = this.unfencedWaiters.filter((w) => w !== waiter);
        reject(new Error(`broker ${this.options.nodeId} was not unfenced by the controller within ${timeoutMs} ms (state ${this.stateNow}, broker epoch ${this.brokerEpoch})`));
      }, timeoutMs);
      waiter.resolve = () => {
        this.options.runtime.timers.clearTimeout(timer);
        resolve();
      };
    });
  }

  /**
   * Controlled shutdown: asks the controller to move this broker's leaders away and waits (at most
   * `timeoutMs`) for its go-ahead. Resolves either way; heartbeats stop afterwards.
   */
  async controlledShutdown(timeoutMs: number): Promise<void> {
    if (this.stopped) return;
    if (this.brokerEpoch < 0) {
      this.stop();
      return;
    }
    this.stateNow = 'PENDING_CONTROLLED_SHUTDOWN';
    await new Promise<void>((resolve) => {
      const timer = this.options.runtime.timers.setTimeout(() => {
        this.options.logger.warn({ timeoutMs }, 'controlled shutdown was not acknowledged in time; stopping anyway');
        resolve();
      }, timeoutMs);
      this.shutdownWaiter = () => {
        this.options.runtime.timers.clearTimeout(timer);
        resolve();
      };
      this.schedule(0);
    });
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    this.stateNow = 'SHUTDOWN';
    if (this.timer !== null) this.options.runtime.timers.clearTimeout(this.timer);
    this.timer = null;
    for (const w of this.unfencedWaiters) w.reject(new Error('broker is shutting down'));
    this.unfencedWaiters = [];
    this.shutdownWaiter?.();
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.timer !== null) this.options.runtime.timers.clearTimeout(this.timer);
    this.timer = this.options.runtime.timers.setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, delayMs);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      const wasRegistered = this.brokerEpoch >= 0;
      if (!wasRegistered) await this.register();
      else await this.heartbeat();
      // Registered just now: ask to be unfenced at once (start-up waits on it); while fenced or shutting
      // down, ask again soon; otherwise at the heartbeat interval.
      const delayMs =
        this.brokerEpoch < 0 ? 100 : !wasRegistered ? 0 : this.stateNow === 'RECOVERY' || this.stateNow === 'PENDING_CONTROLLED_SHUTDOWN' ? Math.min(50, this.options.heartbeatIntervalMs) : this.options.heartbeatIntervalMs;
      this.schedule(delayMs);
    } catch (err) {
      this.options.logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'controller request failed; retrying');
      this.schedule(Math.min(500, this.options.heartbeatIntervalMs));
    }
  }

  private async register(): Promise<void> {
    const request: BrokerRegistrationRequest = {
      brokerId: this.options.nodeId,
      clusterId: this.options.clusterId,
      incarnationId: this.incarnationId,
      listeners: [...this.options.listeners()],
      features: [{ name: 'metadata.version', minSupportedVersion: this.options.metadataVersion.min, maxSupportedVersion: this.options.metadataVersion.max }],
      rack: this.options.rack,
      isMigratingZkBroker: false,
      logDirs: [...this.options.logDirIds],
      previousBrokerEpoch: -1,
    };
    const res = await this.options.channel.send<BrokerRegistrationResponse>(BrokerRegistrationApi, REGISTRATION_VERSION, request, { timeoutMs: this.options.requestTimeoutMs });
    if (res.errorCode !== ErrorCode.NONE) {
      const err = new KafkaError(res.errorCode, `BrokerRegistration refused by the controller`);
      if (res.errorCode === ErrorCode.INCONSISTENT_CLUSTER_ID) this.options.logger.error({ clusterId: this.options.clusterId }, 'the controller belongs to another cluster');
      throw err;
    }
    this.brokerEpoch = res.brokerEpoch;
    this.stateNow = 'RECOVERY';
    this.options.logger.info({ brokerEpoch: res.brokerEpoch, incarnationId: this.incarnationId }, 'registered with the controller');
  }

  private async heartbeat(): Promise<void> {
    const caughtUp = this.options.appliedMetadataOffset() >= this.brokerEpoch;
    const wantShutDown = this.stateNow === 'PENDING_CONTROLLED_SHUTDOWN';
    const request: BrokerHeartbeatRequest = {
      brokerId: this.options.nodeId,
      brokerEpoch: this.brokerEpoch,
      currentMetadataOffset: Math.max(0, this.options.appliedMetadataOffset()),
      wantFence: !caughtUp && !wantShutDown,
      wantShutDown,
      offlineLogDirs: [],
    };
    const res = await this.options.channel.send<BrokerHeartbeatResponse>(BrokerHeartbeatApi, HEARTBEAT_VERSION, request, { timeoutMs: this.options.requestTimeoutMs });
    if (res.errorCode === ErrorCode.STALE_BROKER_EPOCH || res.errorCode === ErrorCode.BROKER_ID_NOT_REGISTERED) {
      this.options.logger.warn({ errorCode: res.errorCode, brokerEpoch: this.brokerEpoch }, 'the controller does not know this registration; registering again');
      this.brokerEpoch = -1;
      this.stateNow = 'STARTING';
      return;
    }
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, 'BrokerHeartbeat refused by the controller');
    if (wantShutDown) {
      if (res.shouldShutDown) this.shutdownWaiter?.();
      return;
    }
    if (!res.isFenced && this.stateNow === 'RECOVERY') {
      this.stateNow = 'RUNNING';
      this.options.logger.info({ brokerEpoch: this.brokerEpoch }, 'unfenced by the controller');
      const waiters = this.unfencedWaiters;
      this.unfencedWaiters = [];
      for (const w of waiters) w.resolve();
    } else if (res.isFenced && this.stateNow === 'RUNNING') {
      // Fenced behind our back (a missed session): ask to be unfenced again.
      this.stateNow = 'RECOVERY';
      this.options.logger.warn({ brokerEpoch: this.brokerEpoch }, 'fenced by the controller');
    }
  }
}
