/**
 * A `__consumer_offsets` partition changing hands, over the real storage stack: while it is led
 * here but not read back yet its groups are loading; when it stops being led here its groups leave
 * memory (parked requests answered NOT_COORDINATOR, timers cancelled); when it is led here again
 * the log alone restores them, exactly as they were committed. Leadership is simulated by hiding
 * the partition from the GroupLog, as the replica manager does once it unhosts it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { GroupLog, type GroupLogReplicas } from '../../../src/cluster/group/group-log.js';
import { offsetsPartitionFor } from '../../../src/cluster/group/partitioner.js';
import { OFFSETS_TOPIC, InternalTopic } from '../../../src/cluster/internal-topics.js';
import { ReplicaManager } from '../../../src/cluster/replication/replica-manager.js';
import { TopicAdmin } from '../../../src/cluster/topic-admin.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log-config.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { MemoryTopicStore } from '../../helpers/memory-topic-store.js';
import { bench, joinWithNewId, SILENT, stableGroupOfTwo, type Bench } from './harness.js';

const PARTITIONS = 5;
/** Group ids by the partition that holds them: the partition under test (P) and another one. */
function idsIn(partition: number, count: number, other: boolean): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i += 1) {
    const id = `group-${i}`;
    if ((offsetsPartitionFor(id, PARTITIONS) === partition) !== other) out.push(id);
  }
  return out;
}
const P = 2;
const [MEMBERS, SIMPLE] = idsIn(P, 2, false) as [string, string];
const [ELSEWHERE] = idsIn(P, 1, true) as [string];

interface Node {
  b: Bench;
  log: GroupLog;
  replicas: ReplicaManager;
  /** Partitions no longer led here (hidden from the GroupLog; appends to them fail). */
  resigned: Set<number>;
  /** A partition whose reads fail after the first chunk, or null. */
  fault: { partition: number | null };
  close(): Promise<void>;
}

async function openNode(dir: string): Promise<Node> {
  const topics = new MemoryTopicStore();
  const logs = new LogManager([path.join(dir, 'logs')]);
  await logs.open();
  const replicas = new ReplicaManager(logs, () => DEFAULT_LOG_CONFIG, pino({ level: 'silent' }));
  topics.onCreate = (t) => replicas.hostPartitions(t.name, t.partitions, t.topicId);
  const admin = new TopicAdmin(topics, { liveBrokerCount: () => 1, numPartitions: 1, defaultReplicationFactor: 1, autoCreateTopicsEnable: false, deleteTopicEnable: true });
  const offsetsTopic = new InternalTopic(topics, admin, { numPartitions: PARTITIONS, replicationFactor: 1, segmentBytes: 1 << 20, liveBrokers: () => 1 });
  const resigned = new Set<number>();
  const fault: { partition: number | null } = { partition: null };
  const view: GroupLogReplicas = {
    append: (topic, partition, records, opts) =>
      topic === OFFSETS_TOPIC && resigned.has(partition)
        ? Promise.reject(new KafkaError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'not the leader'))
        : replicas.append(topic, partition, records, opts),
    tryGet: (topic, partition) => {
      if (topic === OFFSETS_TOPIC && resigned.has(partition)) return undefined;
      const hosted = replicas.tryGet(topic, partition);
      if (!hosted || fault.partition !== partition) return hosted;
      // One more record than there is: the loader reads a second chunk, which fails.
      let reads = 0;
      return {
        highWatermark: hosted.highWatermark + 1,
        log: {
          logStartOffset: hosted.log.logStartOffset,
          logEndOffset: hosted.log.logEndOffset + 1,
          read: (offset: number, maxBytes: number, opts: { maxOffset?: number; minOneMessage?: boolean }) =>
            reads++ === 0 ? hosted.log.read(offset, maxBytes, { ...opts, maxOffset: hosted.highWatermark }) : Promise.reject(new Error('disk failure')),
        },
      };
    },
  };
  let log: GroupLog | undefined;
  const b = bench({ journal: { append: (records) => log!.append(records) } });
  log = new GroupLog(view, offsetsTopic, b.time, SILENT);
  await log.ensureTopic();
  assert.ok(log.isLoading(MEMBERS), 'led here, not read back yet: loading');
  assert.ok(!log.isLocalCoordinator(MEMBERS));
  // As the broker does: every partition led here is read back before its groups are served.
  for (let p = 0; p < PARTITIONS; p += 1) await log.loadPartitionInto(p, b.coordinator);
  assert.ok(log.isLocalCoordinator(MEMBERS) && !log.isLoading(MEMBERS) && !log.isAnyLoading());
  return {
    b,
    log,
    replicas,
    resigned,
    fault,
    close: async () => {
      b.coordinator.close();
      await replicas.close();
      await logs.close();
    },
  };
}

