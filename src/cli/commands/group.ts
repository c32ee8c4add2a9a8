/**
 * `tributary group list|describe|reset-offsets|delete` — like kafka-consumer-groups and `rpk group`.
 */
import { type Command, Option } from 'commander';
import type { Admin } from '../../client/admin/admin.js';
import type { GroupDescription, TopicPartitionOffset } from '../../client/admin/types.js';
import { decodeAssignment } from '../assignment.js';
import type { CliContext } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { json, keyValues, plural, table } from '../output.js';
import { collect, signedIntArg, intArg, timestampArg, topicPartitionsArg } from '../parse.js';
import { openSession, withAdmin, type Session } from '../session.js';

const INACTIVE_STATES = new Set(['Empty', 'Dead']);

export function registerGroupCommand(program: Command, ctx: CliContext): Command {
  const group = program
    .command('group')
    .description('Consumer groups: list, describe with lag, reset offsets, delete.')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary group list
  $ tributary group describe billing
  $ tributary group reset-offsets billing --topic orders --to-earliest            # dry run
  $ tributary group reset-offsets billing --topic orders --to-earliest --execute
  $ tributary group delete billing`,
    );

  group
    .command('list')
    .alias('ls')
    .description('List consumer groups with their state.')
    .option('-s, --state <state>', 'only groups in this state (Stable, Empty, PreparingRebalance, ...), repeatable', collect)
    .option('--json', 'one JSON array')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary group list
  $ tributary group list --state Empty --json`,
    )
    .action(async (opts: { state?: string[]; json?: boolean }, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      await withAdmin(s, async (admin) => {
        const groups = await admin.listGroups({ states: opts.state });
        if (opts.json) {
          s.ctx.stdout(json(groups.map((g) => ({ group: g.groupId, state: g.state, protocolType: g.protocolType }))));
          return;
        }
        if (groups.length === 0) {
          s.ctx.stderr('No consumer groups yet — one appears when a consumer joins with a group id (e.g. `tributary consume <topic> -g <group>`).');
          return;
        }
        for (const l of table(['group', 'state', 'protocol-type'], groups.map((g) => [g.groupId, g.state, g.protocolType || '-']), s.out)) s.ctx.stdout(l);
      });
    });

  group
    .command('describe')
    .alias('desc')
    .description('Show a group: state, members and their assignment, and per partition CURRENT-OFFSET, LOG-END-OFFSET and LAG.')
    .argument('<groups...>', 'group ids')
    .option('--json', 'one JSON object per group, one per line')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary group describe billing
  $ tributary group describe billing shipping --json`,
    )
    .action(async (ids: string[], opts: { json?: boolean }, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      await withAdmin(
        s,
        async (admin) => {
          let first = true;
          for (const id of ids) {
            const d = await describeGroup(admin, id);
            if (opts.json) {
              s.ctx.stdout(json(d));
              continue;
            }
            if (!first) s.ctx.stdout('');
            first = false;
            printGroup(s, d);
          }
        },
        { group: ids.length === 1 ? ids[0] : undefined },
      );
    });

  group
    .command('reset-offsets')
    .description("Move a group's committed offsets. A dry run by default: shows the new offsets; --execute applies them.")
    .argument('<group>', 'group id')
    .option('-t, --topic <topic[:partitions]>', 'topic, or topic:0,1,2 for some partitions; repeatable', topicPartitionsArg)
    .option('--all-topics', 'every topic the group has committed offsets for')
    .addOption(new Option('--to-earliest', 'to the start of each partition'))
    .addOption(new Option('--to-latest', 'to the end of each partition (skip everything)'))
    .addOption(new Option('--to-datetime <time>', 'to the first record at or after a time (ISO 8601, epoch ms, or -1h/-30m)').argParser(timestampArg))
    .addOption(new Option('--to-offset <offset>', 'to this offset (clamped to each partition\'s range)').argParser(intArg(0)))
    .addOption(new Option('--shift-by <n>', 'move by n (negative: back), clamped to each partition\'s range').argParser(signedIntArg))
    .option('--execute', 'apply the new offsets (the group must have no active members)')
    .option('--json', 'print the plan as JSON lines')
    .addHelpText(
      'after',
      `
Partitions without a committed offset move relative to the log start for --shift-by.
Kafka only lets offsets change while the group is inactive: stop its consumers first.

