/**
 * Example 3: sensor motion → alerting with windows (3 motions in 10 s → alarm), malformed readings
 * to the dead-letter topic.
 *
 *   node dist/examples/motion-alerting/main.js [--bootstrap host:port]
 *
 * Without --bootstrap it starts an embedded broker (startBroker) on a free port.
 */
import { startBroker, type BrokerHandle } from '../../src/index.js';
import { runExample } from './example.js';

async function main(): Promise<void> {
  const i = process.argv.indexOf('--bootstrap');
  let broker: BrokerHandle | null = null;
  const bootstrapServers = i >= 0 ? process.argv[i + 1]! : (broker = await startBroker({ config: { 'group.initial.rebalance.delay.ms': 0, 'num.partitions': 3 } })).bootstrap;
  try {
    const { alarms, deadLetters } = await runExample({ bootstrapServers });
    console.log(`${alarms.length} alarms:`);
    for (const a of alarms) console.log(`  ${a.sensorId}: ${a.motions} motions from ${a.from} to ${a.to}`);
    console.log(`${deadLetters.length} malformed readings dead-lettered:`);
    for (const d of deadLetters) console.log(`  ${d.originalTopic}[${d.originalPartition}]@${d.originalOffset} ${d.reason}: ${d.error}`);
  } finally {
    await broker?.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
