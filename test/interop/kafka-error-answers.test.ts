/**
 * The error answers Kafka users hit, sent to both the reference Kafka (test/helpers/kafka-reference.ts)
 * and a Tributary broker process with the raw BrokerConnection, at the versions real clients send,
 * and compared field by field after normalising what legitimately differs (ids, timestamps, the
 * wording of error messages). Each request shape has one helper; each step is named for the case it
 * covers, and a failure names every step that differs. Both brokers run with topic auto-creation
 * off. INTEROP_DUMP=1 prints both brokers' normalised answers to stderr.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import {
  CreateTopicsApi, DeleteGroupsApi, DescribeConfigsApi, DescribeGroupsApi, FetchApi, FindCoordinatorApi, IncrementalAlterConfigsApi, JoinGroupApi, ListGroupsApi, ListOffsetsApi, OffsetFetchApi, ProduceApi,
} from '../../src/protocol/messages/index.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js';
import type { DescribeGroupsResponse } from '../../src/protocol/messages/describe-groups.js';
import type { FindCoordinatorResponse } from '../../src/protocol/messages/find-coordinator.js';
import type { JoinGroupResponse } from '../../src/protocol/messages/join-group.js';
import type { ListOffsetsResponse } from '../../src/protocol/messages/list-offsets.js';
import type { ProduceResponse } from '../../src/protocol/messages/produce.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { buildRecordBatchSync } from '../../src/protocol/records/index.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { startKafka, type KafkaBroker } from '../helpers/kafka-reference.js';

const BOTH = { 'auto.create.topics.enable': false };
let kafka: KafkaBroker;
let tributary: BrokerProcess;

before(async () => {
  [kafka, tributary] = await Promise.all([startKafka({ overrides: BOTH }), startBrokerProcess(null, { overrides: BOTH })]);
});
after(async () => {
  await Promise.all([kafka?.stop(), tributary?.cleanup()]);
});

type Script = (c: BrokerConnection) => Promise<Record<string, unknown>>;

/** Runs the same script against both brokers; returns the normalised answers, by broker then step. */
async function onBoth(script: Script): Promise<{ kafka: Record<string, unknown>; tributary: Record<string, unknown> }> {
  const run = async (host: string, port: number): Promise<Record<string, unknown>> => {
    const conn = await BrokerConnection.open(host, port, { clientId: 'interop-errors', requestTimeoutMs: 30_000 });
    try {
      return normalise(await script(conn)) as Record<string, unknown>;
    } finally {
      conn.close();
    }
  };
  const answers = { kafka: await run(kafka.host, kafka.port), tributary: await run(tributary.host, tributary.port) };
  if (process.env['INTEROP_DUMP']) process.stderr.write(JSON.stringify(answers, null, 1) + '\n');
  return answers;
}

/** Every step's answer must be Kafka's; a failure lists each step that differs, with both answers. */
function assertSameAnswers(answers: { kafka: Record<string, unknown>; tributary: Record<string, unknown> }): void {
  const differing = Object.keys(answers.kafka).filter((step) => !isDeepStrictEqual(answers.tributary[step], answers.kafka[step]));
  const report = differing.map((step) => `${step}\n  kafka:     ${JSON.stringify(answers.kafka[step])}\n  tributary: ${JSON.stringify(answers.tributary[step])}`);
  assert.deepEqual(differing, [], report.join('\n'));
}

const VARIES = '<varies>';
/**
 * Ids, ports, times and epochs differ between any two brokers; error messages differ in wording, so
 * only whether there is one (null, empty or some text) is compared.
 */
const VOLATILE = new Set(['throttleTimeMs', 'topicId', 'nodeId', 'port', 'host', 'leaderId', 'clusterId', 'leaderEpoch', 'generationId', 'records', 'nodeEndpoints']);
const MESSAGES = new Set(['errorMessage']);
const MEMBER_IDS = new Set(['memberId', 'leader']);

