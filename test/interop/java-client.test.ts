/**
 * The Java client (kafka-clients 4.1, from the reference Kafka's jars) against a Tributary broker
 * process, through test/interop/java/Interop.java (java's single-file source launch).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { KAFKA_VERSION, runKafkaTool, runKafkaToolChecked } from '../helpers/kafka-reference.js';
import { formatRunFailure } from '../helpers/proc.js';
import { repoRoot } from '../helpers/paths.js';

const PROGRAM = path.join(repoRoot, 'test', 'interop', 'java', 'Interop.java');
let broker: BrokerProcess;
before(async () => {
  broker = await startBrokerProcess(null, { name: 'tributary-for-java-client' });
});
after(async () => {
  await broker?.cleanup();
});

async function interop(...args: string[]): Promise<{ facts: Record<string, string>; stderr: string }> {
  const r = await runKafkaTool(PROGRAM, args, { timeoutMs: 90_000, heap: '512M' });
  assert.equal(r.code, 0, formatRunFailure(r, 'Interop.java'));
  const facts: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^([\w.]+)=(.*)$/.exec(line);
    if (m) facts[m[1]!] = m[2]!;
  }
  return { facts, stderr: r.stderr };
}

test(`Java client ${KAFKA_VERSION} with default settings (idempotent producer, InitProducerId, 5 requests in flight): 500 records at offsets 0..499`, { timeout: 120_000 }, async () => {
  const { facts, stderr } = await interop('default-producer', broker.bootstrap, 'java-default');
  assert.deepEqual(facts, { result: 'ok', sent: '500', contiguous: 'true' }, stderr.slice(-3000));
  // kafka-transactions.sh describe-producers (DescribeProducers): the one producer, its last sequence 499.
  const described = await runKafkaToolChecked('org.apache.kafka.tools.TransactionsCommand', ['--bootstrap-server', broker.bootstrap, 'describe-producers', '--topic', 'java-default', '--partition', '0'], { timeoutMs: 90_000 });
  const rows = described.stdout.split('\n').filter((l) => /^\d+\s/.test(l.trim()));
  assert.equal(rows.length, 1, described.stdout);
  // Columns: ProducerId ProducerEpoch LatestCoordinatorEpoch LastSequence LastTimestamp CurrentTransactionStartOffset
  const [producerId, producerEpoch, coordinatorEpoch, lastSequence, , txnStart] = rows[0]!.trim().split(/\s+/);
  assert.ok(Number(producerId) >= 0 && producerEpoch === '0' && coordinatorEpoch === '-1' && lastSequence === '499' && txnStart === 'None', described.stdout);
});

test(`Java client ${KAFKA_VERSION} with enable.idempotence=false: admin, produce (acks=all), consumer group, committed offsets`, { timeout: 120_000 }, async () => {
  const { facts } = await interop('roundtrip', broker.bootstrap, 'java-roundtrip', '300');
  assert.deepEqual(facts, {
    'admin.partitions': '3',
    'admin.listed': 'true',
    'admin.cluster.nodes': '1',
    produced: '300',
    consumed: '300',
    mismatched: '0',
    assigned: '3',
    committed: '300',
    'admin.deleted': 'true',
  });
});
