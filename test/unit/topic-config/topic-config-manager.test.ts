import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { parseBrokerConfig } from '../../../src/cluster/config/broker-config.js';
import type { ReplicaManager } from '../../../src/cluster/replication/replica-manager.js';
import { ConfigOperation, TopicConfigManager } from '../../../src/cluster/topic-config-manager.js';
import { MemoryTopicStore } from '../../helpers/memory-topic-store.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import type { LogConfig } from '../../../src/storage/log-config.js';

const { SET, DELETE, APPEND, SUBTRACT } = ConfigOperation;

async function setup(t: TestContext, brokerProps: Record<string, string> = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'topic-config-manager-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const registry = new MemoryTopicStore();
  const broker = parseBrokerConfig({ 'log.dirs': dir, ...brokerProps });
  const updates: Array<{ partition: number; config: Partial<LogConfig> }> = [];
  const fakeReplicas = {
    tryGet: (_topic: string, partition: number) => ({ log: { updateConfig: (config: Partial<LogConfig>) => updates.push({ partition, config }) } }),
  } as unknown as ReplicaManager;
  const manager = new TopicConfigManager(registry, broker, fakeReplicas);
  return { dir, registry, broker, manager, updates };
}

async function rejects(p: Promise<unknown>, code: ErrorCode, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof KafkaError, `expected KafkaError, got ${String(err)}`);
    assert.equal(err.code, code, `code ${err.code}: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('replace: the overrides become exactly the given set, stored and pushed to every partition log', async (t) => {
  const { registry, manager, updates } = await setup(t);
  await registry.create('t', 3, { 'retention.ms': '1000', 'segment.bytes': '4096' });
  assert.equal(manager.configFor('t').retentionMs, 1000);
  await manager.replace('t', [{ name: 'max.message.bytes', value: '2048' }], false);
  assert.deepEqual(registry.get('t')!.configs, { 'max.message.bytes': '2048' });
  const config = manager.configFor('t');
  assert.equal(config.maxMessageBytes, 2048);
  assert.equal(config.retentionMs, 604800000, 'an override left out goes back to the broker default');
  assert.deepEqual(updates.map((u) => u.partition), [0, 1, 2]);
  assert.equal(updates[0]!.config.maxMessageBytes, 2048);
  assert.equal(updates[0]!.config.segmentBytes, 1073741824);
});

test('replace: validateOnly, invalid values, nulls, duplicates and unknown topics change nothing', async (t) => {
  const { registry, manager, updates } = await setup(t);
  await registry.create('t', 1, { 'retention.ms': '1000' });
  await manager.replace('t', [{ name: 'retention.ms', value: '5' }], true);
  assert.deepEqual(registry.get('t')!.configs, { 'retention.ms': '1000' });
  await rejects(manager.replace('t', [{ name: 'retention.ms', value: 'x' }], false), ErrorCode.INVALID_CONFIG, /Invalid value 'x' for topic config 'retention\.ms'/);
  await rejects(manager.replace('t', [{ name: 'retention.ms', value: null }], false), ErrorCode.INVALID_CONFIG, /Null value not supported for topic configs: retention\.ms/);
  await rejects(
    manager.replace('t', [{ name: 'retention.ms', value: '1' }, { name: 'retention.ms', value: '2' }], false),
    ErrorCode.INVALID_REQUEST,
    /duplicate config keys : retention\.ms/,
  );
  await rejects(manager.replace('t', [{ name: 'log.retention.ms', value: '1' }], false), ErrorCode.INVALID_CONFIG, /that is a broker config; the topic-level config is 'retention\.ms'/);
  await rejects(manager.replace('missing', [], false), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, /missing/);
  // Cross-field checks see the broker defaults too: max.compaction.lag.ms defaults to Long.MAX.
  await rejects(
    manager.replace('t', [{ name: 'max.compaction.lag.ms', value: '10' }, { name: 'min.compaction.lag.ms', value: '20' }], false),
    ErrorCode.INVALID_CONFIG,
    /min\.compaction\.lag\.ms \(20\) is greater than max\.compaction\.lag\.ms \(10\)/,
  );
  assert.deepEqual(registry.get('t')!.configs, { 'retention.ms': '1000' });
  assert.equal(updates.length, 0);
});

test('incremental: SET, DELETE, APPEND and SUBTRACT apply in order; APPEND starts from the inherited value', async (t) => {
  const { registry, manager } = await setup(t, { 'log.cleanup.policy': 'compact' });
  await registry.create('t', 1, { 'retention.ms': '1000' });
  await manager.incremental(
    't',
    [
      { name: 'segment.ms', operation: SET, value: '60000' },
      { name: 'cleanup.policy', operation: APPEND, value: 'delete' },
      { name: 'retention.ms', operation: DELETE, value: null },
    ],
    false,
  );
  assert.deepEqual(registry.get('t')!.configs, { 'segment.ms': '60000', 'cleanup.policy': 'compact,delete' });
  await manager.incremental('t', [{ name: 'cleanup.policy', operation: APPEND, value: 'delete, compact' }], false);
  assert.equal(registry.get('t')!.configs['cleanup.policy'], 'compact,delete', 'APPEND adds only missing values');
  await manager.incremental('t', [{ name: 'cleanup.policy', operation: SUBTRACT, value: 'compact,nothing' }], false);
  assert.equal(registry.get('t')!.configs['cleanup.policy'], 'delete');
  assert.deepEqual(manager.configFor('t').cleanupPolicy, ['delete']);
  // DELETE of an override that is not there is fine, even of a name no topic config has (as Kafka 4.1).
  await manager.incremental('t', [{ name: 'flush.ms', operation: DELETE, value: null }], false);
  await manager.incremental('t', [{ name: 'flush.msec', operation: DELETE, value: null }], false);
  assert.equal(registry.get('t')!.configs['flush.msec'], undefined);
});

test('incremental: refusals follow Kafka (INVALID_REQUEST for the request shape, INVALID_CONFIG for values)', async (t) => {
  const { registry, manager } = await setup(t);
  await registry.create('t', 1, {});
  await rejects(manager.incremental('t', [{ name: 'retention.ms', operation: APPEND, value: '1' }], false), ErrorCode.INVALID_REQUEST, /Config value append is not allowed for config key: retention\.ms/);
  await rejects(manager.incremental('t', [{ name: 'retention.ms', operation: SUBTRACT, value: '1' }], false), ErrorCode.INVALID_REQUEST, /Config value subtract is not allowed/);
  await rejects(manager.incremental('t', [{ name: 'not.a.config', operation: APPEND, value: '1' }], false), ErrorCode.INVALID_CONFIG, /Unknown topic config 'not\.a\.config'/);
  await rejects(manager.incremental('t', [{ name: 'retention.ms', operation: SET, value: null }], false), ErrorCode.INVALID_REQUEST, /Null value not supported for : SET:retention\.ms/);
  await rejects(manager.incremental('t', [{ name: 'retention.ms', operation: 9, value: '1' }], false), ErrorCode.INVALID_REQUEST, /Unknown alter config operation 9/);
  await rejects(manager.incremental('t', [{ name: 'cleanup.policy', operation: SUBTRACT, value: 'delete' }], false), ErrorCode.INVALID_CONFIG, /cleanup\.policy/);
  await rejects(manager.incremental('t', [{ name: 'compression.type', operation: SET, value: 'brotli' }], false), ErrorCode.INVALID_CONFIG, /one of uncompressed, zstd, lz4, snappy, gzip, producer/);
  assert.deepEqual(registry.get('t')!.configs, {});
});

test('incremental: concurrent changes to one topic both land', async (t) => {
  const { registry, manager } = await setup(t);
  await registry.create('t', 1, {});
  await Promise.all([
    manager.incremental('t', [{ name: 'retention.ms', operation: SET, value: '1000' }], false),
    manager.incremental('t', [{ name: 'segment.ms', operation: SET, value: '2000' }], false),
    manager.incremental('t', [{ name: 'cleanup.policy', operation: APPEND, value: 'compact' }], false),
  ]);
  assert.deepEqual(registry.get('t')!.configs, { 'retention.ms': '1000', 'segment.ms': '2000', 'cleanup.policy': 'delete,compact' });
});

test('configFor is cached per overrides object and maps onto the log config', async (t) => {
  const { registry, manager } = await setup(t);
  await registry.create('t', 1, { 'message.timestamp.difference.max.ms': '5000', 'compression.type': 'zstd' });
  const first = manager.configFor('t');
  assert.equal(manager.configFor('t'), first, 'same object while the overrides are unchanged');
  const log = manager.logConfigFor('t');
  assert.equal(log.messageTimestampBeforeMaxMs, 5000, 'before/after fall back to the difference bound');
  assert.equal(log.messageTimestampAfterMaxMs, 5000);
  assert.equal(first.compressionType, 'zstd');
  await manager.incremental('t', [{ name: 'message.timestamp.after.max.ms', operation: SET, value: '100' }], false);
  assert.notEqual(manager.configFor('t'), first);
  assert.equal(manager.logConfigFor('t').messageTimestampAfterMaxMs, 100);
  assert.equal(manager.logConfigFor('t').messageTimestampBeforeMaxMs, 5000);
  assert.equal(manager.configFor('unknown-topic').retentionMs, 604800000, 'an unknown topic has the broker defaults');
});
