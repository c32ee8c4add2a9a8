import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { bench, joinParams, joinWithNewId, stableGroupOfTwo, subscription, sync } from './harness.js';

const commitOne = (generationId: number, memberId: string) => ({
  groupId: 'g',
  generationId,
  memberId,
  groupInstanceId: null,
  retentionTimeMs: -1,
  groupIdNotFoundForMissingGroup: false,
  offsets: [{ topic: 't', partition: 0, offset: 42, leaderEpoch: -1, metadata: null }],
});

test('fencing: wrong generation, unknown member, rebalance in progress', async () => {
  const b = bench();
  const { leader, follower, generationId } = await stableGroupOfTwo(b, 'g');
  const hb = (memberId: string, gen: number): number => b.coordinator.heartbeat({ groupId: 'g', generationId: gen, memberId, groupInstanceId: null });

  assert.equal(hb(leader, generationId), ErrorCode.NONE);
  assert.equal(hb(leader, generationId - 1), ErrorCode.ILLEGAL_GENERATION);
  assert.equal(hb('stranger', generationId), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal(b.coordinator.heartbeat({ groupId: 'nope', generationId, memberId: leader, groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await sync(b, 'g', generationId + 5, follower)).errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal((await sync(b, 'g', generationId, 'stranger')).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);

  assert.equal((await b.coordinator.commitOffsets(commitOne(generationId, follower)))[0]!.errorCode, ErrorCode.NONE);
  assert.equal((await b.coordinator.commitOffsets(commitOne(generationId - 1, follower)))[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal((await b.coordinator.commitOffsets(commitOne(generationId, 'stranger')))[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await b.coordinator.commitOffsets(commitOne(-1, '')))[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'generation -1 only for groups without members');
  // TxnOffsetCommit without identity (v0-2; kafkajs sendOffsets) is accepted in an active group (Kafka's
  // ClassicGroup.validateOffsetCommit): the producer epoch fences there. With one, it is checked.
  const txn = { producerId: 4000, producerEpoch: 0 };
  assert.equal((await b.coordinator.commitTransactionalOffsets({ ...commitOne(-1, ''), ...txn }))[0]!.errorCode, ErrorCode.NONE);
  assert.equal((await b.coordinator.commitTransactionalOffsets({ ...commitOne(generationId, 'stranger'), ...txn }))[0]!.errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await b.coordinator.commitTransactionalOffsets({ ...commitOne(generationId - 1, follower), ...txn }))[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);

  // Start a rebalance: the leader rejoins.
  const rejoin = b.coordinator.joinGroup(joinParams('g', leader));
  assert.equal(hb(follower, generationId), ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal((await sync(b, 'g', generationId, follower)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal((await b.coordinator.commitOffsets(commitOne(generationId, follower)))[0]!.errorCode, ErrorCode.NONE, 'commits are still accepted while preparing');

  const rejoin2 = b.coordinator.joinGroup(joinParams('g', follower));
  const [r] = await Promise.all([rejoin, rejoin2]);
  // CompletingRebalance: members know the new generation but have no assignment yet.
  assert.equal((await b.coordinator.commitOffsets(commitOne(r.generationId, follower)))[0]!.errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal(hb(follower, r.generationId), ErrorCode.NONE, 'heartbeats between join and sync are fine');
  assert.equal(hb(follower, generationId), ErrorCode.ILLEGAL_GENERATION);
});

test('JoinGroup validation: session timeout bounds, unknown member of a missing group, empty group id', async () => {
  const b = bench();
  assert.equal((await b.coordinator.joinGroup(joinParams('g', '', { sessionTimeoutMs: 5999 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal((await b.coordinator.joinGroup(joinParams('g', '', { sessionTimeoutMs: 1_800_001 }))).errorCode, ErrorCode.INVALID_SESSION_TIMEOUT);
  assert.equal((await b.coordinator.joinGroup(joinParams('missing', 'some-id'))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
  assert.equal((await b.coordinator.joinGroup(joinParams('', ''))).errorCode, ErrorCode.INVALID_GROUP_ID);
});

test('protocol selection: only protocols every member supports, chosen by the members\' votes', async () => {
  const b = bench();
  const p = (...names: string[]) => names.map((name) => ({ name, metadata: subscription(['t']) }));
  // The leader prefers range, but two of three vote for roundrobin; sticky is not common to all.
  const a = await joinWithNewId(b, 'g', { protocols: p('range', 'roundrobin') });
  const c = await joinWithNewId(b, 'g', { protocols: p('roundrobin', 'range') });
  const d = await joinWithNewId(b, 'g', { protocols: p('sticky', 'roundrobin', 'range') });
  await b.time.advance(10_000);
  const results = await Promise.all([a.join, c.join, d.join]);
  for (const r of results) assert.equal(r.protocolName, 'roundrobin');

  const none = await b.coordinator.joinGroup(joinParams('g', '', { protocols: p('sticky') }));
  assert.equal(none.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const otherType = await b.coordinator.joinGroup(joinParams('g', '', { protocolType: 'connect', protocols: p('roundrobin') }));
  assert.equal(otherType.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const empty = await b.coordinator.joinGroup(joinParams('h', '', { protocols: [] }));
  assert.equal(empty.errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
});

test('SyncGroup v5 protocol checks', async () => {
  const b = bench();
  const { leader, generationId } = await stableGroupOfTwo(b, 'g');
  const base = { groupId: 'g', generationId, memberId: leader, groupInstanceId: null, assignments: [] };
  assert.equal((await b.coordinator.syncGroup({ ...base, protocolType: 'consumer', protocolName: 'range' })).errorCode, ErrorCode.NONE);
  assert.equal((await b.coordinator.syncGroup({ ...base, protocolType: 'consumer', protocolName: 'roundrobin' })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  assert.equal((await b.coordinator.syncGroup({ ...base, protocolType: 'connect', protocolName: null })).errorCode, ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  const ok = await b.coordinator.syncGroup({ ...base, protocolType: null, protocolName: null });
  assert.equal(ok.protocolType, 'consumer');
  assert.equal(ok.protocolName, 'range');
  assert.equal(ok.assignment.toString(), 'A');
});

test('group.max.size turns away members beyond the limit', async () => {
  const b = bench({ maxSize: 1 });
  const a = await joinWithNewId(b, 'g');
  // The second member is refused already at its first join (the group is preparing with one member in).
  const second = await b.coordinator.joinGroup(joinParams('g', ''));
  assert.equal(second.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  await b.time.advance(3000);
  const r = await a.join;
  assert.equal(r.errorCode, ErrorCode.NONE);
  await sync(b, 'g', r.generationId, r.memberId, { [r.memberId]: 'A' });
  const third = await b.coordinator.joinGroup(joinParams('g', ''));
  assert.equal(third.errorCode, ErrorCode.GROUP_MAX_SIZE_REACHED);
  assert.equal((await b.coordinator.joinGroup(joinParams('g', r.memberId))).errorCode, ErrorCode.NONE, 'existing members are still welcome');
});

test('LeaveGroup: the leader leaves, the others rebalance without it; unknown members get UNKNOWN_MEMBER_ID', async () => {
  const b = bench();
  const { leader, follower, generationId } = await stableGroupOfTwo(b, 'g');
  const res = b.coordinator.leaveGroup('g', [{ memberId: leader, groupInstanceId: null, reason: 'shutdown' }, { memberId: 'ghost', groupInstanceId: null, reason: null }]);
  assert.deepEqual(res.members.map((m) => m.errorCode), [ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
  assert.equal(b.coordinator.heartbeat({ groupId: 'g', generationId, memberId: follower, groupInstanceId: null }), ErrorCode.REBALANCE_IN_PROGRESS);
  const r = await b.coordinator.joinGroup(joinParams('g', follower));
  assert.equal(r.leader, follower, 'leadership passes to a remaining member');
  assert.equal(r.generationId, generationId + 1);
  assert.equal(b.coordinator.leaveGroup('nope', [{ memberId: 'x', groupInstanceId: null, reason: null }]).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);

  // The last member leaves: the group becomes Empty (after the pending rebalance completes).
  await sync(b, 'g', r.generationId, follower, { [follower]: 'F' });
  b.coordinator.leaveGroup('g', [{ memberId: follower, groupInstanceId: null, reason: null }]);
  assert.equal(b.coordinator.describeGroup('g').state, 'Empty');
});

test('a pending member (MEMBER_ID_REQUIRED) that never returns is forgotten after its session timeout', async () => {
  const b = bench();
  const { leader, generationId } = await stableGroupOfTwo(b, 'g');
  const pending = await b.coordinator.joinGroup(joinParams('g', ''));
  assert.equal(pending.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  // A rebalance started now cannot complete early while the pending member is expected...
  const j1 = b.coordinator.joinGroup(joinParams('g', leader));
  b.coordinator.heartbeat({ groupId: 'g', generationId, memberId: leader, groupInstanceId: null });
  const followerId = b.coordinator.describeGroup('g').members.find((m) => m.memberId !== leader)!.memberId;
  const j2 = b.coordinator.joinGroup(joinParams('g', followerId));
  // ...but once its session (10 s) runs out, the join phase completes.
  await b.time.advance(10_000);
  const [r1, r2] = await Promise.all([j1, j2]);
  assert.equal(r1.generationId, generationId + 1);
  assert.equal(r2.generationId, generationId + 1);
  assert.equal((await b.coordinator.joinGroup(joinParams('g', pending.memberId))).errorCode, ErrorCode.UNKNOWN_MEMBER_ID);
});

test('close() answers parked requests with NOT_COORDINATOR and cancels every timer', async () => {
  const b = bench();
  const a = await joinWithNewId(b, 'g');
  assert.ok(b.time.timerCount > 0);
  b.coordinator.close();
  assert.equal((await a.join).errorCode, ErrorCode.NOT_COORDINATOR);
  assert.equal(b.time.timerCount, 0);
  assert.equal(b.coordinator.heartbeat({ groupId: 'g', generationId: 0, memberId: a.memberId, groupInstanceId: null }), ErrorCode.NOT_COORDINATOR);
});
