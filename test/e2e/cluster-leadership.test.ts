import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { Admin } from '../../src/client/index.js';
import type { PartitionDescription } from '../../src/client/index.js';
import { ProcessCluster } from '../helpers/cluster-process.js';
import { eventually } from '../helpers/eventually.js';
import { cliEnv, cliFails as fails, cliOk as ok, runCli, type RunResult } from '../helpers/proc.js';

/**
 * Leader elections and partition reassignments through `tributary partition …` against a 3-node
 * cluster of real processes (combined broker+controller nodes): the CLI talks to one broker, which
 * relays ElectLeaders / AlterPartitionReassignments / ListPartitionReassignments to the active
 * controller; the outcome is read back with Metadata from every broker.
 *
 * The last two stand on follower replication: a restarted or added replica catches up and its leader
 * adds it to the ISR with AlterPartition.
 */

async function startCluster(t: TestContext): Promise<{ cluster: ProcessCluster; admin: Admin; cli: (args: string[]) => Promise<RunResult> }> {
  // No background rebalance: the tests decide when leadership moves.
  const cluster = await ProcessCluster.start(t, { nodes: 3, properties: { 'auto.create.topics.enable': false, 'auto.leader.rebalance.enable': false } });
  const admin = new Admin({ bootstrapServers: [cluster.bootstrapOf(0)], clientId: 'leadership-test' });
  t.after(() => admin.close());
  const cli = (args: string[]): Promise<RunResult> => runCli(['-b', cluster.bootstrapOf(1), ...args], { env: cliEnv(null), timeoutMs: 30_000 });
  return { cluster, admin, cli };
}

/** Partition `p` of `topic` as every broker's Metadata shows it, once they agree and `done` holds. */
async function partitionEverywhere(cluster: ProcessCluster, topic: string, p: number, what: string, done: (d: PartitionDescription) => boolean, ids: readonly number[] = [...cluster.nodes.keys()]): Promise<PartitionDescription> {
  return eventually(what, 20_000, async () => {
    const seen: PartitionDescription[] = [];
    for (const id of ids) {
      const a = new Admin({ bootstrapServers: [cluster.bootstrapOf(id)], clientId: `probe-${id}` });
      try {
        const [d] = await a.describeTopics([topic]);
        const part = d?.partitions.find((x) => x.partition === p);
        if (!part || !done(part)) return undefined;
        seen.push(part);
      } finally {
        await a.close();
      }
    }
    return seen[0];
  }, 200);
}

test('elect-leaders: the preferred replica leads again; not needed; unknown topic', { timeout: 180_000 }, async (t) => {
  const { cluster, admin, cli } = await startCluster(t);
  await admin.createTopics([{ name: 'e', assignments: { 0: [0, 1, 2], 1: [1, 2, 0] } }]);
  await partitionEverywhere(cluster, 'e', 0, 'e-0 led by 0', (d) => d.leader === 0);
  await partitionEverywhere(cluster, 'e', 1, 'e-1 led by 1', (d) => d.leader === 1);

  // Reordering the replicas (a reassignment that moves no data) makes 1 the preferred replica of
  // e-0 while 0 keeps leading it.
  let r = ok(await cli(['partition', 'reassign', '--topic', 'e', '--partition', '0', '--replicas', '1,0,2']));
  assert.deepEqual(JSON.parse(r.stdout), { version: 1, partitions: [{ topic: 'e', partition: 0, replicas: [0, 1, 2] }] }, 'the rollback plan');
  let p = await partitionEverywhere(cluster, 'e', 0, 'e-0 reordered', (d) => d.replicas.join(',') === '1,0,2');
  assert.equal(p.leader, 0);

  r = ok(await cli(['partition', 'elect-leaders', '--topic', 'e']));
  assert.match(r.stdout, /^Successfully completed leader election \(PREFERRED\) for partitions e-0$/m);
  assert.match(r.stdout, /^Valid replica already elected for partitions e-1$/m);
  p = await partitionEverywhere(cluster, 'e', 0, 'e-0 led by its preferred replica 1', (d) => d.leader === 1);
  assert.deepEqual(p.isr.slice().sort(), [0, 1, 2]);

  r = ok(await cli(['partition', 'elect-leaders', '--all-topic-partitions']));
  assert.equal(r.stdout, 'No partition needed a leader election (PREFERRED).\n');
  r = ok(await cli(['partition', 'elect-leaders', '--topic', 'e', '--partition', '1']));
  assert.equal(r.stdout, 'Valid replica already elected for partitions e-1\n');

  r = fails(await cli(['partition', 'elect-leaders', '--topic', 'nope', '--partition', '0']), 1, /leader election failed for nope-0: UNKNOWN_TOPIC_OR_PARTITION/);
  assert.match(r.stdout, /^Error completing leader election \(PREFERRED\) for partition nope-0: UNKNOWN_TOPIC_OR_PARTITION/m);
  r = ok(await cli(['partition', 'elect-leaders', '--election-type', 'unclean', '--topic', 'e', '--partition', '0']));
  assert.equal(r.stdout, 'Valid replica already elected for partitions e-0\n', 'unclean election only touches leaderless partitions');
});

