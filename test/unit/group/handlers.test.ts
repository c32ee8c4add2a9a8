/**
 * The group handlers end to end on the wire format: requests encoded per version, routed through
 * the real RequestRouter, responses decoded again. Version sequences are the ones the target
 * clients send (COMPAT.md §1).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeResponse, encodeRequestFrame } from '../../../src/protocol/headers.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import {
  DeleteGroupsApi,
  DescribeGroupsApi,
  FindCoordinatorApi,
  HeartbeatApi,
  JoinGroupApi,
  LeaveGroupApi,
  ListGroupsApi,
  OffsetCommitApi,
  OffsetDeleteApi,
  OffsetFetchApi,
  SyncGroupApi,
} from '../../../src/protocol/messages/index.js';
import type { ApiSpec } from '../../../src/protocol/schema/dsl.js';
import type { FindCoordinatorResponse } from '../../../src/protocol/messages/find-coordinator.js';
import type { JoinGroupResponse } from '../../../src/protocol/messages/join-group.js';
import type { SyncGroupResponse } from '../../../src/protocol/messages/sync-group.js';
import type { HeartbeatResponse } from '../../../src/protocol/messages/heartbeat.js';
import type { LeaveGroupResponse } from '../../../src/protocol/messages/leave-group.js';
import type { OffsetCommitResponse } from '../../../src/protocol/messages/offset-commit.js';
import type { OffsetFetchResponse } from '../../../src/protocol/messages/offset-fetch.js';
import type { ListGroupsResponse } from '../../../src/protocol/messages/list-groups.js';
import type { DescribeGroupsResponse } from '../../../src/protocol/messages/describe-groups.js';
import type { DeleteGroupsResponse } from '../../../src/protocol/messages/delete-groups.js';
import type { OffsetDeleteResponse } from '../../../src/protocol/messages/offset-delete.js';
import { RequestRouter } from '../../../src/server/request-router.js';
import type { BrokerServices } from '../../../src/server/broker-services.js';
import { groupHandlers } from '../../../src/server/handlers/group/index.js';
import { bench, subscription, type Bench } from './harness.js';

interface Wire {
  b: Bench;
  call<T>(api: ApiSpec, version: number, body: object): Promise<T>;
}

function wire(): Wire {
  const b = bench({ initialRebalanceDelayMs: 0 });
  const services = {
    identity: { nodeId: 7, clusterId: 'c', host: 'broker.local', port: 9092, rack: null },
    topics: { get: (name: string) => (name === 't' ? { name: 't', topicId: 'x', partitions: 2, configs: {} } : undefined) },
    groups: b.coordinator,
    groupLog: { ensureTopic: async () => undefined, isLocalCoordinator: () => true, isLoading: () => false, isAnyLoading: () => false, partitionFor: () => 0 },
    // The coordinator is the leader of the group's __consumer_offsets partition: broker 7 here.
    cluster: {
      partition: () => ({ leaderId: 7, leaderEpoch: 0, replicas: [7], isr: [7], offlineReplicas: [] }),
      broker: (id: number) => (id === 7 ? { nodeId: 7, host: 'broker.local', port: 9092, rack: null } : undefined),
    },
  } as unknown as BrokerServices;
  const router = new RequestRouter(groupHandlers);
  const silent = { debug() {}, info() {}, warn() {}, error() {} } as never;
  let correlationId = 0;
  return {
    b,
    async call<T>(api: ApiSpec, version: number, body: object): Promise<T> {
      correlationId += 1;
      const frame = Buffer.concat(encodeRequestFrame(api, version, correlationId, 'test-client', body)).subarray(4);
      const pending = router.route(frame, { connectionId: 1, remoteAddress: '::ffff:10.1.2.3:5555', services, logger: silent });
      // Let zero-delay rebalance timers fire while the request is parked.
      await b.time.advance(0);
      const out = await pending;
      assert.ok(out, 'a response');
      const decoded = decodeResponse<T>(api, version, Buffer.concat(out).subarray(4));
      assert.equal(decoded.correlationId, correlationId);
      return decoded.body;
    },
  };
}

test('advertised ranges', () => {
  const ranges = Object.fromEntries(groupHandlers.map((h) => [h.api.apiKey, `${h.minVersion}-${h.maxVersion}`]));
  assert.deepEqual(ranges, { 8: '2-9', 9: '1-9', 10: '0-6', 11: '0-9', 12: '0-4', 13: '0-5', 14: '0-5', 15: '0-5', 16: '0-5', 42: '0-2', 47: '0-0' });
});

test('FindCoordinator: this broker for groups, COORDINATOR_NOT_AVAILABLE for transactions, batched from v4', async () => {
  const w = wire();
  for (const v of [0, 1, 2, 3]) {
    const r = await w.call<FindCoordinatorResponse>(FindCoordinatorApi, v, { key: 'g', keyType: 0 });
    assert.deepEqual([r.errorCode, r.nodeId, r.host, r.port], [0, 7, 'broker.local', 9092], `v${v}`);
  }
  const txn = await w.call<FindCoordinatorResponse>(FindCoordinatorApi, 2, { key: 'tx', keyType: 1 });
  assert.equal(txn.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
  for (const v of [4, 5, 6]) {
    const r = await w.call<FindCoordinatorResponse>(FindCoordinatorApi, v, { keyType: 0, coordinatorKeys: ['a', 'b'] });
    assert.deepEqual(r.coordinators.map((c) => [c.key, c.nodeId, c.host, c.port, c.errorCode]), [['a', 7, 'broker.local', 9092, 0], ['b', 7, 'broker.local', 9092, 0]]);
  }
  const batchTxn = await w.call<FindCoordinatorResponse>(FindCoordinatorApi, 4, { keyType: 1, coordinatorKeys: ['tx'] });
  assert.equal(batchTxn.coordinators[0]!.errorCode, ErrorCode.COORDINATOR_NOT_AVAILABLE);
});

/** One consumer through join, sync, heartbeat, commit, fetch and leave at a client's versions. */
async function lifecycle(versions: { join: number; sync: number; heartbeat: number; commit: number; fetch: number; leave: number }): Promise<void> {
  const w = wire();
  const label = JSON.stringify(versions);
  const protocols = [{ name: 'range', metadata: subscription(['t']) }];
  const joinBody = { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols, reason: null };
  let join = await w.call<JoinGroupResponse>(JoinGroupApi, versions.join, joinBody);
  if (versions.join >= 4) {
    assert.equal(join.errorCode, ErrorCode.MEMBER_ID_REQUIRED, label);
    assert.match(join.memberId, /^test-client-/);
    join = await w.call<JoinGroupResponse>(JoinGroupApi, versions.join, { ...joinBody, memberId: join.memberId });
  }
  assert.equal(join.errorCode, 0, label);
  assert.equal(join.generationId, 1);
  assert.equal(join.protocolName, 'range');
  assert.equal(join.leader, join.memberId);
  assert.deepEqual(join.members.map((m) => m.metadata), [subscription(['t'])]);
  const memberId = join.memberId;

  const sync = await w.call<SyncGroupResponse>(SyncGroupApi, versions.sync, {
    groupId: 'g', generationId: 1, memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
    assignments: [{ memberId, assignment: Buffer.from('assigned') }],
  });
  assert.equal(sync.errorCode, 0, label);
  assert.equal(sync.assignment.toString(), 'assigned');
  if (versions.sync >= 5) assert.deepEqual([sync.protocolType, sync.protocolName], ['consumer', 'range']);

  const hb = await w.call<HeartbeatResponse>(HeartbeatApi, versions.heartbeat, { groupId: 'g', generationId: 1, memberId, groupInstanceId: null });
  assert.equal(hb.errorCode, 0, label);
  const stale = await w.call<HeartbeatResponse>(HeartbeatApi, versions.heartbeat, { groupId: 'g', generationId: 0, memberId, groupInstanceId: null });
  assert.equal(stale.errorCode, ErrorCode.ILLEGAL_GENERATION);

  const commit = await w.call<OffsetCommitResponse>(OffsetCommitApi, versions.commit, {
    groupId: 'g', generationIdOrMemberEpoch: 1, memberId, groupInstanceId: null, retentionTimeMs: -1,
    topics: [
      { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 12, committedLeaderEpoch: 3, commitTimestamp: -1, committedMetadata: 'm' }, { partitionIndex: 5, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] },
      { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] },
    ],
  });
  assert.deepEqual(commit.topics.map((t) => [t.name, t.partitions.map((p) => p.errorCode)]), [['t', [0, 3]], ['nope', [3]]], label);

  let partitions: Array<{ partitionIndex: number; committedOffset: number; committedLeaderEpoch: number; metadata: string | null; errorCode: number }>;
  if (versions.fetch >= 8) {
    const f = await w.call<OffsetFetchResponse>(OffsetFetchApi, versions.fetch, { groups: [{ groupId: 'g', memberId: null, memberEpoch: -1, topics: [{ name: 't', partitionIndexes: [0, 1] }] }], requireStable: false });
    partitions = f.groups[0]!.topics[0]!.partitions;
  } else {
    const f = await w.call<OffsetFetchResponse>(OffsetFetchApi, versions.fetch, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }], requireStable: false });
    partitions = f.topics[0]!.partitions;
  }
  assert.deepEqual(partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata, p.errorCode]), [[0, 12, 'm', 0], [1, -1, '', 0]], label);
  if (versions.fetch >= 5) assert.equal(partitions[0]!.committedLeaderEpoch, versions.commit >= 6 ? 3 : -1);

  const leaveBody = versions.leave >= 3 ? { groupId: 'g', members: [{ memberId, groupInstanceId: null, reason: 'bye' }, { memberId: 'ghost', groupInstanceId: null, reason: null }] } : { groupId: 'g', memberId };
  const leave = await w.call<LeaveGroupResponse>(LeaveGroupApi, versions.leave, leaveBody);
  assert.equal(leave.errorCode, 0, label);
  if (versions.leave >= 3) assert.deepEqual(leave.members.map((m) => m.errorCode), [0, ErrorCode.UNKNOWN_MEMBER_ID]);
  assert.equal(w.b.coordinator.describeGroup('g').state, 'Empty');
  if (versions.leave < 3) {
    const again = await w.call<LeaveGroupResponse>(LeaveGroupApi, versions.leave, { groupId: 'g', memberId });
    assert.equal(again.errorCode, ErrorCode.UNKNOWN_MEMBER_ID, 'v0-2 carry the member error at the top level');
  }
}

