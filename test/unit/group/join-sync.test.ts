import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { bench, isPending, joinParams, joinWithNewId, peek, stableGroupOfTwo, subscription, sync, type Bench } from './harness.js';

test('one member: MEMBER_ID_REQUIRED, initial delay, leader gets its own metadata, sync makes the group Stable', async () => {
  const b = bench();
  const first = await b.coordinator.joinGroup(joinParams('g', '', { clientId: 'my-client' }));
  assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  assert.equal(first.memberId, 'my-client-id1');
  assert.equal(b.coordinator.describeGroup('g').state, 'Empty', 'a pending member does not start a rebalance');

  const join = b.coordinator.joinGroup(joinParams('g', first.memberId, { clientId: 'my-client' }));
  assert.equal(b.coordinator.describeGroup('g').state, 'PreparingRebalance');
  await b.time.advance(2999);
  assert.ok(isPending(await peek(join)), 'the first rebalance waits group.initial.rebalance.delay.ms');
  await b.time.advance(1);
  const joined = await join;
  assert.equal(joined.errorCode, ErrorCode.NONE);
  assert.equal(joined.generationId, 1);
  assert.equal(joined.leader, first.memberId);
  assert.equal(joined.protocolName, 'range');
  assert.equal(joined.protocolType, 'consumer');
  assert.deepEqual(joined.members.map((m) => m.memberId), [first.memberId]);
  assert.deepEqual(joined.members[0]!.metadata, subscription(['t']));
  assert.equal(b.coordinator.describeGroup('g').state, 'CompletingRebalance');

  const synced = await sync(b, 'g', 1, first.memberId, { [first.memberId]: 'assignment-bytes' });
  assert.equal(synced.errorCode, ErrorCode.NONE);
  assert.equal(synced.assignment.toString(), 'assignment-bytes');
  assert.equal(synced.protocolName, 'range');

  const d = b.coordinator.describeGroup('g');
  assert.equal(d.state, 'Stable');
  assert.equal(d.protocolData, 'range');
  assert.deepEqual(d.members.map((m) => [m.memberId, m.clientId, m.clientHost, m.assignment.toString()]), [[first.memberId, 'my-client', '/127.0.0.1', 'assignment-bytes']]);
  assert.ok(b.records.some((r) => r.type === 'group-metadata'), 'the assignment is recorded for persistence');
});

test('JoinGroup below v4 gets its member id directly', async () => {
  const b = bench({ initialRebalanceDelayMs: 0 });
  const join = b.coordinator.joinGroup(joinParams('g', '', { requireKnownMemberId: false }));
  await b.time.advance(0);
  const r = await join;
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(r.memberId, 'client-id1');
  assert.equal(r.leader, r.memberId);
});

test('the initial delay is extended while members keep arriving, up to the rebalance timeout', async () => {
  const b = bench();
  const a = await joinWithNewId(b, 'g');
  await b.time.advance(2000);
  const c = await joinWithNewId(b, 'g');
  await b.time.advance(1000); // t = 3000: a member arrived during the delay → wait another 3 s
  assert.ok(isPending(await peek(a.join)));
  await b.time.advance(2999);
  assert.ok(isPending(await peek(a.join)));
  await b.time.advance(1); // t = 6000
  const [ja, jc] = await Promise.all([a.join, c.join]);
  assert.equal(ja.generationId, 1);
  assert.equal(ja.leader, a.memberId, 'the first member to join leads');
  assert.deepEqual(ja.members.map((m) => m.memberId), [a.memberId, c.memberId], 'the leader gets every member');
  assert.deepEqual(jc.members, [], 'followers get no member list');
  assert.equal(jc.leader, a.memberId);

  // The follower's SyncGroup waits for the leader's.
  const followerSync = sync(b, 'g', 1, c.memberId);
  assert.ok(isPending(await peek(followerSync)));
  const leaderSync = await sync(b, 'g', 1, a.memberId, { [a.memberId]: 'A', [c.memberId]: 'C' });
  assert.equal(leaderSync.assignment.toString(), 'A');
  assert.equal((await followerSync).assignment.toString(), 'C');
  assert.equal(b.coordinator.describeGroup('g').state, 'Stable');
});

