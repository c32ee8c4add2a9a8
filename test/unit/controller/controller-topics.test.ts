import assert from 'node:assert/strict';
import { test } from 'node:test';
import { placeReplicas, rackAlternated } from '../../../src/cluster/controller/replica-placement.js';
import { decodeMetadataRecord } from '../../../src/cluster/metadata/record-serde.js';
import { CONFIG_RECORD_TYPE, PARTITION_RECORD_TYPE, TOPIC_RECORD_TYPE } from '../../../src/cluster/metadata/records/index.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ZERO_UUID } from '../../../src/protocol/schema/uuid.js';
import { FakeQuorum } from './fake-metadata-log.js';
import { FakeRuntime } from './fake-runtime.js';
import { activeController, heartbeat, registration, settle, topicSpec } from './harness.js';

test('placement: 6 partitions over 3 brokers give each 2 leaderships and 4 replicas (RF 2)', async () => {
  const h = await activeController();
  await h.addBrokers(1, 2, 3);
  const r = await h.controller.createTopics({ topics: [topicSpec('spread', 6, 2)], timeoutMs: 1000, validateOnly: false });
  assert.equal(r.topics[0]!.errorCode, ErrorCode.NONE);
  assert.equal(r.topics[0]!.numPartitions, 6);
  assert.equal(r.topics[0]!.replicationFactor, 2);
  const t = h.controller.image().topic('spread')!;
  assert.equal(t.topicId, r.topics[0]!.topicId);
  const leaders = new Map<number, number>();
  const replicas = new Map<number, number>();
  for (const p of t.partitions.values()) {
    leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
    for (const b of p.replicas) replicas.set(b, (replicas.get(b) ?? 0) + 1);
    assert.equal(p.leader, p.replicas[0]);
    assert.deepEqual(p.isr, p.replicas);
    assert.equal(new Set(p.replicas).size, 2);
    assert.equal(p.leaderEpoch, 0);
  }
  assert.deepEqual([...leaders].sort(), [[1, 2], [2, 2], [3, 2]]);
  assert.deepEqual([...replicas].sort(), [[1, 4], [2, 4], [3, 4]]);
});

test('placement starts from a random broker', () => {
  const starts = new Set<number>();
  const random = new FakeRuntime(3).random;
  for (let i = 0; i < 30; i++) starts.add(placeReplicas([1, 2, 3], 1, 1, random)[0]![0]!);
  assert.equal(starts.size, 3);
  assert.throws(() => placeReplicas([1, 2], 1, 3, random), /replication factor of 3 cannot be reached because only 2 broker/);
});

test('createTopics writes the topic, its partitions and configs in one batch', async () => {
  const h = await activeController();
  await h.addBrokers(1, 2);
  const before = h.quorum.batches.length;
  const r = await h.controller.createTopics({
    topics: [topicSpec('x', 2, 1, { configs: [{ name: 'cleanup.policy', value: 'compact' }] }), topicSpec('y', 1, 2)],
    timeoutMs: 1000,
    validateOnly: false,
  });
  assert.ok(r.topics.every((t) => t.errorCode === 0));
  assert.deepEqual(r.topics[0]!.configs?.map((c) => [c.name, c.value]), [['cleanup.policy', 'compact']]);
  assert.equal(h.quorum.batches.length, before + 1);
  const types = h.quorum.batches.at(-1)!.records.map((b) => decodeMetadataRecord(b).type);
  assert.deepEqual(types, [TOPIC_RECORD_TYPE, PARTITION_RECORD_TYPE, PARTITION_RECORD_TYPE, CONFIG_RECORD_TYPE, TOPIC_RECORD_TYPE, PARTITION_RECORD_TYPE]);
  assert.deepEqual(h.controller.image().topicConfig('x'), { 'cleanup.policy': 'compact' });
});

