/**
 * Global flags (-b/--bootstrap-server, --command-config, --timeout, --no-color) and the client
 * settings they produce. `--command-config` is a Kafka-style client properties file; its property
 * names are Kafka's (`client.id`, `request.timeout.ms`, `linger.ms`, ...). Security settings are
 * refused with a clear message until the client supports TLS and SASL.
 */
import { readFile } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { ClientOptions } from '../client/options.js';
import { CliError, EXIT_USAGE, usageError } from './errors.js';
import { acksArg, compressionArg, type AcksFlag, type CompressionFlag } from './parse.js';

export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';
export const BOOTSTRAP_ENV = 'TRIBUTARY_BOOTSTRAP_SERVERS';
export const DEFAULT_TIMEOUT = '10s';

export interface GlobalFlags {
  bootstrapServer: string;
  commandConfig?: string;
  timeout: number;
  color?: boolean;
}

/** `10s`, `500ms`, `2m`, or a plain number of milliseconds. */
export function durationArg(value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!m) throw new InvalidArgumentError('Expected a duration such as 10s, 500ms, 2m (a plain number is milliseconds).');
  const n = Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 'ms') as 'ms'];
  if (n < 1 || !Number.isFinite(n)) throw new InvalidArgumentError('The duration must be at least 1 ms.');
  return Math.round(n);
}

export function addGlobalOptions(program: Command): void {
  program
    .addOption(
      new Option('-b, --bootstrap-server <host:port,...>', 'broker(s) to bootstrap from').default(DEFAULT_BOOTSTRAP).env(BOOTSTRAP_ENV),
    )
    .addOption(new Option('--command-config <file>', 'client properties file (Kafka names: client.id, request.timeout.ms, linger.ms, ...)'))
    .addOption(
      new Option('--timeout <duration>', 'how long to wait for the broker to connect and answer each request (e.g. 10s, 500ms)')
        .default(durationArg(DEFAULT_TIMEOUT), DEFAULT_TIMEOUT)
        .argParser(durationArg),
    )
    .addOption(new Option('--no-color', 'never colour the output (colour is only used on a terminal; NO_COLOR is respected too)'));
}

export function globalFlags(cmd: Command): GlobalFlags {
  return cmd.optsWithGlobals<GlobalFlags>();
}

// ---- --command-config ---------------------------------------------------------------------------

type Target = 'client' | 'producer' | 'consumer';

interface PropertySpec {
  target: Target;
  /** The camelCase option name the client takes. */
  option: string;
  parse: (value: string) => unknown;
}

const int = (v: string): number => {
  if (!/^\d+$/.test(v.trim())) throw new Error('expected a non-negative integer');
  return Number(v.trim());
};
const str = (v: string): string => v;
const bool = (v: string): boolean => {
  const t = v.trim().toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  throw new Error('expected true or false');
};
const wrapArg =
  <T>(f: (v: string) => T) =>
  (v: string): T => {
    try {
      return f(v);
    } catch (err) {
      throw new Error((err as Error).message.replace(/^Expected/, 'expected').replace(/\.$/, ''));
    }
  };

const PROPERTIES: Record<string, PropertySpec> = {
  'bootstrap.servers': { target: 'client', option: 'bootstrapServers', parse: str },
  'client.id': { target: 'client', option: 'clientId', parse: str },
  'request.timeout.ms': { target: 'client', option: 'requestTimeoutMs', parse: int },
  'socket.connection.setup.timeout.ms': { target: 'client', option: 'connectionTimeoutMs', parse: int },
  'reconnect.backoff.ms': { target: 'client', option: 'reconnectBackoffMs', parse: int },
  'reconnect.backoff.max.ms': { target: 'client', option: 'reconnectBackoffMaxMs', parse: int },
  'retry.backoff.ms': { target: 'client', option: 'retryBackoffMs', parse: int },
  'retry.backoff.max.ms': { target: 'client', option: 'retryBackoffMaxMs', parse: int },
  'metadata.max.age.ms': { target: 'client', option: 'metadataMaxAgeMs', parse: int },
  acks: { target: 'producer', option: 'acks', parse: wrapArg(acksArg) },
  'compression.type': { target: 'producer', option: 'compression', parse: wrapArg(compressionArg) },
  'batch.size': { target: 'producer', option: 'batchSize', parse: int },
  'linger.ms': { target: 'producer', option: 'lingerMs', parse: int },
  'delivery.timeout.ms': { target: 'producer', option: 'deliveryTimeoutMs', parse: int },
  'buffer.memory': { target: 'producer', option: 'bufferMemory', parse: int },
  'max.block.ms': { target: 'producer', option: 'maxBlockMs', parse: int },
  'max.request.size': { target: 'producer', option: 'maxRequestSize', parse: int },
  'max.in.flight.requests.per.connection': { target: 'producer', option: 'maxInFlightRequestsPerConnection', parse: int },
  retries: { target: 'producer', option: 'retries', parse: int },
  'enable.idempotence': { target: 'producer', option: 'idempotent', parse: bool },
  'group.id': { target: 'consumer', option: 'groupId', parse: str },
  'auto.offset.reset': {
    target: 'consumer',
    option: 'autoOffsetReset',
    parse: (v) => {
      const t = v.trim().toLowerCase();
      if (t !== 'earliest' && t !== 'latest' && t !== 'none') throw new Error('expected earliest, latest or none');
      return t;
    },
  },
  'session.timeout.ms': { target: 'consumer', option: 'sessionTimeoutMs', parse: int },
  'heartbeat.interval.ms': { target: 'consumer', option: 'heartbeatIntervalMs', parse: int },
  'max.poll.interval.ms': { target: 'consumer', option: 'maxPollIntervalMs', parse: int },
  'fetch.min.bytes': { target: 'consumer', option: 'fetchMinBytes', parse: int },
  'fetch.max.bytes': { target: 'consumer', option: 'fetchMaxBytes', parse: int },
  'fetch.max.wait.ms': { target: 'consumer', option: 'fetchMaxWaitMs', parse: int },
  'max.partition.fetch.bytes': { target: 'consumer', option: 'maxPartitionFetchBytes', parse: int },
  'isolation.level': {
    target: 'consumer',
    option: 'isolationLevel',
    parse: (v) => {
      const t = v.trim().toLowerCase();
      if (t !== 'read_uncommitted' && t !== 'read_committed') throw new Error('expected read_uncommitted or read_committed');
      return t;
    },
  },
};

