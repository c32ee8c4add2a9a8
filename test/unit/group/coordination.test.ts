/**
 * Which groups this broker answers for: every group API but FindCoordinator says NOT_COORDINATOR
 * for a group whose `__consumer_offsets` partition another broker leads, and
 * COORDINATOR_LOAD_IN_PROGRESS while its partition is led here but still loading (Kafka's
 * validateGroupStatus). The handlers run on the wire format through the real router, with a fake
 * GroupLog that says where each group lives.
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

type Where = 'here' | 'elsewhere' | 'loading';

interface Wire {
  b: Bench;
  /** Where each group lives; unlisted groups are coordinated here. */
  where: Map<string, Where>;
  call<T>(api: ApiSpec, version: number, body: object): Promise<T>;
}

function wire(): Wire {
  const b = bench({ initialRebalanceDelayMs: 0 });
  const where = new Map<string, Where>();
  const at = (groupId: string): Where => where.get(groupId) ?? 'here';
  const services = {
    identity: { nodeId: 7, clusterId: 'c', host: 'broker.local', port: 9092, rack: null },
    topics: { get: (name: string) => (name === 't' ? { name: 't', topicId: 'x', partitions: 2, configs: {} } : undefined) },
    groups: b.coordinator,
    groupLog: {
      ensureTopic: async () => undefined,
      isLocalCoordinator: (groupId: string) => at(groupId) === 'here',
      isLoading: (groupId: string) => at(groupId) === 'loading',
      isAnyLoading: () => [...where.values()].includes('loading'),
      partitionFor: (groupId: string) => (at(groupId) === 'elsewhere' ? 1 : 0),
    },
    // Partition 0 of __consumer_offsets is led by this broker (7), partition 1 by broker 8.
    cluster: {
      partition: (_topic: string, p: number) => ({ leaderId: p === 0 ? 7 : 8, leaderEpoch: 0, replicas: [p === 0 ? 7 : 8], isr: [], offlineReplicas: [] }),
      broker: (id: number) => (id === 7 || id === 8 ? { nodeId: id, host: `broker${id}.local`, port: 9092, rack: null } : undefined),
    },
  } as unknown as BrokerServices;
  const router = new RequestRouter(groupHandlers);
  const silent = { debug() {}, info() {}, warn() {}, error() {} } as never;
  let correlationId = 0;
  return {
    b,
    where,
    async call<T>(api: ApiSpec, version: number, body: object): Promise<T> {
      correlationId += 1;
      const frame = Buffer.concat(encodeRequestFrame(api, version, correlationId, 'test-client', body)).subarray(4);
      const pending = router.route(frame, { connectionId: 1, remoteAddress: '10.1.2.3:5555', services, logger: silent });
      await b.time.advance(0);
      const out = await pending;
      assert.ok(out, 'a response');
      return decodeResponse<T>(api, version, Buffer.concat(out).subarray(4)).body;
    },
  };
}

const protocols = [{ name: 'range', metadata: subscription(['t']) }];
const joinBody = (groupId: string, memberId = '') => ({ groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols, reason: null });
const commitBody = (groupId: string, extraTopics: object[] = []) => ({
  groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
  topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] }, ...extraTopics],
});

