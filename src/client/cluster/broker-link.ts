/**
 * One broker as the client sees it: a lazily opened `BrokerConnection`, the ApiVersions handshake
 * (v3, falling back to v0 when the broker answers UNSUPPORTED_VERSION or an unreadable body), the
 * version pick for every request, per-request timeouts, and reconnection with exponential backoff.
 *
 * Lifecycle: idle → connecting → ready → (connection lost) → idle → ... → closed. A lost connection
 * is noticed by the next request (it fails with NETWORK_EXCEPTION, or — if the socket was already
 * gone before the request was written — the link reconnects and sends it once more). A request
 * that outlives its timeout fails with REQUEST_TIMED_OUT and closes the connection, as Kafka's
 * clients do: its fate on the broker is unknown.
 *
 * Concurrency: any number of requests may be in flight (pipelined by correlation id); callers that
 * need a bound (the producer's maxInFlightRequestsPerConnection) keep it themselves.
 */
import type { Logger } from 'pino';
import { BrokerConnection, ConnectionClosedError } from '../../network/broker-connection.js';
import { ApiVersionsApi } from '../../protocol/messages/index.js';
import type { ApiVersionsResponse } from '../../protocol/messages/api-versions.js';
import type { ApiSpec } from '../../protocol/schema/dsl.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { backoffMs } from '../backoff.js';
import { networkError, throwIfError, timeoutError } from '../errors.js';
import type { ResolvedClientOptions } from '../options.js';
import { clientRange, pickVersion, type BrokerApiVersions, type VersionRange } from './api-ranges.js';

export const CLIENT_SOFTWARE_NAME = 'tributary-js';
export const CLIENT_SOFTWARE_VERSION = '0.1.0';

/** setTimeout's ceiling: the connection's own timer never fires before ours. */
const NEVER_MS = 2_147_483_647;

export interface RequestOptions {
  /** Narrow the versions this call accepts (default: the client's range for the API). */
  versions?: VersionRange;
  /** Overrides requestTimeoutMs for this request (long-poll fetches add their wait). */
  timeoutMs?: number;
}

/** A request body, or a function that builds it for the negotiated version. */
export type RequestBody = object | ((version: number) => object);

export class BrokerLink {
  private conn: BrokerConnection | null = null;
  private versions: BrokerApiVersions | null = null;
  private connecting: Promise<BrokerConnection> | null = null;
  private failures = 0;
  private nextAttemptAt = 0;
  private closed = false;
  private readonly log: Logger;
  /** Requests waiting for a connection, in the order they were made. */
  private readonly waiting: Array<{ run: (conn: BrokerConnection) => void; fail: (err: unknown) => void }> = [];

