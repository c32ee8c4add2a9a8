/**
 * `tributary transactions list|describe` — the transactional ids the coordinators know, like
 * `kafka-transactions.sh list` and `describe`, on the admin client. (A partition's producers:
 * `tributary partition producers`.)
 */
import { type Command } from 'commander';
import type { CliContext } from '../context.js';
import { json, table } from '../output.js';
import { openSession, withAdmin } from '../session.js';

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
  $ tributary transactions describe payments-processor-1`,
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
  return transactions;
}
