/**
 * `tributary consume <topic...>`: print records, like kafka-console-consumer / kcat -C. Without a
 * group it reads every partition directly (nothing is committed); with -g it joins the group and
 * commits what it has printed.
 */
import { once } from 'node:events';
import { type Command, Option } from 'commander';
import type { ConsumerRecord, TopicPartition } from '../../client/consumer/types.js';
import { Admin } from '../../client/admin/admin.js';
import type { CliContext } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { createConsumer, topicPartitions } from '../consuming.js';
import { plural } from '../output.js';
import { intArg, timestampArg } from '../parse.js';
import { clientLogger, explain, openSession, type Session } from '../session.js';

interface ConsumeOpts {
  group?: string;
  partition?: number[];
  fromBeginning?: boolean;
  offset?: number;
  fromTimestamp?: number;
  fromEnd?: boolean;
  count?: number;
  exitAtEnd?: boolean;
  follow?: boolean;
  format?: string;
  json?: boolean;
  quiet?: boolean;
}

export function registerConsumeCommand(program: Command, ctx: CliContext): Command {
  return program
    .command('consume')
    .description('Print records from topics: follow new ones (default), or stop after -n records or at the end (-e).')
    .argument('<topics...>', 'topics to read')
    .option('-g, --group <id>', 'join this consumer group and commit what was printed (default: no group, nothing committed)')
    .addOption(new Option('-p, --partition <n>', 'only this partition, repeatable (not with --group)').argParser((v: string, prev: number[] | undefined) => [...(prev ?? []), intArg(0)(v)]))
    .option('--from-beginning', 'start at the earliest offset (with --group: where the group has no committed offset)')
    .addOption(new Option('-o, --offset <n>', 'start at this offset in every partition').argParser(intArg(0)))
    .addOption(new Option('--from-timestamp <time>', 'start at the first record at or after a time (ISO 8601, epoch ms, or -1h/-30m)').argParser(timestampArg))
    .option('--from-end', 'start at the end: only new records (the default without --group)')
    .addOption(new Option('-n, --count <n>', 'exit after this many records').argParser(intArg(1)))
    .option('-e, --exit-at-end', 'exit once every partition is read up to its end')
    .option('--follow', 'keep waiting for new records (the default)')
    .option('-f, --format <template>', 'kcat-style template: %t topic, %p partition, %o offset, %k key, %s value, %T timestamp, %h headers, %K/%S key/value size, \\n \\t')
    .option('--json', 'one JSON object per record: {topic, partition, offset, timestamp, key, value, headers}')
    .option('-q, --quiet', 'no summary on stderr')
    .addHelpText(
      'after',
      `
Without -f or --json each record's value is printed on its own line. Keys, values and header
values are printed as UTF-8 text. Ctrl-C stops cleanly (with --group, positions are committed).
The summary ("Consumed N records") goes to stderr.

Examples:
  $ tributary consume orders --from-beginning -e
  $ tributary consume orders -g billing                         # as part of a group
  $ tributary consume orders --from-beginning -n 10 -f '%p:%o %k=%s\\n'
  $ tributary consume orders -p 0 --offset 42 -n 1 --json
  $ tributary consume orders --from-timestamp -15m -e --json | jq .value`,
    )
    .action(async (topics: string[], opts: ConsumeOpts, cmd: Command) => {
      const starts = (['fromBeginning', 'offset', 'fromTimestamp', 'fromEnd'] as const).filter((k) => opts[k] !== undefined);
      if (starts.length > 1) throw usageError('give only one of --from-beginning, --offset, --from-timestamp, --from-end.');
      if (opts.exitAtEnd && opts.follow) throw usageError('--follow and --exit-at-end contradict each other; pick one.');
      if (opts.group !== undefined && opts.partition !== undefined) throw usageError('--partition reads without a group; leave out --group, or --partition.');
      if (opts.json && opts.format !== undefined) throw usageError('use either --json or --format, not both.');
      const s = await openSession(cmd, ctx);
      await consume(s, topics, opts);
    });
}

/** Expands a kcat-like template for one record. */
export function formatter(template: string): (r: ConsumerRecord) => string {
  const parts: Array<string | ((r: ConsumerRecord) => string)> = [];
  let lit = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c === '\\' && i + 1 < template.length) {
      const n = template[++i]!;
      lit += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n === '0' ? '\0' : n;
      continue;
    }
    if (c !== '%' || i + 1 >= template.length) {
      lit += c;
      continue;
    }
    const f = template[++i]!;
    const fn: ((r: ConsumerRecord) => string) | null =
      f === 't' ? (r) => r.topic
      : f === 'p' ? (r) => String(r.partition)
      : f === 'o' ? (r) => String(r.offset)
      : f === 'k' ? (r) => r.key?.toString('utf8') ?? ''
      : f === 's' ? (r) => r.value?.toString('utf8') ?? ''
      : f === 'K' ? (r) => String(r.key?.length ?? -1)
      : f === 'S' ? (r) => String(r.value?.length ?? -1)
      : f === 'T' ? (r) => String(r.timestamp)
      : f === 'h' ? (r) => r.headers.map((h) => `${h.key}=${h.value?.toString('utf8') ?? ''}`).join(',')
      : null;
    if (f === '%') lit += '%';
    else if (fn) {
      if (lit) parts.push(lit);
      lit = '';
      parts.push(fn);
    } else {
      throw usageError(`unknown format token '%${f}' in --format; use %t %p %o %k %s %T %h %K %S or %%.`);
    }
  }
  if (lit) parts.push(lit);
  return (r) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(r);
    return out;
  };
}