  constructor(
    /** Broker id from metadata; bootstrap links use -1, -2, ... until metadata names them. */
    readonly nodeId: number,
    readonly host: string,
    readonly port: number,
    private readonly options: ResolvedClientOptions,
    logger: Logger,
  ) {
    this.log = logger.child({ broker: `${host}:${port}`, nodeId });
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get description(): string {
    return this.nodeId >= 0 ? `broker ${this.nodeId} (${this.address})` : `bootstrap server ${this.address}`;
  }

  /** True while a handshaken connection is believed open. */
  get isConnected(): boolean {
    return this.conn !== null;
  }

  /** Requests awaiting a response on the current connection. */
  get inFlight(): number {
    return this.conn?.inFlight ?? 0;
  }

  /** Opens the connection and runs the handshake if needed. */
  async connect(): Promise<void> {
    await this.ensure();
  }

  /** The broker's advertised ranges (connects first). */
  async apiVersions(): Promise<BrokerApiVersions> {
    await this.ensure();
    return this.versions!;
  }

  /** The version `request` would use for `api` (connects first). */
  async versionFor(api: ApiSpec, versions?: VersionRange): Promise<number> {
    await this.ensure();
    return pickVersion(api.apiKey, this.versions!, versions ?? clientRange(api.apiKey), this.description);
  }

  /** True if the broker advertises `api` in a range that meets ours (connects first). */
  async supports(api: ApiSpec, versions?: VersionRange): Promise<boolean> {
    try {
      await this.versionFor(api, versions);
      return true;
    } catch (err) {
      if (err instanceof KafkaError && err.code === ErrorCode.UNSUPPORTED_VERSION) return false;
      throw err;
    }
  }

  /**
   * Sends a request at the negotiated version; resolves with the decoded response body. Requests
   * are written in the order they are made, also across a reconnect: while some wait for the
   * connection, later ones queue behind them (the idempotent producer relies on this).
   */
  request<Res>(api: ApiSpec, body: RequestBody, opts: RequestOptions = {}): Promise<Res> {
    const conn = this.conn;
    if (conn && this.waiting.length === 0) return this.sendOn<Res>(conn, api, body, opts, true);
    return this.afterConnect((c) => this.sendOn<Res>(c, api, body, opts, true));
  }

  /** Runs `send` once connected, after every request already waiting (FIFO). */
  private afterConnect<T>(send: (conn: BrokerConnection) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = (c: BrokerConnection): void => {
        try {
          send(c).then(resolve, reject);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      this.waiting.push({ run, fail: reject });
      if (this.waiting.length > 1) return;
      this.ensure().then(
        (c) => {
          for (const w of this.waiting.splice(0)) w.run(c);
        },
        (err: unknown) => {
          for (const w of this.waiting.splice(0)) w.fail(err);
        },
      );
    });
  }

  /** Sends a request that gets no response (Produce with acks=0); connects first if needed. */
  async sendNoResponse(api: ApiSpec, body: RequestBody, opts: RequestOptions = {}): Promise<void> {
    const conn = await this.ensure();
    const version = pickVersion(api.apiKey, this.versions!, opts.versions ?? clientRange(api.apiKey), this.description);
    try {
      conn.sendNoResponse(api, version, typeof body === 'function' ? body(version) : body);
    } catch (err) {
      this.drop(conn);
      throw networkError(`${this.description}: ${api.name} not sent: ${(err as Error).message}`, err);
    }
  }

  close(): void {
    this.closed = true;
    const conn = this.conn;
    this.conn = null;
    conn?.close();
  }

  private sendOn<Res>(conn: BrokerConnection, api: ApiSpec, body: RequestBody, opts: RequestOptions, mayResend: boolean): Promise<Res> {
    const version = pickVersion(api.apiKey, this.versions!, opts.versions ?? clientRange(api.apiKey), this.description);
    const data = typeof body === 'function' ? body(version) : body;
    const before = conn.inFlight;
    const sent = conn.send<Res>(api, version, data);
    if (conn.inFlight === before) {
      // The connection was already closed: nothing went out, so sending again is safe.
      sent.catch(() => undefined);
      this.drop(conn);
      if (!mayResend) return Promise.reject(networkError(`${this.description}: connection lost`));
      return this.afterConnect((c) => this.sendOn<Res>(c, api, data, opts, false));
    }
    const timeoutMs = opts.timeoutMs ?? this.options.requestTimeoutMs;
    return new Promise<Res>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(timeoutError(`${this.description}: ${api.name} v${version} got no response within ${timeoutMs} ms`));
        this.log.warn({ api: api.name, timeoutMs }, 'request timed out; closing the connection');
        this.drop(conn);
      }, timeoutMs);
      sent.then(
        (res) => {
          clearTimeout(timer);
          resolve(res);
        },
        (err: unknown) => {
          clearTimeout(timer);
          if (err instanceof ConnectionClosedError || isSocketError(err)) {
            this.drop(conn);
            reject(networkError(`${this.description}: ${api.name} failed: ${(err as Error).message}`, err));
          } else {
            reject(err instanceof Error ? err : new Error(String(err)));
          }
        },
      );
    });
  }

  /** Forget a connection that failed (only if it is still the current one). */
  private drop(conn: BrokerConnection): void {
    if (this.conn === conn) {
      this.conn = null;
      this.log.debug('connection dropped');
    }
    conn.close();
  }

  private ensure(): Promise<BrokerConnection> {
    if (this.closed) return Promise.reject(networkError(`${this.description}: client closed`));
    if (this.conn) return Promise.resolve(this.conn);
    if (!this.connecting) {
      this.connecting = this.open().finally(() => {
        this.connecting = null;
      });
    }
    return this.connecting;
  }

  private async open(): Promise<BrokerConnection> {
    const wait = this.nextAttemptAt - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    let conn: BrokerConnection | null = null;
    try {
      conn = await BrokerConnection.open(this.host, this.port, {
        clientId: this.options.clientId,
        connectTimeoutMs: this.options.connectionTimeoutMs,
        requestTimeoutMs: NEVER_MS,
        maxResponseBytes: this.options.maxResponseBytes,
      });
      const versions = await this.handshake(conn);
      if (this.closed) throw networkError(`${this.description}: client closed`);
      this.conn = conn;
      this.versions = versions;
      this.failures = 0;
      this.nextAttemptAt = 0;
      this.log.debug({ apis: versions.size }, 'connected');
      return conn;
    } catch (err) {
      conn?.close();
      this.failures++;
      this.nextAttemptAt = Date.now() + backoffMs(this.failures - 1, this.options.reconnectBackoffMs, this.options.reconnectBackoffMaxMs);
      this.log.debug({ err: (err as Error).message, failures: this.failures }, 'connect failed');
      if (err instanceof KafkaError) throw err;
      throw networkError(`${this.description}: cannot connect: ${(err as Error).message}`, err);
    }
  }

  /** ApiVersions v3, then v0 if the broker refuses v3 (error 35) or answers in a shape v3 cannot read. */
  private async handshake(conn: BrokerConnection): Promise<BrokerApiVersions> {
    const timeoutMs = this.options.requestTimeoutMs;
    for (const version of [3, 0]) {
      let res: ApiVersionsResponse;
      try {
        res = await withTimeout(
          conn.send<ApiVersionsResponse>(ApiVersionsApi, version, {
            clientSoftwareName: CLIENT_SOFTWARE_NAME,
            clientSoftwareVersion: CLIENT_SOFTWARE_VERSION,
          }),
          timeoutMs,
          () => timeoutError(`${this.description}: ApiVersions v${version} got no response within ${timeoutMs} ms`),
        );
      } catch (err) {
        if (err instanceof ConnectionClosedError || isSocketError(err) || err instanceof KafkaError || version === 0) throw err;
        this.log.debug({ err: (err as Error).message }, 'ApiVersions v3 response unreadable; retrying with v0');
        continue;
      }
      if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION && version > 0) {
        this.log.debug('broker refused ApiVersions v3; retrying with v0');
        continue;
      }
      throwIfError(res.errorCode, `${this.description}: ApiVersions v${version}`);
      const map = new Map<number, VersionRange>();
      for (const k of res.apiKeys) map.set(k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion });
      return map;
    }
    throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `${this.description}: no ApiVersions version accepted`);
  }
}

function isSocketError(err: unknown): boolean {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}

function withTimeout<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