function normalise(o: unknown): unknown {
  return JSON.parse(JSON.stringify(o, (key, v: unknown) => {
    if (VOLATILE.has(key)) return VARIES;
    if (MESSAGES.has(key)) return v === null || v === undefined || v === '' ? (v ?? null) : '<message>';
    if (MEMBER_IDS.has(key) && typeof v === 'string' && v !== '') return '<member id>';
    return typeof v === 'bigint' ? String(v) : v;
  }));
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---- one helper per request shape -------------------------------------------------------------

interface NewTopic { name: string; numPartitions: number; replicationFactor: number; configs?: Record<string, string> }

/** CreateTopics v7 (the Java client's). */
function createTopics(c: BrokerConnection, topics: NewTopic[], validateOnly = false): Promise<CreateTopicsResponse> {
  return c.send<CreateTopicsResponse>(CreateTopicsApi, 7, {
    topics: topics.map((t) => ({ name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor, assignments: [], configs: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })) })),
    timeoutMs: 30_000,
    validateOnly,
  });
}

/** ListOffsets v7 for one partition. */
function listOffsets(c: BrokerConnection, topic: string, partitionIndex: number, timestamp: number): Promise<ListOffsetsResponse> {
  return c.send<ListOffsetsResponse>(ListOffsetsApi, 7, { replicaId: -1, isolationLevel: 0, timeoutMs: 5000, topics: [{ name: topic, partitions: [{ partitionIndex, currentLeaderEpoch: -1, timestamp, maxNumOffsets: 1 }] }] });
}

/** Creates a topic and waits until every partition is served (Kafka's broker learns of it a moment after the controller answers). */
async function createServedTopic(c: BrokerConnection, topic: NewTopic): Promise<void> {
  const res = await createTopics(c, [topic]);
  assert.equal(res.topics[0]!.errorCode, ErrorCode.NONE, `create ${topic.name}: ${res.topics[0]!.errorMessage}`);
  for (let p = 0; p < topic.numPartitions; p++) {
    for (let attempt = 0; (await listOffsets(c, topic.name, p, -1)).topics[0]!.partitions[0]!.errorCode !== ErrorCode.NONE; attempt++) {
      if (attempt > 100) assert.fail(`${topic.name}-${p} is not served`);
      await pause(100);
    }
  }
}

/** Produce v9, acks=1, one batch to one partition. */
function produce(c: BrokerConnection, topic: string, index: number, records: Buffer): Promise<ProduceResponse> {
  return c.send<ProduceResponse>(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index, records }] }] });
}

/** Fetch v12 (a consumer's, no session) from one partition. */
function fetch(c: BrokerConnection, topic: string, partition: number, fetchOffset: number): Promise<unknown> {
  return c.send(FetchApi, 12, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 65536 }] }],
    forgottenTopicsData: [], rackId: '',
  });
}

// IncrementalAlterConfigs operations.
const SET = 0;
const DELETE = 1;
const TOPIC = 2;

/** IncrementalAlterConfigs v1 on one topic. */
function alterTopicConfigs(c: BrokerConnection, topic: string, configs: Array<{ name: string; op: number; value: string | null }>): Promise<unknown> {
  return c.send(IncrementalAlterConfigsApi, 1, { resources: [{ resourceType: TOPIC, resourceName: topic, configs: configs.map((x) => ({ name: x.name, configOperation: x.op, value: x.value })) }], validateOnly: false });
}

/** DescribeConfigs v4 of named keys of one topic. */
function describeTopicConfigs(c: BrokerConnection, topic: string, keys: string[]): Promise<unknown> {
  return c.send(DescribeConfigsApi, 4, { resources: [{ resourceType: TOPIC, resourceName: topic, configurationKeys: keys }], includeSynonyms: false, includeDocumentation: false });
}

const COORDINATOR_NOT_READY = new Set<number>([ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.NOT_COORDINATOR]);

/**
 * Waits until the groups' coordinator serves them: Kafka creates __consumer_offsets on the first
 * FindCoordinator and answers NONE there before it has loaded the partition (NOT_COORDINATOR meanwhile).
 */
