/**
 * `tributary server`: load server.properties, apply --override, validate, start the broker, print one
 * "ready" line on stdout, and shut down cleanly on SIGTERM/SIGINT (a second signal exits at once).
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { type BrokerConfig, ConfigError, parseBrokerConfig, unhonouredProperties } from '../../cluster/config/broker-config.js';
import { parsePropertiesWithLines } from '../../cluster/config/properties.js';
import { ensureFormatted, StorageFormatError } from '../../server/broker-identity.js';
import { applyLogLevels } from '../../server/observability/logging.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../errors.js';

/** What `startBrokerFromConfig` (src/server/broker.ts) returns, as far as the CLI needs it. */
export interface RunningBroker {
  readonly host: string;
  readonly port: number;
  readonly bootstrap: string;
  close(): Promise<void>;
  /** Set when metrics.listener is: where /metrics, /health and /ready are served. */
  readonly metricsUrl?: string;
}

export type StartBroker = (config: BrokerConfig, options: { logger: Logger }) => Promise<RunningBroker>;

export interface ServerOptions {
  config?: string;
  override: string[];
}

/** How long a graceful shutdown may take before we give up and exit with status 1. */
export const SHUTDOWN_TIMEOUT_MS = 30_000;

/** The broker is imported only when a server actually starts, so `--help` and config errors stay fast. */
const defaultStartBroker: StartBroker = async (config, options) => {
  let mod: typeof import('../../server/broker.js');
  try {
    mod = await import('../../server/broker.js');
  } catch (err) {
    throw new CliError(`could not load the broker module: ${errorMessage(err)}. Rebuild with \`npm run build\`.`, EXIT_FAILURE);
  }
  return mod.startBrokerFromConfig(config, options);
};

