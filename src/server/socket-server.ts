/**
 * The listener: accepts TCP connections and gives each a ClientConnection.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { FramePool } from '../network/frame-pool.js';
import { ClientConnection } from './client-connection.js';
import type { RequestRouter } from './request-router.js';
import type { BrokerServices } from './broker-services.js';

export class SocketServer {
  private readonly server: Server;
  private readonly connections = new Set<ClientConnection>();
  private nextId = 1;
  private readonly framePool = new FramePool({ maxRetainedBytes: 16 * 1024 * 1024 });

  constructor(
    private readonly router: RequestRouter,
    private readonly services: BrokerServices,
    private readonly logger: Logger,
    private readonly maxFrameBytes: number,
  ) {
    this.server = createServer((socket) => this.accept(socket));
  }

  private accept(socket: Socket): void {
    const conn = new ClientConnection(socket, this.nextId++, this.router, this.services, this.logger, this.maxFrameBytes, this.framePool);
    this.connections.add(conn);
    socket.on('close', () => this.connections.delete(conn));
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
    for (const c of this.connections) c.close();
    this.framePool.close();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
