/**
 * One kafkajs consumer-group member as its own process, so a test can SIGKILL it for real.
 * Runs only when TRIBUTARY_GROUP_MEMBER is set (the test runner may load every file under test/).
 *
 * Env: TRIBUTARY_GROUP_MEMBER=<name>, BOOTSTRAP, TOPIC, GROUP, SESSION_TIMEOUT_MS.
 * Stdout, one JSON object per line:
 *   {"ev":"assign","partitions":[..]}          after every JoinGroup/SyncGroup
 *   {"ev":"msg","p":P,"o":O,"v":V}              before the record's offset is committed
 *   {"ev":"commit","p":P,"o":NEXT}              after the broker acknowledged the commit of NEXT
 *   {"ev":"commit-failed","p":P,"o":NEXT,"err":E}
 * Every record is committed synchronously right after it is processed, so what was consumed but
 * not committed is at most one record per partition (plus whatever a SIGKILL interrupts).
 */
import { Kafka, logLevel } from 'kafkajs';

const name = process.env['TRIBUTARY_GROUP_MEMBER'];

async function main(member: string): Promise<void> {
  const env = (k: string): string => {
    const v = process.env[k];
    if (!v) throw new Error(`${k} is not set`);
    return v;
  };
  const topic = env('TOPIC');
  const sessionTimeout = Number(process.env['SESSION_TIMEOUT_MS'] ?? '6000');
  const out = (obj: object): void => void process.stdout.write(`${JSON.stringify(obj)}\n`);
  const kafka = new Kafka({
    clientId: member,
    brokers: [env('BOOTSTRAP')],
    logLevel: logLevel.WARN,
    retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 },
    logCreator: () => (entry) => process.stderr.write(`${member} ${logLevel[entry.level]} [${entry.namespace}] ${entry.log.message}\n`),
  });
  const consumer = kafka.consumer({ groupId: env('GROUP'), sessionTimeout, rebalanceTimeout: 10_000, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    out({ ev: 'assign', partitions: [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b) });
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      out({ ev: 'msg', p: partition, o: Number(message.offset), v: message.value?.toString() ?? '' });
      const next = String(Number(message.offset) + 1);
      try {
        await consumer.commitOffsets([{ topic, partition, offset: next }]);
        out({ ev: 'commit', p: partition, o: Number(next) });
      } catch (err) {
        out({ ev: 'commit-failed', p: partition, o: Number(next), err: String(err) });
      }
    },
  });
  const stop = async (): Promise<void> => {
    await consumer.disconnect().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
}

if (name) {
  main(name).catch((err: unknown) => {
    process.stderr.write(`${name} failed: ${String(err)}\n`);
    process.exit(1);
  });
}
