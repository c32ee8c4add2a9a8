/**
 * Nulls in requests, over a real socket, as Kafka answers them:
 * - Metadata v10-11 declare the topic name nullable and carry a topic id, but lookups by id start at
 *   v12; Kafka's KafkaApis refuses a null name (or a non-zero id) there with InvalidRequestException,
 *   answered as the request's error response: every topic INVALID_REQUEST (42), a null name as "".
 * - Metadata v12 with a null name looks the topic up by id: an unknown id is UNKNOWN_TOPIC_ID (100).
 * - A null in a field that is never nullable fails to decode: Kafka closes the connection (its
 *   SocketServer cannot parse the request). Neither may be logged as an internal error.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ByteReader } from '../../src/protocol/bytes.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { MetadataApi } from '../../src/protocol/messages/index.js';
import type { MetadataResponse } from '../../src/protocol/messages/metadata.js';
import { decodeMessage } from '../../src/protocol/schema/codec.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { apiVersionsV0, WireConnection, WireWriter } from '../helpers/wire.js';

const ZERO_ID = Buffer.alloc(16);

/** Metadata v10+ body (flexible): topics [{ topicId, name }], allowAutoTopicCreation, includeTopicAuthorizedOperations. */
function metadataBody(version: number, topics: Array<{ id: Buffer; name: string | null }>): Buffer {
  const w = new WireWriter().uvarint(topics.length + 1);
  for (const t of topics) w.raw(t.id).compactString(t.name).uvarint(0);
  w.int8(1); // allowAutoTopicCreation
  if (version <= 10) w.int8(0); // includeClusterAuthorizedOperations (v8-10)
  w.int8(0); // includeTopicAuthorizedOperations
  return w.uvarint(0).build();
}

async function metadata(conn: WireConnection, version: number, topics: Array<{ id: Buffer; name: string | null }>): Promise<MetadataResponse> {
  const payload = await conn.request(3, version, metadataBody(version, topics), { flexibleHeader: true });
  const r = new ByteReader(payload);
  r.uvarint(); // response header v1 tagged fields
  return decodeMessage<MetadataResponse>(MetadataApi.response, version, r);
}

test('Metadata v10/v11 with a null topic name (or a topic id) answer INVALID_REQUEST; v12 by unknown id answers UNKNOWN_TOPIC_ID', { timeout: 30_000 }, async (t) => {
  const broker = await startBrokerProcess(t, { name: 'nulls', overrides: { 'auto.create.topics.enable': true } });
  const conn = await WireConnection.connect(broker.host, broker.port);
  try {
    for (const version of [10, 11]) {
      const md = await metadata(conn, version, [
        { id: ZERO_ID, name: null },
        { id: ZERO_ID, name: 'named' },
      ]);
      assert.deepEqual(
        md.topics.map((tp) => [tp.name, tp.errorCode, tp.partitions.length]),
        [
          ['', ErrorCode.INVALID_REQUEST, 0],
          ['named', ErrorCode.INVALID_REQUEST, 0],
        ],
        `v${version}`,
      );
      const byId = await metadata(conn, version, [{ id: Buffer.alloc(16, 7), name: 'with-id' }]);
      assert.equal(byId.topics[0]!.errorCode, ErrorCode.INVALID_REQUEST, `v${version} with a topic id`);
    }
    // Nothing was auto-created by the refused requests.
    const after = await metadata(conn, 12, [{ id: ZERO_ID, name: null }]);
    assert.equal(after.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
    assert.equal(after.topics[0]!.name, null);
    const unknownId = await metadata(conn, 12, [{ id: Buffer.alloc(16, 9), name: null }]);
    assert.equal(unknownId.topics[0]!.errorCode, ErrorCode.UNKNOWN_TOPIC_ID);
    // A named v12 lookup still auto-creates, and the connection is still usable throughout.
    const named = await metadata(conn, 12, [{ id: ZERO_ID, name: 'named' }]);
    assert.equal(named.topics[0]!.errorCode, ErrorCode.NONE);
    assert.equal((await apiVersionsV0(conn)).errorCode, 0);
  } finally {
    conn.close();
  }
  assert.doesNotMatch(broker.recentLogs(100_000), /internal error/);
});

test('a null in a non-nullable request field closes the connection (as Kafka) and is not an internal error', { timeout: 30_000 }, async (t) => {
  const broker = await startBrokerProcess(t, { name: 'nulls-closed' });
  const cases: Array<{ what: string; apiKey: number; version: number; body: Buffer }> = [
    // Metadata v9 (flexible): the name is nullable only from v10.
    { what: 'Metadata v9 null topic name', apiKey: 3, version: 9, body: new WireWriter().uvarint(2).compactString(null).uvarint(0).int8(1).int8(0).int8(0).uvarint(0).build() },
    // Metadata v4 (int16 strings): a null name.
    { what: 'Metadata v4 null topic name', apiKey: 3, version: 4, body: new WireWriter().int32(1).string(null).int8(1).build() },
    // CreateTopics v5: the topic name is never nullable.
    {
      what: 'CreateTopics v5 null topic name',
      apiKey: 19,
      version: 5,
      body: new WireWriter().uvarint(2).compactString(null).int32(1).int16(1).uvarint(1).uvarint(1).uvarint(0).int32(1000).int8(0).uvarint(0).build(),
    },
    // CreateTopics v5: a null topics array.
    { what: 'CreateTopics v5 null topics array', apiKey: 19, version: 5, body: new WireWriter().uvarint(0).int32(1000).int8(0).uvarint(0).build() },
  ];
  for (const c of cases) {
    const conn = await WireConnection.connect(broker.host, broker.port);
    try {
      await assert.rejects(conn.request(c.apiKey, c.version, c.body, { flexibleHeader: c.version >= (c.apiKey === 3 ? 9 : 5), timeoutMs: 5000 }), /connection closed by broker/, c.what);
    } finally {
      conn.close();
    }
  }
  // The broker is fine, and logged each as a malformed request, not an internal error.
  const conn = await WireConnection.connect(broker.host, broker.port);
  try {
    assert.equal((await apiVersionsV0(conn)).errorCode, 0);
  } finally {
    conn.close();
  }
  const logs = broker.recentLogs(100_000);
  assert.doesNotMatch(logs, /internal error/);
  assert.match(logs, /must not be null/);
});