Examples:
  $ tributary group reset-offsets billing --topic orders --to-earliest
  $ tributary group reset-offsets billing --topic orders:0,1 --to-offset 42 --execute
  $ tributary group reset-offsets billing --all-topics --to-datetime 2024-05-01T00:00:00Z --execute
  $ tributary group reset-offsets billing --topic orders --shift-by -100 --execute
  $ tributary group reset-offsets billing --topic orders --to-datetime -1h --execute`,
    )
    .action(async (id: string, opts: ResetOpts, cmd: Command) => {
      const specs = (['toEarliest', 'toLatest', 'toDatetime', 'toOffset', 'shiftBy'] as const).filter((k) => opts[k] !== undefined);
      if (specs.length !== 1) {
        throw usageError(
          specs.length === 0
            ? 'say where to: one of --to-earliest, --to-latest, --to-datetime <time>, --to-offset <n>, --shift-by <n>.'
            : 'give only one of --to-earliest, --to-latest, --to-datetime, --to-offset, --shift-by.',
        );
      }
      if ((opts.topic === undefined) === (opts.allTopics === undefined)) {
        throw usageError('say which partitions: --topic <topic>[:partitions] (repeatable) or --all-topics.');
      }
      const s = await openSession(cmd, ctx);
      await withAdmin(s, (admin) => resetOffsets(s, admin, id, opts), { group: id, topic: opts.topic?.length === 1 ? opts.topic[0]!.topic : undefined });
    });

  group
    .command('delete')
    .alias('rm')
    .description('Delete consumer groups and their committed offsets (they must have no active members).')
    .argument('<groups...>', 'group ids')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary group delete billing
  $ tributary group delete billing shipping`,
    )
    .action(async (ids: string[], _opts: unknown, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      for (const id of ids) {
        await withAdmin(
          s,
          async (admin) => {
            await admin.deleteGroups([id]);
            s.ctx.stdout(`Deleted group '${id}'.`);
          },
          { group: id },
        );
      }
    });

  return group;
}

interface ResetOpts {
  topic?: Array<{ topic: string; partitions: number[] | null }>;
  allTopics?: boolean;
  toEarliest?: boolean;
  toLatest?: boolean;
  toDatetime?: number;
  toOffset?: number;
  shiftBy?: number;
  execute?: boolean;
  json?: boolean;
}

interface PartitionLag {
  topic: string;
  partition: number;
  currentOffset: number | null;
  logEndOffset: number | null;
  lag: number | null;
  memberId: string | null;
  clientId: string | null;
  host: string | null;
}

interface GroupOut {
  group: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: Array<{ memberId: string; groupInstanceId: string | null; clientId: string; host: string; assignment: Array<{ topic: string; partitions: number[] }> | null }>;
  partitions: PartitionLag[];
  totalLag: number;
}

async function endOffsets(admin: Admin, topics: Iterable<string>, spec: 'earliest' | 'latest' = 'latest'): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const t of topics) {
    try {
      for (const o of await admin.listOffsets(t, spec)) out.set(`${t}\0${o.partition}`, o.offset);
    } catch {
      // A deleted topic (or one without leaders) has no end offsets; its rows show '-'.
    }
  }
  return out;
}

async function describeGroup(admin: Admin, id: string): Promise<GroupOut> {
  const [d] = await admin.describeGroups([id]);
  const desc: GroupDescription = d!;
  const committed = await admin.fetchOffsets(id);
  if (desc.state === 'Dead' && desc.members.length === 0 && committed.length === 0) {
    throw new CliError(`group '${id}' does not exist — list groups with \`tributary group list\`.`);
  }
  const owner = new Map<string, { memberId: string; clientId: string; host: string }>();
  const members = desc.members.map((m) => {
    const assignment = desc.protocolType === 'consumer' || desc.protocolType === '' ? decodeAssignment(m.memberAssignment) : null;
    for (const a of assignment ?? []) for (const p of a.partitions) owner.set(`${a.topic}\0${p}`, { memberId: m.memberId, clientId: m.clientId, host: m.clientHost });
    return { memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, host: m.clientHost, assignment };
  });
  const keys = new Map<string, { topic: string; partition: number }>();
  for (const c of committed) keys.set(`${c.topic}\0${c.partition}`, { topic: c.topic, partition: c.partition });
  for (const m of members) for (const a of m.assignment ?? []) for (const p of a.partitions) keys.set(`${a.topic}\0${p}`, { topic: a.topic, partition: p });
  const ends = await endOffsets(admin, new Set([...keys.values()].map((k) => k.topic)));
  const partitions: PartitionLag[] = [...keys.entries()]
    .map(([key, { topic, partition }]) => {
      const c = committed.find((x) => x.topic === topic && x.partition === partition);
      const current = c && c.offset >= 0 ? c.offset : null;
      const end = ends.get(key) ?? null;
      const o = owner.get(key);
      return {
        topic,
        partition,
        currentOffset: current,
        logEndOffset: end,
        lag: current !== null && end !== null ? Math.max(0, end - current) : null,
        memberId: o?.memberId ?? null,
        clientId: o?.clientId ?? null,
        host: o?.host ?? null,
      };
    })
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  return {
    group: id,
    state: desc.state,
    protocolType: desc.protocolType,
    protocol: desc.protocol,
    members,
    partitions,
    totalLag: partitions.reduce((n, p) => n + (p.lag ?? 0), 0),
  };
}

