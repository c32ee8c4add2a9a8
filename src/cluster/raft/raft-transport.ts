/**
 * How the Raft client reaches the other nodes of the quorum. The simulator implements it with a fake
 * network; production uses `NetworkRaftTransport`, one BrokerConnection per voter endpoint.
 */
import { BrokerConnection } from '../../network/broker-connection.js';
import type { ApiSpec } from '../../protocol/schema/dsl.js';

export interface QuorumVoter {
  readonly id: number;
  readonly host: string;
  readonly port: number;
}

export interface RaftTransport {
  /** Sends one request to node `destinationId`; rejects on a network error or after `timeoutMs`. */
  send<Res>(destinationId: number, api: ApiSpec, version: number, body: object, timeoutMs: number): Promise<Res>;
  close(): void;
}

export interface NetworkRaftTransportOptions {
  clientId?: string;
  connectTimeoutMs?: number;
}

/**
 * One connection per destination, opened on first use and dropped on any failure (the next send
 * reconnects). Each request gets its own timeout, raced against the connection's.
 */
export class NetworkRaftTransport implements RaftTransport {
  private readonly endpoints = new Map<number, QuorumVoter>();
  private readonly connections = new Map<number, Promise<BrokerConnection>>();
  private closed = false;

  constructor(endpoints: readonly QuorumVoter[], private readonly options: NetworkRaftTransportOptions = {}) {
    for (const e of endpoints) this.endpoints.set(e.id, e);
  }

  async send<Res>(destinationId: number, api: ApiSpec, version: number, body: object, timeoutMs: number): Promise<Res> {
    if (this.closed) throw new Error('transport closed');
    const conn = this.connection(destinationId);
    let c: BrokerConnection;
    try {
      c = await conn;
    } catch (err) {
      if (this.connections.get(destinationId) === conn) this.connections.delete(destinationId);
      throw err;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${api.name} to node ${destinationId} timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([c.send<Res>(api, version, body), timeout]);
    } catch (err) {
      // Any failure may have left the connection unusable (closed, desynchronised): start afresh.
      if (this.connections.get(destinationId) === conn) {
        this.connections.delete(destinationId);
        c.close();
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private connection(id: number): Promise<BrokerConnection> {
    let conn = this.connections.get(id);
    if (conn === undefined) {
      const e = this.endpoints.get(id);
      if (e === undefined) return Promise.reject(new Error(`no endpoint for node ${id}`));
      conn = BrokerConnection.open(e.host, e.port, {
        clientId: this.options.clientId ?? 'raft',
        connectTimeoutMs: this.options.connectTimeoutMs ?? 5000,
        requestTimeoutMs: 60_000,
      });
      conn.catch(() => undefined);
      this.connections.set(id, conn);
    }
    return conn;
  }

  close(): void {
    this.closed = true;
    for (const conn of this.connections.values()) conn.then((c) => c.close(), () => undefined);
    this.connections.clear();
  }
}
