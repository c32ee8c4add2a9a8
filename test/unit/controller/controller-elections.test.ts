import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ElectionType } from '../../../src/cluster/controller/election-control.js';
import type { ElectLeadersResponse } from '../../../src/protocol/messages/elect-leaders.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { activeController, settle } from './harness.js';
import { cluster } from './leadership-helpers.js';

const UNCLEAN = { 'unclean.leader.election.enable': 'true' };

function codes(r: ElectLeadersResponse): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of r.replicaElectionResults) for (const p of t.partitionResult) out[`${t.topic}-${p.partitionId}`] = p.errorCode;
  return out;
}

test('unclean election off (default): the partition stays leaderless and keeps its last ISR member', async () => {
  const c = await cluster(await activeController(), 1, 2, 3);
  await c.create('a', [[1, 2, 3]]);
  await c.setIsr('a', 0, [1]);
  const before = c.partition('a');
  await c.fence(1);
  let p = c.partition('a');
  assert.equal(p.leader, -1);
  assert.deepEqual(p.isr, [1], 'the last ISR member stays in the ISR');
  assert.equal(p.leaderEpoch, before.leaderEpoch + 1);
  assert.equal(p.leaderRecoveryState, 0);
  // Another replica coming back cannot lead: it is not in the ISR.
  await c.fence(2);
  await c.unfence(2);
  assert.equal(c.partition('a').leader, -1);
  // The last ISR member coming back leads again, cleanly.
  await c.unfence(1);
  p = c.partition('a');
  assert.equal(p.leader, 1);
  assert.deepEqual(p.isr, [1]);
  assert.equal(p.leaderRecoveryState, 0);
});

test('unclean election on for the topic: the first acceptable replica leads with ISR = [it], RECOVERING', async () => {
  const c = await cluster(await activeController(), 1, 2, 3);
  await c.create('u', [[1, 2, 3]], UNCLEAN);
  await c.create('clean', [[1, 2, 3]]);
  await c.setIsr('u', 0, [1]);
  await c.setIsr('clean', 0, [1]);
  const before = c.partition('u');
  await c.fence(1);
  const p = c.partition('u');
  assert.equal(p.leader, 2);
  assert.deepEqual(p.isr, [2]);
  assert.equal(p.leaderRecoveryState, 1, 'RECOVERING');
  assert.equal(p.leaderEpoch, before.leaderEpoch + 1);
  assert.equal(c.partition('clean').leader, -1, 'a topic without the override stays leaderless');
  // The new leader tells the controller it has recovered (KIP-704).
  const t = c.h.controller.image().topic('u')!;
  const r = await c.h.controller.alterPartition({
    brokerId: 2,
    brokerEpoch: c.epochs.get(2)!,
    topics: [{ topicName: '', topicId: t.topicId, partitions: [{ partitionIndex: 0, leaderEpoch: p.leaderEpoch, newIsr: [], newIsrWithEpochs: [{ brokerId: 2, brokerEpoch: c.epochs.get(2)! }], leaderRecoveryState: 0, partitionEpoch: p.partitionEpoch }] }],
  });
  assert.equal(r.topics[0]!.partitions[0]!.errorCode, ErrorCode.NONE);
  assert.equal(c.partition('u').leaderRecoveryState, 0);
});

test('the broker default turns unclean election on; a topic override false wins over it', async () => {
  const c = await cluster(await activeController({ uncleanLeaderElectionEnable: true }), 1, 2, 3);
  await c.create('d', [[1, 2, 3]]);
  await c.create('off', [[1, 2, 3]], { 'unclean.leader.election.enable': 'false' });
  await c.setIsr('d', 0, [1]);
  await c.setIsr('off', 0, [1]);
  await c.fence(1);
  assert.equal(c.partition('d').leader, 2);
  assert.deepEqual(c.partition('d').isr, [2]);
  assert.equal(c.partition('off').leader, -1);
  assert.deepEqual(c.partition('off').isr, [1]);
});

