/**
 * The CLI's logger: pino on stderr (stdout is kept for command output such as the broker's "ready"
 * line). JSON lines when stderr is not a terminal, readable coloured lines when it is
 * (TRIBUTARY_LOG_FORMAT=json|pretty forces one). The level comes from TRIBUTARY_LOG_LEVEL (default
 * info); `tributary server` also applies the broker's `log.level` and `log.level.components`.
 */
import { pino, type Logger } from 'pino';
import { LOG_LEVELS } from '../cluster/config/log-levels.js';
import { chooseLogFormat, envLogLevel, type LogFormat, logDestination, prettyColours } from '../server/observability/logging.js';
import { CliError, EXIT_USAGE } from './errors.js';

export function createCliLogger(env: NodeJS.ProcessEnv = process.env, stderrIsTTY: boolean = process.stderr.isTTY === true): Logger {
  const level = envLogLevel(env) ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw new CliError(`TRIBUTARY_LOG_LEVEL='${env['TRIBUTARY_LOG_LEVEL']}' is not a log level; use one of ${LOG_LEVELS.join(', ')}.`, EXIT_USAGE);
  }
  let format: LogFormat;
  try {
    format = chooseLogFormat(stderrIsTTY, env);
  } catch (err) {
    throw new CliError((err as Error).message, EXIT_USAGE);
  }
  // Synchronous writes so that nothing is lost when the process exits right after logging.
  return pino({ level, base: { pid: process.pid } }, logDestination(format, { sync: true, colours: prettyColours(stderrIsTTY, env) }));
}
