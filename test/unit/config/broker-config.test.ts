import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BROKER_CONFIG_DEFINITIONS,
  ConfigError,
  describeBrokerConfig,
  LONG_MAX_LITERAL,
  NEVER,
  parseBrokerConfig,
  unhonouredProperties,
} from '../../../src/cluster/config/broker-config.js';
import { parseProperties } from '../../../src/cluster/config/properties.js';

function configError(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

test('defaults follow Kafka (and our documented dev deviations)', () => {
  const c = parseBrokerConfig({});
  assert.equal(c.nodeId, 0);
  assert.deepEqual(c.processRoles, ['broker', 'controller']);
  assert.deepEqual(c.listeners, [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 }]);
  assert.deepEqual(c.advertisedListeners, c.listeners);
  assert.equal(c.interBrokerListenerName, 'PLAINTEXT');
  assert.deepEqual(c.logDirs, ['./data']);
  assert.equal(c.metadataLogDir, './data');
  assert.equal(c.clusterId, null);
  assert.equal(c.numPartitions, 1);
  assert.equal(c.defaultReplicationFactor, 1);
  assert.equal(c.autoCreateTopicsEnable, true);
  assert.equal(c.deleteTopicEnable, true);
  assert.equal(c.messageMaxBytes, 1048588);
  assert.equal(c.socketRequestMaxBytes, 104857600);
  assert.equal(c.logSegmentBytes, 1073741824);
  assert.equal(c.logRollMs, 168 * 3_600_000);
  assert.equal(c.logIndexIntervalBytes, 4096);
  assert.equal(c.logIndexSizeMaxBytes, 10485760);
  assert.equal(c.logFlushIntervalMessages, NEVER);
  assert.equal(c.logFlushIntervalMs, NEVER);
  assert.equal(c.logRetentionMs, 604_800_000);
  assert.equal(c.logRetentionBytes, -1);
  assert.equal(c.logRetentionCheckIntervalMs, 300000);
  assert.deepEqual(c.logCleanupPolicy, ['delete']);
  assert.equal(c.logMessageTimestampType, 'CreateTime');
  assert.equal(c.compressionType, 'producer');
  assert.equal(c.minInsyncReplicas, 1);
  assert.equal(c.uncleanLeaderElectionEnable, false);
  assert.equal(c.offsetsTopicNumPartitions, 50);
  assert.equal(c.offsetsTopicReplicationFactor, 3);
  assert.equal(c.offsetsRetentionMs, 10080 * 60_000);
  assert.equal(c.groupInitialRebalanceDelayMs, 3000);
  assert.equal(c.groupMinSessionTimeoutMs, 6000);
  assert.equal(c.groupMaxSessionTimeoutMs, 1800000);
  assert.equal(c.replicaLagTimeMaxMs, 30000);
  assert.equal(c.transactionStateLogNumPartitions, 50);
  assert.equal(c.transactionStateLogMinIsr, 2);
  assert.equal(c.logCleanerMinCleanableRatio, 0.5);
  assert.equal(c.explicitProperties.size, 0);
});

test('every definition has a documentation line and a parseable default', () => {
  const names = new Set<string>();
  for (const def of BROKER_CONFIG_DEFINITIONS) {
    assert.ok(!names.has(def.name), `duplicate ${def.name}`);
    names.add(def.name);
    assert.ok(def.documentation.length > 10, def.name);
  }
  // describe parses every default; it must not throw
  assert.equal(describeBrokerConfig(parseBrokerConfig({})).length, BROKER_CONFIG_DEFINITIONS.length);
});

test('accepts a Map or a Record', () => {
  assert.equal(parseBrokerConfig(new Map([['num.partitions', '3']])).numPartitions, 3);
  assert.equal(parseBrokerConfig({ 'num.partitions': '4' }).numPartitions, 4);
});