export function registerServerCommand(program: Command, ctx: CliContext, startBroker: StartBroker = defaultStartBroker): Command {
  return program
    .command('server')
    .description('Start a broker (a single combined broker+controller node by default).')
    .option('-c, --config <file>', 'server.properties file (Kafka property names and defaults)')
    .option('-o, --override <name=value>', 'set a property, overriding the file; repeatable', collect, [] as string[])
    .addHelpText(
      'after',
      `
Without --config, a broker starts on PLAINTEXT://127.0.0.1:9092 with data in ./data, as a combined
broker+controller that is its own single-node quorum (the data dir is formatted on first start).
With process.roles set, format the directories first: tributary storage format --help.
Once it accepts connections it prints one line to stdout:
  Tributary broker <node.id> ready on <host>:<port>
(followed by " (metrics on http://<host>:<port>)" when metrics.listener is set: /metrics, /health, /ready).
Logs go to stderr: JSON lines, or readable coloured lines when stderr is a terminal
(TRIBUTARY_LOG_FORMAT=json|pretty forces one; NO_COLOR turns colours off). The level is
TRIBUTARY_LOG_LEVEL if set, else log.level (default info); log.level.components sets single
components, e.g. -o log.level.components=replica-fetcher=debug,group-coordinator=warn.

Examples:
  $ tributary server
  $ tributary server --config config/server.properties
  $ tributary server -o listeners=PLAINTEXT://127.0.0.1:0 -o log.dirs=/tmp/tributary -o num.partitions=3`,
    )
    .action(async (opts: ServerOptions) => {
      ctx.exitCode = await runServer(opts, ctx, startBroker);
    });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Reads --config and --override into broker properties and validates them. Throws CliError (exit 2). */
export async function loadServerConfig(opts: ServerOptions): Promise<BrokerConfig> {
  const props = new Map<string, string>();
  const origin = new Map<string, string>();
  if (opts.config !== undefined) {
    let text: string;
    try {
      text = await readFile(opts.config, 'utf8');
    } catch (err) {
      throw new CliError(
        `cannot read config file '${opts.config}': ${fileErrorReason(err)}. Check the path, or omit --config to start with the defaults.`,
        EXIT_USAGE,
      );
    }
    try {
      for (const [name, entry] of parsePropertiesWithLines(text, opts.config)) {
        props.set(name, entry.value);
        origin.set(name, `${opts.config}:${entry.line}`);
      }
    } catch (err) {
      if (err instanceof ConfigError) throw new CliError(err.message, EXIT_USAGE);
      throw err;
    }
  }
  for (const override of opts.override) {
    const eq = override.indexOf('=');
    const name = eq < 0 ? '' : override.slice(0, eq).trim();
    if (name === '') {
      throw new CliError(`--override expects name=value (e.g. --override num.partitions=3), got '${override}'.`, EXIT_USAGE);
    }
    props.set(name, override.slice(eq + 1));
    origin.set(name, '--override');
  }
  try {
    return parseBrokerConfig(props);
  } catch (err) {
    if (err instanceof ConfigError) {
      const where = err.property !== undefined ? origin.get(err.property) : undefined;
      throw new CliError(where !== undefined ? `${where}: ${err.message}` : err.message, EXIT_USAGE);
    }
    throw err;
  }
}

/** Runs the broker until a signal stops it; resolves with the process exit code. */
export async function runServer(opts: ServerOptions, ctx: CliContext, startBroker: StartBroker): Promise<number> {
  const config = await loadServerConfig(opts);
  // log.level (unless TRIBUTARY_LOG_LEVEL is set) and log.level.components, for the CLI's lines too.
  const rootLogger = applyLogLevels(ctx.logger(), config);
  const logger = rootLogger.child({ component: 'cli' });
  const ignored = unhonouredProperties(config);
  if (ignored.length > 0) {
    logger.warn({ properties: ignored }, 'these properties are accepted for Kafka compatibility but not acted on by Tributary yet');
  }

  // Checked here too (the broker checks again) so that a directory problem is a usage error (exit 2)
  // reported before anything is bound or loaded.
  try {
    await ensureFormatted(config);
  } catch (err) {
    if (err instanceof StorageFormatError) throw new CliError(err.message, EXIT_USAGE);
    throw err;
  }

  let broker: RunningBroker;
  try {
    broker = await startBroker(config, { logger: rootLogger });
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof ConfigError || err instanceof StorageFormatError) throw new CliError(err.message, EXIT_USAGE);
    throw new CliError(`could not start the broker: ${errorMessage(err)}${startHint(err, config)}`, EXIT_FAILURE);
  }
  // Signal handlers go in before the ready line: whoever reads that line may send SIGTERM at once.
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn({ signal }, 'second signal: exiting without finishing shutdown');
        ctx.exitNow(signal === 'SIGINT' ? 130 : 143);
        return;
      }
      stopping = true;
      logger.info({ signal }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown timed out');
        resolve(EXIT_FAILURE);
      }, SHUTDOWN_TIMEOUT_MS);
      timer.unref();
      broker.close().then(
        () => {
          clearTimeout(timer);
          resolve(0);
        },
        (err: unknown) => {
          clearTimeout(timer);
          logger.error({ err }, 'error while shutting down');
          resolve(EXIT_FAILURE);
        },
      );
    };
    ctx.onSignal('SIGTERM', onSignal);
    ctx.onSignal('SIGINT', onSignal);
  });
  // One line still (scripts wait for it); the metrics address is on it when metrics.listener is set.
  const metrics = broker.metricsUrl !== undefined ? ` (metrics on ${broker.metricsUrl})` : '';
  ctx.stdout(`Tributary broker ${config.nodeId} ready on ${broker.host}:${broker.port}${metrics}`);
  return stopped;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function fileErrorReason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return errorMessage(err);
  }
}

function startHint(err: unknown, config: BrokerConfig): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const l = config.listeners[0];
  const where = l ? `${l.host || '*'}:${l.port}` : 'the listener address';
  if (code === 'EADDRINUSE') {
    return ` — something else is listening on ${where}. Stop it, or choose another port, e.g. --override listeners=PLAINTEXT://127.0.0.1:0`;
  }
  if (code === 'EACCES') return ` — not allowed to listen on ${where}; use a port above 1023.`;
  if (code === 'EADDRNOTAVAIL') return ` — ${where} is not an address of this machine; fix listeners.`;
  return '';
}
