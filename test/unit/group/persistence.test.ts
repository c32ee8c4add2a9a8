/**
 * Durable group state: the `__consumer_offsets` record formats (Kafka's key/value layouts), the
 * group → partition mapping (Java's String.hashCode), and a write → reopen → replay cycle over the
 * real storage stack (topic registry, partition logs, replica manager).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { GroupLog } from '../../../src/cluster/group/group-log.js';
import type { GroupRecord } from '../../../src/cluster/group/group-records.js';
import { javaStringHashCode, offsetsPartitionFor } from '../../../src/cluster/group/partitioner.js';
import { decodeGroupRecord, encodeGroupRecord } from '../../../src/cluster/group/records/codec.js';
import { OFFSETS_TOPIC, InternalTopic, isInternalTopic } from '../../../src/cluster/internal-topics.js';
import { ReplicaManager } from '../../../src/cluster/replication/replica-manager.js';
import { TopicAdmin } from '../../../src/cluster/topic-admin.js';
import { MemoryTopicStore } from '../../helpers/memory-topic-store.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log-config.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { bench, joinWithNewId, SILENT, stableGroupOfTwo, sync, type Bench } from './harness.js';

// ------------------------------------------------------------------ formats

test('Java String.hashCode and Kafka\'s partitionFor (Utils.abs maps MIN_VALUE to 0)', () => {
  assert.equal(javaStringHashCode(''), 0);
  assert.equal(javaStringHashCode('hello'), 99162322);
  assert.equal(javaStringHashCode('Aa'), javaStringHashCode('BB'));
  assert.equal(javaStringHashCode('polygenelubricants'), -2147483648);
  assert.equal(offsetsPartitionFor('polygenelubricants', 50), 0);
  // A negative hash: Math.abs, not a bit mask ("console-consumer-1": -ve in Java).
  const h = javaStringHashCode('my-group-7');
  assert.equal(offsetsPartitionFor('my-group-7', 50), Math.abs(h) % 50);
  assert.equal(offsetsPartitionFor('é-group', 7), Math.abs(javaStringHashCode('é-group')) % 7);
  assert.throws(() => offsetsPartitionFor('g', 0), RangeError);
});

test('only __consumer_offsets and __transaction_state are internal topics', () => {
  assert.ok(isInternalTopic('__consumer_offsets'));
  assert.ok(isInternalTopic('__transaction_state'));
  assert.ok(!isInternalTopic('__my_topic'));
});

test('offset commit record: key v1 and value v3 bytes as Kafka lays them out; v1 with an expire timestamp', () => {
  const record: GroupRecord = {
    type: 'offset-commit',
    groupId: 'g',
    topic: 't',
    partition: 3,
    value: { offset: 42, leaderEpoch: 5, metadata: 'm', commitTimestampMs: 1000, expireTimestampMs: null },
  };
  const { key, value } = encodeGroupRecord(record);
  assert.deepEqual(key, Buffer.from([0, 1, 0, 1, 0x67, 0, 1, 0x74, 0, 0, 0, 3]));
  assert.ok(value);
  const expected = Buffer.alloc(2 + 8 + 4 + 3 + 8);
  expected.writeInt16BE(3, 0);
  expected.writeBigInt64BE(42n, 2);
  expected.writeInt32BE(5, 10);
  expected.writeInt16BE(1, 14);
  expected.write('m', 16);
  expected.writeBigInt64BE(1000n, 17);
  assert.deepEqual(value, expected);
  assert.deepEqual(decodeGroupRecord(key, value), record);

  const withExpiry: GroupRecord = { ...record, value: { ...record.value, leaderEpoch: -1, expireTimestampMs: 9000 } };
  const kv = encodeGroupRecord(withExpiry);
  assert.equal(kv.value!.readInt16BE(0), 1, 'v1 carries the expire timestamp');
  assert.deepEqual(decodeGroupRecord(kv.key, kv.value), withExpiry);

  const tomb = encodeGroupRecord({ type: 'offset-tombstone', groupId: 'g', topic: 't', partition: 3 });
  assert.equal(tomb.value, null);
  assert.deepEqual(decodeGroupRecord(tomb.key, null), { type: 'offset-tombstone', groupId: 'g', topic: 't', partition: 3 });
});

test('group metadata record: key v2 / value v3 round trip, and value v0 (older brokers) is read', () => {
  const record: GroupRecord = {
    type: 'group-metadata',
    groupId: 'grp',
    value: {
      protocolType: 'consumer',
      generationId: 7,
      protocolName: 'range',
      leader: 'm1',
      stateTimestampMs: 123456,
      members: [
        { memberId: 'm1', groupInstanceId: 'i1', clientId: 'c', clientHost: '/127.0.0.1', rebalanceTimeoutMs: 30000, sessionTimeoutMs: 10000, subscription: Buffer.from([1, 2]), assignment: Buffer.from([3]) },
        { memberId: 'm2', groupInstanceId: null, clientId: 'c2', clientHost: '/10.0.0.1', rebalanceTimeoutMs: 20000, sessionTimeoutMs: 6000, subscription: Buffer.alloc(0), assignment: Buffer.alloc(0) },
      ],
    },
  };
  const { key, value } = encodeGroupRecord(record);
  assert.deepEqual(key, Buffer.from([0, 2, 0, 3, 0x67, 0x72, 0x70]));
  assert.equal(value!.readInt16BE(0), 3);
  assert.deepEqual(decodeGroupRecord(key, value), record);
  assert.deepEqual(decodeGroupRecord(key, null), { type: 'group-tombstone', groupId: 'grp' });

  // Value v0: protocolType, generation, protocol, leader, members[memberId, clientId, clientHost, sessionTimeout, subscription, assignment].
  const str = (s: string): Buffer => Buffer.concat([Buffer.from([0, s.length]), Buffer.from(s)]);
  const bytes = (b: number[]): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), Buffer.from(b)]);
  const v0 = Buffer.concat([
    Buffer.from([0, 0]), str('consumer'), Buffer.from([0, 0, 0, 2]), str('range'), str('m1'),
    Buffer.from([0, 0, 0, 1]), str('m1'), str('c'), str('/h'), Buffer.from([0, 0, 0x27, 0x10]), bytes([9]), bytes([8]),
  ]);
  const decoded = decodeGroupRecord(key, v0);
  assert.ok(decoded?.type === 'group-metadata');
  assert.equal(decoded.value.generationId, 2);
  assert.equal(decoded.value.stateTimestampMs, -1);
  assert.deepEqual(decoded.value.members[0], { memberId: 'm1', groupInstanceId: null, clientId: 'c', clientHost: '/h', rebalanceTimeoutMs: 10000, sessionTimeoutMs: 10000, subscription: Buffer.from([9]), assignment: Buffer.from([8]) });
});

test('records this coordinator does not own (KIP-848 key versions) are skipped, not misread', () => {
  assert.equal(decodeGroupRecord(Buffer.from([0, 3, 0, 1, 0x67]), null), null);
  assert.equal(decodeGroupRecord(Buffer.from([0, 11, 0, 1, 0x67]), null), null);
});

// ------------------------------------------------------------------ write, reopen, replay

interface Node {
  b: Bench;
  log: GroupLog;
  topics: MemoryTopicStore;
  replicas: ReplicaManager;
  close(): Promise<void>;
}

const storesByDir = new Map<string, MemoryTopicStore>();

async function openNode(dir: string, opts: { partitions?: number } = {}): Promise<Node> {
  const logger = pino({ level: 'silent' });
  // The topics outlive a node, as the cluster metadata does.
  const topics = storesByDir.get(dir) ?? new MemoryTopicStore();
  storesByDir.set(dir, topics);
  const logs = new LogManager([path.join(dir, 'logs')]);
  await logs.open();
  const replicas = new ReplicaManager(logs, () => DEFAULT_LOG_CONFIG, logger);
  for (const t of topics.list()) await replicas.hostPartitions(t.name, t.partitions, t.topicId);
  topics.onCreate = (t) => replicas.hostPartitions(t.name, t.partitions, t.topicId);
  const admin = new TopicAdmin(topics, { liveBrokerCount: () => 1, numPartitions: 1, defaultReplicationFactor: 1, autoCreateTopicsEnable: false, deleteTopicEnable: true });
  const offsetsTopic = new InternalTopic(topics, admin, { numPartitions: opts.partitions ?? 5, replicationFactor: 3, segmentBytes: 1 << 20, liveBrokers: () => 1 });
  let log: GroupLog | undefined;
  const b = bench({ journal: { append: (records) => log!.append(records) } });
  log = new GroupLog(replicas, offsetsTopic, b.time, SILENT);
  await log.load((r) => b.coordinator.replay(r));
  b.coordinator.completeLoad();
  return {
    b,
    log,
    topics,
    replicas,
    close: async () => {
      b.coordinator.close();
      await replicas.close();
      await logs.close();
    },
  };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-groups-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const commit = (n: Node, groupId: string, offsets: Array<[string, number, number]>, extra: { generationId?: number; memberId?: string; retentionTimeMs?: number; metadata?: string } = {}) =>
  n.b.coordinator.commitOffsets({
    groupId,
    generationId: extra.generationId ?? -1,
    memberId: extra.memberId ?? '',
    groupInstanceId: null,
    retentionTimeMs: extra.retentionTimeMs ?? -1,
    groupIdNotFoundForMissingGroup: true,
    offsets: offsets.map(([topic, partition, offset]) => ({ topic, partition, offset, leaderEpoch: 2, metadata: extra.metadata ?? 'meta' })),
  });

test('the offsets topic is created on first write with Kafka\'s internal-topic settings, and commits are in its log', async () => {
  await withDir(async (dir) => {
    const n = await openNode(dir);
    try {
      assert.equal(n.topics.get(OFFSETS_TOPIC), undefined, 'not created before first use');
      const results = await commit(n, 'g1', [['t', 0, 10]]);
      assert.deepEqual(results, [{ topic: 't', partition: 0, errorCode: ErrorCode.NONE }]);
      const info = n.topics.get(OFFSETS_TOPIC)!;
      assert.equal(info.partitions, 5);
      assert.deepEqual(info.configs, { 'cleanup.policy': 'compact', 'compression.type': 'producer', 'segment.bytes': String(1 << 20) });
      const p = n.log.partitionFor('g1');
      assert.equal(p, offsetsPartitionFor('g1', 5));
      assert.equal(n.replicas.get(OFFSETS_TOPIC, p).highWatermark, 1, 'the commit answered after its record was in the log');
    } finally {
      await n.close();
    }
  });
});

test('offsets (with metadata and leader epoch), groups and tombstones survive a reopen', async () => {
  await withDir(async (dir) => {
    let n = await openNode(dir);
    let leader: string;
    let follower: string;
    let generationId: number;
    try {
      await commit(n, 'simple', [['t', 0, 5], ['t', 1, 6], ['u', 0, 7]], { metadata: 'hello' });
      await commit(n, 'simple', [['t', 0, 50]]);
      assert.equal(n.b.coordinator.deleteOffsets('simple', [{ topic: 'u', partition: 0 }]).errorCode, ErrorCode.NONE);
      ({ leader, follower, generationId } = await stableGroupOfTwo(n.b, 'members'));
      await commit(n, 'members', [['t', 0, 99]], { generationId, memberId: leader });
      await commit(n, 'gone', [['t', 0, 1]]);
      assert.deepEqual(n.b.coordinator.deleteGroups(['gone']), [{ groupId: 'gone', errorCode: ErrorCode.NONE }]);
      await n.b.time.advance(0);
    } finally {
      await n.close();
    }

    n = await openNode(dir);
    try {
      const c = n.b.coordinator;
      assert.deepEqual(c.fetchOffsets('simple', null), {
        errorCode: ErrorCode.NONE,
        topics: [{ name: 't', partitions: [{ partition: 0, offset: 50, leaderEpoch: 2, metadata: 'meta', errorCode: 0 }, { partition: 1, offset: 6, leaderEpoch: 2, metadata: 'hello', errorCode: 0 }] }],
      });
      assert.deepEqual(c.fetchOffsets('gone', null).topics, []);
      assert.deepEqual(c.listGroups().map((g) => [g.groupId, g.state]).sort(), [['members', 'Stable'], ['simple', 'Empty']]);

      // The loaded group is Stable in the same generation: its members carry on with heartbeats and commits.
      const d = c.describeGroup('members');
      assert.equal(d.state, 'Stable');
      assert.deepEqual(d.members.map((m) => [m.memberId, m.assignment.toString()]).sort(), [[leader, 'A'], [follower, 'B']].sort());
      assert.equal(c.heartbeat({ groupId: 'members', generationId, memberId: follower, groupInstanceId: null }), ErrorCode.NONE);
      assert.deepEqual(await commit(n, 'members', [['t', 0, 100]], { generationId, memberId: follower }), [{ topic: 't', partition: 0, errorCode: 0 }]);
      assert.equal(c.fetchOffsets('members', [{ name: 't', partitions: [0] }]).topics[0]!.partitions[0]!.offset, 100);

      // A member that does not come back is expired after its session timeout and the group rebalances.
      await n.b.time.advance(9_000);
      assert.equal(c.heartbeat({ groupId: 'members', generationId, memberId: follower, groupInstanceId: null }), ErrorCode.NONE);
      await n.b.time.advance(2_000);
      assert.equal(c.describeGroup('members').state, 'PreparingRebalance', 'the silent leader expired');
    } finally {
      await n.close();
    }
  });
});

test('a group that went Empty is loaded Empty with its generation; expired offsets are tombstoned durably', async () => {
  await withDir(async (dir) => {
    let n = await openNode(dir);
    try {
      const m = await joinWithNewId(n.b, 'e');
      await n.b.time.advance(3_000);
      const joined = await m.join;
      await sync(n.b, 'e', joined.generationId, m.memberId, { [m.memberId]: 'X' });
      await commit(n, 'e', [['t', 0, 3]], { generationId: joined.generationId, memberId: m.memberId });
      n.b.coordinator.leaveGroup('e', [{ memberId: m.memberId, groupInstanceId: null, reason: null }]);
      await n.b.time.advance(0);
      assert.equal(n.b.coordinator.describeGroup('e').state, 'Empty');
      await commit(n, 'short', [['t', 0, 8]], { retentionTimeMs: 1000 });
    } finally {
      await n.close();
    }

    n = await openNode(dir);
    try {
      const c = n.b.coordinator;
      assert.deepEqual(c.listGroups().map((g) => [g.groupId, g.state]).sort(), [['e', 'Empty'], ['short', 'Empty']]);
      assert.equal(c.describeGroup('e').state, 'Empty');
      assert.equal(c.fetchOffsets('e', [{ name: 't', partitions: [0] }]).topics[0]!.partitions[0]!.offset, 3);
      // The next generation continues from the stored one.
      const m = await joinWithNewId(n.b, 'e');
      await n.b.time.advance(3_000);
      assert.equal((await m.join).generationId, 3);

      // 'short' carried an explicit retention (OffsetCommit v2-4): it expires and the tombstone is written.
      await n.b.time.advance(2_000);
      assert.deepEqual(c.expireOffsets(), { offsets: 1, groups: 1 });
      await n.b.time.advance(0);
    } finally {
      await n.close();
    }

    n = await openNode(dir);
    try {
      assert.deepEqual(n.b.coordinator.fetchOffsets('short', null).topics, []);
      assert.ok(!n.b.coordinator.listGroups().some((g) => g.groupId === 'short'));
    } finally {
      await n.close();
    }
  });
});

test('a failed write answers the commit with Kafka\'s error and takes it back', async () => {
  const b = bench({
    journal: {
      append: (records) => {
        if (records.some((r) => r.type === 'offset-commit' && r.value.offset === 13)) return Promise.reject(Object.assign(new Error('full'), {}));
        return Promise.resolve();
      },
    },
  });
  const c = b.coordinator;
  const ok = await c.commitOffsets({ groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, groupIdNotFoundForMissingGroup: true, offsets: [{ topic: 't', partition: 0, offset: 12, leaderEpoch: -1, metadata: null }] });
  assert.equal(ok[0]!.errorCode, ErrorCode.NONE);
  const failed = await c.commitOffsets({ groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1, groupIdNotFoundForMissingGroup: true, offsets: [{ topic: 't', partition: 0, offset: 13, leaderEpoch: -1, metadata: null }] });
  assert.equal(failed[0]!.errorCode, ErrorCode.UNKNOWN_SERVER_ERROR);
  assert.equal(c.fetchOffsets('s', [{ name: 't', partitions: [0] }]).topics[0]!.partitions[0]!.offset, 12);
});
