/**
 * `tributary partition elect-leaders|reassign|list-reassignments|verify|producers` — leader elections and
 * replica moves, like kafka-leader-election.sh and kafka-reassign-partitions.sh (their JSON files
 * are read as they are), and a partition's idempotent / transactional producers, like
 * `kafka-transactions.sh describe-producers`, on the admin client.
 */
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type { Admin } from '../../client/admin/admin.js';
import type { ElectionType, TopicPartitionRef } from '../../client/admin/types.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { CliContext } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { json, table } from '../output.js';
import { intArg } from '../parse.js';
import { openSession, withAdmin } from '../session.js';

interface PlanEntry {
  topic: string;
  partition: number;
  replicas: number[];
}

function fail(message: string): never {
  throw usageError(message);
}

async function readJson(file: string, flag: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    fail(`cannot read ${flag} ${file}: ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    fail(`${file} is not JSON: ${(err as Error).message}`);
  }
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** kafka-leader-election's --path-to-json-file: {"partitions": [{"topic": "t", "partition": 0}, …]}. */
async function readPartitionsFile(file: string): Promise<TopicPartitionRef[]> {
  const doc = (await readJson(file, '--path-to-json-file')) as { partitions?: unknown };
  if (!Array.isArray(doc?.partitions)) fail(`${file}: expected {"partitions": [{"topic": "…", "partition": 0}, …]}`);
  return doc.partitions.map((p: unknown, i: number) => {
    const { topic, partition } = (p ?? {}) as { topic?: unknown; partition?: unknown };
    if (typeof topic !== 'string' || !isInt(partition)) fail(`${file}: partitions[${i}] needs a "topic" string and a "partition" number`);
    return { topic, partition };
  });
}

/** kafka-reassign-partitions' plan: {"version": 1, "partitions": [{"topic", "partition", "replicas": […]}]}. */
async function readPlan(file: string): Promise<PlanEntry[]> {
  const doc = (await readJson(file, '--reassignment-json-file')) as { partitions?: unknown };
  if (!Array.isArray(doc?.partitions)) fail(`${file}: expected {"version": 1, "partitions": [{"topic": "…", "partition": 0, "replicas": [1, 2]}, …]}`);
  return doc.partitions.map((p: unknown, i: number) => {
    const { topic, partition, replicas } = (p ?? {}) as { topic?: unknown; partition?: unknown; replicas?: unknown };
    if (typeof topic !== 'string' || !isInt(partition) || !Array.isArray(replicas) || !replicas.every(isInt)) {
      fail(`${file}: partitions[${i}] needs "topic", "partition" and "replicas" (broker ids)`);
    }
    return { topic, partition, replicas: replicas as number[] };
  });
}

function brokerList(value: string): number[] {
  const ids = value.split(',').map((s) => s.trim());
  if (ids.length === 0 || ids.some((s) => !/^\d+$/.test(s))) fail(`--replicas takes broker ids separated by commas (e.g. 1,2,3), not '${value}'`);
  return ids.map(Number);
}

interface TargetOpts {
  reassignmentJsonFile?: string;
  topic?: string;
  partition?: number;
  replicas?: string;
}

/** The plan from --reassignment-json-file, or one partition from --topic/--partition/--replicas. */
async function planFrom(opts: TargetOpts, needReplicas: boolean): Promise<PlanEntry[]> {
  if (opts.reassignmentJsonFile !== undefined) {
    if (opts.topic !== undefined || opts.replicas !== undefined) fail('give either --reassignment-json-file or --topic/--partition/--replicas, not both');
    return readPlan(opts.reassignmentJsonFile);
  }
  if (opts.topic === undefined || opts.partition === undefined) fail('name the partitions: --reassignment-json-file <file>, or --topic <t> --partition <n>');
  if (needReplicas && opts.replicas === undefined) fail('--replicas <ids> is needed with --topic/--partition (e.g. --replicas 2,3,4)');
  return [{ topic: opts.topic, partition: opts.partition, replicas: opts.replicas === undefined ? [] : brokerList(opts.replicas) }];
}

function name(p: TopicPartitionRef): string {
  return `${p.topic}-${p.partition}`;
}

/** Each partition's replicas now, as a plan (printed before a reassignment so it can be rolled back). */
async function currentPlan(admin: Admin, partitions: readonly TopicPartitionRef[]): Promise<PlanEntry[]> {
  const topics = [...new Set(partitions.map((p) => p.topic))];
  const described = await admin.describeTopics(topics);
  const out: PlanEntry[] = [];
  for (const p of partitions) {
    const d = described.find((t) => t.name === p.topic)?.partitions.find((x) => x.partition === p.partition);
    if (d) out.push({ topic: p.topic, partition: p.partition, replicas: d.replicas });
  }
  return out;
}

function addTargetOptions(cmd: Command): Command {
  return cmd
    .option('--reassignment-json-file <file>', 'a kafka-reassign-partitions plan: {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3]}]}')
    .option('--topic <topic>', 'one partition\'s topic (with --partition)')
    .addOption(new Option('--partition <n>', 'one partition (with --topic)').argParser(intArg(0)))
    .option('--replicas <ids>', 'its target replicas, comma-separated; the first is the preferred leader');
}

export function registerPartitionCommand(program: Command, ctx: CliContext): Command {
  const partition = program
    .command('partition')
    .description('Elect partition leaders and move replicas between brokers.')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary partition elect-leaders --all-topic-partitions
  $ tributary partition reassign --topic orders --partition 0 --replicas 2,3,4
  $ tributary partition list-reassignments
  $ tributary partition verify --reassignment-json-file plan.json
  $ tributary partition producers --topic orders --partition 0`,
    );

  partition
    .command('producers')
    .description("The idempotent and transactional producers a partition's leader knows: epoch, last sequence, open transaction.")
    .requiredOption('--topic <topic>', 'the topic')
    .addOption(new Option('--partition <n>', 'one partition (default: every partition of --topic)').argParser(intArg(0)))
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary partition producers --topic orders
  $ tributary partition producers --topic orders --partition 0 --json`,
    )
    .action(async (opts: { topic: string; partition?: number; json?: boolean }, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      await withAdmin(
        s,
        async (admin) => {
          let targets: TopicPartitionRef[] = [{ topic: opts.topic, partition: opts.partition ?? 0 }];
          if (opts.partition === undefined) {
            const [d] = await admin.describeTopics([opts.topic]);
            targets = (d?.partitions ?? []).map((p) => ({ topic: opts.topic, partition: p.partition }));
          }
          const found = await admin.describeProducers(targets);
          if (opts.json) return s.ctx.stdout(json(found));
          const rows = found.flatMap((p) =>
            p.producers.map((x) => [
              p.topic,
              p.partition,
              x.producerId,
              x.producerEpoch,
              x.lastSequence,
              x.lastTimestampMs >= 0 ? new Date(x.lastTimestampMs).toISOString() : '-',
              x.coordinatorEpoch,
              x.currentTransactionStartOffset >= 0 ? x.currentTransactionStartOffset : 'none',
            ]),
          );
          if (rows.length === 0) return s.ctx.stdout(`No producers known on ${targets.map(name).join(', ')}.`);
          const headers = ['topic', 'partition', 'producer id', 'epoch', 'last sequence', 'last timestamp', 'coordinator epoch', 'open transaction from'];
          for (const l of table(headers, rows, s.out)) s.ctx.stdout(l);
        },
        { topic: opts.topic },
      );
    });

  partition
    .command('elect-leaders')
    .description('Make the preferred (first) replica leader again, or give leaderless partitions any live replica (unclean: may lose data).')
    .addOption(new Option('--election-type <type>', 'preferred or unclean').choices(['preferred', 'unclean']).default('preferred'))
    .option('--topic <topic>', 'the partitions of this topic (all, or --partition)')
    .addOption(new Option('--partition <n>', 'one partition of --topic').argParser(intArg(0)))
    .option('--all-topic-partitions', 'every partition of every topic')
    .option('--path-to-json-file <file>', 'partitions as kafka-leader-election reads them: {"partitions":[{"topic":"t","partition":0}]}')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary partition elect-leaders --all-topic-partitions
  $ tributary partition elect-leaders --topic orders --partition 0
  $ tributary partition elect-leaders --election-type unclean --topic orders --partition 3`,
    )
    .action(async (opts: { electionType: ElectionType; topic?: string; partition?: number; allTopicPartitions?: boolean; pathToJsonFile?: string }, cmd: Command) => {
      const sources = [opts.topic !== undefined, opts.allTopicPartitions === true, opts.pathToJsonFile !== undefined].filter(Boolean).length;
      if (sources !== 1) throw usageError('name the partitions with exactly one of --topic, --all-topic-partitions or --path-to-json-file');
      if (opts.partition !== undefined && opts.topic === undefined) throw usageError('--partition needs --topic');
      const s = await openSession(cmd, ctx);
      const fromFile = opts.pathToJsonFile !== undefined ? await readPartitionsFile(opts.pathToJsonFile) : undefined;
      await withAdmin(
        s,
        async (admin) => {
          let targets: TopicPartitionRef[] | null = fromFile ?? null;
          if (opts.topic !== undefined) {
            if (opts.partition !== undefined) targets = [{ topic: opts.topic, partition: opts.partition }];
            else {
              const [d] = await admin.describeTopics([opts.topic]);
              targets = (d?.partitions ?? []).map((p) => ({ topic: opts.topic!, partition: p.partition }));
            }
          }
          const results = await admin.electLeaders(opts.electionType, targets);
          const kind = opts.electionType.toUpperCase();
          const done = results.filter((r) => r.errorCode === ErrorCode.NONE);
          const notNeeded = results.filter((r) => r.errorCode === ErrorCode.ELECTION_NOT_NEEDED);
          const failed = results.filter((r) => r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.ELECTION_NOT_NEEDED);
          if (done.length > 0) s.ctx.stdout(`Successfully completed leader election (${kind}) for partitions ${done.map(name).join(', ')}`);
          if (notNeeded.length > 0) s.ctx.stdout(`Valid replica already elected for partitions ${notNeeded.map(name).join(', ')}`);
          if (results.length === 0) s.ctx.stdout(`No partition needed a leader election (${kind}).`);
          for (const f of failed) s.ctx.stdout(`Error completing leader election (${kind}) for partition ${name(f)}: ${ErrorCode[f.errorCode] ?? f.errorCode}${f.errorMessage ? `: ${f.errorMessage}` : ''}`);
          const detail = (f: (typeof failed)[number]): string => `${name(f)}: ${ErrorCode[f.errorCode] ?? f.errorCode}${f.errorMessage ? ` (${f.errorMessage})` : ''}`;
          if (failed.length === 1) throw new CliError(`leader election failed for ${detail(failed[0]!)} — see \`tributary topic describe\` for its replicas and ISR.`);
          if (failed.length > 1) throw new CliError(`leader election failed for ${failed.length} of ${results.length} partitions (see above) — see \`tributary topic describe\` for their replicas and ISR.`);
        },
        { topic: opts.topic },
      );
    });

  addTargetOptions(
    partition
      .command('reassign')
      .description('Move partitions to new replicas (the data is copied in the background), or --cancel moves in progress.')
      .option('--cancel', 'cancel the reassignments of these partitions (back to their original replicas)'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ tributary partition reassign --reassignment-json-file plan.json > rollback.json
  $ tributary partition reassign --topic orders --partition 0 --replicas 2,3,4
  $ tributary partition reassign --cancel --reassignment-json-file plan.json`,
    )
    .action(async (opts: TargetOpts & { cancel?: boolean }, cmd: Command) => {
      const plan = await planFrom(opts, opts.cancel !== true);
      const s = await openSession(cmd, ctx);
      await withAdmin(
        s,
        async (admin) => {
          if (opts.cancel !== true) {
            // As kafka-reassign-partitions: the current assignment first, to roll back with.
            s.ctx.stderr('Current partition replica assignment (save it to roll back with --reassignment-json-file):');
            s.ctx.stdout(JSON.stringify({ version: 1, partitions: await currentPlan(admin, plan) }));
          }
          const results = await admin.alterPartitionReassignments(plan.map((p) => ({ topic: p.topic, partition: p.partition, replicas: opts.cancel ? null : p.replicas })));
          const failed = results.filter((r) => r.errorCode !== ErrorCode.NONE);
          const ok = results.length - failed.length;
          if (ok > 0) s.ctx.stderr(opts.cancel ? `Cancelled the reassignment of ${ok} partition(s).` : `Started the reassignment of ${ok} partition(s); follow it with \`tributary partition list-reassignments\`.`);
          for (const f of failed) s.ctx.stderr(`${name(f)}: ${ErrorCode[f.errorCode] ?? f.errorCode}${f.errorMessage ? `: ${f.errorMessage}` : ''}`);
          if (failed.length > 0) throw new CliError(`${failed.length} of ${results.length} partition(s) were not ${opts.cancel ? 'cancelled' : 'reassigned'} (see above).`);
        },
        { topic: plan.length === 1 ? plan[0]!.topic : undefined },
      );
    });

  partition
    .command('list-reassignments')
    .description('Reassignments in progress: target replicas, replicas being added and removed.')
    .option('--topic <topic>', 'only this topic')
    .option('--json', 'one JSON array')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary partition list-reassignments
  $ tributary partition list-reassignments --topic orders --json`,
    )
    .action(async (opts: { topic?: string; json?: boolean }, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      await withAdmin(
        s,
        async (admin) => {
          let only: TopicPartitionRef[] | undefined;
          if (opts.topic !== undefined) {
            const [d] = await admin.describeTopics([opts.topic]);
            only = (d?.partitions ?? []).map((p) => ({ topic: opts.topic!, partition: p.partition }));
          }
          const list = await admin.listPartitionReassignments(only);
          if (opts.json) return s.ctx.stdout(json(list));
          if (list.length === 0) return s.ctx.stdout('No partition reassignments in progress.');
          const rows = list.map((r) => [r.topic, r.partition, `[${r.replicas.join(',')}]`, `[${r.addingReplicas.join(',')}]`, `[${r.removingReplicas.join(',')}]`]);
          for (const l of table(['topic', 'partition', 'replicas', 'adding', 'removing'], rows, s.out)) s.ctx.stdout(l);
        },
        { topic: opts.topic },
      );
    });

  addTargetOptions(partition.command('verify').description('Whether the partitions of a plan have reached their target replicas (exit 1 while any has not).'))
    .addHelpText(
      'after',
      `
Examples:
  $ tributary partition verify --reassignment-json-file plan.json
  $ tributary partition verify --topic orders --partition 0 --replicas 2,3,4`,
    )
    .action(async (opts: TargetOpts, cmd: Command) => {
      const plan = await planFrom(opts, true);
      const s = await openSession(cmd, ctx);
      await withAdmin(s, async (admin) => {
        const moving = new Set((await admin.listPartitionReassignments(plan)).map(name));
        const now = await currentPlan(admin, plan);
        let pending = 0;
        for (const p of plan) {
          const current = now.find((c) => c.topic === p.topic && c.partition === p.partition)?.replicas;
          const done = !moving.has(name(p)) && current !== undefined && current.join(',') === p.replicas.join(',');
          if (!done) pending++;
          const state = done ? 'is complete' : moving.has(name(p)) ? 'is still in progress' : `is not in progress, and its replicas are [${current?.join(',') ?? '?'}]`;
          s.ctx.stdout(`Reassignment of partition ${name(p)} ${state}.`);
        }
        if (pending > 0) throw new CliError(`${pending} of ${plan.length} partition(s) have not reached their target replicas yet.`);
      });
    });
  return partition;
}
