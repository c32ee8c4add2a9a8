import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import kafkajs, { CompressionTypes, type Admin } from 'kafkajs';
import { startBroker, type BrokerHandle } from '../../src/index.js';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { AlterConfigsApi, CreateTopicsApi, IncrementalAlterConfigsApi } from '../../src/protocol/messages/index.js';
import type { AlterConfigsResponse } from '../../src/protocol/messages/alter-configs.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js';
import type { IncrementalAlterConfigsResponse } from '../../src/protocol/messages/incremental-alter-configs.js';
import { decodeRecordBatches, iterateBatchHeaders } from '../../src/protocol/records/index.js';
import { makeKafka } from '../helpers/kafkajs.js';
import { debianPython } from '../helpers/paths.js';
import { formatRunFailure, runChecked, runProcess } from '../helpers/proc.js';
import { parseJsonLines } from '../helpers/python.js';
import { fetchStored } from '../helpers/raw-fetch.js';
import { requireTool } from '../helpers/tools.js';

/**
 * Topic configuration end to end: kafkajs admin (CreateTopics with configs, DescribeConfigs,
 * AlterConfigs), confluent-kafka-python AdminClient.alter_configs / describe_configs,
 * IncrementalAlterConfigs on the wire (no installed client speaks it: kafkajs 2.2.4 and
 * confluent-kafka-python 1.7.0 / librdkafka 2.0.2 predate it), and compression.type recompression
 * checked on the stored batches.
 */

// kafkajs is CommonJS: its enums are reached through the default export.
const { ConfigResourceTypes } = kafkajs;
const TOPIC = 2;
const BROKER = 4;
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

async function withBroker(t: TestContext, config: Record<string, string | number | boolean> = {}, dataDir?: string): Promise<BrokerHandle> {
  const broker = await startBroker({ config: { 'num.partitions': 1, ...config }, dataDir });
  t.after(() => broker.close());
  return broker;
}

async function connect(t: TestContext, broker: BrokerHandle): Promise<BrokerConnection> {
  const conn = await BrokerConnection.open('127.0.0.1', broker.port, { clientId: 'topic-configs-test', requestTimeoutMs: 10_000 });
  t.after(() => conn.close());
  return conn;
}

async function adminOf(t: TestContext, broker: BrokerHandle, clientId: string): Promise<Admin> {
  const { kafka } = makeKafka(broker.bootstrap, clientId);
  const admin = kafka.admin();
  await admin.connect();
  t.after(() => admin.disconnect());
  return admin;
}

interface DescribedEntry {
  configName: string;
  configValue: string;
  isDefault: boolean;
  configSource: number;
}

async function describeTopic(admin: Admin, topic: string): Promise<Map<string, DescribedEntry>> {
  const res = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }], includeSynonyms: false });
  const resource = res.resources[0]!;
  assert.equal(resource.errorCode, 0, `describeConfigs ${topic}: ${resource.errorMessage}`);
  return new Map(resource.configEntries.map((e) => [e.configName, e as unknown as DescribedEntry]));
}

function protocolError(err: unknown): { type: string; message: string } {
  const e = err as { type?: string; message?: string; name?: string };
  return { type: e.type ?? e.name ?? 'unknown', message: e.message ?? String(err) };
}

