import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AlterPartitionReassignmentsResponse, ReassignablePartition } from '../../../src/protocol/messages/alter-partition-reassignments.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { activeController } from './harness.js';
import { cluster, type Cluster } from './leadership-helpers.js';

function reassign(c: Cluster, topic: string, partitions: ReassignablePartition[]): Promise<AlterPartitionReassignmentsResponse> {
  return c.h.controller.alterPartitionReassignments({ timeoutMs: 1000, topics: [{ name: topic, partitions }] });
}

function codes(r: AlterPartitionReassignmentsResponse): number[] {
  return r.responses.flatMap((t) => t.partitions.map((p) => p.errorCode));
}

async function listed(c: Cluster, topics: { name: string; partitionIndexes: number[] }[] | null = null) {
  const r = await c.h.controller.listPartitionReassignments({ timeoutMs: 1000, topics });
  assert.equal(r.errorCode, ErrorCode.NONE);
  return r.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, ...p })));
}

test('reassignment: start (replicas = target + removed), complete when the target is in sync, new leader from the target', async () => {
  const c = await cluster(await activeController(), 1, 2, 3, 4);
  await c.create('a', [[1, 2, 3], [1, 2, 3]]);
  const before = c.partition('a');
  assert.deepEqual(codes(await reassign(c, 'a', [{ partitionIndex: 0, replicas: [2, 3, 4] }])), [ErrorCode.NONE]);
  let p = c.partition('a');
  assert.deepEqual(p.replicas, [2, 3, 4, 1]);
  assert.deepEqual(p.addingReplicas, [4]);
  assert.deepEqual(p.removingReplicas, [1]);
  assert.equal(p.leader, 1, 'the leader being removed keeps leading until the move is over');
  assert.equal(p.leaderEpoch, before.leaderEpoch);
  assert.deepEqual(p.isr, [1, 2, 3]);
  assert.deepEqual(await listed(c), [{ topic: 'a', partitionIndex: 0, replicas: [2, 3, 4, 1], addingReplicas: [4], removingReplicas: [1] }]);
  assert.deepEqual(await listed(c, [{ name: 'a', partitionIndexes: [1] }, { name: 'nope', partitionIndexes: [0] }]), []);

  // The new replica caught up: the leader adds it to the ISR, which completes the reassignment.
  const r = await c.setIsr('a', 0, [1, 2, 3, 4]);
  assert.equal(r.topics[0]!.partitions[0]!.errorCode, ErrorCode.NEW_LEADER_ELECTED, 'the sender is no longer the leader');
  p = c.partition('a');
  assert.deepEqual(p.replicas, [2, 3, 4]);
  assert.deepEqual(p.isr, [2, 3, 4]);
  assert.deepEqual(p.addingReplicas, []);
  assert.deepEqual(p.removingReplicas, []);
  assert.equal(p.leader, 2);
  assert.equal(p.leaderEpoch, before.leaderEpoch + 1);
  assert.deepEqual(await listed(c), []);
});

test('reassignment whose target is in sync already completes at once; a kept leader gets a new epoch when replicas go', async () => {
  const c = await cluster(await activeController(), 1, 2, 3);
  await c.create('a', [[1, 2, 3], [1, 2, 3], [1, 2, 3]]);
  const before = c.partition('a', 0);
  assert.deepEqual(codes(await reassign(c, 'a', [{ partitionIndex: 0, replicas: [2, 3] }, { partitionIndex: 1, replicas: [1, 2] }, { partitionIndex: 2, replicas: [3, 2, 1] }])), [0, 0, 0]);
  let p = c.partition('a', 0);
  assert.deepEqual([p.replicas, p.isr, p.addingReplicas, p.removingReplicas, p.leader], [[2, 3], [2, 3], [], [], 2]);
  assert.equal(p.leaderEpoch, before.leaderEpoch + 1);
  p = c.partition('a', 1);
  assert.deepEqual([p.replicas, p.isr, p.leader], [[1, 2], [1, 2], 1]);
  assert.equal(p.leaderEpoch, before.leaderEpoch + 1, 'replica 3 removed: the leader epoch is bumped');
  p = c.partition('a', 2);
  assert.deepEqual([p.replicas, p.isr, p.leader, p.leaderEpoch], [[3, 2, 1], [1, 2, 3], 1, before.leaderEpoch], 'a reorder moves nothing');
  assert.deepEqual(await listed(c), []);
});

