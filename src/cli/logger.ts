/**
 * The CLI's logger: pino, JSON lines to stderr (stdout is kept for command output such as the
 * broker's "ready" line). The level comes from TRIBUTARY_LOG_LEVEL (default info).
 */
import { pino, type Logger } from 'pino';
import { CliError, EXIT_USAGE } from './errors.js';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function createCliLogger(env: NodeJS.ProcessEnv = process.env): Logger {
  const level = (env['TRIBUTARY_LOG_LEVEL'] ?? 'info').trim().toLowerCase() || 'info';
  if (!LEVELS.includes(level)) {
    throw new CliError(`TRIBUTARY_LOG_LEVEL='${env['TRIBUTARY_LOG_LEVEL']}' is not a log level; use one of ${LEVELS.join(', ')}.`, EXIT_USAGE);
  }
  // Synchronous writes so that nothing is lost when the process exits right after logging.
  return pino({ level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
}
