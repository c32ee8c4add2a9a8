/**
 * How a broker talks to the active controller (Kafka's NodeToControllerChannelManager): the request
 * goes to whichever voter Raft currently names as leader, over that voter's controller listener, or
 * straight to the in-process controller when this node is the active one. NOT_CONTROLLER answers and
 * broken connections are retried, with a backoff, against the controller known at that moment, until
 * the request's deadline; then REQUEST_TIMED_OUT.
 *
 * Concurrency: one connection per controller node, opened on first use and dropped when it fails;
 * requests on it are pipelined by BrokerConnection. Every wait is bounded by the caller's timeout.
 */
import type { Logger } from 'pino';
import { BrokerConnection } from '../network/broker-connection.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { ApiSpec } from '../protocol/schema/dsl.js';
import type { LeaderAndEpoch } from './raft/types.js';
import type { Runtime } from './runtime.js';

export interface ControllerEndpoint {
  readonly host: string;
  readonly port: number;
}

/** Serves a controller API in this process (the active controller of a combined node), or null when not active. */
export type LocalControllerCall = (api: ApiSpec, version: number, body: object) => Promise<object> | null;

export interface ControllerChannelOptions {
  readonly nodeId: number;
  /** The Raft leader as this node knows it. */
  readonly leader: () => LeaderAndEpoch;
  /** Controller listeners of the voters (controller.quorum.voters). */
  readonly endpoints: () => ReadonlyMap<number, ControllerEndpoint>;
  readonly local?: LocalControllerCall;
  readonly runtime: Runtime;
  readonly logger: Logger;
  readonly retryBackoffMs?: number;
}

/** What a broker-side component that sends requests of its own to the active controller needs. */
export interface ControllerRequesterOptions {
  readonly brokerId: number;
  /** This broker's epoch as its registration gave it (-1 before). */
  readonly brokerEpoch: () => number;
  readonly channel: Pick<ControllerChannel, 'send'>;
  readonly requestTimeoutMs: number;
  readonly logger: Logger;
}

export interface ControllerRequestOptions<Res> {
  readonly timeoutMs: number;
  /** True when the answer says "not the controller" (retried elsewhere). Default: a top-level NOT_CONTROLLER. */
  readonly notController?: (response: Res) => boolean;
}

const DEFAULT_RETRY_BACKOFF_MS = 50;
const LOCAL_RETRY_BACKOFF_MS = 2;

function topLevelNotController(response: unknown): boolean {
  return typeof response === 'object' && response !== null && (response as { errorCode?: number }).errorCode === ErrorCode.NOT_CONTROLLER;
}

export class ControllerChannel {
  private readonly connections = new Map<number, Promise<BrokerConnection>>();
  private closed = false;

  constructor(private readonly options: ControllerChannelOptions) {}

  async send<Res extends object>(api: ApiSpec, version: number, body: object, opts: ControllerRequestOptions<Res>): Promise<Res> {
    const { runtime } = this.options;
    const deadline = runtime.clock.now() + opts.timeoutMs;
    const notController = opts.notController ?? topLevelNotController;
    let lastProblem = 'no controller is known';
    for (;;) {
      if (this.closed) throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, 'the broker is shutting down');
      const remainingMs = deadline - runtime.clock.now();
      if (remainingMs <= 0) {
        throw new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `no active controller answered ${api.name} within ${opts.timeoutMs} ms (${lastProblem})`);
      }
      const leaderId = this.options.leader().leaderId;
      let backoffMs = this.options.retryBackoffMs ?? DEFAULT_RETRY_BACKOFF_MS;
      if (leaderId !== null) {
        try {
          const response = await this.sendTo(leaderId, api, version, body, remainingMs);
          if (response !== null && !notController(response as Res)) return response as Res;
          lastProblem = `node ${leaderId} is not the active controller`;
          // The in-process controller is still claiming its epoch (a few ms): look again soon.
          if (leaderId === this.options.nodeId && this.options.local) backoffMs = LOCAL_RETRY_BACKOFF_MS;
        } catch (err) {
          lastProblem = `node ${leaderId}: ${err instanceof Error ? err.message : String(err)}`;
          this.drop(leaderId);
        }
      }
      await this.sleep(Math.min(backoffMs, Math.max(0, deadline - runtime.clock.now())));
    }
  }

  private async sendTo(nodeId: number, api: ApiSpec, version: number, body: object, timeoutMs: number): Promise<object | null> {
    if (nodeId === this.options.nodeId && this.options.local) {
      return (await this.options.local(api, version, body)) ?? null;
    }
    const conn = await this.connection(nodeId, timeoutMs);
    return conn.send<object>(api, version, body);
  }

  private connection(nodeId: number, timeoutMs: number): Promise<BrokerConnection> {
    const existing = this.connections.get(nodeId);
    if (existing) return existing;
    const endpoint = this.options.endpoints().get(nodeId);
    if (!endpoint) return Promise.reject(new Error(`no controller endpoint for node ${nodeId}`));
    const opening = BrokerConnection.open(endpoint.host, endpoint.port, {
      clientId: `broker-${this.options.nodeId}-to-controller`,
      requestTimeoutMs: Math.max(1000, Math.min(timeoutMs, 30_000)),
      connectTimeoutMs: Math.max(500, Math.min(timeoutMs, 5000)),
    });
    this.connections.set(nodeId, opening);
    opening.catch(() => this.connections.delete(nodeId));
    return opening;
  }

  private drop(nodeId: number): void {
    const conn = this.connections.get(nodeId);
    this.connections.delete(nodeId);
    void conn?.then((c) => c.close(), () => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.options.runtime.timers.setTimeout(resolve, ms));
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.connections.keys()]) this.drop(id);
  }
}
