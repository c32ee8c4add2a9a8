/**
 * Broker-wide partition caps (`max.partitions`, `max.broker.partitions`) and the policy hooks
 * (`create.topic.policy.class.name`, `alter.config.policy.class.name`, startBroker's policy objects),
 * against real brokers over real sockets.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startBroker } from '../../src/index.js';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { ZERO_UUID } from '../../src/protocol/schema/uuid.js';
import { AlterConfigsApi, CreatePartitionsApi, CreateTopicsApi, IncrementalAlterConfigsApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import type { ProduceResponse } from '../../src/protocol/messages/produce.js';
import { buildRecordBatchSync } from '../../src/protocol/records/index.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js';
import type { CreatePartitionsResponse } from '../../src/protocol/messages/create-partitions.js';
import type { MetadataResponse } from '../../src/protocol/messages/metadata.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { makeTempDir, removeTempDir } from '../helpers/cleanup.js';
import { makeKafka } from '../helpers/kafkajs.js';
import { cliEnv, cliFails, runCli } from '../helpers/proc.js';

interface TopicResult {
  name: string;
  errorCode: number;
  errorMessage: string | null;
}

async function createTopic(conn: BrokerConnection, name: string, numPartitions: number, configs: Record<string, string> = {}): Promise<TopicResult> {
  const res = await conn.send<CreateTopicsResponse>(CreateTopicsApi, 7, {
    topics: [{ name, numPartitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 30_000,
    validateOnly: false,
  });
  return res.topics[0]!;
}

async function addPartitions(conn: BrokerConnection, name: string, count: number): Promise<TopicResult> {
  const res = await conn.send<CreatePartitionsResponse>(CreatePartitionsApi, 3, { topics: [{ name, count, assignments: null }], timeoutMs: 30_000, validateOnly: false });
  return res.results[0]!;
}

async function metadataFor(conn: BrokerConnection, names: string[]): Promise<MetadataResponse['topics']> {
  const res = await conn.send<MetadataResponse>(MetadataApi, 12, {
    topics: names.map((name) => ({ name, topicId: ZERO_UUID })),
    allowAutoTopicCreation: true,
    includeTopicAuthorizedOperations: false,
  });
  return res.topics;
}

test('max.partitions: growing a topic by repeated requests stops at the cap with POLICY_VIOLATION; the broker restarts quickly', { timeout: 120_000 }, async (t) => {
  // The case, scaled down: three requests of 10,000 partitions each made 30,001 partitions.
  const broker = await startBrokerProcess(t, { name: 'cap', overrides: { 'max.partitions': 250, 'auto.create.topics.enable': true, 'num.partitions': 1 } });
  let conn = await BrokerConnection.open(broker.host, broker.port);
  try {
    assert.equal((await createTopic(conn, 'grow', 100)).errorCode, ErrorCode.NONE);
    assert.equal((await addPartitions(conn, 'grow', 200)).errorCode, ErrorCode.NONE);
    const third = await addPartitions(conn, 'grow', 300);
    assert.equal(third.errorCode, ErrorCode.POLICY_VIOLATION, `third request: ${JSON.stringify(third)}`);
    assert.match(third.errorMessage ?? '', /limit of 250 \(max\.partitions\)/);
    assert.match(third.errorMessage ?? '', /200 exist now/);

    const tooBig = await createTopic(conn, 'other', 51);
    assert.equal(tooBig.errorCode, ErrorCode.POLICY_VIOLATION);
    assert.match(tooBig.errorMessage ?? '', /max\.partitions/);
    // Exactly up to the cap is allowed.
    assert.equal((await createTopic(conn, 'other', 50)).errorCode, ErrorCode.NONE);

    // Auto-creation at the cap: Metadata answers the topic with POLICY_VIOLATION and creates nothing.
    const [auto] = await metadataFor(conn, ['auto-at-cap']);
    assert.equal(auto!.errorCode, ErrorCode.POLICY_VIOLATION, `auto-created topic: ${JSON.stringify(auto)}`);
    const [again] = await metadataFor(conn, ['auto-at-cap']);
    assert.equal(again!.errorCode, ErrorCode.POLICY_VIOLATION);
    // Produce never creates topics (as Kafka): the topic that could not be created is unknown.
    const produced = await conn.send<ProduceResponse>(ProduceApi, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name: 'auto-at-cap', partitionData: [{ index: 0, records: buildRecordBatchSync({ records: [{ value: 'x' }] }) }] }],
    });
    assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  } finally {
    conn.close();
  }

  // A real client sees the same error.
  const { kafka } = makeKafka(broker.bootstrap, 'cap-kafkajs');
  const admin = kafka.admin();
  await admin.connect();
  try {
    await assert.rejects(admin.createPartitions({ topicPartitions: [{ topic: 'grow', count: 201 }] }), (err: unknown) => {
      const text = JSON.stringify(err, Object.getOwnPropertyNames(err)) + String(err);
      assert.match(text, /POLICY_VIOLATION|max\.partitions/);
      return true;
    });
  } finally {
    await admin.disconnect();
  }

  const started = Date.now();
  await broker.stop();
  const stopMs = Date.now() - started;
  const restartAt = Date.now();
  await broker.restart();
  const restartMs = Date.now() - restartAt;
  t.diagnostic(`250 partitions: clean stop ${stopMs} ms, restart ${restartMs} ms`);
  assert.ok(stopMs < 10_000 && restartMs < 10_000, `stop ${stopMs} ms, restart ${restartMs} ms`);
  conn = await BrokerConnection.open(broker.host, broker.port);
  try {
    const topics = await metadataFor(conn, ['grow', 'other']);
    assert.deepEqual(
      topics.map((tp) => [tp.name, tp.errorCode, tp.partitions.length]),
      [
        ['grow', 0, 200],
        ['other', 0, 50],
      ],
    );
    // The cap still holds after the restart (the count comes from the registry).
    assert.equal((await createTopic(conn, 'after-restart', 1)).errorCode, ErrorCode.POLICY_VIOLATION);
  } finally {
    conn.close();
  }
});

test('max.broker.partitions is enforced too and named in the message; the default cap is 10,000', { timeout: 60_000 }, async (t) => {
  const broker = await startBrokerProcess(t, { name: 'broker-cap', overrides: { 'max.broker.partitions': 20 } });
  const conn = await BrokerConnection.open(broker.host, broker.port);
  try {
    const res = await createTopic(conn, 'over', 21);
    assert.equal(res.errorCode, ErrorCode.POLICY_VIOLATION);
    assert.match(res.errorMessage ?? '', /limit of 20 \(max\.broker\.partitions\)/);
    assert.equal((await createTopic(conn, 'fits', 20)).errorCode, ErrorCode.NONE);
  } finally {
    conn.close();
  }
  const def = await startBrokerProcess(t, { name: 'default-cap' });
  const c2 = await BrokerConnection.open(def.host, def.port);
  try {
    assert.equal((await createTopic(c2, 'small', 5)).errorCode, ErrorCode.NONE);
    // Adds 9,996 (under the 10,000-per-request limit) but would make 10,001 in all.
    const res = await addPartitions(c2, 'small', 10_001);
    assert.equal(res.errorCode, ErrorCode.POLICY_VIOLATION);
    assert.match(res.errorMessage ?? '', /limit of 10000 \(max\.partitions\)/);
  } finally {
    c2.close();
  }
});

const POLICY_MODULE = `
export default class NamingPolicy {
  configure(props) { this.props = props; }
  validate(md) {
    if (md.topic.startsWith('forbidden')) {
      throw new Error('Topic ' + md.topic + ' is forbidden by the naming policy (' + md.numPartitions + ' partitions, rf ' + md.replicationFactor + ', auto.create.topics.enable=' + this.props['auto.create.topics.enable'] + ')');
    }
    if (md.configs['retention.ms'] === '1') throw new Error('retention.ms=1 is not allowed');
  }
}
`;
const ALTER_POLICY_MODULE = `
export default {
  validate(md) {
    if (md.resource.type !== 'TOPIC') throw new Error('unexpected resource type ' + md.resource.type);
    if (md.configs['retention.ms'] !== undefined && Number(md.configs['retention.ms']) < 60000) {
      throw new Error('retention.ms below one minute is not allowed on ' + md.resource.name);
    }
  },
};
`;

test('create.topic.policy.class.name and alter.config.policy.class.name load JS modules and refuse with POLICY_VIOLATION', { timeout: 60_000 }, async (t) => {
  const dir = await makeTempDir('policies');
  t.after(() => removeTempDir(dir));
  fs.writeFileSync(path.join(dir, 'create-policy.mjs'), POLICY_MODULE);
  fs.writeFileSync(path.join(dir, 'alter-policy.mjs'), ALTER_POLICY_MODULE);
  const broker = await startBrokerProcess(t, {
    name: 'policies',
    overrides: {
      'create.topic.policy.class.name': path.join(dir, 'create-policy.mjs'),
      'alter.config.policy.class.name': path.join(dir, 'alter-policy.mjs'),
      'auto.create.topics.enable': true,
    },
  });
  const conn = await BrokerConnection.open(broker.host, broker.port);
  try {
    const refused = await createTopic(conn, 'forbidden-topic', 3);
    assert.equal(refused.errorCode, ErrorCode.POLICY_VIOLATION);
    assert.equal(refused.errorMessage, 'Topic forbidden-topic is forbidden by the naming policy (3 partitions, rf 1, auto.create.topics.enable=true)');
    const badConfig = await createTopic(conn, 'fine-name', 1, { 'retention.ms': '1' });
    assert.equal(badConfig.errorCode, ErrorCode.POLICY_VIOLATION);
    assert.equal(badConfig.errorMessage, 'retention.ms=1 is not allowed');
    assert.equal((await createTopic(conn, 'allowed', 2)).errorCode, ErrorCode.NONE);
    // Auto-creation goes through the policy too.
    const [auto] = await metadataFor(conn, ['forbidden-auto']);
    assert.equal(auto!.errorCode, ErrorCode.POLICY_VIOLATION);

    const alter = await conn.send<{ responses: TopicResultLike[] }>(AlterConfigsApi, 2, {
      resources: [{ resourceType: 2, resourceName: 'allowed', configs: [{ name: 'retention.ms', value: '1000' }] }],
      validateOnly: false,
    });
    assert.equal(alter.responses[0]!.errorCode, ErrorCode.POLICY_VIOLATION);
    assert.equal(alter.responses[0]!.errorMessage, 'retention.ms below one minute is not allowed on allowed');
    const incremental = await conn.send<{ responses: TopicResultLike[] }>(IncrementalAlterConfigsApi, 1, {
      resources: [{ resourceType: 2, resourceName: 'allowed', configs: [{ name: 'retention.ms', configOperation: 0, value: '5' }] }],
      validateOnly: true,
    });
    assert.equal(incremental.responses[0]!.errorCode, ErrorCode.POLICY_VIOLATION);
    const ok = await conn.send<{ responses: TopicResultLike[] }>(IncrementalAlterConfigsApi, 1, {
      resources: [{ resourceType: 2, resourceName: 'allowed', configs: [{ name: 'retention.ms', configOperation: 0, value: '600000' }] }],
      validateOnly: false,
    });
    assert.equal(ok.responses[0]!.errorCode, ErrorCode.NONE);
  } finally {
    conn.close();
  }
});

interface TopicResultLike {
  errorCode: number;
  errorMessage: string | null;
}

test('a policy module that cannot be loaded stops `tributary server` with exit 2 and a readable message', { timeout: 30_000 }, async (t) => {
  const dir = await makeTempDir('bad-policy');
  t.after(() => removeTempDir(dir));
  const missing = path.join(dir, 'no-such-policy.mjs');
  const r1 = await runCli(['server', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${dir}/data`, '--override', `create.topic.policy.class.name=${missing}`], { env: cliEnv(null) });
  cliFails(r1, 2, /create\.topic\.policy\.class\.name=.*no-such-policy\.mjs: cannot load the module/);
  fs.writeFileSync(path.join(dir, 'not-a-policy.mjs'), 'export default 42;\n');
  const r2 = await runCli(['server', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${dir}/data`, '--override', `alter.config.policy.class.name=${path.join(dir, 'not-a-policy.mjs')}`], { env: cliEnv(null) });
  cliFails(r2, 2, /alter\.config\.policy\.class\.name=.*default export must be a policy object with a validate\(requestMetadata\) method/);
  const r3 = await runCli(['server', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${dir}/data`, '--override', 'create.topic.policy.class.name=no-such-package-tributary'], { env: cliEnv(null) });
  cliFails(r3, 2, /create\.topic\.policy\.class\.name=no-such-package-tributary: cannot resolve the module/);
});

test('startBroker({ createTopicPolicy, alterConfigPolicy }) takes policy objects', { timeout: 30_000 }, async () => {
  const seen: string[] = [];
  const broker = await startBroker({
    createTopicPolicy: {
      validate(md) {
        seen.push(`${md.topic}:${md.numPartitions}`);
        if (md.numPartitions > 4) throw new Error(`at most 4 partitions per topic, not ${md.numPartitions}`);
      },
    },
    alterConfigPolicy: {
      validate() {
        throw new Error('configs are frozen');
      },
    },
  });
  try {
    const conn = await BrokerConnection.open(broker.host, broker.port);
    try {
      const refused = await createTopic(conn, 'wide', 5);
      assert.equal(refused.errorCode, ErrorCode.POLICY_VIOLATION);
      assert.equal(refused.errorMessage, 'at most 4 partitions per topic, not 5');
      assert.equal((await createTopic(conn, 'narrow', 4)).errorCode, ErrorCode.NONE);
      const alter = await conn.send<{ responses: TopicResultLike[] }>(AlterConfigsApi, 2, {
        resources: [{ resourceType: 2, resourceName: 'narrow', configs: [{ name: 'retention.ms', value: '100000' }] }],
        validateOnly: false,
      });
      assert.equal(alter.responses[0]!.errorCode, ErrorCode.POLICY_VIOLATION);
      assert.equal(alter.responses[0]!.errorMessage, 'configs are frozen');
    } finally {
      conn.close();
    }
    // Called once per creation (not once to validate and again to create).
    assert.deepEqual(seen, ['wide:5', 'narrow:4']);
  } finally {
    await broker.close();
  }
});