test('reassignment completes when a fenced replica leaves the ISR and the rest of the target is in sync', async () => {
  const c = await cluster(await activeController(), 1, 2, 3, 4);
  await c.create('a', [[1, 2, 3]]);
  await c.setIsr('a', 0, [1, 2]);
  await reassign(c, 'a', [{ partitionIndex: 0, replicas: [1, 2, 4] }]);
  assert.deepEqual(c.partition('a').replicas, [1, 2, 4, 3]);
  await c.setIsr('a', 0, [1, 2, 4]);
  const p = c.partition('a');
  assert.deepEqual([p.replicas, p.isr, p.addingReplicas, p.removingReplicas, p.leader], [[1, 2, 4], [1, 2, 4], [], [], 1]);
});

test('cancelling a reassignment reverts to the original replicas; nothing to cancel is NO_REASSIGNMENT_IN_PROGRESS', async () => {
  const c = await cluster(await activeController(), 1, 2, 3, 4, 5);
  await c.create('a', [[1, 2, 3]]);
  assert.deepEqual(codes(await reassign(c, 'a', [{ partitionIndex: 0, replicas: null }])), [ErrorCode.NO_REASSIGNMENT_IN_PROGRESS]);
  await reassign(c, 'a', [{ partitionIndex: 0, replicas: [4, 5, 1] }]);
  assert.deepEqual(c.partition('a').replicas, [4, 5, 1, 2, 3]);
  await c.setIsr('a', 0, [1, 2, 3, 4]);
  assert.deepEqual(codes(await reassign(c, 'a', [{ partitionIndex: 0, replicas: null }])), [ErrorCode.NONE]);
  const p = c.partition('a');
  assert.deepEqual([p.replicas, p.isr, p.addingReplicas, p.removingReplicas, p.leader], [[1, 2, 3], [1, 2, 3], [], [], 1], 'added replicas leave the ISR too');
  assert.deepEqual(await listed(c), []);
});

test('a cancel that would need an unclean election is refused unless the topic allows it', async () => {
  const c = await cluster(await activeController(), 1, 2, 3);
  await c.create('a', [[1]]);
  await c.create('u', [[1]], { 'unclean.leader.election.enable': 'true' });
  for (const t of ['a', 'u']) {
    await reassign(c, t, [{ partitionIndex: 0, replicas: [2, 3] }]);
    await c.setIsr(t, 0, [1, 2]);
  }
  await c.fence(1);
  assert.deepEqual(c.partition('a').isr, [2], 'the added replica leads, the original one is gone');
  assert.equal(c.partition('a').leader, 2);
  assert.deepEqual(codes(await reassign(c, 'a', [{ partitionIndex: 0, replicas: null }])), [ErrorCode.INVALID_REPLICA_ASSIGNMENT]);
  assert.deepEqual(c.partition('a').replicas, [2, 3, 1]);
  assert.deepEqual(codes(await reassign(c, 'u', [{ partitionIndex: 0, replicas: null }])), [ErrorCode.NONE]);
  const p = c.partition('u');
  assert.deepEqual([p.replicas, p.addingReplicas, p.removingReplicas, p.leader], [[1], [], [], -1], 'the only original replica is fenced: nobody can lead');
});

test('a new target replaces a reassignment in progress', async () => {
  const c = await cluster(await activeController(), 1, 2, 3, 4, 5);
  await c.create('a', [[1, 2, 3]]);
  await reassign(c, 'a', [{ partitionIndex: 0, replicas: [1, 2, 4] }]);
  await reassign(c, 'a', [{ partitionIndex: 0, replicas: [1, 2, 5] }]);
  const p = c.partition('a');
  assert.deepEqual(p.replicas, [1, 2, 5, 4, 3]);
  assert.deepEqual(p.addingReplicas, [5]);
  assert.deepEqual(p.removingReplicas, [4, 3]);
});

test('reassignment errors: unknown broker, duplicates, empty list, unknown topic or partition', async () => {
  const c = await cluster(await activeController(), 1, 2, 3);
  await c.create('a', [[1, 2, 3]]);
  const r = await reassign(c, 'a', [
    { partitionIndex: 0, replicas: [1, 2, 9] },
    { partitionIndex: 0, replicas: [1, 1, 2] },
    { partitionIndex: 0, replicas: [] },
    { partitionIndex: 5, replicas: [1, 2, 3] },
  ]);
  assert.deepEqual(codes(r), [ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.INVALID_REPLICA_ASSIGNMENT, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.match(r.responses[0]!.partitions[0]!.errorMessage ?? '', /broker 9/);
  assert.deepEqual(codes(await reassign(c, 'nope', [{ partitionIndex: 0, replicas: [1] }])), [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  assert.deepEqual(c.partition('a').replicas, [1, 2, 3], 'nothing changed');
});