function printGroup(s: Session, g: GroupOut): void {
  const o = s.out;
  const state = g.state === 'Stable' ? o.green(g.state) : g.state === 'Empty' || g.state === 'Dead' ? o.dim(g.state) : o.yellow(g.state);
  for (const l of keyValues(
    [
      ['group', g.group],
      ['state', state],
      ['protocol', g.protocol ? `${g.protocolType}/${g.protocol}` : g.protocolType || '-'],
      ['members', g.members.length],
      ['total lag', g.totalLag],
    ],
    o,
  ))
    s.ctx.stdout(l);
  s.ctx.stdout('');
  if (g.partitions.length === 0) {
    s.ctx.stdout(o.dim('(no committed offsets and no assigned partitions)'));
  } else {
    const rows = g.partitions.map((p) => [
      g.group,
      p.topic,
      p.partition,
      p.currentOffset ?? '-',
      p.logEndOffset ?? '-',
      p.lag === null ? '-' : p.lag > 0 ? o.yellow(String(p.lag)) : p.lag,
      p.memberId ?? '-',
      p.host ?? '-',
      p.clientId ?? '-',
    ]);
    for (const l of table(['group', 'topic', 'partition', 'current-offset', 'log-end-offset', 'lag', 'consumer-id', 'host', 'client-id'], rows, o, [
      false,
      false,
      true,
      true,
      true,
      true,
    ]))
      s.ctx.stdout(l);
  }
  if (g.members.length > 0) {
    s.ctx.stdout('');
    const rows = g.members.map((m) => [
      m.memberId,
      m.groupInstanceId ?? '-',
      m.clientId,
      m.host,
      m.assignment === null ? '(not a consumer assignment)' : m.assignment.map((a) => `${a.topic}[${a.partitions.join(',')}]`).join(' ') || '-',
    ]);
    for (const l of table(['member-id', 'instance-id', 'client-id', 'host', 'assignment'], rows, o)) s.ctx.stdout(l);
  }
}

async function resetOffsets(s: Session, admin: Admin, id: string, opts: ResetOpts): Promise<void> {
  const [desc] = await admin.describeGroups([id]);
  const active = desc && !INACTIVE_STATES.has(desc.state);
  if (active && opts.execute) {
    throw new CliError(
      `group '${id}' is ${desc.state} with ${plural(desc.members.length, 'member')}; offsets can only be reset while it is inactive — stop its consumers, then run this again (see \`tributary group describe ${id}\`).`,
    );
  }
  const committed = await admin.fetchOffsets(id);
  let targets: Array<{ topic: string; partition: number }> = [];
  if (opts.allTopics) {
    targets = committed.map((c) => ({ topic: c.topic, partition: c.partition }));
    if (targets.length === 0) throw new CliError(`group '${id}' has no committed offsets, so --all-topics matches nothing — name topics with --topic <topic>.`);
  } else {
    for (const t of opts.topic!) {
      const [d] = await admin.describeTopics([t.topic]);
      const all = d!.partitions.map((p) => p.partition);
      for (const p of t.partitions ?? all) {
        if (!all.includes(p)) throw new CliError(`topic '${t.topic}' has no partition ${p} (it has ${plural(all.length, 'partition')}: 0..${all.length - 1}).`);
        targets.push({ topic: t.topic, partition: p });
      }
    }
  }
  const topics = new Set(targets.map((t) => t.topic));
  const starts = await endOffsets(admin, topics, 'earliest');
  const ends = await endOffsets(admin, topics, 'latest');
  const byTime = new Map<string, number>();
  if (opts.toDatetime !== undefined) {
    for (const t of topics) for (const o of await admin.listOffsets(t, { timestamp: opts.toDatetime })) byTime.set(`${t}\0${o.partition}`, o.offset);
  }
  const plan = targets.map(({ topic, partition }) => {
    const key = `${topic}\0${partition}`;
    const start = starts.get(key) ?? 0;
    const end = ends.get(key) ?? 0;
    const c = committed.find((x) => x.topic === topic && x.partition === partition);
    const current = c && c.offset >= 0 ? c.offset : null;
    const clamp = (n: number): number => Math.min(end, Math.max(start, n));
    let next: number;
    if (opts.toEarliest) next = start;
    else if (opts.toLatest) next = end;
    else if (opts.toOffset !== undefined) next = clamp(opts.toOffset);
    else if (opts.shiftBy !== undefined) next = clamp((current ?? start) + opts.shiftBy);
    else {
      const t = byTime.get(key) ?? -1;
      next = t < 0 ? end : t;
    }
    return { group: id, topic, partition, currentOffset: current, newOffset: next };
  });
  if (opts.json) for (const p of plan) s.ctx.stdout(json(p));
  else {
    const rows = plan.map((p) => [p.group, p.topic, p.partition, p.currentOffset ?? '-', p.newOffset]);
    for (const l of table(['group', 'topic', 'partition', 'current-offset', 'new-offset'], rows, s.out, [false, false, true, true, true])) s.ctx.stdout(l);
  }
  if (!opts.execute) {
    s.ctx.stderr(
      `Dry run: nothing changed. Run again with --execute to apply.${active ? ` Note: group '${id}' is ${desc!.state}; stop its consumers before executing.` : ''}`,
    );
    return;
  }
  const offsets: TopicPartitionOffset[] = plan.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.newOffset }));
  await admin.alterOffsets(id, offsets);
  s.ctx.stderr(`Reset offsets of group '${id}' for ${plural(plan.length, 'partition')}.`);
}
