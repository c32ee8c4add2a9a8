import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs } from '../../../src/client/backoff.js';
import { ClientConfigError, UnsupportedFeatureError } from '../../../src/client/errors.js';
import { resolveClientOptions } from '../../../src/client/options.js';
import { pickVersion } from '../../../src/client/cluster/api-ranges.js';
import { MetadataCache } from '../../../src/client/cluster/metadata-cache.js';
import { resolveProducerOptions } from '../../../src/client/producer/options.js';
import { BufferPool } from '../../../src/client/producer/buffer-pool.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import type { MetadataResponse } from '../../../src/protocol/messages/metadata.js';
import { jsonSerializer, stringSerializer, bufferSerializer, jsonDeserializer } from '../../../src/client/serializers.js';

test('options: bootstrap parsing, defaults, and reserved ssl/sasl rejected', () => {
  const o = resolveClientOptions({ bootstrapServers: 'a:1, b:2' });
  assert.deepEqual(o.bootstrap, [{ host: 'a', port: 1 }, { host: 'b', port: 2 }]);
  assert.equal(o.requestTimeoutMs, 30_000);
  assert.equal(o.metadataMaxAgeMs, 300_000);
  assert.throws(() => resolveClientOptions({ bootstrapServers: 'nope' }), ClientConfigError);
  assert.throws(() => resolveClientOptions({ bootstrapServers: [] }), ClientConfigError);
  assert.throws(() => resolveClientOptions({ bootstrapServers: 'a:1', ssl: true }), (e: unknown) => e instanceof UnsupportedFeatureError && /ssl is not supported yet/.test(e.message));
  assert.throws(
    () => resolveClientOptions({ bootstrapServers: 'a:1', sasl: { mechanism: 'plain', username: 'u', password: 'p' } }),
    (e: unknown) => e instanceof UnsupportedFeatureError && /sasl is not supported yet/.test(e.message),
  );
});

test('producer options: Kafka defaults and validation', () => {
  const p = resolveProducerOptions({ bootstrapServers: 'a:1' });
  assert.equal(p.acks, -1);
  assert.equal(p.batchSize, 16384);
  assert.equal(p.lingerMs, 5);
  assert.equal(p.maxInFlight, 5);
  assert.equal(p.deliveryTimeoutMs, 120_000);
  assert.equal(p.bufferMemory, 33_554_432);
  assert.equal(p.retries, Number.POSITIVE_INFINITY);
  assert.equal(resolveProducerOptions({ bootstrapServers: 'a:1', acks: 'all' }).acks, -1);
  assert.throws(() => resolveProducerOptions({ bootstrapServers: 'a:1', compression: 'brotli' as 'gzip' }), ClientConfigError);
  assert.throws(() => resolveProducerOptions({ bootstrapServers: 'a:1', deliveryTimeoutMs: 1000 }), /deliveryTimeoutMs/);
  assert.equal(p.idempotence, 'default');
  assert.equal(resolveProducerOptions({ bootstrapServers: 'a:1', idempotent: true }).idempotence, 'explicit');
});

test('backoff grows exponentially, is capped and jittered ±20%', () => {
  assert.equal(backoffMs(0, 100, 1000, () => 0.5), 100);
  assert.equal(backoffMs(3, 100, 1000, () => 0.5), 800);
  assert.equal(backoffMs(10, 100, 1000, () => 0.5), 1000);
  assert.equal(backoffMs(1, 100, 1000, () => 0), 160);
  assert.equal(backoffMs(1, 100, 1000, () => 1), 240);
});

test('pickVersion: highest common version; UNSUPPORTED_VERSION names the API when missing or disjoint', () => {
  const broker = new Map([
    [0, { minVersion: 0, maxVersion: 9 }],
    [3, { minVersion: 0, maxVersion: 12 }],
    [60, { minVersion: 2, maxVersion: 3 }],
  ]);
  assert.equal(pickVersion(0, broker, { minVersion: 3, maxVersion: 11 }, 'b'), 9);
  assert.equal(pickVersion(3, broker, { minVersion: 1, maxVersion: 12 }, 'b'), 12);
  assert.throws(() => pickVersion(44, broker, { minVersion: 0, maxVersion: 1 }, 'broker 1'), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNSUPPORTED_VERSION && /IncrementalAlterConfigs/.test(e.message));
  assert.throws(() => pickVersion(60, broker, { minVersion: 0, maxVersion: 1 }, 'broker 1'), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.UNSUPPORTED_VERSION);
});

function md(leaderEpoch: number, leader: number, topicError = 0): MetadataResponse {
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: 0, host: 'h', port: 1, rack: null }, { nodeId: 1, host: 'h', port: 2, rack: null }],
    clusterId: 'c',
    controllerId: 0,
    clusterAuthorizedOperations: 0,
    topics: [
      {
        errorCode: topicError,
        name: 't',
        topicId: 'x',
        isInternal: false,
        topicAuthorizedOperations: 0,
        partitions: topicError ? [] : [{ errorCode: 0, partitionIndex: 0, leaderId: leader, leaderEpoch, replicaNodes: [0, 1], isrNodes: [0, 1], offlineReplicas: [] }],
      },
    ],
  };
}

test('metadata cache: leader epoch never goes backwards; unknown topics are forgotten', () => {
  const c = new MetadataCache();
  c.update(md(5, 0), ['t']);
  assert.equal(c.leaderOf('t', 0), 0);
  const stale = c.update(md(4, 1), ['t']);
  assert.equal(c.leaderOf('t', 0), 0, 'stale response ignored');
  assert.equal(stale.leaderChanges, 0);
  const moved = c.update(md(6, 1), ['t']);
  assert.equal(c.leaderOf('t', 0), 1);
  assert.equal(moved.leaderChanges, 1);
  const gone = c.update(md(0, 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION), ['t']);
  assert.equal(gone.topicErrors.get('t'), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  assert.equal(c.topic('t'), undefined);
  assert.equal(c.brokers().length, 2);
});

test('buffer pool: FIFO waiters, release wakes them, maxBlockMs times out, oversize rejected', async () => {
  const pool = new BufferPool(100);
  assert.ok(pool.tryReserve(60));
  const order: string[] = [];
  const a = pool.reserve(50, 1000).then(() => order.push('a'));
  const b = pool.reserve(10, 1000).then(() => order.push('b'));
  assert.equal(pool.tryReserve(10), false, 'no jumping the queue');
  pool.release(60);
  await Promise.all([a, b]);
  assert.deepEqual(order, ['a', 'b']);
  assert.equal(pool.available, 40);
  await assert.rejects(pool.reserve(80, 20), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.REQUEST_TIMED_OUT);
  await assert.rejects(pool.reserve(101, 20), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.RECORD_LIST_TOO_LARGE);
});

test('serializers: buffer (default), string, JSON', () => {
  assert.equal(bufferSerializer.serialize(null, 't'), null);
  assert.deepEqual(bufferSerializer.serialize(new Uint8Array([1, 2]), 't'), Buffer.from([1, 2]));
  assert.equal(stringSerializer.serialize('hé', 't')!.toString('utf8'), 'hé');
  const j = jsonSerializer<{ a: number }>();
  assert.equal(j.serialize({ a: 1 }, 't')!.toString(), '{"a":1}');
  assert.equal(j.serialize(null, 't'), null);
  assert.deepEqual(jsonDeserializer<{ a: number }>().deserialize(Buffer.from('{"a":2}'), 't'), { a: 2 });
});
