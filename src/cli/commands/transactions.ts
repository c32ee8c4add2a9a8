/**
 * `tributary transactions list|describe|find-hanging|abort` — the transactional ids the coordinators
 * know, and the open transactions no coordinator will finish, like `kafka-transactions.sh list`,
 * `describe`, `find-hanging` and `abort`, on the admin client. (A partition's producers:
 * `tributary partition producers`.)
 */
import { type Command, Option } from 'commander';
import type { Admin } from '../../client/admin/admin.js';
import type { AbortTransactionSpec, TopicPartitionRef } from '../../client/admin/types.js';
import type { CliContext } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { json, table } from '../output.js';
import { intArg } from '../parse.js';
import { openSession, withAdmin } from '../session.js';

/** kafka-transactions.sh find-hanging's default: transaction.max.timeout.ms (15 minutes). */
const DEFAULT_MAX_TRANSACTION_TIMEOUT_MINUTES = 15;

async function partitionsOf(admin: Admin, topic: string, partition: number | undefined): Promise<TopicPartitionRef[]> {
  if (partition !== undefined) return [{ topic, partition }];
  const [d] = await admin.describeTopics([topic]);
  return (d?.partitions ?? []).map((p) => ({ topic, partition: p.partition }));
}

/** Every partition with a replica on `brokerId`. */
async function partitionsOnBroker(admin: Admin, brokerId: number): Promise<TopicPartitionRef[]> {
  const topics = await admin.describeTopics(await admin.listTopics({ includeInternal: true }));
  return topics.flatMap((t) => t.partitions.filter((p) => p.replicas.includes(brokerId)).map((p) => ({ topic: t.name, partition: p.partition })));
}

