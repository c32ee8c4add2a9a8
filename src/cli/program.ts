/**
 * The `tributary` command line. Each command lives in `commands/<name>.ts` and exports a
 * `register…Command(program, ctx)` function; add new ones to COMMANDS below. Global flags
 * (-b, --command-config, --timeout, --no-color) are defined in globals.ts and read by every
 * client command through `optsWithGlobals()`.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { Logger } from 'pino';
import { registerClusterCommand } from './commands/cluster.js';
import { registerCompletionCommand } from './commands/completion.js';
import { registerConfigCommand } from './commands/config.js';
import { registerConsumeCommand } from './commands/consume.js';
import { registerGroupCommand } from './commands/group.js';
import { registerPerfCommand } from './commands/perf.js';
import { registerProduceCommand } from './commands/produce.js';
import { registerServerCommand } from './commands/server.js';
import { registerTopicCommand } from './commands/topic.js';
import type { CliContext } from './context.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors.js';
import { addGlobalOptions } from './globals.js';
import { createCliLogger } from './logger.js';

export type Register = (program: Command, ctx: CliContext) => unknown;

const COMMANDS: readonly Register[] = [
  registerServerCommand,
  registerTopicCommand,
  registerProduceCommand,
  registerConsumeCommand,
  registerGroupCommand,
  registerConfigCommand,
  registerClusterCommand,
  registerPerfCommand,
  registerCompletionCommand,
];

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
    stderr: (line) => {
      process.stderr.write(line + '\n');
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
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .configureOutput({
      // Commander's own errors (unknown option, missing argument, invalid value) in our one-line form.
      outputError: (text, write) => write(text.replace(/^error: /, 'tributary: ')),
    })
    .exitOverride();
  addGlobalOptions(program);
  program.addHelpText(
    'after',
    `
Exit status: 0 success, 1 the operation failed (Kafka error, broker unreachable, bad input data),
2 bad usage or configuration (unknown flag, invalid value, unreadable --command-config).

Examples:
  $ tributary server
  $ tributary topic create orders -p 3
  $ echo 'hello' | tributary produce orders
  $ tributary consume orders --from-beginning -n 1
  $ tributary group describe billing
  $ tributary perf produce --topic bench --num-records 100000 --record-size 100
  $ tributary -b broker1:9092,broker2:9092 cluster info

Every command has --help with examples. Full reference: docs/cli.md.`,
  );
  for (const r of register) r(program, ctx);
  // Subcommands (at every depth) throw instead of exiting too, so runCli decides the exit status.
  const visit = (c: Command): void => {
    c.exitOverride();
    c.commands.forEach(visit);
  };
  program.commands.forEach(visit);
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
