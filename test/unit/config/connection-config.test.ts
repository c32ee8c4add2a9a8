import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseBrokerConfig, unhonouredProperties } from '../../../src/cluster/config/broker-config.js';

const CONNECTION_PROPERTIES = {
  'connections.max.idle.ms': '1000',
  'max.connections': '100',
  'max.connections.per.ip': '10',
  'max.connections.per.ip.overrides': 'localhost:20, 10.0.0.1:5',
  'max.connection.creation.rate': '50',
  'queued.max.requests': '100',
  'queued.max.request.bytes': String(200 * 1024 * 1024),
  'fetch.max.bytes': String(8 * 1024 * 1024),
};

test('connection and memory properties: parsed, typed, honoured', () => {
  const c = parseBrokerConfig(CONNECTION_PROPERTIES);
  assert.equal(c.connectionsMaxIdleMs, 1000);
  assert.equal(c.maxConnections, 100);
  assert.equal(c.maxConnectionsPerIp, 10);
  assert.deepEqual(c.maxConnectionsPerIpOverrides, ['localhost:20', '10.0.0.1:5']);
  assert.equal(c.maxConnectionCreationRate, 50);
  assert.equal(c.queuedMaxRequests, 100);
  assert.equal(c.queuedMaxRequestBytes, 200 * 1024 * 1024);
  assert.equal(c.fetchMaxBytes, 8 * 1024 * 1024);
  assert.deepEqual(unhonouredProperties(c), []);
});

test('defaults: Kafka\'s, except queued.max.request.bytes (256 MiB, Kafka -1)', () => {
  const c = parseBrokerConfig({});
  assert.equal(c.connectionsMaxIdleMs, 600_000);
  assert.equal(c.maxConnections, 2147483647);
  assert.equal(c.maxConnectionsPerIp, 2147483647);
  assert.deepEqual(c.maxConnectionsPerIpOverrides, []);
  assert.equal(c.maxConnectionCreationRate, 2147483647);
  assert.equal(c.queuedMaxRequests, 500);
  assert.equal(c.queuedMaxRequestBytes, 256 * 1024 * 1024);
  assert.equal(parseBrokerConfig({ 'queued.max.request.bytes': '-1' }).queuedMaxRequestBytes, -1);
});

test('bad connection settings fail fast with the property named', () => {
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ 'queued.max.request.bytes': '1000' }, /at least socket\.request\.max\.bytes/],
    [{ 'queued.max.request.bytes': '0' }, /queued\.max\.request\.bytes/],
    [{ 'max.connections.per.ip': '0' }, /max\.connections\.per\.ip\.overrides/],
    [{ 'max.connections.per.ip.overrides': 'localhost' }, /host:limit/],
    [{ 'max.connections': '-1' }, /max\.connections/],
    [{ 'connections.max.idle.ms': '0' }, /connections\.max\.idle\.ms/],
  ];
  for (const [props, pattern] of bad) {
    assert.throws(() => parseBrokerConfig(props), (err: unknown) => err instanceof ConfigError && pattern.test(err.message), JSON.stringify(props));
  }
  assert.equal(parseBrokerConfig({ 'max.connections.per.ip': '0', 'max.connections.per.ip.overrides': '127.0.0.1:5' }).maxConnectionsPerIp, 0);
});
