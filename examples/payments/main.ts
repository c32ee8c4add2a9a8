/**
 * Example 2: payment → fraud check → ledger, exactly once.
 *
 *   node dist/examples/payments/main.js [--bootstrap host:port] [--payments 100]
 *
 * Without --bootstrap it starts an embedded broker (startBroker) on a free port.
 */
import { startBroker, type BrokerHandle } from '../../src/index.js';
import { rejectedCount, runExample } from './example.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

async function main(): Promise<void> {
  const payments = Number(arg('--payments') ?? '100');
  let broker: BrokerHandle | null = null;
  const bootstrapServers =
    arg('--bootstrap') ??
    (broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': 0, 'transaction.state.log.replication.factor': 1, 'transaction.state.log.min.isr': 1 } })).bootstrap;
  try {
    const t = await runExample({ bootstrapServers, payments });
    const twice = [...t.ledger.values()].filter((n) => n > 1).length;
    console.log(`${payments} payments: ${t.approved.size} approved, ${t.rejected.size} rejected (expected ${rejectedCount(payments)})`);
    console.log(`ledger: ${t.ledger.size} entries, ${t.ledgerTotalCents} cents debited, ${twice} applied twice`);
  } finally {
    await broker?.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