test('createTopics errors', async () => {
  const h = await activeController({ defaultNumPartitions: 3, defaultReplicationFactor: 1 });
  await h.addBrokers(1, 2, 3);
  await h.controller.createTopics({ topics: [topicSpec('exists', 1, 1)], timeoutMs: 1000, validateOnly: false });
  const before = h.quorum.batches.length;
  const r = await h.controller.createTopics({
    topics: [
      topicSpec('bad name!', 1, 1),
      topicSpec('exists', 1, 1),
      topicSpec('zero', 0, 1),
      topicSpec('rf4', 1, 4),
      topicSpec('rf0', 1, 0),
      topicSpec('unknown-broker', -1, -1, { assignments: [{ partitionIndex: 0, brokerIds: [1, 9] }] }),
      topicSpec('dup-replica', -1, -1, { assignments: [{ partitionIndex: 0, brokerIds: [1, 1] }] }),
      topicSpec('gap', -1, -1, { assignments: [{ partitionIndex: 1, brokerIds: [1] }] }),
      topicSpec('both', 2, -1, { assignments: [{ partitionIndex: 0, brokerIds: [1] }] }),
      topicSpec('bad-config', 1, 1, { configs: [{ name: 'retention.ms', value: 'soon' }] }),
      topicSpec('unknown-config', 1, 1, { configs: [{ name: 'no.such.config', value: '1' }] }),
      topicSpec('twice', 1, 1),
      topicSpec('twice', 1, 1),
    ],
    timeoutMs: 1000,
    validateOnly: false,
  });
  const codes = r.topics.map((t) => [t.name, t.errorCode]);
  assert.deepEqual(codes, [
    ['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION],
    ['exists', ErrorCode.TOPIC_ALREADY_EXISTS],
    ['zero', ErrorCode.INVALID_PARTITIONS],
    ['rf4', ErrorCode.INVALID_REPLICATION_FACTOR],
    ['rf0', ErrorCode.INVALID_REPLICATION_FACTOR],
    ['unknown-broker', ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ['dup-replica', ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ['gap', ErrorCode.INVALID_REPLICA_ASSIGNMENT],
    ['both', ErrorCode.INVALID_REQUEST],
    ['bad-config', ErrorCode.INVALID_CONFIG],
    ['unknown-config', ErrorCode.INVALID_CONFIG],
    ['twice', ErrorCode.INVALID_REQUEST],
    ['twice', ErrorCode.INVALID_REQUEST],
  ]);
  assert.ok(r.topics.every((t) => t.errorMessage && t.errorMessage.length > 0 && t.topicId === ZERO_UUID));
  assert.equal(h.quorum.batches.length, before, 'nothing written');

  // Defaults (-1), manual assignment, validateOnly.
  const ok = await h.controller.createTopics({
    topics: [topicSpec('defaults', -1, -1), topicSpec('manual', -1, -1, { assignments: [{ partitionIndex: 1, brokerIds: [3, 1] }, { partitionIndex: 0, brokerIds: [2, 3] }] })],
    timeoutMs: 1000,
    validateOnly: false,
  });
  assert.deepEqual(ok.topics.map((t) => [t.errorCode, t.numPartitions, t.replicationFactor]), [[0, 3, 1], [0, 2, 2]]);
  assert.deepEqual(h.controller.image().partition('manual', 1)!.replicas, [3, 1]);
  assert.equal(h.controller.image().leaderOf('manual', 0), 2);
  const huge = await h.controller.createTopics({ topics: [topicSpec('h1', 6000, 1), topicSpec('h2', 6000, 1)], timeoutMs: 1000, validateOnly: false });
  assert.deepEqual(huge.topics.map((t) => t.errorCode), [ErrorCode.POLICY_VIOLATION, ErrorCode.POLICY_VIOLATION]);
  const count = h.quorum.batches.length;
  const dry = await h.controller.createTopics({ topics: [topicSpec('dry', 4, 2)], timeoutMs: 1000, validateOnly: true });
  assert.deepEqual([dry.topics[0]!.errorCode, dry.topics[0]!.numPartitions], [0, 4]);
  assert.equal(h.quorum.batches.length, count);
  assert.equal(h.controller.image().topic('dry'), undefined);
});

test('the reply comes only after the records are committed; the next request already sees them', async () => {
  const quorum = new FakeQuorum({ autoCommit: false });
  const h = await activeController({}, quorum);
  const reg = h.controller.registerBroker(registration(1));
  quorum.commit();
  const epoch = (await reg).brokerEpoch;
  const hb = h.controller.brokerHeartbeat(heartbeat(1, epoch));
  quorum.commit();
  assert.equal((await hb).isFenced, false);

  let replied = false;
  const create = h.controller.createTopics({ topics: [topicSpec('t', 1, 1)], timeoutMs: 5000, validateOnly: false }).then((r) => {
    replied = true;
    return r;
  });
  await settle();
  assert.equal(replied, false);
  assert.equal(h.controller.image().topic('t'), undefined, 'not committed yet');
  // A second create of the same name, before the commit, sees the pending topic.
  const again = await h.controller.createTopics({ topics: [topicSpec('t', 1, 1)], timeoutMs: 5000, validateOnly: false });
  assert.equal(again.topics[0]!.errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
  quorum.commit();
  const r = await create;
  assert.equal(replied, true);
  assert.equal(r.topics[0]!.errorCode, ErrorCode.NONE);
  assert.ok(h.controller.image().topic('t'));

  // Never committed: REQUEST_TIMED_OUT after the request's timeout on the runtime clock.
  const slow = h.controller.createTopics({ topics: [topicSpec('slow', 1, 1)], timeoutMs: 5000, validateOnly: false });
  await settle();
  h.runtime.advance(5000);
  assert.equal((await slow).topics[0]!.errorCode, ErrorCode.REQUEST_TIMED_OUT);
});

test('deleteTopics by name and by id', async () => {
  const h = await activeController();
  await h.addBrokers(1);
  const c = await h.controller.createTopics({ topics: [topicSpec('a', 1, 1), topicSpec('b', 1, 1)], timeoutMs: 1000, validateOnly: false });
  await h.controller.incrementalAlterConfigs({ resources: [{ resourceType: 2, resourceName: 'a', configs: [{ name: 'retention.ms', configOperation: 0, value: '5' }] }], validateOnly: false });
  const idB = c.topics[1]!.topicId;
  const r = await h.controller.deleteTopics({
    topicNames: ['a', 'nope'],
    topics: [{ name: null, topicId: idB }, { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAw' }],
    timeoutMs: 1000,
  });
  assert.deepEqual(r.responses.map((x) => [x.name, x.errorCode]), [
    ['a', 0],
    ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ['b', 0],
    [null, ErrorCode.UNKNOWN_TOPIC_ID],
  ]);
  assert.equal(r.responses[2]!.topicId, idB);
  const image = h.controller.image();
  assert.equal(image.topic('a'), undefined);
  assert.equal(image.topic('b'), undefined);
  assert.deepEqual(image.topicConfig('a'), {}, 'configs go with the topic');
});

test('createPartitions adds partitions with the topic replication factor, or the given assignment', async () => {
  const h = await activeController();
  await h.addBrokers(1, 2, 3);
  await h.controller.createTopics({ topics: [topicSpec('a', 2, 2)], timeoutMs: 1000, validateOnly: false });
  const r = await h.controller.createPartitions({
    topics: [
      { name: 'a', count: 4, assignments: null },
      { name: 'missing', count: 2, assignments: null },
    ],
    timeoutMs: 1000,
    validateOnly: false,
  });
  assert.deepEqual(r.results.map((x) => x.errorCode), [0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  const t = h.controller.image().topic('a')!;
  assert.equal(t.partitions.size, 4);
  assert.equal(t.partitions.get(3)!.replicas.length, 2);

  const bad = await h.controller.createPartitions({
    topics: [
      { name: 'a', count: 4, assignments: null },
      { name: 'a', count: 3, assignments: null },
    ],
    timeoutMs: 1000,
    validateOnly: false,
  });
  assert.deepEqual(bad.results.map((x) => x.errorCode), [ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
  const shrink = await h.controller.createPartitions({ topics: [{ name: 'a', count: 3, assignments: null }], timeoutMs: 1000, validateOnly: false });
  assert.equal(shrink.results[0]!.errorCode, ErrorCode.INVALID_PARTITIONS);
  const wrongCount = await h.controller.createPartitions({ topics: [{ name: 'a', count: 6, assignments: [{ brokerIds: [1, 2] }] }], timeoutMs: 1000, validateOnly: false });
  assert.equal(wrongCount.results[0]!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  const wrongRf = await h.controller.createPartitions({ topics: [{ name: 'a', count: 5, assignments: [{ brokerIds: [1] }] }], timeoutMs: 1000, validateOnly: false });
  assert.equal(wrongRf.results[0]!.errorCode, ErrorCode.INVALID_REPLICA_ASSIGNMENT);
  const manual = await h.controller.createPartitions({ topics: [{ name: 'a', count: 5, assignments: [{ brokerIds: [3, 1] }] }], timeoutMs: 1000, validateOnly: false });
  assert.equal(manual.results[0]!.errorCode, 0);
  assert.deepEqual(h.controller.image().partition('a', 4)!.replicas, [3, 1]);
  const dry = await h.controller.createPartitions({ topics: [{ name: 'a', count: 9, assignments: null }], timeoutMs: 1000, validateOnly: true });
  assert.equal(dry.results[0]!.errorCode, 0);
  assert.equal(h.controller.image().topic('a')!.partitions.size, 5);
});

test('alterConfigs replaces the overrides; incrementalAlterConfigs SET/DELETE/APPEND/SUBTRACT', async () => {
  const h = await activeController();
  await h.addBrokers(1);
  await h.controller.createTopics({ topics: [topicSpec('a', 1, 1, { configs: [{ name: 'retention.ms', value: '1000' }] })], timeoutMs: 1000, validateOnly: false });
  const c = h.controller;

  let r = await c.alterConfigs({ resources: [{ resourceType: 2, resourceName: 'a', configs: [{ name: 'segment.bytes', value: '1048576' }] }], validateOnly: false });
  assert.equal(r.responses[0]!.errorCode, 0);
  assert.deepEqual(c.image().topicConfig('a'), { 'segment.bytes': '1048576' });

  const inc = (configs: { name: string; configOperation: number; value: string | null }[], resourceName = 'a') =>
    c.incrementalAlterConfigs({ resources: [{ resourceType: 2, resourceName, configs }], validateOnly: false });
  r = await inc([
    { name: 'retention.ms', configOperation: 0, value: '5000' },
    { name: 'segment.bytes', configOperation: 1, value: null },
  ]);
  assert.equal(r.responses[0]!.errorCode, 0);
  assert.deepEqual(c.image().topicConfig('a'), { 'retention.ms': '5000' });
  r = await inc([{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }]);
  assert.equal(r.responses[0]!.errorCode, 0);
  assert.equal(c.image().topicConfig('a')['cleanup.policy'], 'delete,compact', 'APPEND starts from the default');
  r = await inc([{ name: 'cleanup.policy', configOperation: 3, value: 'delete' }]);
  assert.equal(c.image().topicConfig('a')['cleanup.policy'], 'compact');

  const errors = await Promise.all([
    inc([{ name: 'retention.ms', configOperation: 2, value: '1' }]),
    inc([{ name: 'retention.ms', configOperation: 0, value: 'abc' }]),
    inc([{ name: 'retention.ms', configOperation: 0, value: '1' }], 'missing'),
    inc([{ name: 'retention.ms', configOperation: 9, value: '1' }]),
    c.incrementalAlterConfigs({ resources: [{ resourceType: 4, resourceName: '1', configs: [] }], validateOnly: false }),
  ]);
  assert.deepEqual(errors.map((e) => e.responses[0]!.errorCode), [
    ErrorCode.INVALID_CONFIG,
    ErrorCode.INVALID_CONFIG,
    ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    ErrorCode.INVALID_REQUEST,
    ErrorCode.INVALID_REQUEST,
  ]);
  const count = h.quorum.batches.length;
  r = await c.incrementalAlterConfigs({ resources: [{ resourceType: 2, resourceName: 'a', configs: [{ name: 'retention.ms', configOperation: 0, value: '7' }] }], validateOnly: true });
  assert.equal(r.responses[0]!.errorCode, 0);
  assert.equal(h.quorum.batches.length, count);
  assert.equal(c.image().topicConfig('a')['retention.ms'], '5000');
});

test('rack-aware placement: brokers alternate racks, so consecutive replicas land on different racks', () => {
  const brokers = [
    { id: 1, rack: 'a' },
    { id: 2, rack: 'a' },
    { id: 3, rack: 'b' },
    { id: 4, rack: 'b' },
    { id: 5, rack: 'c' },
    { id: 6, rack: 'c' },
  ];
  assert.deepEqual(rackAlternated(brokers), [1, 3, 5, 2, 4, 6]);
  assert.deepEqual(rackAlternated(brokers.map((b) => ({ id: b.id, rack: null }))), [1, 2, 3, 4, 5, 6], 'no racks: by id');
  const rackOf = new Map(brokers.map((b) => [b.id, b.rack]));
  let seed = 7;
  const random = { next: () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) };
  const assignments = placeReplicas(rackAlternated(brokers), 12, 3, random);
  for (const replicas of assignments) assert.equal(new Set(replicas.map((id) => rackOf.get(id))).size, 3, `replicas ${replicas} span three racks`);
  const leaders = new Map<number, number>();
  for (const r of assignments) leaders.set(r[0]!, (leaders.get(r[0]!) ?? 0) + 1);
  assert.deepEqual([...leaders.values()], [2, 2, 2, 2, 2, 2], 'leaders spread evenly');
});
