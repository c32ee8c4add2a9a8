/**
 * `tributary topic create|list|describe|alter-config|add-partitions|delete` — like kafka-topics and
 * `rpk topic`, on the admin client.
 */
import { type Command, Option } from 'commander';
import type { Admin } from '../../client/admin/admin.js';
import type { ConfigEntry, PartitionDescription, TopicDescription } from '../../client/admin/types.js';
import type { CliContext } from '../context.js';
import { usageError } from '../errors.js';
import { json, keyValues, plural, table } from '../output.js';
import { collect, intArg, keyValueArg } from '../parse.js';
import { openSession, withAdmin, type Session } from '../session.js';

interface CreateOpts {
  partitions?: number;
  replicationFactor?: number;
  config?: Array<[string, string]>;
  ifNotExists?: boolean;
  dryRun?: boolean;
}

export function registerTopicCommand(program: Command, ctx: CliContext): Command {
  const topic = program
    .command('topic')
    .description('Create, list, describe, configure, grow and delete topics.')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary topic create orders -p 3 -c retention.ms=86400000
  $ tributary topic list
  $ tributary topic describe orders
  $ tributary topic alter-config orders --set cleanup.policy=compact
  $ tributary topic add-partitions orders -n 3
  $ tributary topic delete orders`,
    );

  topic
    .command('create')
    .description('Create one or more topics.')
    .argument('<topics...>', 'topic names')
    .addOption(new Option('-p, --partitions <n>', 'number of partitions (default: the broker\'s num.partitions)').argParser(intArg(1, 1_000_000)))
    .addOption(
      new Option('-r, --replication-factor <n>', "replicas per partition (default: the broker's default.replication.factor)").argParser(intArg(1, 32_767)),
    )
    .option('-c, --config <name=value>', 'topic config, repeatable (e.g. -c retention.ms=86400000)', keyValueArg('-c', 'retention.ms=86400000'))
    .option('--if-not-exists', 'succeed when the topic already exists')
    .option('--dry-run', 'validate on the broker without creating anything')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary topic create orders
  $ tributary topic create orders payments -p 6 -r 1
  $ tributary topic create users -c cleanup.policy=compact -c min.compaction.lag.ms=60000
  $ tributary topic create orders --if-not-exists      # in scripts`,
    )
    .action(async (names: string[], opts: CreateOpts, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      await withAdmin(
        s,
        async (admin) => {
          const configs = Object.fromEntries(opts.config ?? []);
          const created = await admin.createTopics(
            names.map((name) => ({ name, numPartitions: opts.partitions, replicationFactor: opts.replicationFactor, configs })),
            { ignoreExisting: opts.ifNotExists === true, validateOnly: opts.dryRun === true },
          );
          for (const name of names) {
            const c = created.find((t) => t.name === name);
            if (!c) {
              s.ctx.stdout(`Topic '${name}' already exists; left as it is.`);
              continue;
            }
            const what = `${plural(c.numPartitions, 'partition')}, replication factor ${c.replicationFactor}`;
            s.ctx.stdout(opts.dryRun ? `Topic '${name}' can be created (${what}); nothing was changed (--dry-run).` : `Created topic '${name}' (${what}).`);
          }
        },
        { topic: names.length === 1 ? names[0] : undefined },
      );
    });

  topic
    .command('list')
    .alias('ls')
    .description('List topics with their partition and replica counts.')
    .option('-i, --internal', 'include internal topics (__consumer_offsets, ...)')
    .option('--json', 'one JSON array')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary topic list
  $ tributary topic list --internal --json`,
    )
    .action(async (opts: { internal?: boolean; json?: boolean }, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      await withAdmin(s, async (admin) => {
        const names = await admin.listTopics({ includeInternal: opts.internal === true });
        const descs = names.length === 0 ? [] : await admin.describeTopics(names);
        const rows = descs
          .sort((a, b) => a.name.localeCompare(b.name))
          .map((d) => ({ name: d.name, partitions: d.partitions.length, replicas: replicationFactor(d), internal: d.isInternal }));
        if (opts.json) {
          s.ctx.stdout(json(rows));
          return;
        }
        if (rows.length === 0) {
          s.ctx.stderr('No topics yet — create one with `tributary topic create <name>`.');
          return;
        }
        for (const l of table(['name', 'partitions', 'replicas'], rows.map((r) => [r.name, r.partitions, r.replicas]), s.out)) s.ctx.stdout(l);
      });
    });

  topic
    .command('describe')
    .alias('desc')
    .description('Show topics: id, configs that differ from the defaults, and every partition (leader, replicas, ISR, offsets).')
    .argument('<topics...>', 'topic names')
    .option('--json', 'one JSON object per topic, one per line')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary topic describe orders
  $ tributary topic describe orders payments --json`,
    )
    .action(async (names: string[], opts: { json?: boolean }, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      await withAdmin(
        s,
        async (admin) => {
          const descs = await admin.describeTopics(names);
          let first = true;
          for (const name of names) {
            const d = descs.find((x) => x.name === name)!;
            const info = await describeOne(admin, d);
            if (opts.json) {
              s.ctx.stdout(json(info));
              continue;
            }
            if (!first) s.ctx.stdout('');
            first = false;
            printDescription(s, info);
          }
        },
        { topic: names.length === 1 ? names[0] : undefined },
      );
    });

  topic
    .command('alter-config')
    .description("Change a topic's configs (incrementally: other configs are left alone).")
    .argument('<topic>', 'topic name')
    .option('-s, --set <name=value>', 'set a config, repeatable', keyValueArg('--set', 'retention.ms=86400000'))
    .option('-d, --delete <name>', 'remove an override (back to the broker default), repeatable', collect)
    .option('--dry-run', 'validate on the broker without changing anything')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary topic alter-config orders --set retention.ms=86400000 --set cleanup.policy=compact
  $ tributary topic alter-config orders --delete retention.ms`,
    )
    .action(async (name: string, opts: AlterOpts, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      await alterTopicConfig(s, name, opts.set ?? [], opts.delete ?? [], opts.dryRun === true);
    });

  topic
    .command('add-partitions')
    .description('Add partitions to a topic (the count can only grow; keys may map to other partitions afterwards).')
    .argument('<topic>', 'topic name')
    .addOption(new Option('-n, --num <count>', 'how many partitions to add').argParser(intArg(1, 1_000_000)).conflicts('total'))
    .addOption(new Option('-t, --total <count>', 'the partition count to grow to').argParser(intArg(1, 1_000_000)))
    .addHelpText(
      'after',
      `