export function registerTransactionsCommand(program: Command, ctx: CliContext): Command {
  const transactions = program
    .command('transactions')
    .description('List and describe transactional ids (their coordinator, state, producer and open partitions).')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary transactions list
  $ tributary transactions list --state Ongoing
  $ tributary transactions describe payments-processor-1
  $ tributary transactions find-hanging --broker-id 1
  $ tributary transactions abort --topic orders --partition 0 --start-offset 4711`,
    );

  transactions
    .command('list')
    .description('Every transactional id, with its producer id, state and coordinator.')
    .option('--state <state...>', 'only these states (Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary transactions list
  $ tributary transactions list --state Ongoing PrepareCommit --json`,
    )
    .action(async (opts: { state?: string[]; json?: boolean }, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      await withAdmin(s, async (admin) => {
        const list = await admin.listTransactions({ states: opts.state ?? [] });
        if (opts.json) return s.ctx.stdout(json(list));
        if (list.length === 0) return s.ctx.stdout('No transactional ids.');
        for (const l of table(['transactional id', 'coordinator', 'producer id', 'state'], list.map((t) => [t.transactionalId, t.coordinatorId, t.producerId, t.state]), s.out)) s.ctx.stdout(l);
      });
    });

  transactions
    .command('describe <ids...>')
    .description("Each transactional id's state, producer id and epoch, timeout, start time and open partitions.")
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary transactions describe payments-processor-1
  $ tributary transactions describe a b --json`,
    )
    .action(async (ids: string[], opts: { json?: boolean }, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      await withAdmin(s, async (admin) => {
        const found = await admin.describeTransactions(ids);
        if (opts.json) return s.ctx.stdout(json(found));
        const rows = found.map((t) => [
          t.transactionalId,
          t.coordinatorId,
          t.producerId,
          t.producerEpoch,
          t.state,
          t.transactionTimeoutMs,
          t.transactionStartTimeMs >= 0 ? new Date(t.transactionStartTimeMs).toISOString() : 'None',
          t.partitions.map((p) => `${p.topic}-${p.partition}`).join(',') || '-',
        ]);
        for (const l of table(['transactional id', 'coordinator', 'producer id', 'epoch', 'state', 'timeout ms', 'started', 'partitions'], rows, s.out)) s.ctx.stdout(l);
      });
    });
  transactions
    .command('find-hanging')
    .description('Open transactions that their coordinator will never finish (they hold read_committed consumers back): silent longer than the maximum transaction timeout, and unknown to the coordinator.')
    .option('--topic <topic>', "the partitions of this topic (all, or --partition)")
    .addOption(new Option('--partition <n>', 'one partition of --topic').argParser(intArg(0)))
    .addOption(new Option('--broker-id <id>', 'every partition with a replica on this broker').argParser(intArg(0)))
    .addOption(new Option('--max-transaction-timeout <minutes>', 'how long a producer must have been silent (the brokers\' transaction.max.timeout.ms)').argParser(intArg(0)).default(DEFAULT_MAX_TRANSACTION_TIMEOUT_MINUTES))
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary transactions find-hanging --broker-id 1
  $ tributary transactions find-hanging --topic orders --partition 0 --max-transaction-timeout 5`,
    )
    .action(async (opts: { topic?: string; partition?: number; brokerId?: number; maxTransactionTimeout: number; json?: boolean }, cmd: Command) => {
      if ((opts.topic === undefined) === (opts.brokerId === undefined)) throw usageError('Give --topic (with --partition, optionally) or --broker-id.');
      if (opts.partition !== undefined && opts.topic === undefined) throw usageError('--partition needs --topic.');
      const s = await openSession(cmd, ctx);
      await withAdmin(s, async (admin) => {
        const targets = opts.topic !== undefined ? await partitionsOf(admin, opts.topic, opts.partition) : await partitionsOnBroker(admin, opts.brokerId!);
        const hanging = await admin.findHangingTransactions(targets, { maxTransactionTimeoutMs: opts.maxTransactionTimeout * 60_000 });
        if (opts.json) return s.ctx.stdout(json(hanging));
        if (hanging.length === 0) return s.ctx.stdout('No hanging transactions.');
        const rows = hanging.map((h) => [h.topic, h.partition, h.producerId, h.producerEpoch, h.coordinatorEpoch, h.startOffset, new Date(h.lastTimestampMs).toISOString(), Math.floor(h.durationMs / 60_000), h.reason]);
        for (const l of table(['topic', 'partition', 'producer id', 'epoch', 'coordinator epoch', 'start offset', 'last timestamp', 'duration (min)', 'why'], rows, s.out)) s.ctx.stdout(l);
      }, opts.topic !== undefined ? { topic: opts.topic } : undefined);
    });

  transactions
    .command('abort')
    .description("Abort a producer's open transaction on one partition (writes an ABORT marker at its leader). For hanging transactions: a live transaction is aborted by its producer or its coordinator.")
    .requiredOption('--topic <topic>', 'the topic')
    .addOption(new Option('--partition <n>', 'the partition').argParser(intArg(0)).makeOptionMandatory())
    .addOption(new Option('--start-offset <offset>', 'the first offset of the open transaction (find-hanging / partition producers show it): its producer is looked up').argParser(intArg(0)))
    .addOption(new Option('--producer-id <id>', 'the producer, instead of --start-offset').argParser(intArg(0)))
    .addOption(new Option('--producer-epoch <epoch>', 'with --producer-id').argParser(intArg(0, 32767)))
    .addOption(new Option('--coordinator-epoch <epoch>', 'with --producer-id').argParser(intArg(0)))
    .addHelpText(
      'after',
      `
Examples:
  $ tributary transactions abort --topic orders --partition 0 --start-offset 4711
  $ tributary transactions abort --topic orders --partition 0 --producer-id 3000 --producer-epoch 2 --coordinator-epoch 5`,
    )
    .action(async (opts: { topic: string; partition: number; startOffset?: number; producerId?: number; producerEpoch?: number; coordinatorEpoch?: number }, cmd: Command) => {
      const byProducer = opts.producerId !== undefined || opts.producerEpoch !== undefined || opts.coordinatorEpoch !== undefined;
      if ((opts.startOffset === undefined) === !byProducer) throw usageError('Give --start-offset, or --producer-id with --producer-epoch and --coordinator-epoch.');
      if (byProducer && (opts.producerId === undefined || opts.producerEpoch === undefined || opts.coordinatorEpoch === undefined)) throw usageError('--producer-id needs --producer-epoch and --coordinator-epoch.');
      const s = await openSession(cmd, ctx);
      await withAdmin(s, async (admin) => {
        let spec: AbortTransactionSpec;
        if (opts.startOffset !== undefined) {
          const [found] = await admin.describeProducers([{ topic: opts.topic, partition: opts.partition }]);
          const producer = found?.producers.find((p) => p.currentTransactionStartOffset === opts.startOffset);
          if (!producer) throw new CliError(`No open transaction starts at offset ${opts.startOffset} on ${opts.topic}-${opts.partition} (see: tributary partition producers --topic ${opts.topic} --partition ${opts.partition}).`);
          spec = { topic: opts.topic, partition: opts.partition, producerId: producer.producerId, producerEpoch: producer.producerEpoch, coordinatorEpoch: Math.max(0, producer.coordinatorEpoch) };
        } else {
          spec = { topic: opts.topic, partition: opts.partition, producerId: opts.producerId!, producerEpoch: opts.producerEpoch!, coordinatorEpoch: opts.coordinatorEpoch! };
        }
        await admin.abortTransaction(spec);
        s.ctx.stdout(`Aborted the transaction of producer ${spec.producerId} (epoch ${spec.producerEpoch}) on ${spec.topic}-${spec.partition}.`);
      }, { topic: opts.topic });
    });
  return transactions;
}
