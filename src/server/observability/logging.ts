/**
 * How a broker process logs: JSON lines on stderr for pipes and files (what log shippers and our tests
 * read), readable coloured lines when stderr is a terminal; the level from TRIBUTARY_LOG_LEVEL, else
 * `log.level`, and `log.level.components` for single components.
 *
 * Both formats write synchronously (pino-pretty as a stream in this thread, not a worker transport),
 * so a line logged just before the "ready" line or before exit is out first, as with JSON.
 */
import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { BrokerConfig } from '../../cluster/config/broker-config.js';
import type { LogLevel } from '../../cluster/config/log-levels.js';

export type LogFormat = 'json' | 'pretty';
export const LOG_FORMATS: readonly (LogFormat | 'auto')[] = ['auto', 'json', 'pretty'];

/**
 * The format of the logs: TRIBUTARY_LOG_FORMAT=json|pretty forces one; unset, empty or `auto`: pretty
 * when stderr is a terminal, JSON otherwise. Throws a RangeError for any other value.
 */
export function chooseLogFormat(stderrIsTTY: boolean, env: NodeJS.ProcessEnv = process.env): LogFormat {
  const raw = env['TRIBUTARY_LOG_FORMAT'];
  const forced = (raw ?? '').trim().toLowerCase();
  if (forced === 'json' || forced === 'pretty') return forced;
  if (forced !== '' && forced !== 'auto') {
    throw new RangeError(`TRIBUTARY_LOG_FORMAT='${raw}' is not a log format; use one of ${LOG_FORMATS.join(', ')}.`);
  }
  return stderrIsTTY ? 'pretty' : 'json';
}

/** TRIBUTARY_LOG_LEVEL, trimmed and lower-cased; null when unset or empty. Does not validate. */
export function envLogLevel(env: NodeJS.ProcessEnv = process.env): string | null {
  const level = (env['TRIBUTARY_LOG_LEVEL'] ?? '').trim().toLowerCase();
  return level === '' ? null : level;
}

/** Colours on a pretty stream unless NO_COLOR is set or TERM=dumb (FORCE_COLOR forces them). */
export function prettyColours(stderrIsTTY: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['FORCE_COLOR'] !== undefined && env['FORCE_COLOR'] !== '0') return true;
  return stderrIsTTY && env['TERM'] !== 'dumb';
}

const require = createRequire(import.meta.url);

/**
 * Where pino writes, on file descriptor `fd`: pino-pretty (loaded only then, synchronous writes) for
 * `pretty`, else pino's own destination (`sync` as asked).
 */
export function logDestination(format: LogFormat, options: { fd?: number; sync: boolean; colours: boolean }): DestinationStream {
  const fd = options.fd ?? 2;
  if (format === 'json') return pino.destination({ dest: fd, sync: options.sync });
  const pretty = require('pino-pretty') as typeof import('pino-pretty');
  return pretty.build({
    destination: fd,
    sync: true,
    colorize: options.colours,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,component',
    messageFormat: '{if component}[{component}] {end}{msg}',
    singleLine: true,
  });
}

/**
 * What `log.level` and `log.level.components` change on a logger handed to the broker: `level` is
 * null when the logger keeps its own (TRIBUTARY_LOG_LEVEL is set, which the logger's creator already
 * read, or `log.level` was not given); `components` is `log.level.components`.
 */
export function resolveLogLevels(
  config: Pick<BrokerConfig, 'logLevel' | 'logLevelComponents' | 'explicitProperties'>,
  env: NodeJS.ProcessEnv = process.env,
): { level: LogLevel | null; components: ReadonlyMap<string, LogLevel> } {
  const fromEnv = envLogLevel(env);
  const level = fromEnv === null && config.explicitProperties.has('log.level') ? config.logLevel : null;
  return { level, components: config.logLevelComponents };
}

/** The level of the root logger a broker creates itself: TRIBUTARY_LOG_LEVEL, else `log.level`. */
export function rootLogLevel(config: Pick<BrokerConfig, 'logLevel'>, env: NodeJS.ProcessEnv = process.env): string {
  return envLogLevel(env) ?? config.logLevel;
}

/** The component a logger writes as: its innermost `component` binding. */
function componentOf(logger: Logger): string | undefined {
  const component: unknown = logger.bindings()['component'];
  return typeof component === 'string' ? component : undefined;
}

/**
 * `logger` with the broker's log-level properties applied (see {@link resolveLogLevels}): a child at
 * `log.level`, and, when `log.level.components` names components, a hook that gives each child logger
 * whose component is named that level (children it creates inherit it, like pino children do).
 * Returns `logger` itself when there is nothing to change.
 */
export function applyLogLevels(logger: Logger, config: Pick<BrokerConfig, 'logLevel' | 'logLevelComponents' | 'explicitProperties'>, env: NodeJS.ProcessEnv = process.env): Logger {
  const { level, components } = resolveLogLevels(config, env);
  if ((level === null || level === logger.level) && components.size === 0) return logger;
  const root = level !== null ? logger.child({}, { level }) : logger.child({});
  if (components.size > 0) {
    root.onChild = (child: Logger): void => {
      const component = componentOf(child);
      const componentLevel = component !== undefined ? components.get(component) : undefined;
      if (componentLevel !== undefined) child.level = componentLevel;
    };
  }
  return root;
}