test('kafkajs: create with configs, describe sources, alterConfigs replaces the overrides and reaches the live log', async (t) => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tributary-topic-configs-'));
  t.after(() => rm(dataDir, { recursive: true, force: true }));
  let broker = await startBroker({ dataDir, config: { 'num.partitions': 1 } });
  try {
    const { kafka } = makeKafka(broker.bootstrap, 'kjs-configs');
    const admin = kafka.admin();
    await admin.connect();
    const topic = 'kjs-configs';
    await admin.createTopics({
      topics: [{ topic, numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }, { name: 'segment.bytes', value: '1048576' }] }],
    });
    let configs = await describeTopic(admin, topic);
    assert.equal(configs.get('retention.ms')?.configValue, '3600000');
    assert.equal(configs.get('retention.ms')?.configSource, 1, 'an override is DYNAMIC_TOPIC_CONFIG');
    assert.equal(configs.get('segment.bytes')?.configValue, '1048576');
    assert.equal(configs.get('max.message.bytes')?.configValue, '1048588');
    assert.equal(configs.get('max.message.bytes')?.configSource, 5, 'an inherited default is DEFAULT_CONFIG');
    assert.equal(configs.get('max.message.bytes')?.isDefault, true);

    // AlterConfigs replaces the whole set: retention.ms and segment.bytes go back to their defaults.
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'max.message.bytes', value: '2048' }] }] });
    configs = await describeTopic(admin, topic);
    assert.equal(configs.get('max.message.bytes')?.configValue, '2048');
    assert.equal(configs.get('max.message.bytes')?.configSource, 1);
    assert.equal(configs.get('retention.ms')?.configValue, '604800000');
    assert.equal(configs.get('retention.ms')?.configSource, 5);
    assert.equal(configs.get('segment.bytes')?.configValue, '1073741824');

    // validateOnly changes nothing.
    await admin.alterConfigs({ validateOnly: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.ms', value: '1000' }] }] });
    configs = await describeTopic(admin, topic);
    assert.equal(configs.get('retention.ms')?.configValue, '604800000', 'validateOnly must not change the topic');
    assert.equal(configs.get('max.message.bytes')?.configValue, '2048');

    // The live partition logs took max.message.bytes=2048: a 4 KiB record is refused, a small one is not.
    const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await producer.connect();
    try {
      await producer.send({ topic, acks: -1, messages: [{ partition: 0, value: 'small' }] });
      const tooLarge = await producer.send({ topic, acks: -1, messages: [{ partition: 1, value: 'x'.repeat(4096) }] }).then(
        () => null,
        (err: unknown) => protocolError(err),
      );
      assert.ok(tooLarge, 'a batch above max.message.bytes=2048 must be refused');
      assert.match(tooLarge.type + ' ' + tooLarge.message, /MESSAGE_TOO_LARGE|too large|larger/i);
    } finally {
      await producer.disconnect();
    }

    // Invalid values: INVALID_CONFIG with a message that names the config and what is expected.
    const bad = await admin
      .alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'segment.bytes', value: '5' }] }] })
      .then(
        () => null,
        (err: unknown) => protocolError(err),
      );
    // kafkajs throws the error code's generic text and drops the broker's message; the wire and
    // confluent-kafka-python tests below check the messages.
    assert.ok(bad, 'segment.bytes=5 must be refused');
    assert.equal(bad.type, 'INVALID_CONFIG');
    const unknown = await admin
      .alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'retention.msx', value: '5' }] }] })
      .then(
        () => null,
        (err: unknown) => protocolError(err),
      );
    assert.equal(unknown?.type, 'INVALID_CONFIG');
    const conflicting = await admin
      .alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name: 'min.compaction.lag.ms', value: '5000' }, { name: 'max.compaction.lag.ms', value: '1000' }] }],
      })
      .then(
        () => null,
        (err: unknown) => protocolError(err),
      );
    assert.equal(conflicting?.type, 'INVALID_CONFIG');
    configs = await describeTopic(admin, topic);
    assert.equal(configs.get('max.message.bytes')?.configValue, '2048', 'a refused change leaves the overrides alone');

    // Dynamic broker configs are not supported: INVALID_REQUEST saying so.
    const brokerChange = await admin
      .alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: String(broker.nodeId), configEntries: [{ name: 'log.retention.ms', value: '1000' }] }] })
      .then(
        () => null,
        (err: unknown) => protocolError(err),
      );
    assert.equal(brokerChange?.type, 'INVALID_REQUEST');
    await admin.disconnect();
  } finally {
    await broker.close();
  }

  // The overrides are persisted: a restarted broker (same data dir) describes them the same.
  broker = await startBroker({ dataDir, config: { 'num.partitions': 1 } });
  try {
    const { kafka } = makeKafka(broker.bootstrap, 'kjs-configs-2');
    const admin = kafka.admin();
    await admin.connect();
    const configs = await describeTopic(admin, 'kjs-configs');
    assert.equal(configs.get('max.message.bytes')?.configValue, '2048');
    assert.equal(configs.get('max.message.bytes')?.configSource, 1);
    assert.equal(configs.get('retention.ms')?.configSource, 5);
    await admin.disconnect();
  } finally {
    await broker.close();
  }
});