test('reassign: in progress, listed, verified, cancelled; a move to in-sync replicas completes at once; errors', { timeout: 180_000 }, async (t) => {
  const { cluster, admin, cli } = await startCluster(t);
  await admin.createTopics([{ name: 'r', assignments: { 0: [0, 1], 1: [0, 1, 2] } }]);
  await partitionEverywhere(cluster, 'r', 1, 'r-1 led by 0', (d) => d.leader === 0);

  // Broker 2 is added to r-0 and 0 removed: in progress until 2 is in the ISR, so 2 is stopped meanwhile
  // (registered, fenced: a valid target that cannot catch up).
  await cluster.stop(2);
  ok(await cli(['partition', 'reassign', '--topic', 'r', '--partition', '0', '--replicas', '1,2']));
  let r = ok(await cli(['partition', 'list-reassignments', '--json']));
  assert.deepEqual(JSON.parse(r.stdout), [{ topic: 'r', partition: 0, replicas: [1, 2, 0], addingReplicas: [2], removingReplicas: [0] }]);
  r = ok(await cli(['partition', 'list-reassignments']));
  assert.match(r.stdout, /^r\s+0\s+\[1,2,0\]\s+\[2\]\s+\[0\]$/m);
  let p = await partitionEverywhere(cluster, 'r', 0, 'r-0 lists the added replica', (d) => d.replicas.join(',') === '1,2,0', [0, 1]);
  assert.equal(p.leader, 0, 'the replica being removed leads until the move is over');
  r = fails(await cli(['partition', 'verify', '--topic', 'r', '--partition', '0', '--replicas', '1,2']), 1, /have not reached their target/);
  assert.equal(r.stdout, 'Reassignment of partition r-0 is still in progress.\n');

  ok(await cli(['partition', 'reassign', '--cancel', '--topic', 'r', '--partition', '0']));
  r = ok(await cli(['partition', 'list-reassignments']));
  assert.equal(r.stdout, 'No partition reassignments in progress.\n');
  // Kafka's revert keeps the current order without the added replicas: [1,2,0] − [2].
  p = await partitionEverywhere(cluster, 'r', 0, 'r-0 back on [1,0]', (d) => d.replicas.join(',') === '1,0', [0, 1]);
  assert.equal(p.leader, 0);
  fails(await cli(['partition', 'reassign', '--cancel', '--topic', 'r', '--partition', '0']), 1, /NO_REASSIGNMENT_IN_PROGRESS/);

  // Broker 2 back, caught up on r-1 (in its ISR again).
  await cluster.restart(2);
  await cluster.waitFormed(30_000);
  await partitionEverywhere(cluster, 'r', 1, 'broker 2 back in the ISR of r-1', (d) => d.isr.includes(2));

  // Dropping a replica: the rest of the target is in sync, so the move completes at once, and the
  // leader (being removed) hands over to the first target replica.
  ok(await cli(['partition', 'reassign', '--topic', 'r', '--partition', '1', '--replicas', '2,1']));
  p = await partitionEverywhere(cluster, 'r', 1, 'r-1 on [2,1]', (d) => d.replicas.join(',') === '2,1');
  assert.equal(p.leader, 2);
  assert.deepEqual(p.isr.slice().sort(), [1, 2]);
  r = ok(await cli(['partition', 'verify', '--topic', 'r', '--partition', '1', '--replicas', '2,1']));
  assert.equal(r.stdout, 'Reassignment of partition r-1 is complete.\n');

  fails(await cli(['partition', 'reassign', '--topic', 'r', '--partition', '1', '--replicas', '1,9']), 1, /INVALID_REPLICA_ASSIGNMENT.*broker 9/);
  fails(await cli(['partition', 'reassign', '--topic', 'r', '--partition', '1', '--replicas', '1,1']), 1, /INVALID_REPLICA_ASSIGNMENT/);
  fails(await cli(['partition', 'reassign', '--topic', 'r', '--partition', '7', '--replicas', '1,2']), 1, /UNKNOWN_TOPIC_OR_PARTITION/);
  fails(await cli(['partition', 'reassign', '--topic', 'r', '--partition', '0']), 2, /--replicas <ids> is needed/);
});

