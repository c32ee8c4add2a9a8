/**
 * The listener: accepts TCP connections, applies the connection limits (connection-limits.ts) and
 * gives each admitted socket a ClientConnection. It owns what the connections share: the request
 * MemoryPool (`queued.max.request.bytes`), the FramePool, and one timer that closes connections
 * idle for `connections.max.idle.ms` (no byte read, no response written or taken by the peer, no
 * request being served; a connection muted because the pool is exhausted is not counted idle).
 */
import { readdirSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { FramePool } from '../network/frame-pool.js';
import { MemoryPool } from '../network/memory-pool.js';
import { openFilesLimit } from '../storage/open-files.js';
import { ClientConnection, type ConnectionLimits } from './client-connection.js';
import { CreationRate, FD_RESERVE, normalizeIp, OncePerInterval, resolvePerIpOverrides } from './connection-limits.js';
import type { BrokerConfig } from '../cluster/config/broker-config.js';
import type { RequestRouter } from './request-router.js';
import type { BrokerServices } from './broker-services.js';

export interface SocketServerOptions {
  connection: ConnectionLimits;
  /** `queued.max.request.bytes`; ≤ 0 = unbounded. */
  queuedMaxRequestBytes: number;
  connectionsMaxIdleMs: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** Resolved `max.connections.per.ip.overrides`, by IP address. */
  maxConnectionsPerIpOverrides: ReadonlyMap<string, number>;
  maxConnectionCreationRate: number;
  /** The process's open-files limit; read from /proc/self/limits when not given. */
  openFilesLimit?: number;
}

/**
 * Response bytes one connection may have unsent (computed, or queued on the socket) before the
 * listener stops dispatching its requests: Kafka mutes a channel while its response is unsent; we
 * allow a little pipelining on top (one fetch response may still exceed it, by up to fetch.max.bytes).
 */
export const MAX_UNSENT_RESPONSE_BYTES = 16 * 1024 * 1024;

/** A listener's limits from the broker properties (the client and the controller listener share them). */
export async function socketServerOptions(config: BrokerConfig): Promise<SocketServerOptions> {
  return {
    connection: { maxFrameBytes: config.socketRequestMaxBytes, maxInFlightRequests: config.queuedMaxRequests, maxUnsentResponseBytes: MAX_UNSENT_RESPONSE_BYTES },
    queuedMaxRequestBytes: config.queuedMaxRequestBytes,
    connectionsMaxIdleMs: config.connectionsMaxIdleMs,
    maxConnections: config.maxConnections,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    maxConnectionsPerIpOverrides: await resolvePerIpOverrides(config.maxConnectionsPerIpOverrides),
    maxConnectionCreationRate: config.maxConnectionCreationRate,
  };
}

/** How often refusals and evictions are logged at most (the rest are counted into the next line). */
const LOG_INTERVAL_MS = 10_000;

export class SocketServer<S = BrokerServices> {
  private readonly server: Server;
  private readonly connections = new Set<ClientConnection<S>>();
  /** Admitted sockets waiting for max.connection.creation.rate. */
  private readonly deferred: Socket[] = [];
  private deferredTimer: NodeJS.Timeout | null = null;
  private readonly perIp = new Map<string, number>();
  private nextId = 1;
  private readonly framePool = new FramePool({ maxRetainedBytes: 16 * 1024 * 1024 });
  readonly memory: MemoryPool;
  private readonly creationRate: CreationRate;
  private readonly idleTimer: NodeJS.Timeout | null;
  private readonly fdLimit: number;
  /** Connections may hold this many descriptors: storage keeps the other half of the limit. */
  private readonly connectionFdBudget: number;
  private fdSample = 0;
  private connectionsAtSample = 0;
  private readonly refusedPerIp: OncePerInterval;
  private readonly refusedTotal: OncePerInterval;
  private readonly refusedFds: OncePerInterval;
  private readonly evicted: OncePerInterval;
  private readonly acceptErrors: OncePerInterval;
  private lastAcceptError = '';

  constructor(
    private readonly router: RequestRouter<S>,
    private readonly services: S,
    private readonly logger: Logger,
    private readonly options: SocketServerOptions,
  ) {
    this.memory = new MemoryPool(options.queuedMaxRequestBytes);
    this.creationRate = new CreationRate(options.maxConnectionCreationRate);
    this.fdLimit = options.openFilesLimit ?? openFilesLimit();
    this.connectionFdBudget = Math.max(1, Math.floor(this.fdLimit / 2) - FD_RESERVE);
    const warn = (what: string) => (count: number) => logger.warn({ count }, what);
    this.refusedPerIp = new OncePerInterval(LOG_INTERVAL_MS, warn('closed new connections over max.connections.per.ip'));
    this.refusedTotal = new OncePerInterval(LOG_INTERVAL_MS, warn(`closed new connections over max.connections (${options.maxConnections})`));
    this.refusedFds = new OncePerInterval(
      LOG_INTERVAL_MS,
      warn(`refused new connections: file descriptors nearly exhausted (open-files limit ${this.fdLimit}) and no idle connection to close; raise the limit (ulimit -n) or lower max.connections`),
    );
    this.evicted = new OncePerInterval(
      LOG_INTERVAL_MS,
      warn(`closed the least recently active idle connections to admit new ones: file descriptors nearly exhausted (open-files limit ${this.fdLimit})`),
    );
    this.acceptErrors = new OncePerInterval(LOG_INTERVAL_MS, (count) => logger.error({ count }, `accepting connections failed: ${this.lastAcceptError}`));
    this.server = createServer((socket) => this.accept(socket));
    // EMFILE/ENFILE on accept (when libuv's reserve descriptor is gone too) and the like: log, never crash.
    this.server.on('error', (err: NodeJS.ErrnoException) => {
      this.lastAcceptError = `${err.code ?? ''} ${err.message}`;
      this.acceptErrors.hit();
    });
    const idleMs = options.connectionsMaxIdleMs;
    if (idleMs > 0 && idleMs < Number.MAX_SAFE_INTEGER) {
      this.idleTimer = setInterval(() => this.sweep(), Math.max(10, Math.min(1000, Math.floor(idleMs / 4))));
      this.idleTimer.unref();
    } else {
      this.idleTimer = null;
    }
  }

  private limitFor(ip: string): number {
    return this.options.maxConnectionsPerIpOverrides.get(ip) ?? this.options.maxConnectionsPerIp;
  }

  /** Connections accepted and not yet closed (admitted or waiting for admission): the metrics' gauge. */
  get connectionCount(): number {
    return this.open;
  }

  private get open(): number {
    return this.connections.size + this.deferred.length;
  }

  private accept(socket: Socket): void {
    const ip = normalizeIp(socket.remoteAddress ?? '');
    const fromIp = this.perIp.get(ip) ?? 0;
    if (fromIp >= this.limitFor(ip)) {
      this.refusedPerIp.hit();
      socket.destroy();
      return;
    }
    if (this.open >= this.options.maxConnections && !this.evictIdle()) {
      this.refusedTotal.hit();
      socket.destroy();
      return;
    }
    if (this.nearFdLimit()) {
      if (this.evictIdle()) {
        this.evicted.hit();
      } else {
        this.refusedFds.hit();
        socket.destroy();
        return;
      }
    }
    this.perIp.set(ip, fromIp + 1);
    socket.once('close', () => {
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
    });
    if (this.deferred.length > 0 || this.creationRate.delayMs() > 0) {
      // Over max.connection.creation.rate: the socket waits unread, in order.
      socket.pause();
      socket.on('error', () => socket.destroy());
      this.deferred.push(socket);
      this.scheduleDeferred();
      return;
    }
    this.start(socket);
  }

  /**
   * Connections accepted before `ready` settles wait unread (Kafka binds its listeners early but only
   * enables request processing once the broker is unfenced): the port is known and advertised in the
   * broker's registration while its state is still being loaded.
   */
  holdConnectionsUntil(ready: Promise<unknown>): void {
    const held: Socket[] = [];
    this.held = held;
    const release = (): void => {
      if (this.held !== held) return;
      this.held = null;
      for (const socket of held) if (!socket.destroyed) this.start(socket);
    };
    ready.then(release, release);
  }

  private held: Socket[] | null = null;

  private start(socket: Socket): void {
    if (this.held !== null) {
      socket.pause();
      socket.on('error', () => socket.destroy());
      this.held.push(socket);
      return;
    }
    const conn = new ClientConnection(socket, this.nextId++, this.router, this.services, this.logger, this.options.connection, this.memory, this.framePool);
    this.connections.add(conn);
    socket.once('close', () => this.connections.delete(conn));
    socket.resume();
  }

  private scheduleDeferred(): void {
    if (this.deferredTimer !== null) return;
    const wait = this.creationRate.delayMs();
    if (wait === 0) {
      this.startDeferred();
      return;
    }
    this.deferredTimer = setTimeout(() => {
      this.deferredTimer = null;
      this.scheduleDeferred(); // takes the token that is due now
    }, wait);
  }

  /** Called with one token taken: start the oldest waiting socket, then wait for the next token. */
  private startDeferred(): void {
    let socket = this.deferred.shift();
    while (socket !== undefined && socket.destroyed) socket = this.deferred.shift();
    if (socket !== undefined) this.start(socket);
    if (this.deferred.length > 0) this.scheduleDeferred();
  }

  /** True when one more connection would eat into the descriptors kept for storage and the process. */
  private nearFdLimit(): boolean {
    if (this.open >= this.connectionFdBudget) return true;
    if (this.open < this.connectionFdBudget / 2) return false;
    if (this.fdSample + (this.open - this.connectionsAtSample) < this.fdLimit - FD_RESERVE) return false;
    this.sampleFds();
    return this.fdSample >= this.fdLimit - FD_RESERVE;
  }

  private sampleFds(): void {
    try {
      this.fdSample = readdirSync('/proc/self/fd').length;
    } catch {
      this.fdSample = 0; // not Linux: rely on the connection budget alone
    }
    this.connectionsAtSample = this.open;
  }

  /** Closes the least recently active connection that is not being served; false if there is none. */
  private evictIdle(): boolean {
    let oldest: ClientConnection<S> | null = null;
    for (const c of this.connections) {
      if (c.busy || c.mutedForMemory) continue;
      if (oldest === null || c.lastActiveMs < oldest.lastActiveMs) oldest = c;
    }
    if (oldest === null) return false;
    oldest.close();
    this.connections.delete(oldest);
    return true;
  }

  /** Closes connections idle for connections.max.idle.ms. */
  private sweep(): void {
    const now = Date.now();
    const idleMs = this.options.connectionsMaxIdleMs;
    let closed = 0;
    for (const c of this.connections) {
      const writable = c.socketWritableLength;
      if (c.busy || c.mutedForMemory || writable !== c.lastWritableLength) {
        c.lastWritableLength = writable;
        c.lastActiveMs = now;
        continue;
      }
      if (now - c.lastActiveMs > idleMs) {
        c.close();
        this.connections.delete(c);
        closed++;
      }
    }
    if (closed > 0) this.logger.debug({ closed }, `closed connections idle for more than ${idleMs} ms (connections.max.idle.ms)`);
    if (this.open >= this.connectionFdBudget / 2) this.sampleFds();
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        if (addr === null || typeof addr === 'string') return reject(new Error('listener has no TCP address'));
        resolve({ host: addr.address, port: addr.port });
      });
    });
  }

  close(): Promise<void> {
    if (this.idleTimer !== null) clearInterval(this.idleTimer);
    if (this.deferredTimer !== null) clearTimeout(this.deferredTimer);
    for (const s of this.deferred.splice(0)) s.destroy();
    for (const s of this.held?.splice(0) ?? []) s.destroy();
    for (const c of this.connections) c.close();
    this.framePool.close();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
