import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { kafkajsErrorInfo, startKafkajsProducer, startPythonProducer, waitProgress, type AckedProducer } from '../helpers/acked-workload.js';
import { formatRunFailure, runProcess } from '../helpers/proc.js';
import { Checks, partitionStates, readPartition, statesFromAny } from '../helpers/replica-check.js';
import { createReplicatedTopic, describeStates, sleep, startReplicatedCluster, stopAndCompareReplicas, stopAndVerify, waitIsr, waitStates } from '../helpers/replication-setup.js';
import { requireTool } from '../helpers/tools.js';

/**
 * Replication, the second "done when": what clients see as replicas of a partition die.
 * Five nodes: three controllers (0-2) and two broker-only nodes (3, 4); the topic's one partition
 * lives on brokers 2, 3 and 4, so the controller quorum survives all three of them dying.
 * - two of three replicas killed: acks=all is refused with NOT_ENOUGH_REPLICAS (the ISR is below
 *   min.insync.replicas=2), while consumers still read everything up to the high watermark;
 * - all three killed: Metadata shows the partition offline (leader -1, LEADER_NOT_AVAILABLE), and
 *   kcat, kafkajs and confluent-kafka-python get retriable errors (no crash, no hang);
 * - the followers back first: with unclean election off the partition stays offline until its last
 *   ISR member returns; after all restarts nothing acknowledged is missing.
 */

const TOPIC = 'avail';
const RETRIABLE_KAFKAJS = new Set(['LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION', 'NOT_LEADER_OR_FOLLOWER', 'REQUEST_TIMED_OUT', 'NOT_ENOUGH_REPLICAS', 'KafkaJSConnectionError', 'KafkaJSRequestTimeoutError', 'KafkaJSNonRetriableError']);

/** One acks=all send through a fresh kafkajs producer with few retries: the error it ends with (null: acknowledged). */
async function kafkajsProbe(bootstrap: string, timeoutMs: number): Promise<{ kind: string | null; retriable: boolean; ms: number; hung: boolean }> {
  const kafka = new Kafka({ clientId: 'probe', brokers: bootstrap.split(','), connectionTimeout: 2000, requestTimeout: 3000, retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 }, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  const started = Date.now();
  const attempt = (async () => {
    await producer.connect();
    try {
      await producer.send({ topic: TOPIC, acks: -1, timeout: 3000, messages: [{ partition: 0, value: 'probe|' }] });
      return { kind: null, retriable: true };
    } catch (err) {
      return kafkajsErrorInfo(err);
    }
  })();
  const res = await Promise.race([attempt, sleep(timeoutMs).then(() => null)]);
  await producer.disconnect().catch(() => undefined);
  return res === null ? { kind: 'hang', retriable: false, ms: Date.now() - started, hung: true } : { ...res, ms: Date.now() - started, hung: false };
}

/** Polls with kafkajs probes until one ends with `kind` (or the timeout). */
async function probeUntil(bootstrap: string, kind: string, timeoutMs: number): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await kafkajsProbe(bootstrap, 20_000);
    seen.push(`${r.kind ?? 'acknowledged'} (${r.ms} ms)`);
    if (r.kind === kind) break;
    await sleep(300);
  }
  return seen;
}

