import { test } from 'node:test';
import { startKafkajsProducer, startPythonProducer, waitProgress, type AckedProducer } from '../helpers/acked-workload.js';
import { Checks, statesFromAny } from '../helpers/replica-check.js';
import { createReplicatedTopic, describeStates, sleep, startReplicatedCluster, stopAndCompareReplicas, stopAndVerify, waitIsr } from '../helpers/replication-setup.js';
import { startResponseDroppingProxy, type ResponseDroppingProxy } from '../helpers/response-dropping-proxy.js';
import { requireTool } from '../helpers/tools.js';

/**
 * Idempotent producers (issue "Idempotent producers and transactions", first "done when"): 3 brokers,
 * RF 3, min.insync.replicas 2. Every broker sits behind a proxy that resets the connection instead of
 * forwarding 4% of Produce responses — the batch is in the log, its answer is lost, the client retries
 * it — and midway the leader of a partition is SIGKILLed (its last batches' answers die with it).
 * kafkajs (`idempotent: true`) and librdkafka (confluent-kafka-python, `enable.idempotence=true`) must
 * end with every acknowledged record exactly once, in order; a kafkajs producer without idempotence
 * beside them must show duplicates, or the faults did not bite and the test proves nothing.
 */
const TOPIC = 'idempotent';
const PARTITIONS = 3;
const DROP_RATE = 0.04;
const SEED = 20261204;

test('kafkajs and librdkafka idempotent producers through lost Produce responses and a leader SIGKILL: every record once, in order', { timeout: 240_000 }, async (t) => {
  requireTool('confluent-kafka-python');
  const proxies: ResponseDroppingProxy[] = [];
  t.after(() => Promise.all(proxies.map((p) => p.close())));
  const cluster = await startReplicatedCluster(t, {
    advertisedPort: async (nodeId, brokerPort) => {
      const proxy = await startResponseDroppingProxy(() => ({ host: '127.0.0.1', port: brokerPort }), { dropRate: DROP_RATE, seed: SEED + nodeId });
      proxies.push(proxy);
      return proxy.port;
    },
  });
  const checks = new Checks();
  await createReplicatedTopic(cluster, TOPIC, PARTITIONS);
  const bootstrap = proxies.map((p) => `127.0.0.1:${p.port}`).join(',');
  const producers: AckedProducer[] = [
    await startKafkajsProducer({ bootstrap, topic: TOPIC, partitions: PARTITIONS, name: 'kafkajs-idempotent', idempotent: true, batch: 3 }),
    startPythonProducer({ bootstrap, topic: TOPIC, partitions: PARTITIONS, name: 'rdkafka-idempotent', idempotent: true, ratePerSec: 150 }),
    await startKafkajsProducer({ bootstrap, topic: TOPIC, partitions: PARTITIONS, name: 'kafkajs-plain', batch: 3 }),
  ];
  try {
    checks.check(await waitProgress(producers, 150, 60_000), 'every producer is acknowledged through the lossy proxies', producers.map((p) => p.log.summary()).join('; '));
    const before = await statesFromAny(cluster, TOPIC);
    const controller = await cluster.activeController();
    const victim = before.find((s) => s.leader >= 0 && s.leader !== controller)?.leader ?? -1;
    checks.check(victim >= 0, 'a partition leader that is not the active controller exists', describeStates(before));
    if (victim >= 0) {
      await cluster.kill(victim);
      t.diagnostic(`SIGKILLed node ${victim} (${describeStates(before)})`);
      await sleep(6000);
      await cluster.restart(victim);
      await cluster.waitFormed(30_000);
      checks.check((await waitIsr(cluster, TOPIC, 3, 30_000)).ok, `node ${victim} back in every ISR`);
    }
    checks.check(await waitProgress(producers, 150, 60_000), 'every producer keeps being acknowledged after the restart', producers.map((p) => p.log.summary()).join('; '));
    await sleep(3000);
    let plainDuplicates = 0;
    await stopAndVerify(t, cluster, checks, TOPIC, PARTITIONS, producers, {
      exactlyOnce: ['kafkajs-idempotent', 'rdkafka-idempotent'],
      onReport: (report) => void (plainDuplicates = report.duplicated.filter((d) => d.startsWith('kafkajs-plain:')).length),
    });
    t.diagnostic(`kafkajs without idempotence: ${plainDuplicates} records stored twice`);
    checks.check(plainDuplicates > 0, 'the producer without idempotence wrote duplicates (the faults caused retries of written batches)');
    t.diagnostic(`Produce responses dropped by the proxies: ${proxies.map((p) => `${p.dropped}/${p.dropped + p.forwarded}`).join(', ')}`);
    checks.check(proxies.reduce((n, p) => n + p.dropped, 0) >= 10, 'the proxies dropped Produce responses', proxies.map((p) => p.dropped).join(','));
    await stopAndCompareReplicas(t, cluster, checks, TOPIC, PARTITIONS);
  } finally {
    await Promise.all(producers.map((p) => p.stop().catch(() => undefined)));
  }
  checks.assertAll(cluster.logs(1500));
});
