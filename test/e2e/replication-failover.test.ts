import { test } from 'node:test';
import { startKafkajsProducer, startPythonProducer, waitProgress, waitResumed, type AckedProducer } from '../helpers/acked-workload.js';
import { Checks, statesFromAny } from '../helpers/replica-check.js';
import { createReplicatedTopic, describeStates, SESSION_TIMEOUT_MS, sleep, startReplicatedCluster, stopAndCompareReplicas, stopAndVerify, waitIsr } from '../helpers/replication-setup.js';
import { requireTool } from '../helpers/tools.js';

/**
 * Replication, the first "done when": 3 brokers, a topic with RF 3 and
 * min.insync.replicas=2; kafkajs and librdkafka (confluent-kafka-python) produce continuously with
 * acks=all while the leader of a partition is SIGKILLed (then restarted), and later SIGSTOPped for
 * longer than the broker session timeout (then SIGCONT). Production must resume within 5 s of each
 * fault, every acknowledged record must be read back at its offset in order, and once healed the
 * three replicas must be byte-identical below the high watermark.
 */

const TOPIC = 'acked';
const PARTITIONS = 3;
const RESUME_LIMIT_MS = 5000;

test('RF 3, acks=all: the leader SIGKILLed, then SIGSTOPped past the session timeout: production resumes within 5 s, nothing acknowledged is lost, replicas identical', { timeout: 200_000 }, async (t) => {
  requireTool('confluent-kafka-python');
  const cluster = await startReplicatedCluster(t);
  const checks = new Checks();
  await createReplicatedTopic(cluster, TOPIC, PARTITIONS);
  t.diagnostic(`topic ${TOPIC}: ${describeStates(await statesFromAny(cluster, TOPIC))}`);
  const producers: AckedProducer[] = [
    await startKafkajsProducer({ bootstrap: cluster.bootstrap, topic: TOPIC, partitions: PARTITIONS, name: 'kafkajs' }),
    startPythonProducer({ bootstrap: cluster.bootstrap, topic: TOPIC, partitions: PARTITIONS, name: 'rdkafka', ratePerSec: 150 }),
  ];
  const all = Array.from({ length: PARTITIONS }, (_, p) => p);
  try {
    checks.check(await waitProgress(producers, 60, 30_000), 'both producers are acknowledged before any fault', producers.map((p) => p.log.summary()).join('; '));
    for (const fault of ['SIGKILL', 'SIGSTOP'] as const) {
      const before = await statesFromAny(cluster, TOPIC);
      const victim = before[0]!.leader;
      const faultAt = Date.now();
      if (fault === 'SIGKILL') await cluster.kill(victim);
      else cluster.pause(victim);
      const resumedP = waitResumed(producers, faultAt, all, 20_000);
      if (fault === 'SIGSTOP') {
        // Stopped for longer than the session timeout: the controller must fence it and move leadership.
        await sleep(SESSION_TIMEOUT_MS + 2500);
        cluster.resume(victim);
      }
      const resumed = await resumedP;
      for (const p of producers) {
        const ms = resumed.get(p.log.name) ?? null;
        const per = [...p.log.resumedAfter(faultAt, all).perPartition].map(([part, v]) => `p${part} ${v ?? '-'} ms`).join(', ');
        t.diagnostic(`${fault} of leader ${victim}: ${p.log.name} production resumed after ${ms ?? 'never (20 s)'} ms (${per})`);
        checks.check(ms !== null && ms <= RESUME_LIMIT_MS, `${fault}: ${p.log.name} resumes within ${RESUME_LIMIT_MS} ms`, `${ms ?? 'not within 20 s'}`);
      }
      const after = await statesFromAny(cluster, TOPIC, [0, 1, 2].filter((id) => id !== victim));
      t.diagnostic(`after ${fault} of ${victim}: ${describeStates(after)}`);
      checks.check(after[0]!.leader !== victim && after[0]!.leader >= 0, `${fault}: partition 0 has a new leader`, describeStates(after));
      if (fault === 'SIGKILL') await cluster.restart(victim);
      await cluster.waitFormed(30_000).catch((err: unknown) => checks.check(false, `${fault}: node ${victim} rejoins`, String(err)));
      const isr = await waitIsr(cluster, TOPIC, 3, 20_000);
      checks.check(isr.ok, `${fault}: node ${victim} back in every ISR`, describeStates(isr.states));
      checks.check(await waitProgress(producers, 30, 20_000), `${fault}: both producers keep being acknowledged after the heal`, producers.map((p) => p.log.summary()).join('; '));
    }
    await stopAndVerify(t, cluster, checks, TOPIC, PARTITIONS, producers);
    await stopAndCompareReplicas(t, cluster, checks, TOPIC, PARTITIONS);
  } finally {
    await Promise.all(producers.map((p) => p.stop().catch(() => undefined)));
  }
  checks.assertAll(cluster.logs(1500));
});