test('unclean election when a replica unfences, and when the topic config turns it on', async () => {
  const c = await cluster(await activeController(), 1, 2, 3);
  await c.create('u', [[1, 2, 3]], UNCLEAN);
  await c.create('later', [[1, 2, 3]]);
  await c.setIsr('u', 0, [1]);
  await c.setIsr('later', 0, [1]);
  await c.fence(3);
  await c.fence(2);
  await c.fence(1);
  assert.equal(c.partition('u').leader, -1, 'nobody is left to lead');
  assert.deepEqual(c.partition('u').isr, [1]);
  await c.unfence(3);
  assert.equal(c.partition('u').leader, 3, 'an unfenced replica leads where unclean election is allowed');
  assert.deepEqual(c.partition('u').isr, [3]);
  assert.equal(c.partition('u').leaderRecoveryState, 1);
  assert.equal(c.partition('later').leader, -1);

  const r = await c.h.controller.incrementalAlterConfigs({
    resources: [{ resourceType: 2, resourceName: 'later', configs: [{ name: 'unclean.leader.election.enable', configOperation: 0, value: 'true' }] }],
    validateOnly: false,
  });
  assert.equal(r.responses[0]!.errorCode, ErrorCode.NONE);
  assert.equal(c.partition('later').leader, 3, 'the config change elects at once');
  assert.deepEqual(c.partition('later').isr, [3]);
  assert.equal(c.partition('later').leaderRecoveryState, 1);
});