const PY_ALTER = String.raw`
import json, sys
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
bootstrap, topic = sys.argv[1], sys.argv[2]
admin = AdminClient({'bootstrap.servers': bootstrap})
def out(**kw): print(json.dumps(kw), flush=True)
admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1, config={'retention.ms': '3600000'})])[topic].result(timeout=20)
def describe():
    r = ConfigResource('topic', topic)
    entries = admin.describe_configs([r], request_timeout=15)[r].result(timeout=20)
    return {k: {'value': v.value, 'source': v.source} for k, v in entries.items()}
def alter(configs, validate_only=False):
    r = ConfigResource('topic', topic, set_config=configs)
    try:
        admin.alter_configs([r], validate_only=validate_only, request_timeout=15)[r].result(timeout=20)
        return None
    except KafkaException as e:
        err = e.args[0]
        return {'code': err.code(), 'name': err.name(), 'message': err.str()}
d = describe()
out(step='created', retention=d['retention.ms'], cleanup=d['cleanup.policy'])
out(step='alter', error=alter({'cleanup.policy': 'compact,delete', 'retention.bytes': '1048576'}))
d = describe()
out(step='altered', retention=d['retention.ms'], cleanup=d['cleanup.policy'], rbytes=d['retention.bytes'])
out(step='validate-only', error=alter({'retention.ms': '1'}, validate_only=True))
out(step='after-validate-only', retention=describe()['retention.ms'])
out(step='invalid', error=alter({'cleanup.policy': 'shred'}))
out(step='bad-type', error=alter({'retention.ms': 'soon'}))
b = ConfigResource('broker', '0', set_config={'log.retention.ms': '1000'})
try:
    admin.alter_configs([b], request_timeout=15)[b].result(timeout=20)
    out(step='broker', error=None)
except KafkaException as e:
    out(step='broker', error={'code': e.args[0].code(), 'name': e.args[0].name(), 'message': e.args[0].str()})
`;

test('confluent-kafka-python: alter_configs and describe_configs', async (t) => {
  requireTool('confluent-kafka-python');
  const broker = await withBroker(t);
  const result = await runProcess(debianPython, ['-c', PY_ALTER, broker.bootstrap, 'py-configs'], { timeoutMs: 40_000 });
  if (result.code !== 0 || result.timedOut) throw new Error(formatRunFailure(result, 'confluent-kafka-python alter_configs'));
  const steps = new Map(parseJsonLines<{ step: string } & Record<string, unknown>>(result.stdout).map((l) => [l.step, l]));
  const v = (step: string, key: string): unknown => (steps.get(step) as Record<string, unknown> | undefined)?.[key];
  assert.deepEqual(v('created', 'retention'), { value: '3600000', source: 1 });
  assert.deepEqual(v('created', 'cleanup'), { value: 'delete', source: 5 });
  assert.equal(v('alter', 'error'), null);
  assert.deepEqual(v('altered', 'cleanup'), { value: 'compact,delete', source: 1 });
  assert.deepEqual(v('altered', 'rbytes'), { value: '1048576', source: 1 });
  assert.deepEqual(v('altered', 'retention'), { value: '604800000', source: 5 }, 'alter_configs replaces all overrides');
  assert.equal(v('validate-only', 'error'), null);
  assert.deepEqual(v('after-validate-only', 'retention'), { value: '604800000', source: 5 });
  const invalid = v('invalid', 'error') as { name: string; message: string };
  assert.equal(invalid.name, 'INVALID_CONFIG');
  assert.match(invalid.message, /cleanup\.policy/);
  assert.match(invalid.message, /delete, compact/);
  const badType = v('bad-type', 'error') as { name: string; message: string };
  assert.equal(badType.name, 'INVALID_CONFIG');
  assert.match(badType.message, /retention\.ms.*long/);
  const brokerError = v('broker', 'error') as { name: string; message: string };
  assert.equal(brokerError.name, 'INVALID_REQUEST');
  assert.match(brokerError.message, /dynamic/i);
});

