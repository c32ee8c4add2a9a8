/**
 * An error the CLI reports as one line, `tributary: <message>`, then exits with `exitCode`.
 * Exit codes scripts can rely on (docs/cli.md):
 *   0 success
 *   1 the operation failed: a Kafka error, the broker unreachable, a record rejected, bad input data
 *   2 bad usage or configuration: unknown flag, invalid flag value, unreadable or invalid config file
 */
export class CliError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** Exit status for bad usage or configuration (as sysexits' EX_USAGE spirit, and as POSIX tools use 2). */
export const EXIT_USAGE = 2;
export const EXIT_FAILURE = 1;

/** A usage / configuration error (exit 2). */
export function usageError(message: string): CliError {
  return new CliError(message, EXIT_USAGE);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
