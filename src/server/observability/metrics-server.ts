/**
 * The HTTP listener of `metrics.listener`: `GET /metrics` (Prometheus text format of the broker's
 * registry), `GET /health` (200 while the process serves HTTP at all: a liveness probe) and
 * `GET /ready` (200 once the broker serves clients and its applied metadata shows it unfenced — the
 * controller unfences a broker only once it has caught up with the metadata log — else 503 with the
 * reason: a readiness probe). Anything else is 404; methods other than GET and HEAD are 405.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

export interface Readiness {
  /** Null when ready, else why not (shown in the 503 body). */
  readonly notReadyReason: () => string | null;
}

/** A scrape must not hang a connection forever (a stuck client, a half-open socket). */
const REQUEST_TIMEOUT_MS = 10_000;
/** Scrapers and probes keep few connections; more is a misbehaving client. */
const MAX_CONNECTIONS = 64;

export class MetricsServer {
  private constructor(
    private readonly server: http.Server,
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(host: string, port: number, registry: Registry, readiness: Readiness, logger: Logger): Promise<MetricsServer> {
    const server = http.createServer((req, res) => {
      void handle(req, res, registry, readiness).catch((err: unknown) => {
        logger.warn({ err, url: req.url }, 'serving a metrics request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
    });
    server.requestTimeout = REQUEST_TIMEOUT_MS;
    server.headersTimeout = REQUEST_TIMEOUT_MS;
    server.maxConnections = MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(new Error(`metrics.listener: cannot listen on ${host}:${port}: ${err.message}`));
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        resolve();
      });
    });
    server.on('error', (err) => logger.warn({ err }, 'metrics listener error'));
    const address = server.address() as AddressInfo;
    return new MetricsServer(server, host, address.port);
  }

  /** `http://host:port` as bound (the real port when 0 was asked for). */
  get url(): string {
    return `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Keep-alive scrapers would otherwise hold the close for their idle timeout.
    this.server.closeAllConnections();
    await closed;
  }
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, registry: Registry, readiness: Readiness): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
    res.end('method not allowed\n');
    return;
  }
  const path = (req.url ?? '/').split('?', 1)[0];
  switch (path) {
    case '/metrics': {
      const body = await registry.metrics();
      res.writeHead(200, { 'content-type': registry.contentType });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    case '/health':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.method === 'HEAD' ? undefined : '{"status":"ok"}\n');
      return;
    case '/ready': {
      const reason = readiness.notReadyReason();
      res.writeHead(reason === null ? 200 : 503, { 'content-type': 'application/json' });
      res.end(req.method === 'HEAD' ? undefined : `${JSON.stringify(reason === null ? { status: 'ready' } : { status: 'not ready', reason })}\n`);
      return;
    }
    default:
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: try /metrics, /health or /ready\n');
  }
}
