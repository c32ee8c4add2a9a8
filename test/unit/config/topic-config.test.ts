import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brokerConfigDefinition, ConfigError, LONG_MAX_LITERAL, NEVER, parseBrokerConfig } from '../../../src/cluster/config/broker-config.js';
import {
  describeTopicConfig,
  effectiveTopicConfig,
  TOPIC_CONFIG_DEFINITIONS,
  toLogConfig,
  validateTopicConfigs,
} from '../../../src/cluster/config/topic-config.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log-config.js';

function configError(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

const defaults = parseBrokerConfig({});

test('valid overrides pass', () => {
  validateTopicConfigs({});
  validateTopicConfigs({
    'cleanup.policy': 'compact,delete',
    'compression.type': 'zstd',
    'retention.ms': '-1',
    'retention.bytes': '1048576',
    'segment.bytes': '14',
    'max.message.bytes': '0',
    'message.timestamp.type': 'LogAppendTime',
    'min.cleanable.dirty.ratio': '0.1',
    'flush.messages': LONG_MAX_LITERAL,
    'unclean.leader.election.enable': 'true',
    'message.downconversion.enable': 'false',
    'leader.replication.throttled.replicas': '*',
    'follower.replication.throttled.replicas': '0:1,1:2',
  });
});

test("Kafka's ranges are enforced with readable messages", () => {
  configError(() => validateTopicConfigs({ 'segment.bytes': '13' }), /'13'/, /'segment\.bytes'/, />= 14/);
  configError(() => validateTopicConfigs({ 'cleanup.policy': 'shred' }), /cleanup\.policy/, /delete, compact/);
  configError(() => validateTopicConfigs({ 'cleanup.policy': '' }), /cleanup\.policy/, /at least one/);
  configError(() => validateTopicConfigs({ 'compression.type': 'none' }), /'none'/, /uncompressed, zstd, lz4, snappy, gzip, producer/);
  configError(() => validateTopicConfigs({ 'retention.ms': '-2' }), /retention\.ms/, />= -1/);
  configError(() => validateTopicConfigs({ 'segment.ms': '0' }), /segment\.ms/, />= 1/);
  configError(() => validateTopicConfigs({ 'segment.index.bytes': '3' }), /segment\.index\.bytes/, />= 4/);
  configError(() => validateTopicConfigs({ 'flush.messages': '0' }), /flush\.messages/);
  configError(() => validateTopicConfigs({ 'min.insync.replicas': '0' }), /min\.insync\.replicas/);
  configError(() => validateTopicConfigs({ 'min.cleanable.dirty.ratio': '2' }), /between 0 and 1/);
  configError(() => validateTopicConfigs({ 'message.timestamp.type': 'Now' }), /CreateTime, LogAppendTime/);
  configError(() => validateTopicConfigs({ 'max.message.bytes': 'big' }), /'big'/, /an int/);
  configError(() => validateTopicConfigs({ preallocate: 'maybe' }), /true or false/);
  configError(() => validateTopicConfigs({ 'remote.storage.enable': 'true' }), /tiered storage/);
  configError(() => validateTopicConfigs({ 'leader.replication.throttled.replicas': 'x' }), /partition:brokerId/);
  configError(() => validateTopicConfigs({ 'min.compaction.lag.ms': '10', 'max.compaction.lag.ms': '5' }), /min\.compaction\.lag\.ms/, /max\.compaction\.lag\.ms/);
});

test('unknown topic configs: suggestion, or pointer from a broker name', () => {
  configError(() => validateTopicConfigs({ 'retention.msx': '1' }), /Unknown topic config 'retention\.msx'/, /Did you mean 'retention\.ms'/);
  configError(() => validateTopicConfigs({ 'log.retention.ms': '1' }), /broker config/, /'retention\.ms'/);
  configError(() => validateTopicConfigs({ 'message.max.bytes': '1' }), /'max\.message\.bytes'/);
  assert.throws(() => validateTopicConfigs({ zzz: '1' }), (err: unknown) => err instanceof ConfigError && err.property === 'zzz');
});

test('every topic config with a server default has a broker synonym that exists', () => {
  for (const def of TOPIC_CONFIG_DEFINITIONS) {
    for (const s of def.brokerSynonyms) assert.ok(brokerConfigDefinition(s), `${def.name} ← ${s} is not a broker property`);
  }
  const names = TOPIC_CONFIG_DEFINITIONS.map((d) => d.name);
  assert.equal(new Set(names).size, names.length);
  for (const required of [
    'cleanup.policy', 'compression.type', 'delete.retention.ms', 'file.delete.delay.ms', 'flush.messages', 'flush.ms',
    'index.interval.bytes', 'max.compaction.lag.ms', 'max.message.bytes', 'message.timestamp.type',
    'message.timestamp.difference.max.ms', 'message.timestamp.before.max.ms', 'message.timestamp.after.max.ms',
    'min.cleanable.dirty.ratio', 'min.compaction.lag.ms', 'min.insync.replicas', 'preallocate', 'retention.bytes',
    'retention.ms', 'segment.bytes', 'segment.index.bytes', 'segment.jitter.ms', 'segment.ms',
    'unclean.leader.election.enable', 'message.downconversion.enable',
  ]) {
    assert.ok(names.includes(required), required);
  }
});

test('effective config inherits from the broker and overrides win', () => {
  const broker = parseBrokerConfig({
    'log.retention.hours': '24',
    'log.segment.bytes': '1048576',
    'message.max.bytes': '2000000',
    'log.flush.interval.messages': '100',
    'log.message.timestamp.type': 'LogAppendTime',
    'log.roll.hours': '1',
    'log.flush.scheduler.interval.ms': '5000',
  });
  const inherited = effectiveTopicConfig({}, broker);
  assert.equal(inherited.retentionMs, 86_400_000);
  assert.equal(inherited.segmentBytes, 1048576);
  assert.equal(inherited.maxMessageBytes, 2000000);
  assert.equal(inherited.flushMessages, 100);
  assert.equal(inherited.flushMs, 5000, 'flush.ms ← log.flush.interval.ms ← log.flush.scheduler.interval.ms');
  assert.equal(inherited.messageTimestampType, 'LogAppendTime');
  assert.equal(inherited.segmentMs, 3_600_000);
  const overridden = effectiveTopicConfig({ 'retention.ms': '1000', 'segment.bytes': '4096', 'cleanup.policy': 'compact' }, broker);
  assert.equal(overridden.retentionMs, 1000);
  assert.equal(overridden.segmentBytes, 4096);
  assert.deepEqual(overridden.cleanupPolicy, ['compact']);
  assert.equal(overridden.maxMessageBytes, 2000000);
});

test('timestamp before/after fall back to difference.max.ms while left at Long.MAX', () => {
  const t = effectiveTopicConfig({ 'message.timestamp.difference.max.ms': '60000' }, defaults);
  assert.equal(t.messageTimestampBeforeMaxMs, 60000);
  assert.equal(t.messageTimestampAfterMaxMs, 60000);
  const u = effectiveTopicConfig({ 'message.timestamp.difference.max.ms': '60000', 'message.timestamp.after.max.ms': '1000' }, defaults);
  assert.equal(u.messageTimestampBeforeMaxMs, 60000);
  assert.equal(u.messageTimestampAfterMaxMs, 1000);
  assert.equal(effectiveTopicConfig({}, defaults).messageTimestampBeforeMaxMs, NEVER);
});

test('compaction lag conflict is checked against inherited values too', () => {
  const broker = parseBrokerConfig({ 'log.cleaner.max.compaction.lag.ms': '1000' });
  configError(() => effectiveTopicConfig({ 'min.compaction.lag.ms': '5000' }, broker), /min\.compaction\.lag\.ms/);
});

test('toLogConfig with Kafka defaults equals the storage layer defaults', () => {
  assert.deepEqual(toLogConfig(effectiveTopicConfig({}, defaults)), DEFAULT_LOG_CONFIG);
  const lc = toLogConfig(effectiveTopicConfig({ 'segment.bytes': '1024', 'message.timestamp.type': 'LogAppendTime', 'flush.ms': '10' }, defaults));
  assert.equal(lc.segmentBytes, 1024);
  assert.equal(lc.messageTimestampType, 'LogAppendTime');
  assert.equal(lc.flushMs, 10);
  assert.deepEqual(Object.keys(lc).sort(), Object.keys(DEFAULT_LOG_CONFIG).sort());
});

test('describeTopicConfig: sources and values', () => {
  const broker = parseBrokerConfig({ 'log.retention.minutes': '60', 'log.segment.bytes': '2048' });
  const entries = describeTopicConfig({ 'cleanup.policy': 'compact, delete', 'max.message.bytes': '5000' }, broker);
  assert.equal(entries.length, TOPIC_CONFIG_DEFINITIONS.length);
  const byName = new Map(entries.map((e) => [e.name, e]));
  assert.deepEqual(
    { ...byName.get('cleanup.policy')!, documentation: '' },
    { name: 'cleanup.policy', value: 'compact,delete', source: 'DYNAMIC_TOPIC_CONFIG', readOnly: false, sensitive: false, type: 'list', documentation: '' },
  );
  assert.equal(byName.get('max.message.bytes')!.value, '5000');
  assert.equal(byName.get('retention.ms')!.value, '3600000');
  assert.equal(byName.get('retention.ms')!.source, 'STATIC_BROKER_CONFIG');
  assert.equal(byName.get('segment.bytes')!.value, '2048');
  assert.equal(byName.get('segment.bytes')!.source, 'STATIC_BROKER_CONFIG');
  assert.equal(byName.get('segment.ms')!.source, 'DEFAULT_CONFIG');
  assert.equal(byName.get('segment.ms')!.value, '604800000');
  assert.equal(byName.get('flush.messages')!.value, LONG_MAX_LITERAL);
  assert.equal(byName.get('flush.ms')!.value, LONG_MAX_LITERAL);
  assert.equal(byName.get('min.cleanable.dirty.ratio')!.value, '0.5');
  assert.equal(byName.get('retention.bytes')!.value, '-1');
  assert.ok(entries.every((e) => e.readOnly === false && e.sensitive === false && e.documentation.length > 0));
});

test('describeTopicConfig rejects invalid overrides the same way', () => {
  configError(() => describeTopicConfig({ 'segment.bytes': '1' }, defaults), /segment\.bytes/);
});
