import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { bench, isPending, joinParams, peek, subscription, sync, type Bench } from './harness.js';

/** Two static members ("i1" leads, "i2") in a Stable group with assignments "A1" and "A2". */
async function stableStaticGroup(b: Bench): Promise<{ m1: string; m2: string; generationId: number }> {
  // Static members join with an empty id and get their id at once (no MEMBER_ID_REQUIRED).
  const j1 = b.coordinator.joinGroup(joinParams('g', '', { groupInstanceId: 'i1' }));
  const j2 = b.coordinator.joinGroup(joinParams('g', '', { groupInstanceId: 'i2' }));
  await b.time.advance(7000);
  const [r1, r2] = await Promise.all([j1, j2]);
  assert.equal(r1.errorCode, ErrorCode.NONE);
  assert.equal(r1.memberId, 'i1-id1', 'a static member id starts with its instance id');
  const follower = sync(b, 'g', r1.generationId, r2.memberId, {}, 'i2');
  await sync(b, 'g', r1.generationId, r1.memberId, { [r1.memberId]: 'A1', [r2.memberId]: 'A2' }, 'i1');
  await follower;
  return { m1: r1.memberId, m2: r2.memberId, generationId: r1.generationId };
}

test('a restarted static member takes its place back without a rebalance; the old id is fenced', async () => {
  const b = bench();
  const { m1, m2, generationId } = await stableStaticGroup(b);

  // i2 restarts: it has lost its member id, but not its instance id.
  const r = await b.coordinator.joinGroup(joinParams('g', '', { groupInstanceId: 'i2' }));
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.notEqual(r.memberId, m2);
  assert.equal(r.generationId, generationId, 'same generation: no rebalance');
  assert.equal(r.leader, m1);
  assert.deepEqual(r.members, []);
  assert.equal(b.coordinator.describeGroup('g').state, 'Stable');

  const s = await sync(b, 'g', generationId, r.memberId, {}, 'i2');
  assert.equal(s.assignment.toString(), 'A2', 'it keeps its assignment');

  // The old incarnation is fenced.
  assert.equal(b.coordinator.heartbeat({ groupId: 'g', generationId, memberId: m2, groupInstanceId: 'i2' }), ErrorCode.FENCED_INSTANCE_ID);
  assert.equal((await sync(b, 'g', generationId, m2, {}, 'i2')).errorCode, ErrorCode.FENCED_INSTANCE_ID);
  const commit = await b.coordinator.commitOffsets({ groupId: 'g', generationId, memberId: m2, groupInstanceId: 'i2', retentionTimeMs: -1, groupIdNotFoundForMissingGroup: false, offsets: [{ topic: 't', partition: 0, offset: 1, leaderEpoch: -1, metadata: null }] });
  assert.equal(commit[0]!.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  const join = await b.coordinator.joinGroup(joinParams('g', m2, { groupInstanceId: 'i2' }));
  assert.equal(join.errorCode, ErrorCode.FENCED_INSTANCE_ID);
  assert.equal(b.coordinator.heartbeat({ groupId: 'g', generationId, memberId: r.memberId, groupInstanceId: 'i2' }), ErrorCode.NONE);
});

test('a restarted static leader on JoinGroup v9 is told to skip the assignment and gets the members', async () => {
  const b = bench();
  const { m1, generationId } = await stableStaticGroup(b);
  const r = await b.coordinator.joinGroup(joinParams('g', '', { groupInstanceId: 'i1', supportSkippingAssignment: true }));
  assert.equal(r.generationId, generationId);
  assert.equal(r.leader, r.memberId, 'the new id leads');
  assert.equal(r.skipAssignment, true);
  assert.equal(r.members.length, 2);
  assert.notEqual(r.memberId, m1);
});

test('a restarted static leader below v9 is given the old leader id, so it does not reassign', async () => {
  const b = bench();
  const { m1 } = await stableStaticGroup(b);
  const r = await b.coordinator.joinGroup(joinParams('g', '', { groupInstanceId: 'i1' }));
  assert.equal(r.leader, m1);
  assert.notEqual(r.memberId, m1);
  assert.equal(r.skipAssignment, false);
  assert.deepEqual(r.members, []);
});

test('a static member whose rejoin changes the selected protocol triggers a rebalance', async () => {
  const b = bench();
  const j1 = b.coordinator.joinGroup(joinParams('g', '', { groupInstanceId: 'i1', protocols: [{ name: 'range', metadata: subscription(['t']) }, { name: 'roundrobin', metadata: subscription(['t']) }] }));
  await b.time.advance(3000);
  const r1 = await j1;
  assert.equal(r1.protocolName, 'range');
  await sync(b, 'g', r1.generationId, r1.memberId, { [r1.memberId]: 'A' }, 'i1');
  const r = await b.coordinator.joinGroup(joinParams('g', '', { groupInstanceId: 'i1', protocols: [{ name: 'roundrobin', metadata: subscription(['t']) }] }));
  assert.equal(r.generationId, r1.generationId + 1);
  assert.equal(r.protocolName, 'roundrobin');
});

test('a static member that does not rejoin keeps its place through the rebalance until its session expires', async () => {
  const b = bench();
  const { m1, m2, generationId } = await stableStaticGroup(b);
  const rejoin = b.coordinator.joinGroup(joinParams('g', m1, { groupInstanceId: 'i1' }));
  await b.time.advance(9000);
  assert.ok(isPending(await peek(rejoin)));
  // i2's session (10 s from its last sync) runs out: it is removed and the join completes.
  await b.time.advance(2000);
  const r = await rejoin;
  assert.equal(r.generationId, generationId + 1);
  assert.deepEqual(r.members.map((m) => m.memberId), [m1]);
  assert.equal(b.coordinator.heartbeat({ groupId: 'g', generationId: r.generationId, memberId: m2, groupInstanceId: 'i2' }), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('LeaveGroup by group.instance.id alone removes the static member', async () => {
  const b = bench();
  const { m2 } = await stableStaticGroup(b);
  const res = b.coordinator.leaveGroup('g', [{ memberId: '', groupInstanceId: 'i2', reason: 'admin' }, { memberId: '', groupInstanceId: 'nope', reason: null }]);
  assert.equal(res.errorCode, ErrorCode.NONE);
  assert.deepEqual(res.members.map((m) => m.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
  const d = b.coordinator.describeGroup('g');
  assert.equal(d.state, 'PreparingRebalance');
  assert.ok(!d.members.some((m) => m.memberId === m2));
});

test('a restarted static member with a changed subscription triggers a rebalance', async () => {
  const b = bench();
  const { generationId } = await stableStaticGroup(b);
  const rejoin = b.coordinator.joinGroup(joinParams('g', '', { groupInstanceId: 'i2', protocols: [{ name: 'range', metadata: subscription(['t', 'new-topic']) }] }));
  assert.equal(b.coordinator.describeGroup('g').state, 'PreparingRebalance');
  assert.ok(isPending(await peek(rejoin)), 'it waits for the other member to rejoin');
  const others = b.coordinator.describeGroup('g').members.filter((m) => !m.memberId.startsWith('i2-'));
  const r2 = b.coordinator.joinGroup(joinParams('g', others[0]!.memberId, { groupInstanceId: 'i1' }));
  const [r, leaderJoin] = await Promise.all([rejoin, r2]);
  assert.equal(r.generationId, generationId + 1);
  assert.deepEqual(leaderJoin.members.find((m) => m.groupInstanceId === 'i2')!.metadata, subscription(['t', 'new-topic']));
});