test('retention precedence: ms over minutes over hours; negative = forever', () => {
  assert.equal(parseBrokerConfig({ 'log.retention.hours': '1' }).logRetentionMs, 3_600_000);
  assert.equal(parseBrokerConfig({ 'log.retention.hours': '1', 'log.retention.minutes': '2' }).logRetentionMs, 120_000);
  assert.equal(parseBrokerConfig({ 'log.retention.hours': '1', 'log.retention.minutes': '2', 'log.retention.ms': '500' }).logRetentionMs, 500);
  assert.equal(parseBrokerConfig({ 'log.retention.ms': '-1' }).logRetentionMs, -1);
  assert.equal(parseBrokerConfig({ 'log.retention.hours': '-5' }).logRetentionMs, -1);
  assert.equal(parseBrokerConfig({ 'log.retention.minutes': '-1', 'log.retention.hours': '5' }).logRetentionMs, -1);
  configError(() => parseBrokerConfig({ 'log.retention.ms': '0' }), /log\.retention\.ms/, /-1/);
});

test('roll precedence: log.roll.ms over log.roll.hours', () => {
  assert.equal(parseBrokerConfig({ 'log.roll.hours': '2' }).logRollMs, 7_200_000);
  assert.equal(parseBrokerConfig({ 'log.roll.hours': '2', 'log.roll.ms': '1000' }).logRollMs, 1000);
});

test('log.flush.interval.ms falls back to log.flush.scheduler.interval.ms', () => {
  assert.equal(parseBrokerConfig({ 'log.flush.scheduler.interval.ms': '2000' }).logFlushIntervalMs, 2000);
  assert.equal(parseBrokerConfig({ 'log.flush.scheduler.interval.ms': '2000', 'log.flush.interval.ms': '10' }).logFlushIntervalMs, 10);
});

