import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../../../src/client/consumer/consumer-protocol.js';
import { DeliveryGate } from '../../../../src/client/consumer/gate.js';
import { resolveConsumerOptions } from '../../../../src/client/consumer/options.js';
import { Assignment } from '../../../../src/client/consumer/partition-state.js';
import { ClientConfigError } from '../../../../src/client/errors.js';
import { ByteWriter } from '../../../../src/protocol/bytes.js';

test('subscription: v3 round trip with owned partitions, generation and user data', () => {
  const bytes = encodeSubscription({
    topics: ['b', 'a'],
    ownedPartitions: [{ topic: 'b', partition: 2 }, { topic: 'a', partition: 1 }, { topic: 'a', partition: 0 }],
    generationId: 7,
    userData: Buffer.from('ud'),
    rackId: null,
  });
  assert.equal(bytes.readInt16BE(0), 3);
  const s = decodeSubscription(bytes);
  assert.deepEqual(s.topics, ['a', 'b']);
  assert.deepEqual(s.ownedPartitions, [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }, { topic: 'b', partition: 2 }]);
  assert.equal(s.generationId, 7);
  assert.equal(s.userData?.toString(), 'ud');
});

test('subscription: kafkajs-style bytes (version 1 header, v0 fields only) and future versions are read', () => {
  // int16 version 1, [topics] ["orders"], userData (int32 length -1 → null)... kafkajs writes an empty userData.
  const w = new ByteWriter();
  w.int16(1).int32(1).int16(6);
  const kjs = Buffer.concat([w.toBuffer(), Buffer.from('orders'), Buffer.from([0, 0, 0, 0])]);
  const s = decodeSubscription(kjs);
  assert.deepEqual(s.topics, ['orders']);
  assert.deepEqual(s.ownedPartitions, []);
  // A version above 3: read as 3 (later versions only append fields).
  const v3 = encodeSubscription({ topics: ['t'], ownedPartitions: [{ topic: 't', partition: 0 }], generationId: 1, userData: null, rackId: 'r1' });
  const v9 = Buffer.concat([Buffer.from([0, 9]), v3.subarray(2), Buffer.from([1, 2, 3])]);
  assert.deepEqual(decodeSubscription(v9).ownedPartitions, [{ topic: 't', partition: 0 }]);
});

test('assignment: round trip; an empty buffer is an empty assignment', () => {
  const bytes = encodeAssignment([{ topic: 'x', partition: 3 }, { topic: 'x', partition: 1 }]);
  assert.deepEqual(decodeAssignment(bytes).partitions, [{ topic: 'x', partition: 1 }, { topic: 'x', partition: 3 }]);
  assert.deepEqual(decodeAssignment(Buffer.alloc(0)).partitions, []);
});

test('partition state: fetchable only with a position, unpaused, nothing in flight and less than two chunks queued; uncommitted positions', () => {
  const a = new Assignment();
  const [s] = a.add([{ topic: 't', partition: 1 }]);
  assert.equal(s!.need, 'committed');
  assert.ok(!s!.fetchable);
  s!.moveTo(5);
  assert.ok(s!.fetchable);
  s!.paused = true;
  assert.ok(!s!.fetchable);
  s!.paused = false;
  s!.queued = 1;
  assert.ok(s!.fetchable, 'one chunk waiting: the next fetch may go out');
  s!.queued = 2;
  assert.ok(!s!.fetchable, 'two chunks waiting: no more fetching');
  s!.queued = 0;
  assert.deepEqual(a.uncommitted().map((u) => u.offset), [5]);
  s!.committed = 5;
  assert.deepEqual(a.uncommitted(), []);
  s!.requireOffset('earliest');
  assert.equal(s!.position, null);
  assert.equal(a.add([{ topic: 't', partition: 1 }]).length, 0, 'adding an assigned partition is a no-op');
});

test('delivery gate: the group waits for the application, and goes before its next step', async () => {
  const gate = new DeliveryGate();
  assert.equal(gate.enterApp(), null);
  const order: string[] = [];
  const group = gate.asGroup(async () => {
    order.push('group');
  }, 10_000);
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(order, [], 'the group waits while the application holds the gate');
  assert.ok(gate.contended);
  gate.exitApp();
  const next = gate.enterApp();
  assert.ok(next !== null, 'the application waits behind the group');
  await group;
  await next;
  assert.deepEqual(order, ['group']);
  assert.ok(gate.heldByApp);
  gate.exitApp();
  // A stuck application: the group proceeds after its timeout.
  assert.equal(gate.enterApp(), null);
  let ran = false;
  await gate.asGroup(async () => {
    ran = true;
  }, 20);
  assert.ok(ran);
});

test('consumer options: Kafka 3.x defaults and validation', () => {
  const o = resolveConsumerOptions({ bootstrapServers: 'a:1', groupId: 'g' });
  assert.equal(o.sessionTimeoutMs, 45_000);
  assert.equal(o.heartbeatIntervalMs, 3000);
  assert.equal(o.maxPollIntervalMs, 300_000);
  assert.equal(o.rebalanceTimeoutMs, 300_000);
  assert.equal(o.autoCommitIntervalMs, 5000);
  assert.equal(o.enableAutoCommit, true);
  assert.equal(o.autoOffsetReset, 'latest');
  assert.equal(o.isolationLevel, 0);
  assert.equal(o.fetchMaxWaitMs, 500);
  assert.equal(o.fetchMinBytes, 1);
  assert.equal(o.fetchMaxBytes, 52_428_800);
  assert.equal(o.maxPartitionFetchBytes, 1_048_576);
  assert.equal(resolveConsumerOptions({ bootstrapServers: 'a:1', isolationLevel: 'read_committed' }).isolationLevel, 1);
  assert.throws(() => resolveConsumerOptions({ bootstrapServers: 'a:1', autoOffsetReset: 'smallest' as 'earliest' }), ClientConfigError);
  assert.throws(() => resolveConsumerOptions({ bootstrapServers: 'a:1', groupId: 'g', heartbeatIntervalMs: 5000, sessionTimeoutMs: 5000 }), ClientConfigError);
  assert.throws(() => resolveConsumerOptions({ bootstrapServers: 'a:1', groupInstanceId: 'i' }), ClientConfigError);
});