test('ElectLeaders PREFERRED: not needed, not available, elected; unknown topic and partition', async () => {
  const c = await cluster(await activeController(), 1, 2, 3);
  await c.create('a', [[1, 2, 3], [2, 3, 1]]);
  const elect = (topicPartitions: { topic: string; partitions: number[] }[] | null) =>
    c.h.controller.electLeaders({ electionType: ElectionType.PREFERRED, topicPartitions, timeoutMs: 1000 });
  let r = await elect([{ topic: 'a', partitions: [0, 1, 7] }, { topic: 'nope', partitions: [0] }]);
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.deepEqual(codes(r), { 'a-0': ErrorCode.ELECTION_NOT_NEEDED, 'a-1': ErrorCode.ELECTION_NOT_NEEDED, 'a-7': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'nope-0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });

  await c.fence(1);
  await c.unfence(1);
  assert.equal(c.partition('a', 0).leader, 2, 'leadership moved away while 1 was fenced');
  assert.deepEqual(c.partition('a', 0).isr, [2, 3]);
  r = await elect([{ topic: 'a', partitions: [0] }]);
  assert.deepEqual(codes(r), { 'a-0': ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE }, '1 is not in the ISR yet');
  assert.equal(c.partition('a', 0).leader, 2);

  await c.setIsr('a', 0, [2, 3, 1]);
  const before = c.partition('a', 0);
  r = await elect(null);
  assert.deepEqual(codes(r), { 'a-0': ErrorCode.NONE }, 'all partitions: those needing no election are left out');
  const p = c.partition('a', 0);
  assert.equal(p.leader, 1);
  assert.equal(p.leaderEpoch, before.leaderEpoch + 1);
  assert.deepEqual(p.isr, [2, 3, 1]);
  r = await elect(null);
  assert.deepEqual(r.replicaElectionResults, []);
});

test('ElectLeaders UNCLEAN: only leaderless partitions; any live replica; none live', async () => {
  const c = await cluster(await activeController(), 1, 2, 3);
  await c.create('a', [[1, 2, 3], [1, 2]]);
  const elect = (partitions: number[]) => c.h.controller.electLeaders({ electionType: ElectionType.UNCLEAN, topicPartitions: [{ topic: 'a', partitions }], timeoutMs: 1000 });
  assert.deepEqual(codes(await elect([0])), { 'a-0': ErrorCode.ELECTION_NOT_NEEDED });
  await c.setIsr('a', 0, [1]);
  await c.setIsr('a', 1, [1]);
  await c.fence(2);
  await c.fence(1);
  assert.equal(c.partition('a', 0).leader, -1);
  assert.equal(c.partition('a', 1).leader, -1);
  const r = await elect([0, 1]);
  assert.deepEqual(codes(r), { 'a-0': ErrorCode.NONE, 'a-1': ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE });
  const p = c.partition('a', 0);
  assert.equal(p.leader, 3);
  assert.deepEqual(p.isr, [3]);
  assert.equal(p.leaderRecoveryState, 1);
  assert.equal(c.partition('a', 1).leader, -1);
  assert.deepEqual(c.partition('a', 1).isr, [1]);
});

test('ElectLeaders on a controller that is not active: NOT_CONTROLLER at the top and for each partition', async () => {
  const h = await activeController();
  h.quorum.elect(2);
  await settle();
  const r = await h.controller.electLeaders({ electionType: 0, topicPartitions: [{ topic: 'a', partitions: [0] }], timeoutMs: 1000 });
  assert.equal(r.errorCode, ErrorCode.NOT_CONTROLLER);
  assert.deepEqual(codes(r), { 'a-0': ErrorCode.NOT_CONTROLLER });
});

/**
 * Broker 2 is the preferred replica of 9 partitions it leads (topic `led`) plus `moved` partitions of
 * topic `b` that broker 1 leads (their replicas reordered by a reassignment, so the leader stays).
 */
async function imbalanced(moved: number, options: Parameters<typeof activeController>[0]) {
  const c = await cluster(await activeController({ leaderImbalanceCheckIntervalMs: 1000, ...options }), 1, 2, 3);
  await c.create('led', Array.from({ length: 9 }, () => [2, 1, 3]));
  await c.create('b', Array.from({ length: 3 }, () => [1, 2, 3]));
  const r = await c.h.controller.alterPartitionReassignments({
    timeoutMs: 1000,
    topics: [{ name: 'b', partitions: Array.from({ length: moved }, (_, i) => ({ partitionIndex: i, replicas: [2, 1, 3] })) }],
  });
  assert.ok(r.responses.every((t) => t.partitions.every((p) => p.errorCode === ErrorCode.NONE)));
  for (let i = 0; i < moved; i++) {
    assert.deepEqual(c.partition('b', i).replicas, [2, 1, 3]);
    assert.equal(c.partition('b', i).leader, 1);
  }
  return c;
}

async function afterCheck(c: Awaited<ReturnType<typeof imbalanced>>): Promise<void> {
  c.h.runtime.advance(1000);
  await settle();
  await settle();
}

test('auto leader rebalance: at or under leader.imbalance.per.broker.percentage nothing moves', async () => {
  const c = await imbalanced(1, {});
  await afterCheck(c);
  assert.equal(c.partition('b', 0).leader, 1, '1 of 10 = 10% is not over 10%');
});

test('auto leader rebalance: over the percentage, leadership goes back to the preferred replica', async () => {
  const c = await imbalanced(2, {});
  const before = c.partition('b', 0);
  c.h.runtime.advance(999);
  await settle();
  assert.equal(c.partition('b', 0).leader, 1, 'not before the check interval');
  c.h.runtime.advance(1);
  await settle();
  await settle();
  assert.equal(c.partition('b', 0).leader, 2, '2 of 11 = 18% is over 10%');
  assert.equal(c.partition('b', 1).leader, 2);
  assert.equal(c.partition('b', 0).leaderEpoch, before.leaderEpoch + 1);
  assert.equal(c.partition('b', 2).leader, 1, 'its preferred replica is 1: untouched');
  // The check keeps running.
  await c.h.controller.alterPartitionReassignments({ timeoutMs: 1000, topics: [{ name: 'b', partitions: [{ partitionIndex: 2, replicas: [3, 1, 2] }] }] });
  await afterCheck(c);
  assert.equal(c.partition('b', 2).leader, 3, 'broker 3: 1 of 1 imbalanced');
});

test('auto leader rebalance: the preferred replica must be in the ISR; auto.leader.rebalance.enable=false turns it off', async () => {
  const c = await imbalanced(2, {});
  await c.setIsr('b', 0, [1, 3]);
  await afterCheck(c);
  assert.equal(c.partition('b', 0).leader, 1, 'not in the ISR: stays');
  assert.equal(c.partition('b', 1).leader, 2);

  const off = await imbalanced(3, { autoLeaderRebalanceEnable: false });
  await afterCheck(off);
  await afterCheck(off); // (within the session timeout: the brokers stay unfenced)
  assert.equal(off.partition('b', 0).leader, 1);
  assert.equal(off.h.runtime.pendingTimers(), 3, 'only the three session timers');
});
