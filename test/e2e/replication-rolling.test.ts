import { test } from 'node:test';
import { startKafkajsProducer, startPythonProducer, waitProgress, type AckedProducer, type ProducerLog } from '../helpers/acked-workload.js';
import { Checks, statesFromAny } from '../helpers/replica-check.js';
import { createReplicatedTopic, describeStates, startReplicatedCluster, stopAndCompareReplicas, stopAndVerify, waitIsr } from '../helpers/replication-setup.js';
import { requireTool } from '../helpers/tools.js';

/**
 * Replication, the rolling restart: under steady acks=all load from kafkajs and librdkafka,
 * each of the three brokers in turn is stopped cleanly (SIGTERM: controlled shutdown, leadership
 * handed to in-sync followers first) and started again, the next one only once the restarted
 * broker is back in every ISR. Nothing acknowledged may be lost, and clients may only see
 * retriable errors (leadership moving, connections closing).
 */

const TOPIC = 'rolling';
const PARTITIONS = 3;

/** Error kinds a client may legitimately see while leadership moves. */
const RETRIABLE = /^(NOT_LEADER_FOR_PARTITION|NOT_LEADER_OR_FOLLOWER|LEADER_NOT_AVAILABLE|NOT_ENOUGH_REPLICAS|NOT_ENOUGH_REPLICAS_AFTER_APPEND|REQUEST_TIMED_OUT|KafkaJSConnectionError|KafkaJSConnectionClosedError|KafkaJSRequestTimeoutError|client: _TRANSPORT|client: _TIMED_OUT|logged: .*(leader|timed out|Connection|ECONNREFUSED|closed|replicas).*)$/i;

function nonRetriable(log: ProducerLog): string[] {
  return [...log.errorKinds.keys()].filter((k) => !RETRIABLE.test(k));
}

test('rolling restart (SIGTERM, restart, rejoin; one broker at a time) under acks=all load: nothing acknowledged lost, only retriable errors', { timeout: 200_000 }, async (t) => {
  requireTool('confluent-kafka-python');
  const cluster = await startReplicatedCluster(t);
  const checks = new Checks();
  await createReplicatedTopic(cluster, TOPIC, PARTITIONS);
  const producers: AckedProducer[] = [
    await startKafkajsProducer({ bootstrap: cluster.bootstrap, topic: TOPIC, partitions: PARTITIONS, name: 'kafkajs' }),
    startPythonProducer({ bootstrap: cluster.bootstrap, topic: TOPIC, partitions: PARTITIONS, name: 'rdkafka', ratePerSec: 150 }),
  ];
  try {
    checks.check(await waitProgress(producers, 60, 30_000), 'both producers are acknowledged before the rolling restart');
    for (const id of [0, 1, 2]) {
      const started = Date.now();
      await cluster.stop(id);
      const stoppedMs = Date.now() - started;
      const exit = cluster.node(id).process.lastExit;
      checks.check(exit?.code === 0, `node ${id} exits 0 on SIGTERM`, JSON.stringify(exit));
      const during = await statesFromAny(cluster, TOPIC, [0, 1, 2].filter((x) => x !== id));
      checks.check(during.every((s) => s.leader >= 0 && s.leader !== id), `node ${id} stopped: every partition led by another broker`, describeStates(during));
      await cluster.restart(id);
      await cluster.waitFormed(30_000);
      const isr = await waitIsr(cluster, TOPIC, 3, 15_000);
      t.diagnostic(`node ${id}: stopped in ${stoppedMs} ms, back in ${Date.now() - started} ms; ${describeStates(isr.states)}`);
      checks.check(isr.ok, `node ${id} back in every ISR before the next broker stops`, describeStates(isr.states));
      checks.check(await waitProgress(producers, 20, 20_000), `both producers acknowledged after node ${id} rejoined`, producers.map((p) => p.log.summary()).join('; '));
    }
    await stopAndVerify(t, cluster, checks, TOPIC, PARTITIONS, producers);
    for (const p of producers) {
      const bad = nonRetriable(p.log);
      checks.check(bad.length === 0, `${p.log.name} saw only retriable errors`, bad.join(', '));
    }
    const py = producers[1]!.log;
    checks.check(py.failedRecords === 0, 'librdkafka delivered every record (its retries covered each restart)', py.summary());
    await stopAndCompareReplicas(t, cluster, checks, TOPIC, PARTITIONS);
  } finally {
    await Promise.all(producers.map((p) => p.stop().catch(() => undefined)));
  }
  checks.assertAll(cluster.logs(1500));
});
