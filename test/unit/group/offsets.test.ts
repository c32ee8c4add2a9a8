import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { OffsetCommitParams } from '../../../src/cluster/group/offset-manager.js';
import { bench, joinParams, stableGroupOfTwo, subscription } from './harness.js';

function commit(groupId: string, offsets: Array<[string, number, number, (string | null)?]>, extra: Partial<OffsetCommitParams> = {}): OffsetCommitParams {
  return {
    groupId,
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    groupIdNotFoundForMissingGroup: false,
    offsets: offsets.map(([topic, partition, offset, metadata]) => ({ topic, partition, offset, leaderEpoch: 5, metadata: metadata ?? null })),
    ...extra,
  };
}

test('simple consumer: commit with generation -1 and no member, fetch back, -1 for partitions without a commit', async () => {
  const b = bench();
  const res = await b.coordinator.commitOffsets(commit('simple', [['t', 0, 10, 'meta'], ['t', 1, 20], ['u', 0, 30]]));
  assert.deepEqual(res.map((r) => r.errorCode), [0, 0, 0]);

  const some = b.coordinator.fetchOffsets('simple', [{ name: 't', partitions: [0, 1, 2] }]);
  assert.equal(some.errorCode, ErrorCode.NONE);
  assert.deepEqual(some.topics[0]!.partitions, [
    { partition: 0, offset: 10, leaderEpoch: 5, metadata: 'meta', errorCode: 0 },
    { partition: 1, offset: 20, leaderEpoch: 5, metadata: '', errorCode: 0 },
    { partition: 2, offset: -1, leaderEpoch: -1, metadata: '', errorCode: 0 },
  ]);

  const all = b.coordinator.fetchOffsets('simple', null);
  assert.deepEqual(all.topics.map((t) => [t.name, t.partitions.map((p) => p.offset)]), [['t', [10, 20]], ['u', [30]]]);

  const unknownGroup = b.coordinator.fetchOffsets('nobody', [{ name: 't', partitions: [0] }]);
  assert.equal(unknownGroup.topics[0]!.partitions[0]!.offset, -1);
  assert.deepEqual(b.coordinator.fetchOffsets('nobody', null).topics, []);

  assert.deepEqual(b.coordinator.listGroups().map((g) => [g.groupId, g.state, g.protocolType]), [['simple', 'Empty', '']]);
  assert.equal(b.records.filter((r) => r.type === 'offset-commit').length, 3, 'each commit is a record');
});

test('a commit with a generation to a missing group is rejected (ILLEGAL_GENERATION; GROUP_ID_NOT_FOUND from v9)', async () => {
  const b = bench();
  assert.equal((await b.coordinator.commitOffsets(commit('g', [['t', 0, 1]], { generationId: 3, memberId: 'm' })))[0]!.errorCode, ErrorCode.ILLEGAL_GENERATION);
  assert.equal((await b.coordinator.commitOffsets(commit('g', [['t', 0, 1]], { generationId: 3, memberId: 'm', groupIdNotFoundForMissingGroup: true })))[0]!.errorCode, ErrorCode.GROUP_ID_NOT_FOUND);
});

