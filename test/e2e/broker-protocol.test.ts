/**
 * The broker's error codes and protocol edge cases, over real sockets, with our own codec as the client.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startBroker } from '../../src/index.js';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { ApiVersionsApi, CreatePartitionsApi, CreateTopicsApi, FetchApi, ListOffsetsApi, MetadataApi, ProduceApi } from '../../src/protocol/messages/index.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js';
import type { CreatePartitionsResponse } from '../../src/protocol/messages/create-partitions.js';
import type { FetchResponse } from '../../src/protocol/messages/fetch.js';
import type { ListOffsetsResponse } from '../../src/protocol/messages/list-offsets.js';
import type { MetadataResponse } from '../../src/protocol/messages/metadata.js';
import type { ProduceResponse } from '../../src/protocol/messages/produce.js';
import type { ApiVersionsResponse } from '../../src/protocol/messages/api-versions.js';
import { buildRecordBatchSync, decodeRecordBatchesSync } from '../../src/protocol/records/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { encodeRequestFrame } from '../../src/protocol/headers.js';

function batch(values: string[]): Buffer {
  return buildRecordBatchSync({ records: values.map((v) => ({ key: `k-${v}`, value: v })) });
}

async function produce(conn: BrokerConnection, topic: string, records: Buffer, acks = 1, partition = 0): Promise<{ errorCode: number; baseOffset: number }> {
  const res = await conn.send<ProduceResponse>(ProduceApi, 9, { transactionalId: null, acks, timeoutMs: 5000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  return res.responses[0]!.partitionResponses[0]!;
}

async function createTopic(conn: BrokerConnection, name: string, partitions = 1, configs: Record<string, string> = {}): Promise<{ errorCode: number; errorMessage: string | null }> {
  const res = await conn.send<CreateTopicsResponse>(CreateTopicsApi, 7, {
    topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
    timeoutMs: 5000,
  });
  return res.topics[0]!;
}

async function fetchOnce(conn: BrokerConnection, topic: string, offset: number, opts: { maxWaitMs?: number; minBytes?: number } = {}) {
  const res = await conn.send<FetchResponse>(FetchApi, 11, {
    replicaId: -1, maxWaitMs: opts.maxWaitMs ?? 0, minBytes: opts.minBytes ?? 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: offset, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  return res.responses[0]!.partitions[0]!;
}

test('broker error codes and protocol edge cases', async (t) => {
  const broker = await startBroker({ config: { 'auto.create.topics.enable': false } });
  t.after(() => broker.close());
  const conn = await BrokerConnection.open('127.0.0.1', broker.port);
  t.after(() => conn.close());

  await t.test('unknown topic with auto-creation off', async () => {
    const md = await conn.send<MetadataResponse>(MetadataApi, 12, { topics: [{ name: 'nope' }], allowAutoTopicCreation: true });
    assert.equal(md.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    assert.equal((await produce(conn, 'nope', batch(['a']))).errorCode, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  await t.test('topic names and duplicates', async () => {
    assert.equal((await createTopic(conn, 'bad name!')).errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
    assert.equal((await createTopic(conn, 'x'.repeat(250))).errorCode, ErrorCode.INVALID_TOPIC_EXCEPTION);
    assert.equal((await createTopic(conn, 'good')).errorCode, ErrorCode.NONE);
    assert.equal((await createTopic(conn, 'good')).errorCode, ErrorCode.TOPIC_ALREADY_EXISTS);
    const badConfig = await createTopic(conn, 'cfg', 1, { 'segment.bytes': 'lots' });
    assert.equal(badConfig.errorCode, ErrorCode.INVALID_CONFIG);
    assert.match(badConfig.errorMessage ?? '', /segment\.bytes/);
  });

  await t.test('more than 10,000 new partitions in one request is a policy violation', async () => {
    const huge = await createTopic(conn, 'huge', 2147483647);
    assert.equal(huge.errorCode, ErrorCode.POLICY_VIOLATION);
    const md = await conn.send<MetadataResponse>(MetadataApi, 12, { topics: null, allowAutoTopicCreation: false });
    assert.ok(!md.topics.some((t) => t.name === 'huge'));
    const grow = await conn.send<CreatePartitionsResponse>(CreatePartitionsApi, 1, { topics: [{ name: 'good', count: 2147483647, assignments: null }], timeoutMs: 5000, validateOnly: false });
    assert.equal(grow.results[0]!.errorCode, ErrorCode.POLICY_VIOLATION);
  });

  await t.test('message too large, corrupt batch, offsets out of range', async () => {
    assert.equal((await createTopic(conn, 'small', 1, { 'max.message.bytes': '2000' })).errorCode, ErrorCode.NONE);
    assert.equal((await produce(conn, 'small', batch(['x'.repeat(3000)]))).errorCode, ErrorCode.MESSAGE_TOO_LARGE);
    const corrupt = batch(['hello', 'world']);
    corrupt[corrupt.length - 2]! ^= 0xff;
    assert.equal((await produce(conn, 'small', corrupt)).errorCode, ErrorCode.CORRUPT_MESSAGE);
    const ok = await produce(conn, 'small', batch(['a', 'b', 'c']));
    assert.equal(ok.errorCode, ErrorCode.NONE);
    assert.equal(ok.baseOffset, 0);
    assert.equal((await fetchOnce(conn, 'small', 4)).errorCode, ErrorCode.OFFSET_OUT_OF_RANGE);
    assert.equal((await fetchOnce(conn, 'small', 3)).errorCode, ErrorCode.NONE);
    const read = await fetchOnce(conn, 'small', 0);
    const records = decodeRecordBatchesSync(read.records as Buffer).flatMap((b) => b.records);
    assert.deepEqual(records.map((r) => r.value?.toString()), ['a', 'b', 'c']);
    assert.deepEqual(records.map((r) => r.offset), [0, 1, 2]);
  });

  await t.test('list offsets: earliest, latest, by timestamp', async () => {
    const res = await conn.send<ListOffsetsResponse>(ListOffsetsApi, 7, {
      replicaId: -1, isolationLevel: 0,
      topics: [{ name: 'small', partitions: [{ partitionIndex: 0, timestamp: -2 }, { partitionIndex: 0, timestamp: -1 }, { partitionIndex: 0, timestamp: 0 }, { partitionIndex: 0, timestamp: Date.now() + 3_600_000 }] }],
    });
    assert.deepEqual(res.topics[0]!.partitions.map((p) => p.offset), [0, 3, 0, -1]);
  });

  await t.test('acks=0 gets no response and later responses stay in order', async () => {
    assert.equal((await createTopic(conn, 'fire')).errorCode, ErrorCode.NONE);
    conn.sendNoResponse(ProduceApi, 9, { transactionalId: null, acks: 0, timeoutMs: 5000, topicData: [{ name: 'fire', partitionData: [{ index: 0, records: batch(['1']) }] }] });
    const next = await produce(conn, 'fire', batch(['2']));
    assert.equal(next.errorCode, ErrorCode.NONE);
    assert.equal(next.baseOffset, 1);
  });

  await t.test('fetch long-polls until data arrives', async () => {
    assert.equal((await createTopic(conn, 'poll')).errorCode, ErrorCode.NONE);
    const other = await BrokerConnection.open('127.0.0.1', broker.port);
    try {
      const started = Date.now();
      const pending = fetchOnce(other, 'poll', 0, { maxWaitMs: 5000, minBytes: 1 });
      await new Promise((r) => setTimeout(r, 200));
      await produce(conn, 'poll', batch(['wake']));
      const part = await pending;
      const waited = Date.now() - started;
      assert.ok((part.records as Buffer).length > 0);
      assert.ok(waited >= 150 && waited < 4000, `fetch returned after ${waited} ms`);
      const empty = Date.now();
      const none = await fetchOnce(other, 'poll', 1, { maxWaitMs: 300, minBytes: 1 });
      assert.equal((none.records as Buffer).length, 0);
      assert.ok(Date.now() - empty >= 250, 'an empty fetch waits max_wait_ms');
    } finally {
      other.close();
    }
  });

  await t.test('ApiVersions at an unknown version answers UNSUPPORTED_VERSION in the v0 format', async () => {
    const socket = connect(broker.port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const frame = Buffer.concat(encodeRequestFrame(ApiVersionsApi, 3, 5, 'probe', {}));
    frame.writeInt16BE(99, 6); // claim version 99
    socket.write(frame);
    const reply: Buffer = await new Promise((resolve) => socket.once('data', resolve));
    socket.destroy();
    assert.equal(reply.readInt32BE(4), 5);
    assert.equal(reply.readInt16BE(8), ErrorCode.UNSUPPORTED_VERSION);
    const count = reply.readInt32BE(10);
    const keys = Array.from({ length: count }, (_, i) => reply.readInt16BE(14 + i * 6));
    assert.ok(keys.includes(18));
  });

  await t.test('an oversized or malformed frame closes only that connection', async () => {
    const bad = connect(broker.port, '127.0.0.1');
    await new Promise((r) => bad.once('connect', r));
    const closed = new Promise((r) => bad.once('close', r));
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(200_000_000); // over socket.request.max.bytes
    bad.write(huge);
    await closed;
    const garbage = connect(broker.port, '127.0.0.1');
    await new Promise((r) => garbage.once('connect', r));
    const closed2 = new Promise((r) => garbage.once('close', r));
    garbage.write(Buffer.from([0, 0, 0, 6, 0, 0, 0, 0, 0, 1])); // frame too short for a header
    await closed2;
    const versions = await conn.send<ApiVersionsResponse>(ApiVersionsApi, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    assert.equal(versions.errorCode, ErrorCode.NONE);
    const produceRange = versions.apiKeys.find((k) => k.apiKey === 0)!;
    assert.deepEqual([produceRange.minVersion, produceRange.maxVersion], [0, 11]);
  });
});