test('log.dirs wins over log.dir', () => {
  assert.deepEqual(parseBrokerConfig({ 'log.dir': '/x' }).logDirs, ['/x']);
  assert.deepEqual(parseBrokerConfig({ 'log.dir': '/x', 'log.dirs': '/a, /b' }).logDirs, ['/a', '/b']);
  assert.equal(parseBrokerConfig({ 'log.dirs': '/a,/b', 'metadata.log.dir': '/m' }).metadataLogDir, '/m');
  configError(() => parseBrokerConfig({ 'log.dirs': ' ' }), /log\.dirs/, /directory/);
  configError(() => parseBrokerConfig({ 'log.dir': '' }), /log\.dir'/, /directory/);
});

test('node.id and broker.id: either works, both must agree', () => {
  assert.equal(parseBrokerConfig({ 'node.id': '3' }).nodeId, 3);
  assert.equal(parseBrokerConfig({ 'broker.id': '4' }).nodeId, 4);
  assert.equal(parseBrokerConfig({ 'broker.id': '5', 'node.id': '5' }).nodeId, 5);
  configError(() => parseBrokerConfig({ 'broker.id': '1', 'node.id': '2' }), /broker\.id/, /node\.id/, /equal/);
  configError(() => parseBrokerConfig({ 'node.id': '-1' }), /node\.id/, />= 0/);
});

test('Long.MAX_VALUE is accepted and held as NEVER; larger longs are rejected', () => {
  const c = parseBrokerConfig({ 'log.flush.interval.messages': LONG_MAX_LITERAL });
  assert.equal(c.logFlushIntervalMessages, NEVER);
  configError(() => parseBrokerConfig({ 'log.flush.interval.messages': '9223372036854775808' }), /log\.flush\.interval\.messages/, /long/);
});

test('values are trimmed, booleans are case-insensitive', () => {
  const c = parseBrokerConfig({ 'num.partitions': '  7 ', 'auto.create.topics.enable': 'FALSE' });
  assert.equal(c.numPartitions, 7);
  assert.equal(c.autoCreateTopicsEnable, false);
});

test('unknown property: names it and suggests the closest known name', () => {
  configError(() => parseBrokerConfig({ 'log.retension.ms': '1' }), /Unknown broker config 'log\.retension\.ms'/, /Did you mean 'log\.retention\.ms'\?/);
  configError(() => parseBrokerConfig({ 'num.partition': '1' }), /Did you mean 'num\.partitions'/);
  configError(() => parseBrokerConfig({ 'completely.different.thing': '1' }), /Unknown broker config 'completely\.different\.thing'\./);
  assert.throws(
    () => parseBrokerConfig({ 'nope.nope': '1' }),
    (err: unknown) => err instanceof ConfigError && err.property === 'nope.nope' && !/Did you mean/.test(err.message),
  );
});

test('a topic-level name used as a broker property points at the broker name', () => {
  configError(() => parseBrokerConfig({ 'retention.ms': '1' }), /topic-level/, /log\.retention\.ms/);
  configError(() => parseBrokerConfig({ 'file.delete.delay.ms': '1' }), /topic-level/, /log\.segment\.delete\.delay\.ms/);
  configError(() => parseBrokerConfig({ 'max.message.bytes': '1' }), /message\.max\.bytes/);
});

test('zookeeper.connect is rejected with a clear message', () => {
  configError(() => parseBrokerConfig({ 'zookeeper.connect': 'localhost:2181' }), /zookeeper\.connect/, /no ZooKeeper mode/);
  configError(() => parseBrokerConfig({ 'zookeeper.connection.timeout.ms': '18000' }), /no ZooKeeper mode/);
});

test('invalid values name the property, the value and what is expected', () => {
  configError(() => parseBrokerConfig({ 'num.partitions': 'abc' }), /'abc'/, /'num\.partitions'/, /expected an int/);
  configError(() => parseBrokerConfig({ 'num.partitions': '0' }), /'0'/, /'num\.partitions'/, /expected a value >= 1/);
  configError(() => parseBrokerConfig({ 'num.partitions': '1.5' }), /expected an int/);
  configError(() => parseBrokerConfig({ 'num.partitions': '3000000000' }), /expected an int/);
  configError(() => parseBrokerConfig({ 'auto.create.topics.enable': 'yes' }), /'yes'/, /true or false/);
  configError(() => parseBrokerConfig({ 'log.segment.bytes': '13' }), /log\.segment\.bytes/, />= 14/);
  configError(() => parseBrokerConfig({ 'log.cleanup.policy': 'delete,shred' }), /log\.cleanup\.policy/, /compact/);
  configError(() => parseBrokerConfig({ 'compression.type': 'brotli' }), /'brotli'/, /uncompressed, zstd, lz4, snappy, gzip, producer/);
  configError(() => parseBrokerConfig({ 'log.message.timestamp.type': 'createtime' }), /CreateTime, LogAppendTime/);
  configError(() => parseBrokerConfig({ 'log.cleaner.min.cleanable.ratio': '1.5' }), /between 0 and 1/);
  configError(() => parseBrokerConfig({ 'process.roles': 'leader' }), /process\.roles/, /broker, controller/);
  configError(() => parseBrokerConfig({ 'cluster.id': 'short' }), /cluster\.id/, /22-character/);
  assert.equal(parseBrokerConfig({ 'cluster.id': 'MkU3OEVBNTcwNTJENDM2Qk' }).clusterId, 'MkU3OEVBNTcwNTJENDM2Qk');
});

test('listeners: parsing, names upper-cased, empty host, IPv6, port 0', () => {
  const c = parseBrokerConfig({ listeners: 'plaintext://[::1]:0' });
  assert.deepEqual(c.listeners, [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '::1', port: 0 }]);
  const any = parseBrokerConfig({ listeners: 'PLAINTEXT://:9092' });
  assert.equal(any.listeners[0]!.host, '');
  assert.notEqual(any.advertisedListeners[0]!.host, '', 'an all-interfaces listener advertises this host name');
  configError(() => parseBrokerConfig({ listeners: 'localhost:9092' }), /listeners/, /NAME:\/\/host:port/);
  configError(() => parseBrokerConfig({ listeners: 'PLAINTEXT://h:70000' }), /above 65535/);
  configError(() => parseBrokerConfig({ listeners: 'PLAINTEXT://a:1,PLAINTEXT://b:2' }), /twice/);
  configError(() => parseBrokerConfig({ listeners: 'A://a:1,B://b:1', 'listener.security.protocol.map': 'A:PLAINTEXT,B:PLAINTEXT' }), /port 1 twice/);
  configError(() => parseBrokerConfig({ listeners: 'CLIENT://h:1' }), /CLIENT/, /listener\.security\.protocol\.map/);
  configError(() => parseBrokerConfig({ listeners: 'SSL://h:1' }), /SSL/, /does not support yet/);
  configError(() => parseBrokerConfig({ listeners: 'PLAINTEXT://0.0.0.0:9092' }), /advertised\.listeners/);
});