/** Every group API for `groupId`, answering the error code(s) each one carries for it. */
async function errorsOf(w: Wire, groupId: string): Promise<Record<string, unknown>> {
  const join = await w.call<JoinGroupResponse>(JoinGroupApi, 5, joinBody(groupId, 'm-1'));
  const sync = await w.call<SyncGroupResponse>(SyncGroupApi, 3, { groupId, generationId: 1, memberId: 'm-1', groupInstanceId: null, assignments: [] });
  const hb = await w.call<HeartbeatResponse>(HeartbeatApi, 3, { groupId, generationId: 1, memberId: 'm-1', groupInstanceId: null });
  const leave3 = await w.call<LeaveGroupResponse>(LeaveGroupApi, 3, { groupId, members: [{ memberId: 'm-1', groupInstanceId: null }] });
  const leave1 = await w.call<LeaveGroupResponse>(LeaveGroupApi, 1, { groupId, memberId: 'm-1' });
  const unknownTopic = { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1, committedLeaderEpoch: -1, commitTimestamp: -1, committedMetadata: null }] };
  const commit = await w.call<OffsetCommitResponse>(OffsetCommitApi, 8, commitBody(groupId, [unknownTopic]));
  const fetch1 = await w.call<OffsetFetchResponse>(OffsetFetchApi, 1, { groupId, topics: [{ name: 't', partitionIndexes: [0, 1] }] });
  const fetch5 = await w.call<OffsetFetchResponse>(OffsetFetchApi, 5, { groupId, topics: null, requireStable: false });
  const fetch8 = await w.call<OffsetFetchResponse>(OffsetFetchApi, 8, { groups: [{ groupId, topics: null }], requireStable: false });
  const del = await w.call<OffsetDeleteResponse>(OffsetDeleteApi, 0, { groupId, topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] });
  const describe = await w.call<DescribeGroupsResponse>(DescribeGroupsApi, 5, { groups: [groupId], includeAuthorizedOperations: true });
  const deleteGroups = await w.call<DeleteGroupsResponse>(DeleteGroupsApi, 2, { groupsNames: [groupId] });
  return {
    join: [join.errorCode, join.memberId, join.generationId],
    sync: sync.errorCode,
    heartbeat: hb.errorCode,
    leaveV3: [leave3.errorCode, leave3.members.length],
    leaveV1: leave1.errorCode,
    commit: commit.topics.map((t) => [t.name, t.partitions.map((p) => p.errorCode)]),
    fetchV1: fetch1.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.errorCode])]),
    fetchV5: [fetch5.errorCode, fetch5.topics.length],
    fetchV8: fetch8.groups.map((g) => [g.groupId, g.errorCode, g.topics.length]),
    offsetDelete: [del.errorCode, del.topics.length],
    describe: describe.groups.map((g) => [g.groupId, g.errorCode, g.groupState, g.members.length, g.authorizedOperations]),
    deleteGroups: deleteGroups.results.map((r) => [r.groupId, r.errorCode]),
  };
}

