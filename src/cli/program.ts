/**
 * The `tributary` command line. Each command lives in `commands/<name>.ts` and exports a
 * `register…Command(program, ctx)` function; add new ones (topic, produce, consume, group, perf,
 * cluster) to COMMANDS below.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { Logger } from 'pino';
import { registerServerCommand } from './commands/server.js';
import type { CliContext } from './context.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors.js';
import { createCliLogger } from './logger.js';

export type Register = (program: Command, ctx: CliContext) => unknown;

const COMMANDS: readonly Register[] = [registerServerCommand];

function packageVersion(): string {
  try {
    // dist/src/cli/program.js → package root
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

export function defaultCliContext(): CliContext {
  let logger: Logger | undefined;
  return {
    logger: () => (logger ??= createCliLogger()),
    stdout: (line) => {
      process.stdout.write(line + '\n');
    },
    onSignal: (signal, handler) => {
      process.on(signal, handler);
    },
    exitNow: (code) => process.exit(code),
    exitCode: 0,
  };
}

export function buildProgram(ctx: CliContext, register: readonly Register[] = COMMANDS): Command {
  const program = new Command('tributary')
    .description('Tributary: a Kafka-compatible event streaming platform for Node.js')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const r of register) r(program, ctx);
  // Subcommands throw instead of exiting too, so runCli decides the exit status.
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs the CLI on `argv` (process.argv form) and resolves with the exit status. */
export async function runCli(
  argv: readonly string[],
  ctx: CliContext = defaultCliContext(),
  register: readonly Register[] = COMMANDS,
): Promise<number> {
  const program = buildProgram(ctx, register);
  try {
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      return EXIT_USAGE;
    }
    await program.parseAsync([...argv]);
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has already printed help, the version, or its error message.
      return err.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (err instanceof CliError) {
      process.stderr.write(`tributary: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`tributary: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT_FAILURE;
  }
}