function jsonLine(r: ConsumerRecord): string {
  return (
    JSON.stringify({
      topic: r.topic,
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
      key: r.key === null ? null : r.key.toString('utf8'),
      value: r.value === null ? null : r.value.toString('utf8'),
      headers: r.headers.map((h) => ({ key: h.key, value: h.value === null ? null : h.value.toString('utf8') })),
    }) + '\n'
  );
}

async function consume(s: Session, topics: string[], opts: ConsumeOpts): Promise<void> {
  const format = opts.json ? jsonLine : formatter(opts.format ?? '%s\\n');
  const grouped = opts.group !== undefined;
  const consumer = createConsumer(s, {
    ...(grouped ? { groupId: opts.group } : {}),
    autoOffsetReset: opts.fromBeginning ? 'earliest' : grouped && !opts.fromEnd ? ((s.settings.consumer['autoOffsetReset'] as 'earliest' | 'latest' | undefined) ?? 'latest') : 'latest',
    ...(grouped ? { autoCommitIntervalMs: 1000 } : { enableAutoCommit: false }),
  });
  let count = 0;
  let stopping = false;
  let sigints = 0;
  let endTimer: NodeJS.Timeout | null = null;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void consumer.close().catch(() => undefined);
  };
  s.ctx.onSignal('SIGINT', () => {
    if (++sigints > 1) s.ctx.exitNow(130);
    stop();
  });
  s.ctx.onSignal('SIGTERM', stop);
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // `tributary consume ... | head`: the reader went away; stop quietly.
    if (err.code === 'EPIPE') stop();
  });
  try {
    const counts = await topicPartitions(s, consumer, topics);
    const startAt = async (parts: TopicPartition[]): Promise<void> => {
      if (opts.offset !== undefined) for (const tp of parts) consumer.seek(tp, opts.offset);
      else if (opts.fromTimestamp !== undefined) await seekToTimestamp(s, consumer, parts, opts.fromTimestamp);
      else if (grouped && opts.fromEnd) consumer.seekToEnd(parts);
    };
    if (grouped) {
      const started = new Set<string>();
      consumer.subscribe(topics, {
        onPartitionsAssigned: async (parts) => {
          // --offset / --from-timestamp / --from-end apply the first time a partition is assigned.
          const fresh = parts.filter((tp) => !started.has(`${tp.topic}\0${tp.partition}`));
          for (const tp of fresh) started.add(`${tp.topic}\0${tp.partition}`);
          if (fresh.length > 0) await startAt(fresh);
        },
      });
    } else {
      const parts: TopicPartition[] = [];
      for (const t of topics) {
        const n = counts.get(t)!;
        for (const p of opts.partition ?? [...Array(n).keys()]) {
          if (p >= n) throw new CliError(`topic '${t}' has no partition ${p} (it has ${plural(n, 'partition')}: 0..${n - 1}) — see \`tributary topic describe ${t}\`.`);
          parts.push({ topic: t, partition: p });
        }
      }
      consumer.assign(parts);
      await startAt(parts);
    }
    if (opts.exitAtEnd) {
      // Done when every assigned partition's position has reached its high watermark.
      endTimer = setInterval(() => {
        const assigned = consumer.assignment();
        if (assigned.length === 0) return;
        const done = assigned.every((tp) => {
          const pos = consumer.position(tp);
          const hw = consumer.highWatermark(tp);
          return pos !== null && hw >= 0 && pos >= hw;
        });
        if (done) stop();
      }, 50);
    }
    for await (const r of consumer) {
      const text = format(r);
      count++;
      if (!process.stdout.write(text)) await once(process.stdout, 'drain');
      if (opts.count !== undefined && count >= opts.count) break;
      if (stopping) break;
    }
  } catch (err) {
    if (!stopping) throw explain(err, s.settings, { topic: topics.length === 1 ? topics[0] : undefined, group: opts.group });
  } finally {
    if (endTimer) clearInterval(endTimer);
    stopping = true;
    await consumer.close().catch(() => undefined);
    if (!opts.quiet) s.ctx.stderr(`Consumed ${plural(count, 'record')}.`);
  }
}

async function seekToTimestamp(s: Session, consumer: { seek(tp: TopicPartition, o: number): void; seekToEnd(p: TopicPartition[]): void }, parts: TopicPartition[], ts: number): Promise<void> {
  const admin = new Admin({ ...s.settings.client, logger: clientLogger(s, 'cli-admin') });
  try {
    for (const topic of new Set(parts.map((p) => p.topic))) {
      const mine = parts.filter((p) => p.topic === topic);
      const offsets = await admin.listOffsets(topic, { timestamp: ts }, mine.map((p) => p.partition));
      for (const o of offsets) {
        if (o.offset >= 0) consumer.seek({ topic, partition: o.partition }, o.offset);
        else consumer.seekToEnd([{ topic, partition: o.partition }]);
      }
    }
  } finally {
    await admin.close();
  }
}