async function awaitGroupCoordinator(c: BrokerConnection, groupIds: string[]): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const found = await c.send<FindCoordinatorResponse>(FindCoordinatorApi, 4, { key: '', keyType: 0, coordinatorKeys: groupIds });
    const described = await c.send<DescribeGroupsResponse>(DescribeGroupsApi, 5, { groups: groupIds, includeAuthorizedOperations: false });
    const codes = [...found.coordinators.map((x) => x.errorCode), ...described.groups.map((g) => g.errorCode)];
    if (!codes.some((code) => COORDINATOR_NOT_READY.has(code))) return;
    if (attempt > 150) assert.fail(`the coordinator of ${groupIds.join(', ')} is not ready: ${codes.join(', ')}`);
    await pause(200);
  }
}

function describeGroups(c: BrokerConnection, version: number, groups: string[]): Promise<unknown> {
  return c.send(DescribeGroupsApi, version, { groups, includeAuthorizedOperations: false });
}

/** OffsetFetch of some partitions (topics) or all (null): v1-7 one group, v8+ a list of groups. */
function offsetFetch(c: BrokerConnection, version: number, groupId: string, topics: Array<{ name: string; partitionIndexes: number[] }> | null): Promise<unknown> {
  return c.send(OffsetFetchApi, version, { groupId, topics, groups: [{ groupId, memberId: null, memberEpoch: -1, topics }], requireStable: false });
}

function listGroups(c: BrokerConnection, version: number, statesFilter: string[]): Promise<unknown> {
  return c.send(ListGroupsApi, version, { statesFilter, typesFilter: [] });
}

function deleteGroups(c: BrokerConnection, groupsNames: string[]): Promise<unknown> {
  return c.send(DeleteGroupsApi, 2, { groupsNames });
}

/** JoinGroup (consumer protocol type, one `range` protocol with empty metadata). */
function joinGroup(c: BrokerConnection, version: number, groupId: string, memberId: string): Promise<JoinGroupResponse> {
  return c.send<JoinGroupResponse>(JoinGroupApi, version, {
    groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 30_000, memberId, groupInstanceId: null, protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null,
  });
}

// ---- the scripts ------------------------------------------------------------------------------

test('Produce, Fetch and ListOffsets errors: unknown topic, bad partition, offset out of range, batch too large', { timeout: 180_000 }, async () => {
  const answers = await onBoth(async (c) => {
    const out: Record<string, unknown> = {};
    await createServedTopic(c, { name: 'errs', numPartitions: 2, replicationFactor: 1 });
    await createServedTopic(c, { name: 'small-messages', numPartitions: 1, replicationFactor: 1, configs: { 'max.message.bytes': '1000' } });
    const one = buildRecordBatchSync({ records: [{ value: Buffer.from('x'), timestamp: 1000 }] });
    out['Produce v9 to an unknown topic (auto-create off)'] = await produce(c, 'no-such-topic', 0, one);
    out['Produce v9 to partition 5 of a 2-partition topic'] = await produce(c, 'errs', 5, one);
    out['Produce v9 to partition -1'] = await produce(c, 'errs', -1, one);
    out['Produce v9 to partition 0'] = await produce(c, 'errs', 0, one);
    const big = buildRecordBatchSync({ records: [{ value: Buffer.alloc(2000, 1), timestamp: 1000 }] });
    out['Produce v9 of a batch over max.message.bytes (MESSAGE_TOO_LARGE)'] = await produce(c, 'small-messages', 0, big);
    // Deliberate: Tributary says which sizes were compared where Kafka 4.1 sends no message (docs/compatibility.md).
    const tooLarge = out['Produce v9 of a batch over max.message.bytes (MESSAGE_TOO_LARGE)'] as ProduceResponse;
    out['MESSAGE_TOO_LARGE has a message'] = tooLarge.responses[0]!.partitionResponses[0]!.errorMessage !== null;
    tooLarge.responses[0]!.partitionResponses[0]!.errorMessage = null;
    out['Fetch v12 of an unknown topic'] = await fetch(c, 'no-such-topic', 0, 0);
    out['Fetch v12 of partition 5'] = await fetch(c, 'errs', 5, 0);
    out['Fetch v12 at offset 7 of a 1-record partition (OFFSET_OUT_OF_RANGE)'] = await fetch(c, 'errs', 0, 7);
    out['Fetch v12 at offset -5'] = await fetch(c, 'errs', 0, -5);
    out['Fetch v12 at offset 0 of an empty partition'] = await fetch(c, 'errs', 1, 0);
    out['Fetch v12 at offset 1 of an empty partition'] = await fetch(c, 'errs', 1, 1);
    out['ListOffsets v7 of an unknown topic'] = await listOffsets(c, 'no-such-topic', 0, -1);
    out['ListOffsets v7 of partition 5'] = await listOffsets(c, 'errs', 5, -1);
    out['ListOffsets v7 latest of partition 0'] = await listOffsets(c, 'errs', 0, -1);
    out['ListOffsets v7 by a timestamp past the last record'] = await listOffsets(c, 'errs', 0, 5000);
    out['ListOffsets v7 of an empty partition by timestamp'] = await listOffsets(c, 'errs', 1, 1000);
    return out;
  });
  assert.equal(answers.kafka['MESSAGE_TOO_LARGE has a message'], false);
  assert.equal(answers.tributary['MESSAGE_TOO_LARGE has a message'], true);
  delete answers.kafka['MESSAGE_TOO_LARGE has a message'];
  assertSameAnswers(answers);
});

