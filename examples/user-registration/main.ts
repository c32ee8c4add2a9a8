/**
 * Example 1: user registration → welcome email + audit record.
 *
 *   node dist/examples/user-registration/main.js [--bootstrap host:port] [--users 5] [--dir DIR]
 *
 * Without --bootstrap it starts an embedded broker (startBroker) on a free port.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker, type BrokerHandle } from '../../src/index.js';
import { runExample } from './example.js';

async function main(): Promise<void> {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const users = Number(arg('--users') ?? '5');
  const dir = arg('--dir') ?? (await mkdtemp(join(tmpdir(), 'tributary-example-')));
  let broker: BrokerHandle | null = null;
  const bootstrapServers = arg('--bootstrap') ?? (broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': 0, 'num.partitions': 3 } })).bootstrap;
  try {
    const result = await runExample({ bootstrapServers, users, dir });
    console.log(`${result.mails.length} welcome emails in ${result.outboxDir}`);
    console.log(`${result.audit.length} audit records in ${result.auditFile}:`);
    for (const line of result.audit) console.log(`  ${line.type.padEnd(26)} ${line.userId.padEnd(8)} id ${line.id} caused by ${line.causationId ?? '-'}`);
  } finally {
    await broker?.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