Examples:
  $ tributary topic add-partitions orders -n 3       # 3 more
  $ tributary topic add-partitions orders --total 12 # up to 12 in all`,
    )
    .action(async (name: string, opts: { num?: number; total?: number }, cmd: Command) => {
      if (opts.num === undefined && opts.total === undefined) throw usageError('say how many partitions: -n <count> to add, or --total <count> to grow to.');
      const s = await openSession(cmd, ctx);
      await withAdmin(
        s,
        async (admin) => {
          const [d] = await admin.describeTopics([name]);
          const current = d!.partitions.length;
          const total = opts.total ?? current + opts.num!;
          if (total <= current) {
            throw usageError(`topic '${name}' already has ${plural(current, 'partition')}; --total must be more than that (partitions cannot be removed).`);
          }
          await admin.createPartitions([{ topic: name, count: total }]);
          s.ctx.stdout(`Topic '${name}' now has ${plural(total, 'partition')} (was ${current}).`);
        },
        { topic: name },
      );
    });

  topic
    .command('delete')
    .alias('rm')
    .description('Delete topics and all their records.')
    .argument('<topics...>', 'topic names')
    .option('--if-exists', 'succeed when a topic does not exist')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary topic delete orders
  $ tributary topic delete orders payments --if-exists`,
    )
    .action(async (names: string[], opts: { ifExists?: boolean }, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      await withAdmin(
        s,
        async (admin) => {
          let targets = names;
          if (opts.ifExists) {
            const existing = new Set(await admin.listTopics({ includeInternal: true }));
            targets = names.filter((n) => existing.has(n));
            for (const n of names) if (!existing.has(n)) s.ctx.stdout(`Topic '${n}' does not exist; nothing to delete.`);
          }
          if (targets.length === 0) return;
          await admin.deleteTopics(targets);
          for (const n of targets) s.ctx.stdout(`Deleted topic '${n}'.`);
        },
        { topic: names.length === 1 ? names[0] : undefined },
      );
    });

  return topic;
}

interface AlterOpts {
  set?: Array<[string, string]>;
  delete?: string[];
  dryRun?: boolean;
}

/** Shared by `topic alter-config` and `config set`. */
export async function alterTopicConfig(s: Session, topic: string, set: Array<[string, string]>, del: string[], dryRun: boolean): Promise<void> {
  if (set.length === 0 && del.length === 0) throw usageError('nothing to change: give --set name=value and/or --delete name.');
  await withAdmin(
    s,
    async (admin) => {
      await admin.describeTopics([topic]);
      await admin.incrementalAlterConfigs(
        [{ type: 'topic', name: topic, ops: [...set.map(([name, value]) => ({ op: 'set' as const, name, value })), ...del.map((name) => ({ op: 'delete' as const, name }))] }],
        { validateOnly: dryRun },
      );
      const parts = [...(set.length ? [`set ${set.map(([k, v]) => `${k}=${v}`).join(', ')}`] : []), ...(del.length ? [`deleted ${del.join(', ')}`] : [])];
      s.ctx.stdout(dryRun ? `Valid for topic '${topic}': ${parts.join('; ')}; nothing was changed (--dry-run).` : `Altered topic '${topic}': ${parts.join('; ')}.`);
    },
    { topic },
  );
}

function replicationFactor(d: TopicDescription): number {
  return d.partitions.length === 0 ? 0 : Math.max(...d.partitions.map((p) => p.replicas.length));
}

interface PartitionRow extends PartitionDescription {
  logStartOffset: number | null;
  highWatermark: number | null;
}

interface TopicInfoOut {
  name: string;
  topicId: string;
  internal: boolean;
  partitions: number;
  replicationFactor: number;
  configs: Record<string, string | null>;
  partitionDetails: PartitionRow[];
}

async function describeOne(admin: Admin, d: TopicDescription): Promise<TopicInfoOut> {
  let configs: ConfigEntry[] = [];
  try {
    const [rc] = await admin.describeConfigs([{ type: 'topic', name: d.name }]);
    configs = rc?.configs ?? [];
  } catch {
    configs = [];
  }
  const starts = new Map<number, number>();
  const ends = new Map<number, number>();
  try {
    for (const o of await admin.listOffsets(d.name, 'earliest')) starts.set(o.partition, o.offset);
    for (const o of await admin.listOffsets(d.name, 'latest')) ends.set(o.partition, o.offset);
  } catch {
    // Partitions without a leader have no offsets to show.
  }
  return {
    name: d.name,
    topicId: d.topicId,
    internal: d.isInternal,
    partitions: d.partitions.length,
    replicationFactor: replicationFactor(d),
    configs: Object.fromEntries(configs.filter((c) => !c.isDefault && c.source === 'topic').map((c) => [c.name, c.isSensitive ? '(sensitive)' : c.value])),
    partitionDetails: d.partitions.map((p) => ({ ...p, logStartOffset: starts.get(p.partition) ?? null, highWatermark: ends.get(p.partition) ?? null })),
  };
}

function printDescription(s: Session, t: TopicInfoOut): void {
  const o = s.out;
  const configs = Object.entries(t.configs);
  for (const l of keyValues(
    [
      ['name', t.name],
      ['id', t.topicId],
      ['internal', String(t.internal)],
      ['partitions', t.partitions],
      ['replication factor', t.replicationFactor],
      ['configs', configs.length === 0 ? o.dim('(all defaults)') : configs.map(([k, v]) => `${k}=${v ?? ''}`).join(', ')],
    ],
    o,
  ))
    s.ctx.stdout(l);
  s.ctx.stdout('');
  const rows = t.partitionDetails.map((p) => {
    const under = p.isr.length < p.replicas.length;
    return [
      p.partition,
      p.leader < 0 ? o.red('none') : p.leader,
      p.leaderEpoch,
      `[${p.replicas.join(',')}]`,
      under ? o.yellow(`[${p.isr.join(',')}]`) : `[${p.isr.join(',')}]`,
      p.logStartOffset ?? '-',
      p.highWatermark ?? '-',
    ];
  });
  for (const l of table(['partition', 'leader', 'epoch', 'replicas', 'isr', 'log-start-offset', 'high-watermark'], rows, o, [true, true, true, false, false, true, true]))
    s.ctx.stdout(l);
}