function isSecurityProperty(name: string): boolean {
  return name === 'security.protocol' || name.startsWith('sasl.') || name.startsWith('ssl.') || name.endsWith('.jaas.config');
}

/** Parses Java-style .properties text (`#`/`!` comments, `=` or `:` separators, `\` line continuations). */
export function parseProperties(text: string): Array<{ name: string; value: string; line: number }> {
  const out: Array<{ name: string; value: string; line: number }> = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let line = lines[i]!.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, '');
    }
    const m = /^((?:\\.|[^=:\s\\])+)\s*[=:\s]\s*(.*)$/.exec(line) ?? /^((?:\\.|[^=:\s\\])+)$/.exec(line);
    if (!m) continue;
    out.push({ name: m[1]!.replace(/\\(.)/g, '$1'), value: (m[2] ?? '').trimEnd(), line: startLine });
  }
  return out;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

export function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(name.length / 4)) ? best : undefined;
}

export interface ClientSettings {
  /** What to tell the user we tried to reach. */
  bootstrap: string;
  timeoutMs: number;
  client: ClientOptions;
  producer: Record<string, unknown>;
  consumer: Record<string, unknown>;
  color: boolean | undefined;
}

/** Reads the global flags and --command-config into client options. Throws CliError (exit 2). */
export async function loadClientSettings(cmd: Command): Promise<ClientSettings> {
  const flags = globalFlags(cmd);
  const producer: Record<string, unknown> = {};
  const consumer: Record<string, unknown> = {};
  const client: Record<string, unknown> = {};
  if (flags.commandConfig !== undefined) {
    const file = flags.commandConfig;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
      throw usageError(`cannot read --command-config '${file}': ${why}. Check the path, or leave --command-config out.`);
    }
    for (const { name, value, line } of parseProperties(text)) {
      const where = `${file}:${line}`;
      if (isSecurityProperty(name)) {
        if (name === 'security.protocol' && value.trim().toUpperCase() === 'PLAINTEXT') continue;
        throw usageError(
          `${where}: '${name}' is a security setting, and the Tributary client does not support TLS or SASL yet (only PLAINTEXT). Remove it to connect over PLAINTEXT.`,
        );
      }
      const spec = PROPERTIES[name];
      if (!spec) {
        const near = suggest(name, Object.keys(PROPERTIES));
        throw usageError(
          `${where}: unknown client property '${name}'.${near ? ` Did you mean '${near}'?` : ''} Supported: ${Object.keys(PROPERTIES).join(', ')}.`,
        );
      }
      let parsed: unknown;
      try {
        parsed = spec.parse(value);
      } catch (err) {
        throw usageError(`${where}: invalid value '${value}' for '${name}': ${(err as Error).message}.`);
      }
      ({ client, producer, consumer })[spec.target][spec.option] = parsed;
    }
  }
  const source = cmd.getOptionValueSourceWithGlobals('bootstrapServer');
  const bootstrap = source === 'default' && typeof client['bootstrapServers'] === 'string' ? (client['bootstrapServers'] as string) : flags.bootstrapServer;
  if (bootstrap.split(',').every((s) => s.trim() === '')) {
    throw usageError(`no bootstrap server given: pass -b host:port or set ${BOOTSTRAP_ENV}.`);
  }
  for (const s of bootstrap.split(',').filter((x) => x.trim() !== '')) {
    if (!/^(?:[a-z_]+:\/\/)?(?:\[[^\]]+\]|[^:\s]+):\d{1,5}$/i.test(s.trim())) {
      const from = source === 'env' ? ` (from ${BOOTSTRAP_ENV})` : '';
      throw usageError(`bootstrap server '${s.trim()}'${from} is not host:port, e.g. -b 127.0.0.1:9092.`);
    }
  }
  const timeoutMs = flags.timeout;
  const options: ClientOptions = {
    clientId: 'tributary-cli',
    requestTimeoutMs: timeoutMs,
    connectionTimeoutMs: timeoutMs,
    ...(client as Partial<ClientOptions>),
    bootstrapServers: bootstrap,
  };
  return { bootstrap, timeoutMs, client: options, producer, consumer, color: flags.color };
}

export function producerSetting<T>(settings: ClientSettings, option: string): T | undefined {
  return settings.producer[option] as T | undefined;
}

export type { AcksFlag, CompressionFlag };
export { CliError, EXIT_USAGE };
