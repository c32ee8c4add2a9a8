/**
 * What every command gets from the CLI shell: a logger (created on first use, on stderr), stdout
 * for results, stderr for progress and notes, signal hooks and the exit code to finish with.
 * Tests pass their own.
 */
import type { Logger } from 'pino';

export interface CliContext {
  /** The shared logger (pino on stderr), created on first use. */
  logger(): Logger;
  /** Writes one line of command output to stdout. */
  stdout(line: string): void;
  /** Writes one line for the person at the terminal (progress, summaries, notes) to stderr. */
  stderr(line: string): void;
  /** Subscribes to a process signal. */
  onSignal(signal: NodeJS.Signals, handler: (signal: NodeJS.Signals) => void): void;
  /** Exits the process at once (used by a second Ctrl-C). */
  exitNow(code: number): never;
  /** The status the process exits with when the command returns. */
  exitCode: number;
}
