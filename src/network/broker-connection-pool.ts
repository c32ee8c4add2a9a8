/**
 * One BrokerConnection per peer broker, opened on first use (requests are pipelined on it) and
 * dropped by its user when a request on it fails, so the next use reconnects. For inter-broker
 * channels that address brokers by node id (the transaction coordinator's markers, partition
 * leaders verifying transactions with a coordinator).
 */
import { BrokerConnection } from './broker-connection.js';

export interface BrokerConnectionPoolOptions {
  /** A broker's endpoint, or undefined when it is not a live broker. */
  readonly endpointOf: (nodeId: number) => { host: string; port: number } | undefined;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs?: number;
  /** For failure messages. */
  readonly name: string;
}

export class BrokerConnectionPool {
  private readonly connections = new Map<number, Promise<BrokerConnection>>();
  private closed = false;

  constructor(private readonly options: BrokerConnectionPoolOptions) {}

  connection(nodeId: number): Promise<BrokerConnection> {
    if (this.closed) return Promise.reject(new Error(`the ${this.options.name} is closed`));
    let conn = this.connections.get(nodeId);
    if (!conn) {
      const endpoint = this.options.endpointOf(nodeId);
      if (!endpoint) return Promise.reject(new Error(`broker ${nodeId} is not live`));
      conn = BrokerConnection.open(endpoint.host, endpoint.port, { requestTimeoutMs: this.options.requestTimeoutMs, connectTimeoutMs: this.options.connectTimeoutMs ?? this.options.requestTimeoutMs });
      conn.catch(() => {
        if (this.connections.get(nodeId) === conn) this.connections.delete(nodeId);
      });
      this.connections.set(nodeId, conn);
    }
    return conn;
  }

  /** Forgets (and closes) the connection to `nodeId`: a request on it failed. */
  drop(nodeId: number): void {
    const conn = this.connections.get(nodeId);
    this.connections.delete(nodeId);
    void conn?.then((c) => c.close()).catch(() => undefined);
  }

  close(): void {
    this.closed = true;
    for (const id of [...this.connections.keys()]) this.drop(id);
  }
}
