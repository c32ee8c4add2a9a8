/**
 * `tributary storage`: Kafka's kafka-storage.sh for a node's directories — `random-uuid` makes a
 * cluster id, `format` writes meta.properties (cluster.id, node.id, directory.id) into every log dir
 * and the metadata log dir, `info` shows what they hold. Same flags, messages and semantics as
 * Kafka's tool, so its runbooks apply.
 */
import type { Command } from 'commander';
import type { BrokerConfig } from '../../cluster/config/broker-config.js';
import {
  checkClusterId,
  describeStorage,
  formatStorage,
  randomClusterId,
  StorageFormatError,
} from '../../server/broker-identity.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from '../errors.js';
import { loadServerConfig } from './server.js';

interface ConfigFlags {
  config: string;
  override: string[];
}

interface FormatFlags extends ConfigFlags {
  clusterId: string;
  ignoreFormatted?: boolean;
  standalone?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function addConfigFlags(cmd: Command): Command {
  return cmd
    .requiredOption('-c, --config <file>', 'the server.properties the node runs with (log.dirs, metadata.log.dir, node.id, process.roles …)')
    .option('-o, --override <name=value>', 'set a property, overriding the file; repeatable', collect, [] as string[]);
}

async function loadConfig(flags: ConfigFlags): Promise<BrokerConfig> {
  return loadServerConfig({ config: flags.config, override: flags.override });
}

export function registerStorageCommand(program: Command, ctx: CliContext): Command {
  const storage = program
    .command('storage')
    .description("Format and inspect a node's directories (Kafka's kafka-storage.sh).")
    .addHelpText(
      'after',
      `
A cluster configured with process.roles needs its directories formatted once, on every node, with the same
cluster id, before the first start. A node started without process.roles formats itself.

Examples:
  $ tributary storage random-uuid
  $ tributary storage format --cluster-id "$(tributary storage random-uuid)" --config config/server.properties
  $ tributary storage info --config config/server.properties`,
    );

  storage
    .command('random-uuid')
    .description('Print a new random cluster id (22 base64url characters).')
    .action(() => {
      ctx.stdout(randomClusterId());
    });

  addConfigFlags(
    storage
      .command('format')
      .description('Write meta.properties (cluster.id, node.id, directory.id) into every log dir and the metadata log dir.')
      .requiredOption('-t, --cluster-id <id>', 'the cluster id, the same on every node (make one with `tributary storage random-uuid`)'),
  )
    .option('-g, --ignore-formatted', 'skip directories that are already formatted instead of failing')
    .option('-s, --standalone', 'make this controller the only voter of a new dynamic quorum (controller.quorum.bootstrap.servers)')
    .addHelpText(
      'after',
      `
Prints one line per directory formatted:
  Formatting metadata directory /var/lib/tributary/meta with metadata.version 3.9-IV0.
Fails (exit 1) when a directory is already formatted, unless --ignore-formatted.`,
    )
    .action(async (flags: FormatFlags) => {
      const config = await loadConfig(flags);
      try {
        checkClusterId(flags.clusterId);
      } catch (err) {
        throw new CliError((err as Error).message, EXIT_USAGE);
      }
      try {
        await formatStorage({
          config,
          clusterId: flags.clusterId,
          ignoreFormatted: flags.ignoreFormatted === true,
          standalone: flags.standalone === true,
          print: (line) => ctx.stdout(line),
        });
      } catch (err) {
        if (err instanceof StorageFormatError) throw new CliError(err.message, EXIT_FAILURE);
        throw err;
      }
    });

  addConfigFlags(storage.command('info').description('Show the meta.properties of every directory of the node, and any problem.'))
    .addHelpText('after', '\nExits 1 when a directory is unformatted, unreadable or disagrees with the others.')
    .action(async (flags: ConfigFlags) => {
      const config = await loadConfig(flags);
      ctx.exitCode = await printInfo(config, ctx);
    });

  return storage;
}

async function printInfo(config: BrokerConfig, ctx: CliContext): Promise<number> {
  const dirs = await describeStorage(config);
  const problems: string[] = [];
  ctx.stdout(dirs.length === 1 ? 'Found log directory:' : 'Found log directories:');
  for (const d of dirs) ctx.stdout(`  ${d.path}${d.metadata ? ' (metadata)' : ''}`);
  ctx.stdout('');
  const shown = new Set<string>();
  for (const d of dirs) {
    if (d.problem !== null) {
      problems.push(d.problem);
      continue;
    }
    if (d.meta === null) {
      problems.push(`${d.path} is not formatted (no meta.properties); run \`tributary storage format\`.`);
      continue;
    }
    const m = d.meta;
    if (m.nodeId !== config.nodeId) problems.push(`${d.path} has node.id=${m.nodeId}, but the config says node.id=${config.nodeId}.`);
    const text = `{cluster.id=${m.clusterId}, ${m.directoryId !== null ? `directory.id=${m.directoryId}, ` : ''}node.id=${m.nodeId}, version=${m.version}}`;
    ctx.stdout(`Found metadata in ${d.path}: ${text}`);
    shown.add(m.clusterId);
  }
  if (shown.size > 1) problems.push(`the directories belong to ${shown.size} different clusters: ${[...shown].join(', ')}.`);
  if (problems.length > 0) {
    if (shown.size > 0) ctx.stdout('');
    ctx.stdout(problems.length === 1 ? 'Found problem:' : `Found ${problems.length} problems:`);
    for (const p of problems) ctx.stdout(`  ${p}`);
    return EXIT_FAILURE;
  }
  return 0;
}