test('consumer lifecycle at kafkajs 2.2.4 versions', () => lifecycle({ join: 5, sync: 3, heartbeat: 3, commit: 5, fetch: 4, leave: 3 }));
test('consumer lifecycle at librdkafka 2.0 versions', () => lifecycle({ join: 5, sync: 3, heartbeat: 3, commit: 7, fetch: 7, leave: 1 }));
test('consumer lifecycle at kafka-python 2.0 versions', () => lifecycle({ join: 2, sync: 1, heartbeat: 1, commit: 2, fetch: 1, leave: 1 }));
test('consumer lifecycle at the oldest versions', () => lifecycle({ join: 0, sync: 0, heartbeat: 0, commit: 2, fetch: 1, leave: 0 }));
test('consumer lifecycle at the newest versions (flexible)', () => lifecycle({ join: 9, sync: 5, heartbeat: 4, commit: 9, fetch: 9, leave: 5 }));
test('consumer lifecycle at JoinGroup v7 (nullable protocol name)', () => lifecycle({ join: 7, sync: 4, heartbeat: 4, commit: 8, fetch: 8, leave: 4 }));

test('admin APIs on the wire: ListGroups, DescribeGroups, OffsetFetch of all topics, OffsetDelete, DeleteGroups', async () => {
  const w = wire();
  const commitBody = (groupId: string) => ({
    groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
    topics: [{ name: 't', partitions: [{ partitionIndex: 1, committedOffset: 5, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }],
  });
  await w.call<OffsetCommitResponse>(OffsetCommitApi, 2, commitBody('simple'));

  for (const v of [0, 1, 2, 3, 4, 5]) {
    const l = await w.call<ListGroupsResponse>(ListGroupsApi, v, { statesFilter: [], typesFilter: [] });
    assert.deepEqual(l.groups.map((g) => g.groupId), ['simple'], `ListGroups v${v}`);
    if (v >= 4) assert.equal(l.groups[0]!.groupState, 'Empty');
    if (v >= 5) assert.equal(l.groups[0]!.groupType, 'classic');
  }
  const filtered = await w.call<ListGroupsResponse>(ListGroupsApi, 4, { statesFilter: ['Stable'], typesFilter: [] });
  assert.deepEqual(filtered.groups, []);

  for (const v of [0, 1, 2, 3, 4, 5]) {
    const d = await w.call<DescribeGroupsResponse>(DescribeGroupsApi, v, { groups: ['simple', 'missing'], includeAuthorizedOperations: true });
    assert.deepEqual(d.groups.map((g) => [g.groupId, g.errorCode, g.groupState]), [['simple', 0, 'Empty'], ['missing', 0, 'Dead']], `DescribeGroups v${v}`);
    if (v >= 3) assert.equal(d.groups[0]!.authorizedOperations, (1 << 3) | (1 << 6) | (1 << 8));
  }

  const all = await w.call<OffsetFetchResponse>(OffsetFetchApi, 2, { groupId: 'simple', topics: null, requireStable: false });
  assert.deepEqual(all.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset])]), [['t', [[1, 5]]]]);

  const del = await w.call<OffsetDeleteResponse>(OffsetDeleteApi, 0, { groupId: 'simple', topics: [{ name: 't', partitions: [{ partitionIndex: 1 }, { partitionIndex: 9 }] }] });
  assert.equal(del.errorCode, 0);
  assert.deepEqual(del.topics[0]!.partitions.map((p) => p.errorCode), [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  const missing = await w.call<OffsetDeleteResponse>(OffsetDeleteApi, 0, { groupId: 'missing', topics: [{ name: 't', partitions: [{ partitionIndex: 1 }] }] });
  assert.equal(missing.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);

  for (const v of [0, 1, 2]) {
    await w.call<OffsetCommitResponse>(OffsetCommitApi, 2, commitBody(`g${v}`));
    // The empty id names no group: GROUP_ID_NOT_FOUND, as Kafka 4.1 answers (test/interop/kafka-error-answers.test.ts).
    const r = await w.call<DeleteGroupsResponse>(DeleteGroupsApi, v, { groupsNames: [`g${v}`, 'missing', ''] });
    assert.deepEqual(r.results.map((x) => [x.groupId, x.errorCode]), [[`g${v}`, 0], ['missing', ErrorCode.GROUP_ID_NOT_FOUND], ['', ErrorCode.GROUP_ID_NOT_FOUND]], `DeleteGroups v${v}`);
  }
});

test('DescribeGroups reports the client id and the client host as Kafka prints it', async () => {
  const w = wire();
  const join = await w.call<JoinGroupResponse>(JoinGroupApi, 3, { groupId: 'g', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000, memberId: '', protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['t']) }] });
  await w.call<SyncGroupResponse>(SyncGroupApi, 3, { groupId: 'g', generationId: join.generationId, memberId: join.memberId, groupInstanceId: null, assignments: [{ memberId: join.memberId, assignment: Buffer.from('x') }] });
  const d = await w.call<DescribeGroupsResponse>(DescribeGroupsApi, 4, { groups: ['g'], includeAuthorizedOperations: false });
  const m = d.groups[0]!.members[0]!;
  assert.deepEqual([m.clientId, m.clientHost, m.memberAssignment.toString()], ['test-client', '/10.1.2.3', 'x']);
  assert.equal(d.groups[0]!.protocolData, 'range');
  assert.equal(d.groups[0]!.authorizedOperations, -2147483648);
});