test('CreateTopics, IncrementalAlterConfigs and DescribeConfigs errors: invalid configs, replication factor, existing topic', { timeout: 180_000 }, async () => {
  const answers = await onBoth(async (c) => {
    const out: Record<string, unknown> = {};
    const create = async (t: NewTopic, validateOnly = false): Promise<unknown> => (await createTopics(c, [t], validateOnly)).topics;
    out['CreateTopics v7 with cleanup.policy=bogus'] = await create({ name: 'cfg-bad-policy', numPartitions: 1, replicationFactor: 1, configs: { 'cleanup.policy': 'bogus' } });
    out['CreateTopics v7 with retention.ms=abc'] = await create({ name: 'cfg-bad-number', numPartitions: 1, replicationFactor: 1, configs: { 'retention.ms': 'abc' } });
    out['CreateTopics v7 with an unknown config name'] = await create({ name: 'cfg-unknown', numPartitions: 1, replicationFactor: 1, configs: { 'no.such.config': '1' } });
    out['CreateTopics v7 with replication factor 3 on one broker'] = await create({ name: 'rf3', numPartitions: 1, replicationFactor: 3 });
    out['CreateTopics v7 with replication factor 0'] = await create({ name: 'rf0', numPartitions: 1, replicationFactor: 0 });
    out['CreateTopics v7 with 0 partitions'] = await create({ name: 'p0', numPartitions: 0, replicationFactor: 1 });
    out['CreateTopics v7 validateOnly with replication factor 3'] = await create({ name: 'rf3-validate', numPartitions: 1, replicationFactor: 3 }, true);
    await createServedTopic(c, { name: 'cfg', numPartitions: 1, replicationFactor: 1 });
    out['CreateTopics v7 of an existing topic'] = await create({ name: 'cfg', numPartitions: 1, replicationFactor: 1 });
    out['IncrementalAlterConfigs v1 SET of an unknown config name'] = await alterTopicConfigs(c, 'cfg', [{ name: 'no.such.config', op: SET, value: '1' }]);
    out['IncrementalAlterConfigs v1 DELETE of an unknown config name'] = await alterTopicConfigs(c, 'cfg', [{ name: 'no.such.config', op: DELETE, value: null }]);
    out['IncrementalAlterConfigs v1 SET retention.ms=abc'] = await alterTopicConfigs(c, 'cfg', [{ name: 'retention.ms', op: SET, value: 'abc' }]);
    out['IncrementalAlterConfigs v1 on an unknown topic'] = await alterTopicConfigs(c, 'no-such-topic', [{ name: 'retention.ms', op: SET, value: '1000' }]);
    out['DescribeConfigs v4 of an unknown config name'] = await describeTopicConfigs(c, 'cfg', ['no.such.config']);
    out['DescribeConfigs v4 of an unknown and a known config name'] = await describeTopicConfigs(c, 'cfg', ['no.such.config', 'cleanup.policy']);
    out['DescribeConfigs v4 of an unknown topic'] = await describeTopicConfigs(c, 'no-such-topic', ['cleanup.policy']);
    return out;
  });
  assertSameAnswers(answers);
});