interface IncrementalOp {
  name: string;
  configOperation: number;
  value: string | null;
}

async function incremental(conn: BrokerConnection, version: number, topic: string, configs: IncrementalOp[], validateOnly = false): Promise<{ errorCode: number; errorMessage: string | null }> {
  const res = await conn.send<IncrementalAlterConfigsResponse>(IncrementalAlterConfigsApi, version, {
    resources: [{ resourceType: TOPIC, resourceName: topic, configs }],
    validateOnly,
  });
  assert.equal(res.responses.length, 1);
  return res.responses[0]!;
}

test('IncrementalAlterConfigs v0 and v1 on the wire: SET, DELETE, APPEND, SUBTRACT, validation, validateOnly', async (t) => {
  const broker = await withBroker(t, { 'log.cleanup.policy': 'delete' });
  const admin = await adminOf(t, broker, 'incremental');
  const conn = await connect(t, broker);
  for (const version of [0, 1]) {
    const topic = `incr-v${version}`;
    await admin.createTopics({ topics: [{ topic, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
    let r = await incremental(conn, version, topic, [
      { name: 'segment.ms', configOperation: SET, value: '60000' },
      { name: 'cleanup.policy', configOperation: APPEND, value: 'compact' },
    ]);
    assert.deepEqual({ ...r }, { errorCode: 0, errorMessage: null, resourceType: TOPIC, resourceName: topic });
    let configs = await describeTopic(admin, topic);
    assert.equal(configs.get('segment.ms')?.configValue, '60000');
    assert.equal(configs.get('cleanup.policy')?.configValue, 'delete,compact', 'APPEND starts from the inherited value');
    assert.equal(configs.get('retention.ms')?.configValue, '3600000', 'incremental changes keep the other overrides');

    r = await incremental(conn, version, topic, [
      { name: 'cleanup.policy', configOperation: SUBTRACT, value: 'delete' },
      { name: 'retention.ms', configOperation: DELETE, value: null },
    ]);
    assert.equal(r.errorCode, 0, String(r.errorMessage));
    configs = await describeTopic(admin, topic);
    assert.equal(configs.get('cleanup.policy')?.configValue, 'compact');
    assert.equal(configs.get('retention.ms')?.configValue, '604800000');
    assert.equal(configs.get('retention.ms')?.configSource, 5);

    // APPEND of a value already there changes nothing.
    r = await incremental(conn, version, topic, [{ name: 'cleanup.policy', configOperation: APPEND, value: 'compact' }]);
    assert.equal(r.errorCode, 0);
    assert.equal((await describeTopic(admin, topic)).get('cleanup.policy')?.configValue, 'compact');

    // Refusals, each leaving the topic as it was.
    r = await incremental(conn, version, topic, [{ name: 'retention.ms', configOperation: APPEND, value: '5' }]);
    assert.equal(r.errorCode, ErrorCode.INVALID_REQUEST);
    assert.match(String(r.errorMessage), /append is not allowed for config key: retention\.ms/);
    r = await incremental(conn, version, topic, [
      { name: 'retention.ms', configOperation: SET, value: '5' },
      { name: 'retention.ms', configOperation: SET, value: '6' },
    ]);
    assert.equal(r.errorCode, ErrorCode.INVALID_REQUEST);
    assert.match(String(r.errorMessage), /duplicate config keys : retention\.ms/);
    r = await incremental(conn, version, topic, [{ name: 'retention.ms', configOperation: SET, value: null }]);
    assert.equal(r.errorCode, ErrorCode.INVALID_REQUEST);
    r = await incremental(conn, version, topic, [{ name: 'cleanup.policy', configOperation: SUBTRACT, value: 'compact' }]);
    assert.equal(r.errorCode, ErrorCode.INVALID_CONFIG, 'an empty cleanup.policy is refused');
    assert.match(String(r.errorMessage), /cleanup\.policy/);
    r = await incremental(conn, version, topic, [
      { name: 'segment.ms', configOperation: SET, value: '1000' },
      { name: 'min.cleanable.dirty.ratio', configOperation: SET, value: '1.5' },
    ]);
    assert.equal(r.errorCode, ErrorCode.INVALID_CONFIG);
    assert.match(String(r.errorMessage), /min\.cleanable\.dirty\.ratio.*between 0 and 1/);
    r = await incremental(conn, version, topic, [{ name: 'retention.msx', configOperation: SET, value: '1' }]);
    assert.equal(r.errorCode, ErrorCode.INVALID_CONFIG);
    assert.match(String(r.errorMessage), /Unknown topic config 'retention\.msx'.*Did you mean 'retention\.ms'/);
    r = await incremental(conn, version, topic, [
      { name: 'min.compaction.lag.ms', configOperation: SET, value: '5000' },
      { name: 'max.compaction.lag.ms', configOperation: SET, value: '1000' },
    ]);
    assert.equal(r.errorCode, ErrorCode.INVALID_CONFIG);
    assert.match(String(r.errorMessage), /min\.compaction\.lag\.ms \(5000\) is greater than max\.compaction\.lag\.ms \(1000\)/);
    r = await incremental(conn, version, topic, [{ name: 'segment.bytes', configOperation: SET, value: '5' }]);
    assert.equal(r.errorCode, ErrorCode.INVALID_CONFIG);
    assert.match(String(r.errorMessage), /Invalid value '5' for topic config 'segment\.bytes': expected a value >= 14/);
    r = await incremental(conn, version, topic, [{ name: 'no.such.config', configOperation: SET, value: '1' }]);
    assert.equal(r.errorCode, ErrorCode.INVALID_CONFIG);
    assert.match(String(r.errorMessage), /no\.such\.config/);
    r = await incremental(conn, version, topic, [{ name: 'segment.ms', configOperation: 7, value: '1' }]);
    assert.equal(r.errorCode, ErrorCode.INVALID_REQUEST);
    configs = await describeTopic(admin, topic);
    assert.equal(configs.get('segment.ms')?.configValue, '60000', 'refused changes apply nothing');

    // validateOnly.
    r = await incremental(conn, version, topic, [{ name: 'segment.ms', configOperation: SET, value: '120000' }], true);
    assert.equal(r.errorCode, 0);
    assert.equal((await describeTopic(admin, topic)).get('segment.ms')?.configValue, '60000');

    // Unknown topic, broker resource.
    r = await incremental(conn, version, `${topic}-missing`, [{ name: 'segment.ms', configOperation: SET, value: '1000' }]);
    assert.equal(r.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const res = await conn.send<IncrementalAlterConfigsResponse>(IncrementalAlterConfigsApi, version, {
      resources: [{ resourceType: BROKER, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: SET, value: '1' }] }],
      validateOnly: false,
    });
    assert.equal(res.responses[0]!.errorCode, ErrorCode.INVALID_REQUEST);
    assert.match(String(res.responses[0]!.errorMessage), /dynamic broker configs/);
  }
  // AlterConfigs v2 (flexible) on the wire too.
  const res = await conn.send<AlterConfigsResponse>(AlterConfigsApi, 2, {
    resources: [{ resourceType: TOPIC, resourceName: 'incr-v1', configs: [{ name: 'retention.bytes', value: '1000000' }] }],
    validateOnly: false,
  });
  assert.equal(res.responses[0]!.errorCode, 0, String(res.responses[0]!.errorMessage));
  const configs = await describeTopic(admin, 'incr-v1');
  assert.equal(configs.get('retention.bytes')?.configValue, '1000000');
  assert.equal(configs.get('cleanup.policy')?.configValue, 'delete', 'AlterConfigs dropped the earlier overrides');
});

test('CreateTopics v5+ answers the configs the topic ends up with; overrides are checked against broker defaults', async (t) => {
  const broker = await withBroker(t, { 'log.cleaner.min.compaction.lag.ms': 100 });
  const conn = await connect(t, broker);
  const refused = await conn.send<CreateTopicsResponse>(CreateTopicsApi, 7, {
    topics: [{ name: 'ct-conflict', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'max.compaction.lag.ms', value: '10' }] }],
    timeoutMs: 10_000,
    validateOnly: false,
  });
  assert.equal(refused.topics[0]!.errorCode, ErrorCode.INVALID_CONFIG);
  assert.match(String(refused.topics[0]!.errorMessage), /min\.compaction\.lag\.ms \(100\) is greater than max\.compaction\.lag\.ms \(10\)/);
  for (const version of [5, 7]) {
    const res = await conn.send<CreateTopicsResponse>(CreateTopicsApi, version, {
      topics: [{ name: `ct-v${version}`, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'retention.ms', value: '5000' }] }],
      timeoutMs: 10_000,
      validateOnly: version === 5,
    });
    const result = res.topics[0]!;
    assert.equal(result.errorCode, 0, String(result.errorMessage));
    const byName = new Map((result.configs ?? []).map((c) => [c.name, c]));
    assert.ok(byName.size >= 30, `every topic config is listed (got ${byName.size})`);
    assert.deepEqual({ ...byName.get('retention.ms') }, { name: 'retention.ms', value: '5000', readOnly: false, configSource: 1, isSensitive: false });
    assert.equal(byName.get('cleanup.policy')?.value, 'delete');
    assert.equal(byName.get('cleanup.policy')?.configSource, 5);
  }
});

