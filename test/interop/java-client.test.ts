/**
 * The Java client (kafka-clients 4.1, from the reference Kafka's jars) against a Tributary broker
 * process, through test/interop/java/Interop.java (java's single-file source launch).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { KAFKA_VERSION, runKafkaTool } from '../helpers/kafka-reference.js';
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

test(`Java client ${KAFKA_VERSION} with default settings (idempotent producer): fails fast and fatally on INIT_PRODUCER_ID, which Tributary does not serve yet`, { timeout: 120_000 }, async () => {
  const { facts, stderr } = await interop('default-producer', broker.bootstrap, 'java-default');
  // This documents today's gap (docs/compatibility.md): when InitProducerId lands, this test must change.
  assert.equal(facts['result'], 'failed', JSON.stringify(facts));
  assert.match(stderr, /Aborting producer batches due to fatal error[\s\S]*UnsupportedVersionException: The node does not support INIT_PRODUCER_ID/);
  // The send's future fails with the fatal error itself or with the producer's "error state" after it.
  assert.match(`${facts['cause']}: ${facts['message']}`, /UnsupportedVersionException: The node does not support INIT_PRODUCER_ID|KafkaException: Cannot execute transactional method because we are in an error state/, JSON.stringify(facts));
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