test('group errors: DescribeGroups, OffsetFetch, ListGroups and DeleteGroups of an unknown group; JoinGroup with an unknown member id', { timeout: 180_000 }, async () => {
  const answers = await onBoth(async (c) => {
    const out: Record<string, unknown> = {};
    await createServedTopic(c, { name: 'grp', numPartitions: 2, replicationFactor: 1 });
    await awaitGroupCoordinator(c, ['no-such-group', '', 'no-such-group-5', 'no-such-group-9', 'joined']);
    for (const v of [0, 1, 2, 3, 4, 5]) out[`DescribeGroups v${v} of an unknown group`] = await describeGroups(c, v, ['no-such-group']);
    const parts = [{ name: 'grp', partitionIndexes: [0, 1] }];
    for (const v of [1, 2, 3, 4, 5, 6, 7, 8, 9]) out[`OffsetFetch v${v} of an unknown group, named partitions`] = await offsetFetch(c, v, 'no-such-group', parts);
    for (const v of [2, 7, 8, 9]) out[`OffsetFetch v${v} of an unknown group, all partitions`] = await offsetFetch(c, v, 'no-such-group', null);
    for (const v of [3, 4, 5]) out[`ListGroups v${v} with no groups`] = await listGroups(c, v, []);
    out['ListGroups v4 filtered by an unknown state'] = await listGroups(c, 4, ['NoSuchState']);
    out['DeleteGroups v2 of an unknown group'] = await deleteGroups(c, ['no-such-group']);
    out['DeleteGroups v2 of an empty group id'] = await deleteGroups(c, ['']);
    for (const v of [5, 9]) out[`JoinGroup v${v} of an unknown group with a made-up member id`] = await joinGroup(c, v, `no-such-group-${v}`, 'made-up-member');
    // A group with one member (MEMBER_ID_REQUIRED, then the join with the id it gave), then a stranger.
    const first = await joinGroup(c, 9, 'joined', '');
    out['JoinGroup v9 with no member id (MEMBER_ID_REQUIRED)'] = first;
    out['JoinGroup v9 with the given member id'] = await joinGroup(c, 9, 'joined', first.memberId);
    out['JoinGroup v9 of an existing group with a made-up member id'] = await joinGroup(c, 9, 'joined', 'made-up-member');
    out['JoinGroup v5 of an existing group with a made-up member id'] = await joinGroup(c, 5, 'joined', 'made-up-member');
    out['ListGroups v5 with one group'] = await listGroups(c, 5, []);
    out['DeleteGroups v2 of a group with a member'] = await deleteGroups(c, ['joined']);
    return out;
  });
  assertSameAnswers(answers);
  // Pinned because it was once read the other way: with its coordinator loaded, Kafka 4.1 describes an
  // unknown group as Dead with no error (v0-5) and gives offset -1 with no error (OffsetFetch v1-9).
  // Its 16 before loading is NOT_COORDINATOR, not GROUP_ID_NOT_FOUND (69).
  assert.deepEqual(answers.kafka['DescribeGroups v5 of an unknown group'], {
    throttleTimeMs: VARIES,
    groups: [{ errorCode: ErrorCode.NONE, groupId: 'no-such-group', groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 }],
  });
  assert.deepEqual(answers.kafka['OffsetFetch v8 of an unknown group, all partitions'], {
    throttleTimeMs: VARIES, groups: [{ groupId: 'no-such-group', topics: [], errorCode: ErrorCode.NONE }], topics: { name: '', partitions: [] }, errorCode: ErrorCode.NONE,
  });
});