test('metadata larger than offset.metadata.max.bytes fails that partition only', async () => {
  const b = bench({ offsetMetadataMaxBytes: 5 });
  const res = await b.coordinator.commitOffsets(commit('g', [['t', 0, 1, '12345'], ['t', 1, 1, '123456']]));
  assert.deepEqual(res.map((r) => r.errorCode), [ErrorCode.NONE, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
  assert.equal(b.coordinator.fetchOffsets('g', [{ name: 't', partitions: [1] }]).topics[0]!.partitions[0]!.offset, -1);
});

test('members commit with their generation; a new member of the group reads the committed offsets', async () => {
  const b = bench();
  const { leader, follower, generationId } = await stableGroupOfTwo(b, 'g');
  const res = await b.coordinator.commitOffsets(commit('g', [['t', 0, 100]], { generationId, memberId: follower }));
  assert.equal(res[0]!.errorCode, ErrorCode.NONE);
  b.coordinator.leaveGroup('g', [{ memberId: leader, groupInstanceId: null, reason: null }, { memberId: follower, groupInstanceId: null, reason: null }]);
  assert.equal(b.coordinator.describeGroup('g').state, 'Empty');
  assert.equal(b.coordinator.fetchOffsets('g', [{ name: 't', partitions: [0] }]).topics[0]!.partitions[0]!.offset, 100);
  // Once the group is empty, an admin tool may reset offsets with generation -1.
  assert.equal((await b.coordinator.commitOffsets(commit('g', [['t', 0, 7]])))[0]!.errorCode, ErrorCode.NONE);
});

test('retention: empty group offsets expire a retention period after the group became Empty', async () => {
  const b = bench({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 });
  const { leader, follower, generationId } = await stableGroupOfTwo(b, 'g');
  await b.coordinator.commitOffsets(commit('g', [['t', 0, 100]], { generationId, memberId: leader }));
  b.coordinator.leaveGroup('g', [{ memberId: leader, groupInstanceId: null, reason: null }, { memberId: follower, groupInstanceId: null, reason: null }]);
  await b.time.advance(50_000);
  assert.equal(b.coordinator.fetchOffsets('g', [{ name: 't', partitions: [0] }]).topics[0]!.partitions[0]!.offset, 100);
  await b.time.advance(20_000);
  assert.equal(b.coordinator.fetchOffsets('g', [{ name: 't', partitions: [0] }]).topics[0]!.partitions[0]!.offset, -1);
  assert.deepEqual(b.coordinator.listGroups(), [], 'an empty group without offsets is removed');
  assert.ok(b.records.some((r) => r.type === 'offset-tombstone'));
  assert.ok(b.records.some((r) => r.type === 'group-tombstone'));
});

test('retention: a simple group\'s offsets expire relative to their commit; an explicit retention wins', async () => {
  const b = bench({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 1000 });
  await b.coordinator.commitOffsets(commit('s', [['t', 0, 1]]));
  await b.coordinator.commitOffsets(commit('s', [['t', 1, 1]], { retentionTimeMs: 5000 }));
  await b.time.advance(30_000);
  await b.coordinator.commitOffsets(commit('s', [['t', 2, 1]]));
  const offsets = (): number[] => b.coordinator.fetchOffsets('s', [{ name: 't', partitions: [0, 1, 2] }]).topics[0]!.partitions.map((p) => p.offset);
  assert.deepEqual(offsets(), [1, -1, 1], 'explicit 5 s retention expired');
  await b.time.advance(31_000);
  assert.deepEqual(offsets(), [-1, -1, 1]);
  await b.time.advance(30_000);
  assert.deepEqual(offsets(), [-1, -1, -1]);
});

test('a Stable consumer group keeps offsets of subscribed topics but expires those of others', async () => {
  const b = bench({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 1000 });
  const { leader, follower, generationId } = await stableGroupOfTwo(b, 'g');
  await b.coordinator.commitOffsets(commit('g', [['t', 0, 1], ['other', 0, 1]], { generationId, memberId: leader }));
  for (let t = 0; t < 70_000; t += 3000) {
    b.coordinator.heartbeat({ groupId: 'g', generationId, memberId: leader, groupInstanceId: null });
    b.coordinator.heartbeat({ groupId: 'g', generationId, memberId: follower, groupInstanceId: null });
    await b.time.advance(3000);
  }
  assert.equal(b.coordinator.describeGroup('g').state, 'Stable');
  const all = b.coordinator.fetchOffsets('g', null);
  assert.deepEqual(all.topics.map((t) => t.name), ['t'], 'the group subscribes to t only');
});

test('OffsetDelete: not for topics a consumer group subscribes to; any topic of an empty group', async () => {
  const b = bench();
  const { leader, generationId } = await stableGroupOfTwo(b, 'g');
  await b.coordinator.commitOffsets(commit('g', [['t', 0, 1], ['other', 0, 1]], { generationId, memberId: leader }));
  const res = b.coordinator.deleteOffsets('g', [{ topic: 't', partition: 0 }, { topic: 'other', partition: 0 }]);
  assert.equal(res.errorCode, ErrorCode.NONE);
  assert.deepEqual(res.partitions.map((p) => p.errorCode), [ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, ErrorCode.NONE]);
  assert.deepEqual(b.coordinator.fetchOffsets('g', null).topics.map((t) => t.name), ['t']);
  assert.equal(b.coordinator.deleteOffsets('missing', [{ topic: 't', partition: 0 }]).errorCode, ErrorCode.GROUP_ID_NOT_FOUND);

  await b.coordinator.commitOffsets(commit('simple', [['t', 0, 1]]));
  assert.deepEqual(b.coordinator.deleteOffsets('simple', [{ topic: 't', partition: 0 }]).partitions.map((p) => p.errorCode), [ErrorCode.NONE]);
  assert.deepEqual(b.coordinator.fetchOffsets('simple', null).topics, []);
});

test('DeleteGroups, ListGroups filters and DescribeGroups of an unknown group', async () => {
  const b = bench();
  await stableGroupOfTwo(b, 'busy');
  await b.coordinator.commitOffsets(commit('idle', [['t', 0, 1]]));
  assert.deepEqual(b.coordinator.listGroups(['stable']).map((g) => g.groupId), ['busy']);
  assert.deepEqual(b.coordinator.listGroups(['Empty']).map((g) => g.groupId), ['idle']);
  assert.deepEqual(b.coordinator.listGroups([], ['consumer']), [], 'only classic groups exist');
  assert.deepEqual(b.coordinator.listGroups([], ['Classic']).length, 2);

  assert.deepEqual(b.coordinator.deleteGroups(['busy', 'idle', 'missing']), [
    { groupId: 'busy', errorCode: ErrorCode.NON_EMPTY_GROUP },
    { groupId: 'idle', errorCode: ErrorCode.NONE },
    { groupId: 'missing', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
  ]);
  assert.deepEqual(b.coordinator.fetchOffsets('idle', null).topics, []);
  assert.deepEqual(b.coordinator.describeGroup('idle'), { groupId: 'idle', state: 'Dead', protocolType: '', protocolData: '', members: [] });
});

test('DescribeGroups hides metadata and assignments while a rebalance is in progress', async () => {
  const b = bench();
  const { leader } = await stableGroupOfTwo(b, 'g');
  const stable = b.coordinator.describeGroup('g');
  assert.equal(stable.members.length, 2);
  assert.deepEqual(stable.members[0]!.metadata, subscription(['t']));
  assert.ok(stable.members.some((m) => m.assignment.toString() === 'A'));
  void b.coordinator.joinGroup(joinParams('g', leader));
  const preparing = b.coordinator.describeGroup('g');
  assert.equal(preparing.state, 'PreparingRebalance');
  assert.equal(preparing.protocolData, '');
  assert.ok(preparing.members.every((m) => m.metadata.length === 0 && m.assignment.length === 0));
});
