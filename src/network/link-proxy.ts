/**
 * A TCP forwarder on loopback that stands for one directed link between two nodes (A's connections to
 * B's listener), so a test harness can cut it. A cut link is a black hole, as a network partition
 * is: connections stay open but nothing crosses them, new connections are accepted and never served,
 * so the peers see timeouts rather than resets. `restore()` closes everything the cut held (the
 * peers reconnect) and forwards again. `startCluster()` gives every ordered pair of nodes its own
 * proxy, so isolating a node cuts exactly the links to and from it.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export class LinkProxy {
  private readonly sockets = new Set<Socket>();
  private cutNow = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Listens on `host` (a free port) and forwards each accepted connection to `target`. */
  static async start(host: string, target: () => { host: string; port: number }): Promise<LinkProxy> {
    let proxy: LinkProxy | null = null;
    // (accept returns nothing: `proxy?.accept(…) ?? client.destroy()` destroyed every connection.)
    const server = createServer((client) => {
      if (proxy === null) client.destroy();
      else proxy.accept(client, target());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    proxy = new LinkProxy(server, address.port);
    return proxy;
  }

  get isCut(): boolean {
    return this.cutNow;
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    if (this.cutNow) {
      // Held unread until the link is restored, like a SYN that reached a partitioned host's switch.
      this.sockets.add(client);
      client.on('error', () => undefined);
      client.on('close', () => this.sockets.delete(client));
      client.pause();
      return;
    }
    const upstream = connect({ host: target.host, port: target.port });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  cut(): void {
    this.cutNow = true;
    for (const s of this.sockets) {
      s.unpipe();
      s.pause();
    }
  }

  restore(): void {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.cutNow = false;
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.cutNow = true;
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