async function withNode(fn: (n: Node) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tributary-groups-unload-'));
  const n = await openNode(dir);
  try {
    await fn(n);
  } finally {
    await n.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const commit = (n: Node, groupId: string, offsets: Array<[string, number, number]>, extra: { generationId?: number; memberId?: string } = {}) =>
  n.b.coordinator.commitOffsets({
    groupId,
    generationId: extra.generationId ?? -1,
    memberId: extra.memberId ?? '',
    groupInstanceId: null,
    retentionTimeMs: -1,
    groupIdNotFoundForMissingGroup: true,
    offsets: offsets.map(([topic, partition, offset]) => ({ topic, partition, offset, leaderEpoch: 1, metadata: `m${offset}` })),
  });

/** What a client can observe of a group: its offsets and its description. */
function observe(n: Node, groupId: string): unknown {
  return { offsets: n.b.coordinator.fetchOffsets(groupId, null), group: n.b.coordinator.describeGroup(groupId) };
}

/** Committed state in P (a Stable group with a member's commit, a simple group with a deleted offset) and in another partition. */
async function populate(n: Node): Promise<{ leader: string; follower: string; generationId: number }> {
  const members = await stableGroupOfTwo(n.b, MEMBERS);
  assert.equal((await commit(n, MEMBERS, [['t', 0, 40]], { generationId: members.generationId, memberId: members.leader }))[0]!.errorCode, ErrorCode.NONE);
  await commit(n, SIMPLE, [['t', 0, 5], ['t', 1, 6], ['u', 0, 7]]);
  await commit(n, SIMPLE, [['t', 0, 50]]);
  assert.equal(n.b.coordinator.deleteOffsets(SIMPLE, [{ topic: 'u', partition: 0 }]).errorCode, ErrorCode.NONE);
  await commit(n, ELSEWHERE, [['t', 0, 9]]);
  await n.b.time.advance(0);
  return members;
}

test('unloading a partition answers its parked joins NOT_COORDINATOR, cancels its timers and drops its groups; reloading restores them exactly', async () => {
  await withNode(async (n) => {
    const c = n.b.coordinator;
    const { follower, generationId } = await populate(n);
    const before = { members: observe(n, MEMBERS), simple: observe(n, SIMPLE), elsewhere: observe(n, ELSEWHERE) };
    assert.equal((before.members as { group: { state: string } }).group.state, 'Stable');

    // A third member starts a rebalance; its JoinGroup is parked when the partition moves away.
    const newcomer = await joinWithNewId(n.b, MEMBERS);
    assert.equal(c.describeGroup(MEMBERS).state, 'PreparingRebalance');
    n.resigned.add(P);
    assert.ok(!n.log.isLocalCoordinator(MEMBERS) && !n.log.isLoading(MEMBERS), 'led elsewhere: neither coordinated nor loading here');
    const hwBefore = n.replicas.get(OFFSETS_TOPIC, P).highWatermark;
    assert.equal(n.log.unloadPartition(P, c), 2);

    assert.equal((await newcomer.join).errorCode, ErrorCode.NOT_COORDINATOR);
    assert.deepEqual(c.listGroups().map((g) => g.groupId), [ELSEWHERE]);
    assert.deepEqual(c.fetchOffsets(MEMBERS, null).topics, []);
    assert.deepEqual(c.fetchOffsets(SIMPLE, null).topics, []);
    assert.equal(c.describeGroup(MEMBERS).state, 'Dead');
    assert.equal(n.b.time.timerCount, 1, 'only the retention sweep is left (the simple group elsewhere has no timers)');
    // Nothing of the unloaded groups runs or writes any more (no session expiry, no rebalance).
    await n.b.time.advance(120_000);
    assert.equal(n.replicas.get(OFFSETS_TOPIC, P).highWatermark, hwBefore);
    assert.deepEqual(observe(n, ELSEWHERE), before.elsewhere, 'the other partition\'s groups are untouched');

    // Led here again: loading until read back, then exactly what was committed.
    n.resigned.delete(P);
    assert.ok(n.log.isLoading(MEMBERS) && n.log.isAnyLoading() && !n.log.isLocalCoordinator(MEMBERS));
    await n.log.loadPartitionInto(P, c);
    assert.ok(n.log.isLocalCoordinator(MEMBERS) && !n.log.isAnyLoading());
    assert.deepEqual(observe(n, MEMBERS), before.members);
    assert.deepEqual(observe(n, SIMPLE), before.simple);
    assert.deepEqual(observe(n, ELSEWHERE), before.elsewhere);
    assert.deepEqual(c.listGroups().map((g) => g.groupId).sort(), [MEMBERS, SIMPLE, ELSEWHERE].sort());
    // The reloaded group carries on in its generation; the newcomer's join never happened.
    assert.equal(c.heartbeat({ groupId: MEMBERS, generationId, memberId: follower, groupInstanceId: null }), ErrorCode.NONE);
    assert.equal(c.describeGroup(MEMBERS).members.length, 2);
  });
});

test('a commit acknowledged as the partition moves is in the reloaded state; one refused after it leaves nothing behind', async () => {
  await withNode(async (n) => {
    const c = n.b.coordinator;
    await populate(n);
    // Written before the partition moved, acknowledged after its groups were unloaded.
    const inFlight = commit(n, SIMPLE, [['t', 1, 60]]);
    n.resigned.add(P);
    n.log.unloadPartition(P, c);
    assert.equal((await inFlight)[0]!.errorCode, ErrorCode.NONE);
    assert.deepEqual(c.fetchOffsets(SIMPLE, null).topics, [], 'its taking effect in memory was unloaded with the group');

    // Called directly (the handlers answer NOT_COORDINATOR before this): the write fails and is taken back.
    const refused = await commit(n, SIMPLE, [['t', 1, 70]]);
    assert.equal(refused[0]!.errorCode, ErrorCode.NOT_COORDINATOR);

    n.resigned.delete(P);
    await n.log.loadPartitionInto(P, c);
    const offsets = c.fetchOffsets(SIMPLE, null).topics.map((t) => [t.name, t.partitions.map((p) => [p.partition, p.offset])]);
    assert.deepEqual(offsets, [['t', [[0, 50], [1, 60]]]]);
  });
});

test('a load that fails drops what it read and leaves the partition loading; the next load restores it', async () => {
  await withNode(async (n) => {
    const c = n.b.coordinator;
    await populate(n);
    const before = { members: observe(n, MEMBERS), simple: observe(n, SIMPLE) };
    n.resigned.add(P);
    n.log.unloadPartition(P, c);
    n.resigned.delete(P);

    n.fault.partition = P;
    await assert.rejects(n.log.loadPartitionInto(P, c), /disk failure/);
    assert.ok(n.log.isLoading(MEMBERS) && !n.log.isLocalCoordinator(MEMBERS), 'still loading: its groups are not served');
    assert.deepEqual(c.listGroups().map((g) => g.groupId), [ELSEWHERE], 'no partial group is left');
    assert.deepEqual(c.fetchOffsets(SIMPLE, null).topics, []);
    assert.equal(n.b.time.timerCount, 1, 'no session timer of a partial group is left');

    n.fault.partition = null;
    await n.log.loadPartitionInto(P, c);
    assert.deepEqual(observe(n, MEMBERS), before.members);
    assert.deepEqual(observe(n, SIMPLE), before.simple);
  });
});