async function storedBatches(conn: BrokerConnection, topic: string, partition: number): Promise<Buffer> {
  const p = await fetchStored(conn, topic, partition, 0);
  assert.equal(p.errorCode, 0);
  return p.bytes;
}

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

test('compression.type recompresses batches whose codec differs, keeping keys, values, headers and timestamps', async (t) => {
  const broker = await withBroker(t);
  const { kafka } = makeKafka(broker.bootstrap, 'recompress');
  const admin = await adminOf(t, broker, 'recompress-admin');
  const conn = await connect(t, broker);
  await admin.createTopics({
    topics: [
      { topic: 'zstd-topic', configEntries: [{ name: 'compression.type', value: 'zstd' }] },
      { topic: 'plain-topic', configEntries: [{ name: 'compression.type', value: 'uncompressed' }] },
      { topic: 'producer-topic' },
    ],
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const sent: Array<{ key: string; value: string; ts: string }> = [];
  try {
    for (let round = 0; round < 5; round++) {
      const messages = Array.from({ length: 20 }, (_, i) => {
        const m = { key: `k${round}-${i}`, value: `value ${round}-${i} `.repeat(20), timestamp: String(1_700_000_000_000 + round * 1000 + i), headers: { h: `hdr-${i}` } };
        sent.push({ key: m.key, value: m.value, ts: m.timestamp });
        return m;
      });
      await producer.send({ topic: 'zstd-topic', acks: -1, compression: CompressionTypes.None, messages });
      await producer.send({ topic: 'plain-topic', acks: -1, compression: CompressionTypes.GZIP, messages });
      await producer.send({ topic: 'producer-topic', acks: -1, compression: CompressionTypes.GZIP, messages });
    }
  } finally {
    await producer.disconnect();
  }
  const expectCodec = async (topic: string, codec: string): Promise<void> => {
    const bytes = await storedBatches(conn, topic, 0);
    const infos = Array.from(iterateBatchHeaders(bytes));
    assert.equal(infos.length, 5, `${topic}: one stored batch per send`);
    for (const info of infos) {
      assert.equal(CODEC_NAMES[info.compression], codec, `${topic}: batch at ${info.baseOffset} is ${CODEC_NAMES[info.compression]}`);
      assert.equal(info.recordsCount, 20);
    }
    const records = (await decodeRecordBatches(bytes)).flatMap((b) => b.records);
    assert.equal(records.length, sent.length);
    records.forEach((r, i) => {
      assert.equal(r.offset, i);
      assert.equal(r.key?.toString(), sent[i]!.key);
      assert.equal(r.value?.toString(), sent[i]!.value);
      assert.equal(String(r.timestamp), sent[i]!.ts);
      assert.equal(r.headers[0]?.key, 'h');
    });
  };
  await expectCodec('zstd-topic', 'zstd');
  await expectCodec('plain-topic', 'none');
  await expectCodec('producer-topic', 'gzip');

  // Consumers read the recompressed topics back as they were sent: kafkajs the uncompressed one
  // (kafkajs 2.2.4 has no zstd codec), kcat (librdkafka) the zstd one.
  const consumer = kafka.consumer({ groupId: 'recompress-reader', maxWaitTimeInMs: 100 });
  await consumer.connect();
  const got: string[] = [];
  try {
    await consumer.subscribe({ topic: 'plain-topic', fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`kafkajs consumer saw ${got.length} of ${sent.length}`)), 20_000);
      void consumer.run({
        eachMessage: async ({ message }) => {
          got.push(`${message.key?.toString()}=${message.value?.toString()}`);
          if (got.length === sent.length) {
            clearTimeout(timer);
            resolve();
          }
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  assert.deepEqual(got, sent.map((s) => `${s.key}=${s.value}`));
  requireTool('kcat');
  const kcat = await runChecked('kcat', ['-C', '-b', broker.bootstrap, '-t', 'zstd-topic', '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%k=%s|%T\n'], { timeoutMs: 20_000 }, 'kcat reading the zstd topic');
  assert.deepEqual(
    kcat.stdout.split('\n').filter((l) => l !== ''),
    sent.map((s) => `${s.key}=${s.value}|${s.ts}`),
  );

  // Switching the codec applies to later appends only.
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'zstd-topic', configEntries: [{ name: 'compression.type', value: 'lz4' }] }] });
  const p2 = kafka.producer({ allowAutoTopicCreation: false });
  await p2.connect();
  await p2.send({ topic: 'zstd-topic', acks: -1, compression: CompressionTypes.GZIP, messages: [{ value: 'after the switch' }] });
  await p2.disconnect();
  const infos = Array.from(iterateBatchHeaders(await storedBatches(conn, 'zstd-topic', 0)));
  assert.deepEqual(infos.map((i) => CODEC_NAMES[i.compression]), ['zstd', 'zstd', 'zstd', 'zstd', 'zstd', 'lz4']);
});

test('message.timestamp.type=LogAppendTime and message.timestamp.difference.max.ms act on produced batches', async (t) => {
  const broker = await withBroker(t);
  const { kafka } = makeKafka(broker.bootstrap, 'timestamps');
  const admin = await adminOf(t, broker, 'timestamps-admin');
  const conn = await connect(t, broker);
  await admin.createTopics({
    topics: [
      { topic: 'log-append-time', configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }, { name: 'compression.type', value: 'gzip' }] },
      { topic: 'bounded-time', configEntries: [{ name: 'message.timestamp.difference.max.ms', value: '60000' }] },
    ],
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
  await producer.connect();
  t.after(() => producer.disconnect());
  const before = Date.now();
  const [meta] = await producer.send({ topic: 'log-append-time', acks: -1, messages: [{ key: 'a', value: 'old', timestamp: '1000' }] });
  const after = Date.now();
  const appendTime = Number(meta!.logAppendTime);
  assert.ok(appendTime >= before && appendTime <= after, `the produce response carries the broker's append time (${appendTime})`);
  const [batch] = await decodeRecordBatches(await storedBatches(conn, 'log-append-time', 0));
  assert.equal(batch!.timestampType, 'log-append');
  assert.equal(CODEC_NAMES[batch!.compression], 'gzip', 'recompressed, then stamped');
  assert.equal(batch!.records[0]!.timestamp, appendTime);

  const old = String(Date.now() - 3_600_000);
  const refused = await producer.send({ topic: 'bounded-time', acks: -1, messages: [{ value: 'an hour old', timestamp: old }] }).then(
    () => null,
    (err: unknown) => protocolError(err),
  );
  assert.equal(refused?.type, 'INVALID_TIMESTAMP');
  await producer.send({ topic: 'bounded-time', acks: -1, messages: [{ value: 'fresh' }] });
  // Lifting the bound through IncrementalAlterConfigs lets the old record in.
  const r = await incremental(conn, 1, 'bounded-time', [{ name: 'message.timestamp.difference.max.ms', configOperation: DELETE, value: null }]);
  assert.equal(r.errorCode, 0);
  await producer.send({ topic: 'bounded-time', acks: -1, messages: [{ value: 'an hour old', timestamp: old }] });
});
