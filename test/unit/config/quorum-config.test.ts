import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, describeBrokerConfig, parseBrokerConfig, withBoundControllerPort } from '../../../src/cluster/config/broker-config.js';

function configError(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

const COMBINED = {
  'process.roles': 'broker,controller',
  'node.id': '1',
  listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093',
  'controller.listener.names': 'CONTROLLER',
  'controller.quorum.voters': '1@127.0.0.1:9093,2@127.0.0.1:9094,3@127.0.0.1:9095',
};

test('no process.roles: the implicit single-node quorum', () => {
  const c = parseBrokerConfig({ listeners: 'PLAINTEXT://10.1.2.3:0', 'node.id': '4' });
  assert.equal(c.implicitSingleNodeQuorum, true);
  assert.deepEqual(c.processRoles, ['broker', 'controller']);
  assert.deepEqual(c.controllerListenerNames, ['CONTROLLER']);
  assert.deepEqual(c.controllerListener, { name: 'CONTROLLER', securityProtocol: 'PLAINTEXT', host: '10.1.2.3', port: 0 });
  assert.deepEqual(c.controllerQuorumVoters, [{ id: 4, host: '10.1.2.3', port: 0 }]);
  assert.deepEqual(c.listeners.map((l) => l.name), ['PLAINTEXT'], 'the implicit controller listener is not in listeners');
  assert.equal(c.brokerListener?.name, 'PLAINTEXT');
  assert.equal(c.brokerListener?.host, '10.1.2.3');
  assert.equal(c.listenerSecurityProtocolMap.get('CONTROLLER'), 'PLAINTEXT');

  const defaults = parseBrokerConfig({});
  assert.equal(defaults.implicitSingleNodeQuorum, true);
  assert.equal(defaults.controllerListener?.host, '127.0.0.1');
  assert.deepEqual(defaults.controllerQuorumVoters, [{ id: 0, host: '127.0.0.1', port: 0 }]);

  // A wildcard bind host is not an address the node can dial for its own voter.
  const wildcard = parseBrokerConfig({ listeners: 'PLAINTEXT://0.0.0.0:9092', 'advertised.listeners': 'PLAINTEXT://h:9092' });
  assert.equal(wildcard.controllerListener?.host, '127.0.0.1');

  configError(
    () => parseBrokerConfig({ listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093', 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT' }),
    /CONTROLLER/,
    /controller\.listener\.names/,
  );
});

test('explicit combined node: controller and broker listeners, voters', () => {
  const c = parseBrokerConfig(COMBINED);
  assert.equal(c.implicitSingleNodeQuorum, false);
  assert.deepEqual(c.processRoles, ['broker', 'controller']);
  assert.deepEqual(c.controllerListener, { name: 'CONTROLLER', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9093 });
  assert.deepEqual(c.brokerListener, { name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: '127.0.0.1', port: 9092 });
  assert.equal(c.controllerQuorumVoters.length, 3);
  assert.deepEqual(c.advertisedListeners.map((l) => l.name), ['PLAINTEXT']);
});

test('explicit roles: Kafka\'s checks, each naming the property', () => {
  configError(() => parseBrokerConfig({ ...COMBINED, 'node.id': '7' }), /node\.id 7/, /controller\.quorum\.voters/);
  configError(() => parseBrokerConfig({ ...COMBINED, 'controller.listener.names': '' }), /controller\.listener\.names/);
  configError(() => parseBrokerConfig({ ...COMBINED, listeners: 'PLAINTEXT://127.0.0.1:9092' }), /controller\.listener\.names/, /CONTROLLER/, /listeners/);
  configError(() => parseBrokerConfig({ ...COMBINED, 'controller.quorum.voters': '1@127.0.0.1' }), /controller\.quorum\.voters/, /id@host:port/);
  configError(() => parseBrokerConfig({ ...COMBINED, 'controller.quorum.voters': 'x@127.0.0.1:9093' }), /controller\.quorum\.voters/);
  configError(() => parseBrokerConfig({ ...COMBINED, 'controller.quorum.voters': '' }), /controller\.quorum\.voters/, /bootstrap\.servers/);
  configError(() => parseBrokerConfig({ ...COMBINED, 'process.roles': 'broker,leader' }), /process\.roles/, /broker, controller/);
  configError(() => parseBrokerConfig({ ...COMBINED, 'process.roles': '' }), /process\.roles/);
  configError(() => parseBrokerConfig({ ...COMBINED, 'process.roles': 'broker,broker' }), /Duplicate/, /process\.roles/);
  const { 'node.id': _omit, ...noNodeId } = COMBINED;
  configError(() => parseBrokerConfig(noNodeId), /node\.id/);
  configError(
    () => parseBrokerConfig({ ...COMBINED, 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:SSL' }),
    /CONTROLLER/,
    /SSL/,
    /listener\.security\.protocol\.map/,
  );
  configError(() => parseBrokerConfig({ ...COMBINED, 'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT' }), /CONTROLLER/, /listener\.security\.protocol\.map/);
  // A dynamic quorum (KIP-853) needs no voters.
  const dynamic = parseBrokerConfig({ ...COMBINED, 'controller.quorum.voters': '', 'controller.quorum.bootstrap.servers': '127.0.0.1:9093' });
  assert.deepEqual(dynamic.controllerQuorumVoters, []);
  assert.deepEqual(dynamic.controllerQuorumBootstrapServers, [{ host: '127.0.0.1', port: 9093 }]);
});

test('broker-only and controller-only nodes', () => {
  const brokerOnly = {
    'process.roles': 'broker',
    'node.id': '5',
    listeners: 'PLAINTEXT://127.0.0.1:9092',
    'controller.listener.names': 'CONTROLLER',
    'controller.quorum.voters': '1@127.0.0.1:9093',
  };
  const b = parseBrokerConfig(brokerOnly);
  assert.equal(b.controllerListener, null);
  assert.equal(b.brokerListener?.port, 9092);
  configError(() => parseBrokerConfig({ ...brokerOnly, listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093' }), /CONTROLLER/, /process\.roles/);
  configError(() => parseBrokerConfig({ ...brokerOnly, 'controller.listener.names': '' }), /controller\.listener\.names/);

  const controllerOnly = { ...COMBINED, 'process.roles': 'controller', listeners: 'CONTROLLER://127.0.0.1:9093' };
  const c = parseBrokerConfig(controllerOnly);
  assert.equal(c.brokerListener, null);
  assert.equal(c.controllerListener?.port, 9093);
  configError(() => parseBrokerConfig({ ...controllerOnly, listeners: 'PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093' }), /process\.roles=controller/, /PLAINTEXT/);
});

test('the KRaft timing and metadata-log properties: Kafka names and defaults', () => {
  const c = parseBrokerConfig({});
  assert.equal(c.brokerSessionTimeoutMs, 9000);
  assert.equal(c.brokerHeartbeatIntervalMs, 2000);
  assert.equal(c.controllerQuorumElectionTimeoutMs, 1000);
  assert.equal(c.controllerQuorumFetchTimeoutMs, 2000);
  assert.equal(c.controllerQuorumElectionBackoffMaxMs, 1000);
  assert.equal(c.controllerQuorumRequestTimeoutMs, 2000);
  assert.equal(c.metadataLogMaxRecordBytesBetweenSnapshots, 20971520);
  assert.equal(c.metadataLogSegmentBytes, 1073741824);
  assert.equal(c.metadataMaxIdleIntervalMs, 500);
  const set = parseBrokerConfig({ 'metadata.log.segment.bytes': '8388608', 'metadata.max.idle.interval.ms': '0', 'broker.session.timeout.ms': '3000' });
  assert.equal(set.metadataLogSegmentBytes, 8388608);
  assert.equal(set.metadataMaxIdleIntervalMs, 0);
  assert.equal(set.brokerSessionTimeoutMs, 3000);
  configError(() => parseBrokerConfig({ 'metadata.log.segment.bytes': '4' }), /metadata\.log\.segment\.bytes/);
  configError(() => parseBrokerConfig({ 'metadata.max.idle.interval.ms': '-1' }), /metadata\.max\.idle\.interval\.ms/);
  configError(() => parseBrokerConfig({ 'controller.quorum.election.timeout.ms': '0' }), /controller\.quorum\.election\.timeout\.ms/);
  const described = new Map(describeBrokerConfig(set).map((e) => [e.name, e]));
  assert.equal(described.get('metadata.log.segment.bytes')?.value, '8388608');
  assert.equal(described.get('metadata.log.segment.bytes')?.source, 'STATIC_BROKER_CONFIG');
  assert.equal(described.get('metadata.log.max.record.bytes.between.snapshots')?.value, '20971520');
});

test('withBoundControllerPort puts the bound port in the implicit controller listener and self voter', () => {
  const c = parseBrokerConfig({ 'node.id': '2' });
  const bound = withBoundControllerPort(c, 40123);
  assert.equal(bound.controllerListener?.port, 40123);
  assert.deepEqual(bound.controllerQuorumVoters, [{ id: 2, host: '127.0.0.1', port: 40123 }]);
  assert.equal(c.controllerListener?.port, 0, 'the original is not changed');
  const explicit = parseBrokerConfig(COMBINED);
  assert.equal(withBoundControllerPort(explicit, 1), explicit);
  const described = new Map(describeBrokerConfig(c).map((e) => [e.name, e.value]));
  assert.equal(described.get('controller.listener.names'), 'CONTROLLER');
  assert.equal(described.get('process.roles'), 'broker,controller');
});
