/**
 * Log levels and the broker's logging components: what `log.level` and `log.level.components`
 * (Tributary-only broker properties) accept. No I/O and no pino here; the broker applies them in
 * src/server/observability/logging.ts.
 */

/** pino's levels, most severe first; `silent` logs nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * The `component` of every child logger a broker process creates (`logger.child({ component })`):
 * the names `log.level.components` accepts. test/unit/config/log-levels.test.ts checks this list
 * against the source, so a new component must be added here.
 */
export const LOG_COMPONENTS = [
  'alter-partition',
  'broker',
  'broker-lifecycle',
  'cli',
  'controller',
  'controller-channel',
  'controller-network',
  'group-coordinator',
  'group-log',
  'log-manager',
  'metadata-loader',
  'metadata-publisher',
  'metrics',
  'network',
  'producer-ids',
  'raft',
  'replica-fetcher',
  'replica-manager',
  'transaction-coordinator',
  'transaction-log',
  'transaction-verifier',
  'txn-markers',
] as const;

/** One entry of `log.level.components`: `component=level` (`component:level` is accepted too). */
export const COMPONENT_LEVEL_PATTERN = /^([A-Za-z0-9_.-]+)\s*[=:]\s*([A-Za-z]+)$/;

/**
 * Parses the entries of `log.level.components` (already split at commas) into component → level.
 * Throws an Error naming the first bad entry; a component named twice keeps the last level.
 */
export function parseComponentLevels(entries: readonly string[], closest: (name: string) => string | undefined): Map<string, LogLevel> {
  const levels = new Map<string, LogLevel>();
  for (const entry of entries) {
    const m = COMPONENT_LEVEL_PATTERN.exec(entry.trim());
    if (m === null) throw new Error(`'${entry}' is not component=level (e.g. replica-fetcher=debug)`);
    const component = m[1]!.toLowerCase();
    const level = m[2]!.toLowerCase();
    if (!(LOG_COMPONENTS as readonly string[]).includes(component)) {
      const hint = closest(component);
      throw new Error(`'${component}' is not a logging component${hint !== undefined ? ` (did you mean '${hint}'?)` : ''}; the components are ${LOG_COMPONENTS.join(', ')}`);
    }
    if (!isLogLevel(level)) throw new Error(`'${m[2]}' (for ${component}) is not a log level; use one of ${LOG_LEVELS.join(', ')}`);
    levels.set(component, level);
  }
  return levels;
}
