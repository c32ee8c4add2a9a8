/**
 * The `tributary` command line. Each command lives in `commands/<name>.ts` and exports a
 * `register…Command(program, ctx)` function; add new ones to COMMANDS below. Global flags
 * (-b, --command-config, --timeout, --no-color) are defined in globals.ts and read by every
 * client command through `optsWithGlobals()`.
 *
 * Command modules are imported only when the command line names them: `tributary server` does not
 * load the client (admin, producer, consumer, perf), and `tributary topic list` does not load the
 * broker. Help, completion and anything unrecognised load them all (commandsFor).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import type { Logger } from 'pino';
import type { CliContext } from './context.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors.js';
import { addGlobalOptions } from './globals.js';
import { createCliLogger } from './logger.js';

export type Register = (program: Command, ctx: CliContext) => unknown;

/** A top-level command: its name on the command line and how to import its module. */
interface CommandEntry {
  readonly name: string;
  readonly load: () => Promise<Register>;
}

const COMMANDS: readonly CommandEntry[] = [
  { name: 'server', load: async () => (await import('./commands/server.js')).registerServerCommand },
  { name: 'storage', load: async () => (await import('./commands/storage.js')).registerStorageCommand },
  { name: 'topic', load: async () => (await import('./commands/topic.js')).registerTopicCommand },
  { name: 'produce', load: async () => (await import('./commands/produce.js')).registerProduceCommand },
  { name: 'consume', load: async () => (await import('./commands/consume.js')).registerConsumeCommand },
  { name: 'group', load: async () => (await import('./commands/group.js')).registerGroupCommand },
  { name: 'config', load: async () => (await import('./commands/config.js')).registerConfigCommand },
  { name: 'cluster', load: async () => (await import('./commands/cluster.js')).registerClusterCommand },
  { name: 'partition', load: async () => (await import('./commands/partition.js')).registerPartitionCommand },
  { name: 'transactions', load: async () => (await import('./commands/transactions.js')).registerTransactionsCommand },
  { name: 'dev', load: async () => (await import('./commands/dev.js')).registerDevCommand },
  { name: 'perf', load: async () => (await import('./commands/perf.js')).registerPerfCommand },
  // Completion walks the whole command tree, so it is never loaded alone (commandsFor).
  { name: 'completion', load: async () => (await import('./commands/completion.js')).registerCompletionCommand },
];

/**
 * The first word of `args` (process.argv without node and the script) that is not a global option
 * or a global option's value: the top-level command commander will run, if any.
 */
function commandWord(args: readonly string[]): string | undefined {
  const globals = new Command();
  addGlobalOptions(globals);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') return args[i + 1];
    if (!a.startsWith('-') || a === '-') return a;
    // `-b host` and `--timeout 5s` take the next word; `--timeout=5s` and `-bhost` are one word.
    if (globals.options.some((o) => o.required && (o.short === a || o.long === a))) i++;
  }
  return undefined;
}

/** The register functions `argv` needs: the named command's alone, or all for help and errors. */
async function commandsFor(argv: readonly string[]): Promise<Register[]> {
  const word = commandWord(argv.slice(2));
  const only = COMMANDS.find((c) => c.name === word && c.name !== 'completion');
  return Promise.all((only ? [only] : COMMANDS).map((c) => c.load()));
}

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

export function buildProgram(ctx: CliContext, register: readonly Register[]): Command {
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
  $ tributary storage format --cluster-id "$(tributary storage random-uuid)" --config server.properties
  $ tributary topic create orders -p 3
  $ echo 'hello' | tributary produce orders
  $ tributary consume orders --from-beginning -n 1
  $ tributary group describe billing
  $ tributary perf produce --topic bench --num-records 100000 --record-size 100
  $ tributary -b broker1:9092,broker2:9092 cluster info
  $ tributary dev cluster --nodes 3

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

/**
 * Runs the CLI on `argv` (process.argv form) and resolves with the exit status. Without `register`,
 * the commands `argv` needs are imported (commandsFor).
 */
export async function runCli(argv: readonly string[], ctx: CliContext = defaultCliContext(), register?: readonly Register[]): Promise<number> {
  const program = buildProgram(ctx, register ?? (await commandsFor(argv)));
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