test('custom listener names via the protocol map; inter-broker listener resolution', () => {
  const c = parseBrokerConfig({
    listeners: 'CLIENT://127.0.0.1:9092,REPL://127.0.0.1:9093',
    'listener.security.protocol.map': 'CLIENT:PLAINTEXT,REPL:PLAINTEXT',
    'inter.broker.listener.name': 'REPL',
  });
  assert.equal(c.interBrokerListenerName, 'REPL');
  assert.equal(c.listenerSecurityProtocolMap.get('CLIENT'), 'PLAINTEXT');
  const d = parseBrokerConfig({ listeners: 'CLIENT://127.0.0.1:9092', 'listener.security.protocol.map': 'CLIENT:PLAINTEXT' });
  assert.equal(d.interBrokerListenerName, 'CLIENT', 'falls back to the first client listener');
  configError(() => parseBrokerConfig({ 'inter.broker.listener.name': 'NOPE' }), /inter\.broker\.listener\.name/, /NOPE/);
});

test('advertised.listeners: explicit, must name a listener, no wildcard address', () => {
  const c = parseBrokerConfig({ listeners: 'PLAINTEXT://0.0.0.0:9092', 'advertised.listeners': 'PLAINTEXT://broker1.example:9092' });
  assert.deepEqual(c.advertisedListeners, [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'broker1.example', port: 9092 }]);
  configError(() => parseBrokerConfig({ 'advertised.listeners': 'PLAINTEXT://0.0.0.0:9092' }), /non-routable/);
  configError(
    () => parseBrokerConfig({ 'advertised.listeners': 'OTHER://h:1', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,OTHER:PLAINTEXT' }),
    /OTHER/,
    /not in listeners/,
  );
});

test('controller listeners and quorum voters', () => {
  const c = parseBrokerConfig({
    'node.id': '1',
    listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093',
    'controller.listener.names': 'CONTROLLER',
    'controller.quorum.voters': '1@127.0.0.1:9093,2@host2:9093,3@[::1]:9093',
  });
  assert.equal(c.listeners[1]!.securityProtocol, 'PLAINTEXT', 'controller listener maps to PLAINTEXT under the default map');
  assert.deepEqual(c.advertisedListeners.map((l) => l.name), ['PLAINTEXT'], 'controller listeners are not advertised');
  assert.deepEqual(c.controllerQuorumVoters, [
    { id: 1, host: '127.0.0.1', port: 9093 },
    { id: 2, host: 'host2', port: 9093 },
    { id: 3, host: '::1', port: 9093 },
  ]);
  configError(
    () => parseBrokerConfig({ 'controller.listener.names': 'CONTROLLER', 'controller.quorum.voters': '0@127.0.0.1:9093' }),
    /controller\.listener\.names/,
    /CONTROLLER/,
  );
  configError(() => parseBrokerConfig({ 'controller.quorum.voters': '1@h:1,2@h:2' }), /node\.id 0/, /controller\.quorum\.voters/);
  configError(() => parseBrokerConfig({ 'controller.quorum.voters': 'h:1' }), /id@host:port/);
  configError(() => parseBrokerConfig({ 'process.roles': 'broker' }), /controller\.quorum\.voters/);
  const brokerOnly = parseBrokerConfig({
    'process.roles': 'broker',
    'node.id': '2',
    'controller.quorum.voters': '1@h:9093',
    'controller.listener.names': 'CONTROLLER',
  });
  assert.deepEqual(brokerOnly.processRoles, ['broker']);
});

test("Kafka's sample KRaft server.properties loads", () => {
  const text = `
############################# Server Basics #############################
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@localhost:9093
############################# Socket Server Settings #############################
listeners=PLAINTEXT://:9092,CONTROLLER://:9093
inter.broker.listener.name=PLAINTEXT
advertised.listeners=PLAINTEXT://localhost:9092
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL
num.network.threads=3
num.io.threads=8
socket.send.buffer.bytes=102400
socket.receive.buffer.bytes=102400
socket.request.max.bytes=104857600
############################# Log Basics #############################
log.dirs=/tmp/kraft-combined-logs
num.partitions=1
num.recovery.threads.per.data.dir=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
#log.flush.interval.messages=10000
#log.flush.interval.ms=1000
log.retention.hours=168
#log.retention.bytes=1073741824
log.segment.bytes=1073741824
log.retention.check.interval.ms=300000
`;
  const c = parseBrokerConfig(parseProperties(text));
  assert.equal(c.nodeId, 1);
  assert.deepEqual(c.logDirs, ['/tmp/kraft-combined-logs']);
  assert.deepEqual(c.advertisedListeners, [{ name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: 'localhost', port: 9092 }]);
  assert.equal(c.offsetsTopicReplicationFactor, 1);
  const ignored = unhonouredProperties(c);
  assert.ok(ignored.includes('num.io.threads'));
  assert.ok(!ignored.includes('log.segment.bytes'));
});

test('describeBrokerConfig: values, sources, Long.MAX rendering, passwords hidden', () => {
  const c = parseBrokerConfig({ 'num.partitions': ' 3 ', 'ssl.keystore.password': 's3cret', 'log.retention.hours': '24', 'node.id': '2' });
  const byName = new Map(describeBrokerConfig(c).map((e) => [e.name, e]));
  assert.deepEqual(byName.get('num.partitions'), {
    name: 'num.partitions',
    value: '3',
    source: 'STATIC_BROKER_CONFIG',
    readOnly: true,
    sensitive: false,
    type: 'int',
    documentation: byName.get('num.partitions')!.documentation,
  });
  assert.equal(byName.get('default.replication.factor')!.source, 'DEFAULT_CONFIG');
  assert.equal(byName.get('default.replication.factor')!.value, '1');
  assert.equal(byName.get('log.flush.interval.messages')!.value, LONG_MAX_LITERAL);
  assert.equal(byName.get('log.retention.ms')!.value, null, 'unset null-default properties describe as null');
  assert.equal(byName.get('log.retention.hours')!.value, '24');
  assert.equal(byName.get('log.cleaner.min.cleanable.ratio')!.value, '0.5');
  assert.equal(byName.get('broker.id')!.value, '2');
  assert.equal(byName.get('node.id')!.value, '2');
  const pw = byName.get('ssl.keystore.password')!;
  assert.equal(pw.value, null);
  assert.equal(pw.sensitive, true);
  assert.equal(pw.type, 'password');
  assert.equal(pw.source, 'STATIC_BROKER_CONFIG');
});

test('password values are never echoed in errors', () => {
  // passwords accept any string, so provoke nothing; but make sure the listed type is password
  const def = BROKER_CONFIG_DEFINITIONS.find((d) => d.name === 'ssl.key.password');
  assert.equal(def?.type, 'password');
});
