/** `tributary config get|set`: topic configs (like kafka-configs --entity-type topics). */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { suggest } from '../globals.js';
import { json, table } from '../output.js';
import { collect, splitKeyValue } from '../parse.js';
import { openSession, withAdmin } from '../session.js';
import { alterTopicConfig } from './topic.js';

export function registerConfigCommand(program: Command, ctx: CliContext): Command {
  const config = program
    .command('config')
    .description("Read and change a topic's configs.")
    .addHelpText(
      'after',
      `
Examples:
  $ tributary config get orders
  $ tributary config get orders retention.ms
  $ tributary config set orders retention.ms=86400000 cleanup.policy=compact`,
    );

  config
    .command('get')
    .description("Show a topic's configs with their values and where each comes from. One name prints just its value.")
    .argument('<topic>', 'topic name')
    .argument('[names...]', 'only these configs')
    .option('--overrides', 'only the configs set on the topic (not defaults)')
    .option('--json', 'a JSON object: {name: {value, source, readOnly, sensitive}}')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary config get orders
  $ tributary config get orders --overrides
  $ tributary config get orders retention.ms              # prints only the value
  $ tributary config get orders retention.ms cleanup.policy --json`,
    )
    .action(async (topic: string, names: string[], opts: { overrides?: boolean; json?: boolean }, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      await withAdmin(
        s,
        async (admin) => {
          await admin.describeTopics([topic]);
          const [rc] = await admin.describeConfigs([{ type: 'topic', name: topic }]);
          let entries = (rc?.configs ?? []).slice().sort((a, b) => a.name.localeCompare(b.name));
          if (names.length > 0) {
            for (const n of names) {
              if (!entries.some((e) => e.name === n)) {
                const near = suggest(n, entries.map((e) => e.name));
                throw new CliError(`topic '${topic}' has no config '${n}'.${near ? ` Did you mean '${near}'?` : ''} See them all with \`tributary config get ${topic}\`.`);
              }
            }
            entries = names.map((n) => entries.find((e) => e.name === n)!);
          }
          if (opts.overrides) entries = entries.filter((e) => e.source === 'topic');
          const shown = (v: string | null, sensitive: boolean): string => (sensitive ? '(sensitive)' : (v ?? ''));
          if (opts.json) {
            s.ctx.stdout(
              json(Object.fromEntries(entries.map((e) => [e.name, { value: e.isSensitive ? null : e.value, source: e.source, readOnly: e.readOnly, sensitive: e.isSensitive }]))),
            );
            return;
          }
          if (names.length === 1 && entries.length === 1) {
            s.ctx.stdout(shown(entries[0]!.value, entries[0]!.isSensitive));
            return;
          }
          if (entries.length === 0) {
            s.ctx.stderr(`Topic '${topic}' has no config overrides; it uses the broker defaults.`);
            return;
          }
          const rows = entries.map((e) => [e.name, shown(e.value, e.isSensitive), e.source === 'topic' ? s.out.cyan('topic') : e.source]);
          for (const l of table(['name', 'value', 'source'], rows, s.out)) s.ctx.stdout(l);
        },
        { topic },
      );
    });

  config
    .command('set')
    .description("Set (or with --delete, remove) a topic's configs; others are left alone.")
    .argument('<topic>', 'topic name')
    .argument('[name=value...]', 'configs to set')
    .option('-d, --delete <name>', 'remove an override (back to the broker default), repeatable', collect)
    .option('--dry-run', 'validate on the broker without changing anything')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary config set orders retention.ms=86400000
  $ tributary config set users cleanup.policy=compact min.cleanable.dirty.ratio=0.1
  $ tributary config set orders --delete retention.ms`,
    )
    .action(async (topic: string, pairs: string[], opts: { delete?: string[]; dryRun?: boolean }, cmd: Command) => {
      const set: Array<[string, string]> = [];
      for (const p of pairs) {
        try {
          set.push(splitKeyValue(p, 'config set <topic>', 'retention.ms=86400000'));
        } catch {
          throw usageError(`'${p}' is not name=value; e.g. tributary config set ${topic} retention.ms=86400000.`);
        }
      }
      const s = await openSession(cmd, ctx);
      await alterTopicConfig(s, topic, set, opts.delete ?? [], opts.dryRun === true);
    });
  return config;
}
