/**
 * Bugs the structure-aware fuzzer found (docs/reliability.md), each replayed over a real socket
 * against a broker process.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { CreateTopicsApi, DeleteTopicsApi, FetchApi, FindCoordinatorApi, IncrementalAlterConfigsApi, JoinGroupApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js';
import type { FetchResponse } from '../../src/protocol/messages/fetch.js';
import type { JoinGroupResponse } from '../../src/protocol/messages/join-group.js';
import type { MetadataResponse } from '../../src/protocol/messages/metadata.js';
import type { ProduceResponse } from '../../src/protocol/messages/produce.js';
import { buildRecordBatchSync } from '../../src/protocol/records/index.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { apiVersionsV0, WireConnection } from '../helpers/wire.js';

test('a JoinGroup that lists one protocol twice completes its rebalance (it used to crash the broker)', { timeout: 30_000 }, async (t) => {
  const broker = await startBrokerProcess(t, { name: 'dup-protocol', overrides: { 'group.initial.rebalance.delay.ms': 0 } });
  const conn = await BrokerConnection.open(broker.host, broker.port);
  try {
    const join = (memberId: string) =>
      conn.send<JoinGroupResponse>(JoinGroupApi, 5, {
        groupId: 'dup',
        sessionTimeoutMs: 10_000,
        rebalanceTimeoutMs: 1000,
        memberId,
        groupInstanceId: null,
        protocolType: 'consumer',
        protocols: [
          { name: 'range', metadata: Buffer.alloc(0) },
          { name: 'range', metadata: Buffer.alloc(0) },
        ],
      });
    // As a client does: FindCoordinator first (it creates __consumer_offsets, whose partition leader
    // coordinates the group; before that no broker does, and JoinGroup is NOT_COORDINATOR).
    const found = await conn.send<{ errorCode: number }>(FindCoordinatorApi, 3, { key: 'dup', keyType: 0 });
    assert.equal(found.errorCode, ErrorCode.NONE);
    const first = await join('');
    assert.equal(first.errorCode, ErrorCode.MEMBER_ID_REQUIRED);
    const second = await join(first.memberId);
    assert.equal(second.errorCode, ErrorCode.NONE);
    assert.equal(second.protocolName, 'range');
  } finally {
    conn.close();
  }
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(broker.alive, `the broker died: ${broker.recentLogs(3000)}`);
});

test('deleting a topic while the same name is auto-created again leaves a whole topic, never one without partitions', { timeout: 60_000 }, async (t) => {
  const broker = await startBrokerProcess(t, { name: 'delete-recreate', overrides: { 'auto.create.topics.enable': true, 'num.partitions': 3 } });
  const deleter = await BrokerConnection.open(broker.host, broker.port);
  const creator = await BrokerConnection.open(broker.host, broker.port);
  try {
    for (let round = 0; round < 20; round++) {
      const name = `churn-${round % 3}`;
      await creator.send(MetadataApi, 1, { topics: [{ name }] });
      // The delete and an auto-creating Metadata request race on two connections.
      await Promise.all([deleter.send(DeleteTopicsApi, 4, { topicNames: [name], timeoutMs: 5000 }), creator.send(MetadataApi, 1, { topics: [{ name }] })]);
      const md = await creator.send<MetadataResponse>(MetadataApi, 1, { topics: null });
      for (const tp of md.topics) {
        const leaderless = tp.partitions.filter((p) => p.leaderId < 0 || p.errorCode !== 0);
        assert.deepEqual(leaderless, [], `round ${round}: topic ${tp.name} is listed with partitions this broker does not host`);
      }
    }
  } finally {
    deleter.close();
    creator.close();
  }
});

test('a topic with a 249-character name (the longest Kafka allows) can be deleted and created again', { timeout: 30_000 }, async (t) => {
  const broker = await startBrokerProcess(t, { name: 'long-name' });
  const conn = await BrokerConnection.open(broker.host, broker.port);
  const name = 'x'.repeat(249);
  try {
    const create = () =>
      conn.send<CreateTopicsResponse>(CreateTopicsApi, 5, { topics: [{ name, numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    assert.equal((await create()).topics[0]!.errorCode, ErrorCode.NONE);
    const deleted = await conn.send<{ responses: Array<{ errorCode: number; errorMessage: string | null }> }>(DeleteTopicsApi, 4, { topicNames: [name], timeoutMs: 5000 });
    assert.equal(deleted.responses[0]!.errorCode, ErrorCode.NONE, `DeleteTopics: ${JSON.stringify(deleted.responses[0])}`);
    assert.equal((await create()).topics[0]!.errorCode, ErrorCode.NONE);
    const produced = await conn.send<ProduceResponse>(ProduceApi, 9, {
      transactionalId: null,
      acks: 1,
      timeoutMs: 5000,
      topicData: [{ name, partitionData: [{ index: 1, records: buildRecordBatchSync({ records: [{ value: 'after' }] }) }] }],
    });
    assert.equal(produced.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
    const fetched = await conn.send<FetchResponse>(FetchApi, 11, {
      replicaId: -1,
      maxWaitMs: 0,
      minBytes: 0,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      sessionId: 0,
      sessionEpoch: -1,
      topics: [{ topic: name, partitions: [{ partition: 1, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
      forgottenTopicsData: [],
      rackId: '',
    });
    const part = fetched.responses[0]!.partitions[0]!;
    assert.equal(part.errorCode, ErrorCode.NONE);
    assert.equal(part.highWatermark, 1, 'only the record produced after the re-creation');
  } finally {
    conn.close();
  }
});

test('IncrementalAlterConfigs: an invalid value SET before an APPEND in one resource is INVALID_CONFIG, not UNKNOWN_SERVER_ERROR', { timeout: 30_000 }, async (t) => {
  const broker = await startBrokerProcess(t, { name: 'iac-invalid' });
  const conn = await BrokerConnection.open(broker.host, broker.port);
  try {
    await conn.send(CreateTopicsApi, 5, { topics: [{ name: 'iac', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    const res = await conn.send<{ responses: Array<{ errorCode: number; errorMessage: string | null }> }>(IncrementalAlterConfigsApi, 1, {
      resources: [
        {
          resourceType: 2,
          resourceName: 'iac',
          configs: [
            { name: 'retention.ms', configOperation: 0, value: 'x' },
            { name: 'cleanup.policy', configOperation: 2, value: 'compact' },
          ],
        },
      ],
      validateOnly: false,
    });
    assert.equal(res.responses[0]!.errorCode, ErrorCode.INVALID_CONFIG, JSON.stringify(res.responses[0]));
    assert.match(res.responses[0]!.errorMessage ?? '', /retention\.ms/);
  } finally {
    conn.close();
  }
  const wire = await WireConnection.connect(broker.host, broker.port);
  try {
    assert.equal((await apiVersionsV0(wire)).errorCode, 0);
  } finally {
    wire.close();
  }
});