function expectedFor(groupId: string, code: ErrorCode, heartbeat: ErrorCode): Record<string, unknown> {
  return {
    join: [code, 'm-1', -1],
    sync: code,
    heartbeat,
    leaveV3: [code, 0],
    leaveV1: code,
    // A partition of an unknown topic keeps its own error.
    commit: [['t', [code]], ['nope', [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]],
    // v1 has no group error: every requested partition carries it.
    fetchV1: [['t', [[0, -1, code], [1, -1, code]]]],
    fetchV5: [code, 0],
    fetchV8: [[groupId, code, 0]],
    offsetDelete: [code, 0],
    describe: [[groupId, code, '', 0, -2147483648]],
    deleteGroups: [[groupId, code]],
  };
}

test('every group API answers NOT_COORDINATOR for a group whose partition another broker leads', async () => {
  const w = wire();
  // The group exists here (say, from before its partition moved): none of it may be served.
  await w.call<OffsetCommitResponse>(OffsetCommitApi, 8, commitBody('moved'));
  w.where.set('moved', 'elsewhere');
  assert.deepEqual(await errorsOf(w, 'moved'), expectedFor('moved', ErrorCode.NOT_COORDINATOR, ErrorCode.NOT_COORDINATOR));
  // Nothing reached the coordinator: the offsets it had are untouched and no member joined.
  assert.equal(w.b.coordinator.fetchOffsets('moved', null).topics[0]!.partitions[0]!.offset, 5);
  assert.equal(w.b.coordinator.describeGroup('moved').members.length, 0);

  // FindCoordinator still names the partition's leader.
  const fc = await w.call<FindCoordinatorResponse>(FindCoordinatorApi, 3, { key: 'moved', keyType: 0 });
  assert.deepEqual([fc.errorCode, fc.nodeId, fc.host], [0, 8, 'broker8.local']);
});

test('every group API answers COORDINATOR_LOAD_IN_PROGRESS while the group loads; Heartbeat answers NONE, as Kafka', async () => {
  const w = wire();
  w.where.set('loading', 'loading');
  assert.deepEqual(await errorsOf(w, 'loading'), expectedFor('loading', ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NONE));
  assert.equal(w.b.coordinator.listGroups().length, 0, 'no group was created by the requests');
  const fc = await w.call<FindCoordinatorResponse>(FindCoordinatorApi, 3, { key: 'loading', keyType: 0 });
  assert.deepEqual([fc.errorCode, fc.nodeId], [0, 7], 'FindCoordinator keeps naming this broker');
});

test('groups coordinated here are served as before, next to groups that are not', async () => {
  const w = wire();
  w.where.set('far', 'elsewhere');
  await w.call<OffsetCommitResponse>(OffsetCommitApi, 8, commitBody('near'));

  const describe = await w.call<DescribeGroupsResponse>(DescribeGroupsApi, 5, { groups: ['near', 'far'], includeAuthorizedOperations: false });
  assert.deepEqual(describe.groups.map((g) => [g.groupId, g.errorCode, g.groupState]), [['near', 0, 'Empty'], ['far', ErrorCode.NOT_COORDINATOR, '']]);
  const fetch = await w.call<OffsetFetchResponse>(OffsetFetchApi, 8, { groups: [{ groupId: 'near', topics: null }, { groupId: 'far', topics: null }], requireStable: false });
  assert.deepEqual(fetch.groups.map((g) => [g.groupId, g.errorCode, g.topics.length]), [['near', 0, 1], ['far', ErrorCode.NOT_COORDINATOR, 0]]);
  const deleted = await w.call<DeleteGroupsResponse>(DeleteGroupsApi, 2, { groupsNames: ['far', 'near', 'missing'] });
  assert.deepEqual(deleted.results.map((r) => [r.groupId, r.errorCode]), [['far', ErrorCode.NOT_COORDINATOR], ['near', 0], ['missing', ErrorCode.GROUP_ID_NOT_FOUND]]);

  // An empty group id is INVALID_GROUP_ID in the membership APIs, wherever partition 0 is led.
  w.where.set('', 'elsewhere');
  const join = await w.call<JoinGroupResponse>(JoinGroupApi, 5, joinBody(''));
  assert.equal(join.errorCode, ErrorCode.INVALID_GROUP_ID);
  const hb = await w.call<HeartbeatResponse>(HeartbeatApi, 3, { groupId: '', generationId: 1, memberId: 'm', groupInstanceId: null });
  assert.equal(hb.errorCode, ErrorCode.INVALID_GROUP_ID);

  // A member of a group coordinated here goes through a whole rebalance.
  let j = await w.call<JoinGroupResponse>(JoinGroupApi, 5, joinBody('near'));
  assert.equal(j.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
  j = await w.call<JoinGroupResponse>(JoinGroupApi, 5, joinBody('near', j.memberId));
  assert.equal(j.errorCode, 0);
  const s = await w.call<SyncGroupResponse>(SyncGroupApi, 3, { groupId: 'near', generationId: j.generationId, memberId: j.memberId, groupInstanceId: null, assignments: [{ memberId: j.memberId, assignment: Buffer.from('a') }] });
  assert.equal(s.errorCode, 0);
});

test('ListGroups lists only the groups coordinated here, with COORDINATOR_LOAD_IN_PROGRESS while a partition loads', async () => {
  const w = wire();
  for (const g of ['a', 'b', 'c']) await w.call<OffsetCommitResponse>(OffsetCommitApi, 8, commitBody(g));
  w.where.set('b', 'elsewhere');
  for (const v of [0, 3, 5]) {
    const l = await w.call<ListGroupsResponse>(ListGroupsApi, v, { statesFilter: [], typesFilter: [] });
    assert.deepEqual([l.errorCode, l.groups.map((g) => g.groupId).sort()], [0, ['a', 'c']], `v${v}`);
  }
  w.where.set('other', 'loading');
  const l = await w.call<ListGroupsResponse>(ListGroupsApi, 4, { statesFilter: [], typesFilter: [] });
  assert.deepEqual([l.errorCode, l.groups.map((g) => g.groupId).sort()], [ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ['a', 'c']]);
});