test('RF 3 on brokers 2-4: two replicas down refuse acks=all (NOT_ENOUGH_REPLICAS) but serve reads; all three down is offline with retriable errors; nothing acknowledged lost', { timeout: 220_000 }, async (t) => {
  requireTool('kcat');
  requireTool('confluent-kafka-python');
  const cluster = await startReplicatedCluster(t, { nodes: 3, brokerOnly: 2 });
  const checks = new Checks();
  const live = (): string => [...cluster.nodes.values()].filter((n) => n.process.alive).map((n) => `127.0.0.1:${n.brokerPort}`).join(',');
  await createReplicatedTopic(cluster, TOPIC, 1, { assignment: [[2, 3, 4]] });
  t.diagnostic(`topic ${TOPIC}: ${describeStates(await statesFromAny(cluster, TOPIC))}`);
  const producers: AckedProducer[] = [
    await startKafkajsProducer({ bootstrap: cluster.bootstrap, topic: TOPIC, partitions: 1, name: 'kafkajs' }),
    startPythonProducer({ bootstrap: cluster.bootstrap, topic: TOPIC, partitions: 1, name: 'rdkafka', ratePerSec: 100 }),
  ];
  try {
    checks.check(await waitProgress(producers, 50, 30_000), 'both producers are acknowledged while all replicas are up');

    // Two of three replicas die: once the ISR has shrunk to the leader alone, acks=all is refused.
    await Promise.all([cluster.kill(3), cluster.kill(4)]);
    const shrunk = await waitStates(cluster, TOPIC, (s) => s.isr.length === 1, 15_000);
    t.diagnostic(`brokers 3 and 4 SIGKILLed: ${describeStates(shrunk.states)}`);
    checks.check(shrunk.states[0]?.leader === 2 && shrunk.states[0]?.isr.length === 1, 'the ISR shrinks to the leader 2 alone', describeStates(shrunk.states));
    const probes = await probeUntil(live(), 'NOT_ENOUGH_REPLICAS', 15_000);
    t.diagnostic(`kafkajs acks=all probes with 1 of 3 replicas: ${probes.length} probes, the last: ${probes.slice(-3).join(', ')}`);
    checks.check(probes.at(-1)?.startsWith('NOT_ENOUGH_REPLICAS') === true, 'kafkajs acks=all fails with NOT_ENOUGH_REPLICAS', `${probes.length} probes in 15 s, the last: ${probes.slice(-3).join(', ')}`);
    const pyProbe = startPythonProducer({ bootstrap: live(), topic: TOPIC, partitions: 1, name: 'rdkafka-probe', ratePerSec: 20, retries: 0, messageTimeoutMs: 4000 });
    await sleep(3000);
    await pyProbe.stop().catch((err: unknown) => checks.check(false, 'confluent-kafka-python probe exits on SIGTERM', String(err)));
    t.diagnostic(`confluent-kafka-python acks=all, retries 0, with 1 of 3 replicas: ${pyProbe.log.summary()}`);
    checks.check(pyProbe.log.errorKinds.has('NOT_ENOUGH_REPLICAS') && pyProbe.log.acks.length === 0, 'confluent-kafka-python acks=all fails with NOT_ENOUGH_REPLICAS', pyProbe.log.summary());

    // Reads still work up to the high watermark: kcat reads the partition to its end (acks=all is
    // refused now, so the HW stands still and kcat's end is the HW the leader reports after it).
    const kcat = await runProcess('kcat', ['-C', '-b', live(), '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%o\\n'], { timeoutMs: 30_000 });
    const offsets = kcat.stdout.split('\n').filter((l) => l.length > 0).map(Number);
    const contents = await readPartition(cluster, TOPIC, 0);
    const contiguous = offsets.every((o, i) => o === contents.logStartOffset + i);
    const kcatRead = `kcat exit ${kcat.code}: ${offsets.length} records${contiguous ? '' : ' (not contiguous)'}, last offset ${offsets.at(-1)}; the leader's HW after it is ${contents.highWatermark}`;
    t.diagnostic(kcatRead);
    checks.check(kcat.code === 0 && contiguous && offsets.at(-1) === contents.highWatermark - 1, 'kcat reads every record up to the HW with two replicas down', `${kcatRead}; ${kcat.stderr.slice(-300)}`);

    // The last replica dies too: the partition is offline.
    await cluster.kill(2);
    const offline = await (async () => {
      const deadline = Date.now() + 15_000;
      let last = '';
      while (Date.now() < deadline) {
        const md = await partitionStates(cluster.bootstrapOf(0), TOPIC).catch(() => null);
        const p = md?.partitions[0];
        last = p ? `leader ${p.leader} error ${p.errorCode} isr [${p.isr}]` : 'no metadata';
        if (p && p.leader === -1 && p.errorCode === 5) return { ok: true, last };
        await sleep(100);
      }
      return { ok: false, last };
    })();
    t.diagnostic(`all three replicas SIGKILLed: node 0 reports ${offline.last}`);
    checks.check(offline.ok, 'Metadata shows the partition offline (leader -1, LEADER_NOT_AVAILABLE)', offline.last);
    const jsProbe = await kafkajsProbe(live(), 30_000);
    t.diagnostic(`kafkajs against the offline partition: ${jsProbe.kind} after ${jsProbe.ms} ms`);
    checks.check(!jsProbe.hung && jsProbe.kind !== null && RETRIABLE_KAFKAJS.has(jsProbe.kind), 'kafkajs gets a retriable error, in time', JSON.stringify(jsProbe));
    const kcatStart = Date.now();
    const kcatP = await runProcess('kcat', ['-P', '-b', live(), '-t', TOPIC, '-p', '0', '-X', 'message.timeout.ms=5000', '-X', 'request.required.acks=-1'], { timeoutMs: 30_000, input: 'offline-probe|\n' });
    t.diagnostic(`kcat -P against the offline partition: exit ${kcatP.code} after ${Date.now() - kcatStart} ms: ${kcatP.stderr.trim().split('\n').slice(-2).join(' / ')}`);
    checks.check(!kcatP.timedOut && kcatP.signal === null && /timed out|not available|leader/i.test(kcatP.stderr), 'kcat reports a retriable delivery failure and exits', formatRunFailure(kcatP, 'kcat -P').slice(0, 800));
    const pyOffline = startPythonProducer({ bootstrap: live(), topic: TOPIC, partitions: 1, name: 'rdkafka-offline', ratePerSec: 20, messageTimeoutMs: 3000 });
    await sleep(5000);
    await pyOffline.stop().catch((err: unknown) => checks.check(false, 'confluent-kafka-python exits on SIGTERM with the partition offline', String(err)));
    t.diagnostic(`confluent-kafka-python against the offline partition: ${pyOffline.log.summary()}`);
    const pyKinds = [...pyOffline.log.errorKinds.keys()].filter((k) => !k.startsWith('client: '));
    checks.check(pyOffline.log.acks.length === 0 && pyKinds.length > 0 && pyKinds.every((k) => ['_MSG_TIMED_OUT', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION', '_TRANSPORT', 'REQUEST_TIMED_OUT'].includes(k)), 'confluent-kafka-python gets retriable errors only', pyOffline.log.summary());

    // Followers back first: no unclean election, so still offline until broker 2 returns.
    await Promise.all([cluster.restart(3), cluster.restart(4)]);
    await sleep(2000);
    const stillOffline = (await partitionStates(cluster.bootstrapOf(0), TOPIC)).partitions[0];
    t.diagnostic(`brokers 3 and 4 back, 2 still down: leader ${stillOffline?.leader} isr [${stillOffline?.isr}]`);
    checks.check(stillOffline?.leader === -1, 'with unclean election off, out-of-sync replicas do not take over', JSON.stringify(stillOffline));
    await cluster.restart(2);
    await cluster.waitFormed(30_000);
    const healed = await waitIsr(cluster, TOPIC, 3, 20_000);
    t.diagnostic(`all back: ${describeStates(healed.states)}`);
    checks.check(healed.ok, 'all three replicas back in the ISR', describeStates(healed.states));
    checks.check(await waitProgress(producers, 30, 30_000), 'the continuous producers are acknowledged again', producers.map((p) => p.log.summary()).join('; '));
    await stopAndVerify(t, cluster, checks, TOPIC, 1, producers);
    await stopAndCompareReplicas(t, cluster, checks, TOPIC, 1);
  } finally {
    await Promise.all(producers.map((p) => p.stop().catch(() => undefined)));
  }
  checks.assertAll(cluster.logs(1500));
});
