import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { statesFromAny, storedBatchesBelow } from '../helpers/replica-check.js';
import { makeKafka } from '../helpers/kafkajs.js';
import { createReplicatedTopic, describeStates, startReplicatedCluster, waitIsr } from '../helpers/replication-setup.js';

/**
 * The log start offset across replicas (Kafka's follower rules): DeleteRecords on the leader moves a
 * live follower's log start with the next fetch; a follower that was down while the leader's log start
 * moved past its log end is answered OFFSET_OUT_OF_RANGE when it comes back, asks the leader for its
 * log start and end (ListOffsets as a replica), empties its log and restarts it there, then catches up
 * and rejoins the ISR with the same bytes as the others from that offset on.
 */

const TOPIC = 'starts';

function checkpointedStart(dataDir: string, topic: string, partition: number): number | null {
  const file = path.join(dataDir, 'log-start-offset-checkpoint');
  if (!fs.existsSync(file)) return null;
  const line = fs.readFileSync(file, 'utf8').split('\n').find((l) => l.startsWith(`${topic} ${partition} `));
  return line === undefined ? null : Number(line.split(' ')[2]);
}

function firstSegment(dataDir: string, topic: string, partition: number): string | undefined {
  return fs.readdirSync(path.join(dataDir, `${topic}-${partition}`)).filter((f) => /^\d{20}\.log$/.test(f)).sort()[0];
}

test('DeleteRecords moves the followers\' log start; a follower left below the leader\'s log start restarts its log there and rejoins', { timeout: 180_000 }, async (t) => {
  const cluster = await startReplicatedCluster(t);
  await createReplicatedTopic(cluster, TOPIC, 1);
  const [state] = await statesFromAny(cluster, TOPIC);
  assert.ok(state && state.leader >= 0, `a leader: ${describeStates(state ? [state] : [])}`);
  const leader = state.leader;
  const [down, live] = state.replicas.filter((id) => id !== leader) as [number, number];

  const { kafka } = makeKafka(cluster.bootstrap, 'log-start', { retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 } });
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
  const admin = kafka.admin();
  await producer.connect();
  await admin.connect();
  try {
    const produce = async (n: number, tag: string): Promise<void> => {
      for (let i = 0; i < n; i += 10) {
        await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: 10 }, (_, j) => ({ partition: 0, value: `${tag}-${i + j}` })) });
      }
    };
    await produce(100, 'a');
    await cluster.stop(down);
    await produce(200, 'b');
    // Every batch holds 10 records, so 250 is a batch boundary: the leader's log start moves past the
    // stopped follower's log end (100).
    await admin.fetchTopicOffsets(TOPIC); // kafkajs finds the partition leaders from metadata it has loaded
    const deleted = await admin.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 0, offset: '250' }] });
    t.diagnostic(`DeleteRecords: ${JSON.stringify(deleted)}`);
    const low = await admin.fetchTopicOffsets(TOPIC);
    assert.equal(low[0]!.low, '250', 'the leader reports the new low watermark');
    await produce(50, 'c');

    await cluster.restart(down);
    await cluster.waitFormed(30_000);
    const isr = await waitIsr(cluster, TOPIC, 3, 30_000);
    assert.ok(isr.ok, `the restarted follower ${down} rejoins the ISR: ${describeStates(isr.states)}`);
    const hw = Number((await admin.fetchTopicOffsets(TOPIC))[0]!.high);
    assert.equal(hw, 350);
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }

  // Stopped cleanly, every node's log-start-offset-checkpoint and segments can be read.
  for (const id of [...cluster.nodes.keys()].reverse()) await cluster.stop(id);
  for (const id of state.replicas) t.diagnostic(`node ${id}: log start ${checkpointedStart(cluster.node(id).dataDir, TOPIC, 0)}, first segment ${firstSegment(cluster.node(id).dataDir, TOPIC, 0)}`);
  assert.equal(checkpointedStart(cluster.node(live).dataDir, TOPIC, 0), 250, `the live follower ${live} took the leader's log start`);
  assert.equal(checkpointedStart(cluster.node(leader).dataDir, TOPIC, 0), 250);
  assert.equal(firstSegment(cluster.node(down).dataDir, TOPIC, 0), '00000000000000000250.log', `follower ${down} restarted its log at the leader's log start`);
  assert.equal(checkpointedStart(cluster.node(down).dataDir, TOPIC, 0) ?? 250, 250);

  // From 250 on, the restarted follower's bytes are the leader's.
  const leaderBytes = storedBatchesBelow(cluster.node(leader).dataDir, TOPIC, 0, 350);
  const downBytes = storedBatchesBelow(cluster.node(down).dataDir, TOPIC, 0, 350);
  assert.ok(leaderBytes && downBytes && downBytes.length > 0, 'both replicas hold batches');
  assert.ok(leaderBytes.subarray(leaderBytes.length - downBytes.length).equals(downBytes), `follower ${down}'s log equals the leader's tail from offset 250`);
});
