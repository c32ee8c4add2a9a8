import { test } from 'node:test';
import { Kafka, logLevel } from 'kafkajs';
import { kafkajsErrorKind, ProducerLog, recordId, recordValue, type AckedProducer } from '../helpers/acked-workload.js';
import { decodeRecordBatchesSync } from '../../src/protocol/records/index.js';
import { Checks, readPartition, storedBatchesBelow } from '../helpers/replica-check.js';
import { createReplicatedTopic, describeStates, sleep, startReplicatedCluster, stopAndCompareReplicas, stopAndVerify, waitIsr, waitStates } from '../helpers/replication-setup.js';

/**
 * Replication, the divergent tail: the leader appends records no follower has (acks=1
 * while both followers are SIGSTOPped), then dies (SIGKILL); the followers resume, one becomes
 * leader, more records are written with acks=all; the old leader restarts as a follower and must
 * truncate its tail to the new leader's log (Kafka: OffsetsForLeaderEpoch) before it catches up.
 * Every acks=all record survives at its offset, none of the acks=1 tail does, and the replicas are
 * byte-identical below the HW (the old leader's whole log included: nothing of the tail is left).
 */

const TOPIC = 'diverge';
const FETCH_WAIT_MAX_MS = 500; // replica.fetch.wait.max.ms (the default; REPLICATION_PROPERTIES keep it)

/** Sends `count` records in batches of 20 to partition 0 until each batch is acknowledged or `timeoutMs` passes. */
async function sendAll(bootstrap: string, log: ProducerLog, count: number, acks: -1 | 1, timeoutMs: number): Promise<boolean> {
  const kafka = new Kafka({ clientId: log.name, brokers: bootstrap.split(','), connectionTimeout: 2000, requestTimeout: 3000, retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 }, logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    await producer.connect();
    for (let seq = 0; seq < count && Date.now() < deadline; ) {
      const seqs = Array.from({ length: Math.min(20, count - seq) }, (_, i) => seq + i);
      const at = Date.now();
      for (const s of seqs) log.recordSent(s, 0, at);
      try {
        const [m] = await producer.send({ topic: TOPIC, acks, timeout: 3000, messages: seqs.map((s) => ({ partition: 0, value: recordValue(log.name, s, 80) })) });
        seqs.forEach((s, i) => log.recordAck(s, 0, Number(m!.baseOffset) + i, Date.now()));
        seq += seqs.length;
      } catch (err) {
        log.recordError(kafkajsErrorKind(err), seqs.length);
        await sleep(200);
      }
    }
    return log.acks.length === count;
  } catch (err) {
    log.recordError(kafkajsErrorKind(err));
    return false;
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

const done = (log: ProducerLog): AckedProducer => ({ log, stop: async () => undefined });

test('divergent tail: acks=1 records only the old leader has are truncated when it returns as a follower; acks=all records survive; replicas identical', { timeout: 150_000 }, async (t) => {
  const cluster = await startReplicatedCluster(t);
  const checks = new Checks();
  await createReplicatedTopic(cluster, TOPIC, 1);
  const base = new ProducerLog('base');
  checks.check(await sendAll(cluster.bootstrap, base, 200, -1, 30_000), '200 acks=all records before the fault', base.summary());
  const full = await waitIsr(cluster, TOPIC, 3, 15_000);
  const leader = full.states[0]!.leader;
  const followers = [0, 1, 2].filter((id) => id !== leader);
  t.diagnostic(`before: ${describeStates(full.states)}; HW ${(await readPartition(cluster, TOPIC, 0)).highWatermark}`);

  // The followers freeze; the leader alone takes acks=1 records (its divergent tail), then dies. Their
  // last fetches are parked at the leader: wait until it has answered them (empty, after
  // replica.fetch.wait.max.ms), or the first tail records would go out in those answers and reach the
  // followers' sockets while they are stopped, to be appended when they resume.
  for (const f of followers) cluster.pause(f);
  await sleep(FETCH_WAIT_MAX_MS + 700);
  const tail = new ProducerLog('tail');
  const tailOk = await sendAll(cluster.bootstrapOf(leader), tail, 60, 1, 10_000);
  t.diagnostic(`followers ${followers} SIGSTOPped; leader ${leader} acknowledged ${tail.acks.length} acks=1 records at offsets ${tail.acks[0]?.offset}..${tail.acks.at(-1)?.offset}`);
  checks.check(tailOk, 'the lone leader takes acks=1 records', tail.summary());
  await cluster.kill(leader);
  for (const f of followers) cluster.resume(f);

  // A follower takes over; more acks=all records go to it.
  const moved = await waitStates(cluster, TOPIC, (s) => s.leader >= 0 && s.leader !== leader, 20_000);
  t.diagnostic(`old leader ${leader} SIGKILLed, followers resumed: ${describeStates(moved.states)}`);
  checks.check(moved.ok, 'a former follower becomes leader', describeStates(moved.states));
  const after = new ProducerLog('after');
  const survivors = followers.map((id) => cluster.bootstrapOf(id)).join(',');
  checks.check(await sendAll(survivors, after, 100, -1, 30_000), '100 acks=all records to the new leader (ISR of two)', after.summary());

  // The old leader returns: it must truncate its tail and replicate the new leader's records.
  await cluster.restart(leader);
  await cluster.waitFormed(30_000);
  const healed = await waitIsr(cluster, TOPIC, 3, 20_000);
  t.diagnostic(`old leader back: ${describeStates(healed.states)}`);
  checks.check(healed.ok, 'the old leader rejoins the ISR', describeStates(healed.states));

  const hws = await stopAndVerify(t, cluster, checks, TOPIC, 1, [done(base), done(after)]);
  const contents = await readPartition(cluster, TOPIC, 0);
  const tailIds = new Set(tail.acks.map((a) => `tail:${a.seq}`));
  const tailInLeader = contents.records.filter((r) => tailIds.has(recordId(r.value) ?? '')).length;
  checks.check(tailInLeader === 0, 'no acks=1 tail record in the new leader log', `${tailInLeader} found`);
  t.diagnostic(`HW ${hws[0]}; the leader's log holds ${tailInLeader} of the ${tailIds.size} tail records`);
  await stopAndCompareReplicas(t, cluster, checks, TOPIC, 1);
  // The old leader's whole log, not just below the HW: the tail must be gone from its disk.
  const oldCopy = storedBatchesBelow(cluster.node(leader).dataDir, TOPIC, 0, Number.MAX_SAFE_INTEGER);
  let tailOnDisk = 0;
  let recordsOnDisk = 0;
  if (oldCopy) {
    for (const b of decodeRecordBatchesSync(oldCopy)) {
      for (const r of b.records) {
        recordsOnDisk++;
        if (tailIds.has(recordId(r.value?.toString() ?? '') ?? '')) tailOnDisk++;
      }
    }
  }
  t.diagnostic(`old leader ${leader} on disk: ${recordsOnDisk} records, ${tailOnDisk} of them from the divergent tail`);
  checks.check(oldCopy !== null && tailOnDisk === 0, `the old leader ${leader} truncated its divergent tail`, `${tailOnDisk} tail records still on its disk`);
  checks.assertAll(cluster.logs(1500));
});
