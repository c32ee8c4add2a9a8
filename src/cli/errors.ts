/**
 * An error the CLI reports as one line, `tributary: <message>`, then exits with `exitCode`.
 * Exit codes: 1 = the operation failed (e.g. the broker could not start), 2 = bad usage or config.
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
