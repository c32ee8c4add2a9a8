/**
 * Options shared by the producer, the admin client and (later) the consumer, with Kafka's defaults
 * under camelCase names. Parsed once by `resolveClientOptions`; bad values fail fast.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';
import { ClientConfigError, UnsupportedFeatureError } from './errors.js';

/** Reserved for the security issue; passing it fails with UnsupportedFeatureError. */
export interface TlsOptions {
  ca?: string | Buffer | Array<string | Buffer>;
  cert?: string | Buffer;
  key?: string | Buffer;
  rejectUnauthorized?: boolean;
  servername?: string;
}

/** Reserved for the security issue; passing it fails with UnsupportedFeatureError. */
export type SaslOptions =
  | { mechanism: 'plain'; username: string; password: string }
  | { mechanism: 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  | { mechanism: 'oauthbearer'; token: () => Promise<string> };

export interface ClientOptions {
  /** `host:port` strings (or one comma-separated string), like `bootstrap.servers`. */
  bootstrapServers: string | readonly string[];
  /** Sent in every request header. Default 'tributary'. */
  clientId?: string;
  /** Per-request timeout (`request.timeout.ms`). Default 30000. */
  requestTimeoutMs?: number;
  /** TCP connect timeout (`socket.connection.setup.timeout.ms`). Default 10000. */
  connectionTimeoutMs?: number;
  /** First reconnect delay (`reconnect.backoff.ms`). Default 50. */
  reconnectBackoffMs?: number;
  /** Reconnect delay cap (`reconnect.backoff.max.ms`). Default 1000. */
  reconnectBackoffMaxMs?: number;
  /** First delay between retries of a failed request (`retry.backoff.ms`). Default 100. */
  retryBackoffMs?: number;
  /** Retry delay cap (`retry.backoff.max.ms`). Default 1000. */
  retryBackoffMaxMs?: number;
  /** Metadata is refreshed at least this often (`metadata.max.age.ms`). Default 300000. */
  metadataMaxAgeMs?: number;
  /** Largest response frame accepted. Default 100 MiB. */
  maxResponseBytes?: number;
  /** A pino logger; the client logs through `logger.child({ component })`. Default: silent. */
  logger?: Logger;
  /** Not supported yet: throws UnsupportedFeatureError. */
  ssl?: TlsOptions | boolean;
  /** Not supported yet: throws UnsupportedFeatureError. */
  sasl?: SaslOptions;
}

export interface BrokerAddress {
  host: string;
  port: number;
}

export interface ResolvedClientOptions {
  bootstrap: BrokerAddress[];
  clientId: string;
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
  reconnectBackoffMs: number;
  reconnectBackoffMaxMs: number;
  retryBackoffMs: number;
  retryBackoffMaxMs: number;
  metadataMaxAgeMs: number;
  maxResponseBytes: number;
  logger: Logger;
}

export function parseAddress(text: string): BrokerAddress {
  const s = text.trim().replace(/^[a-z_]+:\/\//i, '');
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(s);
  if (!m) throw new ClientConfigError(`bootstrap server '${text}' is not host:port`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new ClientConfigError(`bootstrap server '${text}': port out of range`);
  return { host: m[1]!, port };
}

/** A non-negative integer option, or its default. */
export function intOption(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw new ClientConfigError(`${name} must be an integer >= ${min}, got ${String(value)}`);
  return value;
}

export function resolveClientOptions(o: ClientOptions): ResolvedClientOptions {
  if (o.ssl !== undefined && o.ssl !== false) {
    throw new UnsupportedFeatureError('ssl', 'the client only speaks PLAINTEXT for now; remove the ssl option');
  }
  if (o.sasl !== undefined) {
    throw new UnsupportedFeatureError('sasl', 'SASL authentication is not implemented in the client yet; remove the sasl option');
  }
  const list = typeof o.bootstrapServers === 'string' ? o.bootstrapServers.split(',') : [...o.bootstrapServers];
  const bootstrap = list.filter((s) => s.trim() !== '').map(parseAddress);
  if (bootstrap.length === 0) throw new ClientConfigError('bootstrapServers is empty');
  const reconnectBackoffMs = intOption('reconnectBackoffMs', o.reconnectBackoffMs, 50);
  const retryBackoffMs = intOption('retryBackoffMs', o.retryBackoffMs, 100);
  return {
    bootstrap,
    clientId: o.clientId ?? 'tributary',
    requestTimeoutMs: intOption('requestTimeoutMs', o.requestTimeoutMs, 30_000, 1),
    connectionTimeoutMs: intOption('connectionTimeoutMs', o.connectionTimeoutMs, 10_000, 1),
    reconnectBackoffMs,
    reconnectBackoffMaxMs: Math.max(reconnectBackoffMs, intOption('reconnectBackoffMaxMs', o.reconnectBackoffMaxMs, 1000)),
    retryBackoffMs,
    retryBackoffMaxMs: Math.max(retryBackoffMs, intOption('retryBackoffMaxMs', o.retryBackoffMaxMs, 1000)),
    metadataMaxAgeMs: intOption('metadataMaxAgeMs', o.metadataMaxAgeMs, 300_000, 1),
    maxResponseBytes: intOption('maxResponseBytes', o.maxResponseBytes, 100 * 1024 * 1024, 1024),
    logger: o.logger ?? pino({ level: 'silent' }),
  };
}