test('with a zero initial delay the first rebalance completes on the next timer tick', async () => {
  const b = bench({ initialRebalanceDelayMs: 0 });
  const a = await joinWithNewId(b, 'g');
  await b.time.advance(0);
  assert.equal((await a.join).generationId, 1);
});

test('a member that does not rejoin within the rebalance timeout is removed', async () => {
  const b = bench();
  const { leader, follower, generationId } = await stableGroupOfTwo(b, 'g');

  // The leader rejoins (forcing a rebalance); the follower keeps heartbeating but never rejoins.
  const rejoin = b.coordinator.joinGroup(joinParams('g', leader));
  assert.equal(b.coordinator.describeGroup('g').state, 'PreparingRebalance');
  for (let t = 0; t < 18_000; t += 3000) {
    assert.equal(b.coordinator.heartbeat({ groupId: 'g', generationId, memberId: follower, groupInstanceId: null }), ErrorCode.REBALANCE_IN_PROGRESS);
    await b.time.advance(3000);
  }
  assert.ok(isPending(await peek(rejoin)));
  await b.time.advance(2000); // the rebalance timeout (20 s, the largest member's) has passed
  const r = await rejoin;
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(r.generationId, generationId + 1);
  assert.deepEqual(r.members.map((m) => m.memberId), [leader]);
  assert.equal(b.coordinator.heartbeat({ groupId: 'g', generationId, memberId: follower, groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID);
});

test('a rebalance completes as soon as every member has rejoined', async () => {
  const b = bench();
  const { leader, follower, generationId } = await stableGroupOfTwo(b, 'g');
  const j1 = b.coordinator.joinGroup(joinParams('g', follower, { protocols: [{ name: 'range', metadata: subscription(['t', 'u']) }] }));
  assert.equal(b.coordinator.describeGroup('g').state, 'PreparingRebalance', 'changed metadata triggers a rebalance');
  const j2 = b.coordinator.joinGroup(joinParams('g', leader));
  const [r1, r2] = await Promise.all([j1, j2]);
  assert.equal(r1.generationId, generationId + 1);
  assert.equal(r2.generationId, generationId + 1);
  assert.equal(r2.leader, leader);
});

test('a follower rejoining a Stable group with the same metadata gets the current generation without a rebalance', async () => {
  const b = bench();
  const { leader, follower, generationId } = await stableGroupOfTwo(b, 'g');
  const r = await b.coordinator.joinGroup(joinParams('g', follower));
  assert.equal(r.errorCode, ErrorCode.NONE);
  assert.equal(r.generationId, generationId);
  assert.equal(r.leader, leader);
  assert.equal(b.coordinator.describeGroup('g').state, 'Stable');
});

test('a member whose session expires is removed and the group rebalances without it', async () => {
  const b = bench();
  const { leader, follower, generationId } = await stableGroupOfTwo(b, 'g');
  // Only the leader heartbeats; the follower's 10 s session runs out.
  for (let i = 0; i < 4; i += 1) {
    assert.equal(b.coordinator.heartbeat({ groupId: 'g', generationId, memberId: leader, groupInstanceId: null }), ErrorCode.NONE);
    await b.time.advance(3000);
  }
  assert.equal(b.coordinator.describeGroup('g').state, 'PreparingRebalance');
  assert.equal(b.coordinator.heartbeat({ groupId: 'g', generationId, memberId: leader, groupInstanceId: null }), ErrorCode.REBALANCE_IN_PROGRESS);
  const r = await b.coordinator.joinGroup(joinParams('g', leader));
  assert.equal(r.generationId, generationId + 1, 'the only member rejoined, so the rebalance completes at once');
  assert.deepEqual(r.members.map((m) => m.memberId), [leader]);
  assert.equal(b.coordinator.heartbeat({ groupId: 'g', generationId, memberId: follower, groupInstanceId: null }), ErrorCode.UNKNOWN_MEMBER_ID);
});

/** Two new members join 'g' and wait out the initial delays (7 s); `ja` is a's join response. */
async function twoMembersJoined(b: Bench) {
  const a = await joinWithNewId(b, 'g');
  const c = await joinWithNewId(b, 'g');
  await b.time.advance(7000);
  const ja = await a.join;
  await c.join;
  return { a, c, ja };
}

test('a member that got its join response but never syncs is removed after the rebalance timeout', async () => {
  const b = bench();
  const { a, c, ja } = await twoMembersJoined(b);
  // The leader syncs; the follower never does (and keeps heartbeating, which does not save it).
  await sync(b, 'g', ja.generationId, a.memberId, { [a.memberId]: 'A', [c.memberId]: 'C' });
  for (let t = 0; t < 21_000; t += 3000) {
    b.coordinator.heartbeat({ groupId: 'g', generationId: ja.generationId, memberId: a.memberId, groupInstanceId: null });
    b.coordinator.heartbeat({ groupId: 'g', generationId: ja.generationId, memberId: c.memberId, groupInstanceId: null });
    await b.time.advance(3000);
  }
  const d = b.coordinator.describeGroup('g');
  assert.equal(d.state, 'PreparingRebalance');
  assert.deepEqual(d.members.map((m) => m.memberId), [a.memberId]);
});

test('a new member joining a Stable group triggers a rebalance; the old member learns it from its heartbeat', async () => {
  const b = bench();
  const a = await joinWithNewId(b, 'g');
  await b.time.advance(3000);
  const ja = await a.join;
  await sync(b, 'g', 1, a.memberId, { [a.memberId]: 'A' });
  const c = await joinWithNewId(b, 'g');
  assert.equal(b.coordinator.describeGroup('g').state, 'PreparingRebalance');
  assert.equal(b.coordinator.heartbeat({ groupId: 'g', generationId: ja.generationId, memberId: a.memberId, groupInstanceId: null }), ErrorCode.REBALANCE_IN_PROGRESS);
  assert.equal((await sync(b, 'g', 1, a.memberId)).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
  const rejoin = b.coordinator.joinGroup(joinParams('g', a.memberId));
  const [r1, r2] = await Promise.all([rejoin, c.join]);
  assert.equal(r1.generationId, 2);
  assert.equal(r2.generationId, 2);
  assert.equal(r1.members.length, 2);
});

test('a member joining during CompletingRebalance sends parked SyncGroups back with REBALANCE_IN_PROGRESS', async () => {
  const b = bench();
  const { c, ja } = await twoMembersJoined(b);
  const followerSync = sync(b, 'g', ja.generationId, c.memberId);
  // Before the leader syncs, a third member joins: the parked follower must rejoin.
  await joinWithNewId(b, 'g');
  assert.equal((await followerSync).errorCode, ErrorCode.REBALANCE_IN_PROGRESS);
});

test('the leader\'s assignment is answered only once the group record is durable; a failed write sends members back to rejoin', async () => {
  let release: (() => void) | undefined;
  let failNext = false;
  const b = bench({
    initialRebalanceDelayMs: 0,
    journal: {
      append: (batch) => {
        if (!batch.some((r) => r.type === 'group-metadata')) return undefined;
        if (failNext) return Promise.reject(new Error('disk full'));
        return new Promise<void>((resolve) => (release = resolve));
      },
    },
  });
  const a = await joinWithNewId(b, 'g');
  await b.time.advance(0);
  const joined = await a.join;
  const synced = sync(b, 'g', joined.generationId, a.memberId, { [a.memberId]: 'x' });
  assert.ok(isPending(await peek(synced)), 'no answer before the group metadata is written');
  assert.equal(b.coordinator.describeGroup('g').state, 'CompletingRebalance');
  release!();
  assert.equal((await synced).errorCode, ErrorCode.NONE);
  assert.equal(b.coordinator.describeGroup('g').state, 'Stable');

  failNext = true;
  const rejoin = b.coordinator.joinGroup(joinParams('g', a.memberId));
  await b.time.advance(0);
  const second = await rejoin;
  const failed = await sync(b, 'g', second.generationId, a.memberId, { [a.memberId]: 'y' });
  assert.equal(failed.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  assert.notEqual(b.coordinator.describeGroup('g').state, 'Stable');
});