test('elect-leaders after the preferred leader restarts and catches up', { timeout: 180_000 }, async (t) => {
  const { cluster, admin, cli } = await startCluster(t);
  await admin.createTopics([{ name: 'k', assignments: { 0: [0, 1, 2] } }]);
  await partitionEverywhere(cluster, 'k', 0, 'k-0 led by 0', (d) => d.leader === 0);
  await cluster.kill(0);
  await eventually('k-0 led by another broker', 30_000, async () => {
    const a = new Admin({ bootstrapServers: [cluster.bootstrapOf(1)], clientId: 'probe' });
    try {
      const [d] = await a.describeTopics(['k']);
      const l = d?.partitions[0]?.leader;
      return l !== undefined && l > 0 ? l : undefined;
    } finally {
      await a.close();
    }
  }, 200);
  await cluster.restart(0);
  await cluster.waitFormed();
  // Broker 0 fetches from the new leader, catches up and is added back to the ISR.
  await partitionEverywhere(cluster, 'k', 0, 'broker 0 back in the ISR of k-0', (d) => d.isr.includes(0));
  const r = ok(await cli(['partition', 'elect-leaders', '--topic', 'k', '--partition', '0']));
  assert.match(r.stdout, /Successfully completed leader election \(PREFERRED\) for partitions k-0/);
  await partitionEverywhere(cluster, 'k', 0, 'k-0 led by 0 again', (d) => d.leader === 0);
});

test('reassign to a new broker completes once it has caught up; the data is on the new replicas', { timeout: 180_000 }, async (t) => {
  const { cluster, admin, cli } = await startCluster(t);
  await admin.createTopics([{ name: 'm', assignments: { 0: [0, 1] } }]);
  await partitionEverywhere(cluster, 'm', 0, 'm-0 led by 0', (d) => d.leader === 0);
  const produce = await runCli(['-b', cluster.bootstrapOf(0), 'produce', 'm', '--acks', 'all'], { env: cliEnv(null), input: 'one\ntwo\nthree\n', timeoutMs: 30_000 });
  ok(produce);
  ok(await cli(['partition', 'reassign', '--topic', 'm', '--partition', '0', '--replicas', '2,1']));
  const p = await partitionEverywhere(cluster, 'm', 0, 'm-0 moved to [2,1]', (d) => d.replicas.join(',') === '2,1');
  assert.deepEqual(p.isr.slice().sort(), [1, 2]);
  assert.equal(p.leader, 2);
  const r = ok(await cli(['partition', 'list-reassignments']));
  assert.equal(r.stdout, 'No partition reassignments in progress.\n');
  const consumed = ok(await runCli(['-b', cluster.bootstrapOf(2), 'consume', 'm', '--from-beginning', '-n', '3'], { env: cliEnv(null), timeoutMs: 30_000 }));
  assert.deepEqual(consumed.stdout.trim().split('\n'), ['one', 'two', 'three']);
});
