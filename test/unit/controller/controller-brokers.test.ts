import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_METADATA_VERSION, QuorumController } from '../../../src/cluster/controller/quorum-controller.js';
import { imageToRecords } from '../../../src/cluster/metadata/image-records.js';
import { decodeMetadataRecord, encodeRecord } from '../../../src/cluster/metadata/record-serde.js';
import { FEATURE_LEVEL_RECORD_TYPE, NO_OP_RECORD_TYPE, REGISTER_BROKER_RECORD_TYPE, TOPIC_RECORD_TYPE } from '../../../src/cluster/metadata/records/index.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { FakeQuorum } from './fake-metadata-log.js';
import { FakeRuntime } from './fake-runtime.js';
import { activeController, heartbeat, registration, settle, topicSpec } from './harness.js';

test('first activation on an empty log writes metadata.version and the bootstrap records in one batch', async () => {
  const bootstrap = [encodeRecord(TOPIC_RECORD_TYPE, { name: 'legacy', topicId: 'AAAAAAAAAAAAAAAAAAAAAg' })];
  const { quorum, controller } = await activeController({ bootstrapRecords: bootstrap });
  await settle();
  const batches = quorum.committedBatches().map((b) => b.records.map((r) => decodeMetadataRecord(r)));
  assert.equal(batches.length, 2);
  assert.deepEqual(batches[0]!.map((r) => r.type), [NO_OP_RECORD_TYPE]);
  assert.deepEqual(batches[1]!.map((r) => r.type), [FEATURE_LEVEL_RECORD_TYPE, TOPIC_RECORD_TYPE]);
  assert.deepEqual(batches[1]![0]!.value, { name: 'metadata.version', featureLevel: DEFAULT_METADATA_VERSION });
  assert.equal(controller.image().metadataVersion(), 25);
  assert.ok(controller.image().topic('legacy'));

  // A later leader of the same log does not bootstrap again.
  quorum.elect(1);
  await settle();
  assert.ok(controller.isActive());
  const types = quorum.committedBatches().slice(2).flatMap((b) => b.records.map((r) => decodeMetadataRecord(r).type));
  assert.deepEqual(types, [NO_OP_RECORD_TYPE]);
});

test('registration: the broker epoch is the record offset, new brokers are fenced, retries are idempotent', async () => {
  const { quorum, controller } = await activeController();
  const r1 = await controller.registerBroker(registration(1));
  assert.equal(r1.errorCode, ErrorCode.NONE);
  const batch = quorum.committedBatches().at(-1)!;
  assert.equal(decodeMetadataRecord(batch.records[0]!).type, REGISTER_BROKER_RECORD_TYPE);
  assert.equal(r1.brokerEpoch, batch.baseOffset);
  assert.equal(controller.image().broker(1)?.fenced, true);
  assert.equal(controller.image().broker(1)?.brokerEpoch, r1.brokerEpoch);

  const count = quorum.batches.length;
  const again = await controller.registerBroker(registration(1));
  assert.deepEqual(again, r1);
  assert.equal(quorum.batches.length, count, 'an identical retry writes nothing');

  // Another incarnation while the first one's session is alive is refused …
  const dup = await controller.registerBroker(registration(1, 1));
  assert.equal(dup.errorCode, ErrorCode.DUPLICATE_BROKER_REGISTRATION);
  // … unless it names the old registration's epoch (a clean restart).
  const restart = await controller.registerBroker(registration(1, 1, { previousBrokerEpoch: r1.brokerEpoch }));
  assert.equal(restart.errorCode, ErrorCode.NONE);
  assert.ok(restart.brokerEpoch > r1.brokerEpoch);
  const unsupported = await controller.registerBroker(registration(2, 0, { features: [{ name: 'metadata.version', minSupportedVersion: 1, maxSupportedVersion: 20 }] }));
  assert.equal(unsupported.errorCode, ErrorCode.UNSUPPORTED_VERSION);
});

test('a new incarnation is accepted once the old session expired', async () => {
  const { controller, runtime } = await activeController({ sessionTimeoutMs: 1000 });
  const r1 = await controller.registerBroker(registration(4));
  runtime.advance(1001);
  const r2 = await controller.registerBroker(registration(4, 1));
  assert.equal(r2.errorCode, ErrorCode.NONE);
  assert.notEqual(r2.brokerEpoch, r1.brokerEpoch);
});

test('heartbeats: unknown broker, stale epoch, unfencing once caught up', async () => {
  const { controller } = await activeController();
  assert.equal((await controller.brokerHeartbeat(heartbeat(9, 0))).errorCode, ErrorCode.BROKER_ID_NOT_REGISTERED);
  const { brokerEpoch } = await controller.registerBroker(registration(1));
  assert.equal((await controller.brokerHeartbeat(heartbeat(1, brokerEpoch - 1))).errorCode, ErrorCode.STALE_BROKER_EPOCH);

  let h = await controller.brokerHeartbeat(heartbeat(1, brokerEpoch, { currentMetadataOffset: brokerEpoch - 1 }));
  assert.deepEqual([h.errorCode, h.isCaughtUp, h.isFenced], [0, false, true]);
  h = await controller.brokerHeartbeat(heartbeat(1, brokerEpoch, { currentMetadataOffset: brokerEpoch, wantFence: true }));
  assert.deepEqual([h.isCaughtUp, h.isFenced], [true, true], 'wantFence keeps it fenced');
  h = await controller.brokerHeartbeat(heartbeat(1, brokerEpoch, { currentMetadataOffset: brokerEpoch }));
  assert.deepEqual([h.errorCode, h.isCaughtUp, h.isFenced], [0, true, false]);
  assert.equal(controller.image().broker(1)?.fenced, false, 'the unfencing is committed before the reply');
  assert.deepEqual(controller.image().liveBrokers().map((b) => b.brokerId), [1]);
});

test('session timeout fences the broker and moves its leaderships; unfencing elects it for leaderless partitions', async () => {
  const h = await activeController({ sessionTimeoutMs: 9000 });
  const { controller, runtime } = h;
  const epochs = await h.addBrokers(1, 2, 3);
  const created = await controller.createTopics({ topics: [topicSpec('r3', 3, 3), topicSpec('r1', 3, 1)], timeoutMs: 1000, validateOnly: false });
  assert.ok(created.topics.every((t) => t.errorCode === 0));
  const before = controller.image();
  const ledBy3 = [0, 1, 2].filter((p) => before.leaderOf('r3', p) === 3);
  const r1On3 = [0, 1, 2].filter((p) => before.partition('r1', p)!.replicas[0] === 3);
  assert.equal(ledBy3.length, 1);
  assert.equal(r1On3.length, 1);

  // Brokers 1 and 2 keep heartbeating; 3 goes silent.
  for (let i = 0; i < 4; i++) {
    runtime.advance(3000);
    await controller.brokerHeartbeat(heartbeat(1, epochs.get(1)!));
    await controller.brokerHeartbeat(heartbeat(2, epochs.get(2)!));
  }
  await settle();
  const after = controller.image();
  assert.equal(after.broker(3)?.fenced, true);
  assert.equal(after.broker(1)?.fenced, false);
  for (const p of [0, 1, 2]) {
    const reg = after.partition('r3', p)!;
    assert.notEqual(reg.leader, 3);
    assert.ok(!reg.isr.includes(3), 'removed from the ISR');
    assert.ok([1, 2].includes(reg.leader));
  }
  const moved = after.partition('r3', ledBy3[0]!)!;
  const old = before.partition('r3', ledBy3[0]!)!;
  assert.equal(moved.leaderEpoch, old.leaderEpoch + 1);
  assert.equal(moved.partitionEpoch, old.partitionEpoch + 1);
  // RF=1 on the fenced broker: leaderless, the ISR keeps its last member.
  const orphan = after.partition('r1', r1On3[0]!)!;
  assert.equal(orphan.leader, -1);
  assert.deepEqual(orphan.isr, [3]);

  // Broker 3 comes back (same registration): unfenced and leader of its orphan again.
  const back = await controller.brokerHeartbeat(heartbeat(3, epochs.get(3)!));
  assert.equal(back.isFenced, false);
  const healed = controller.image().partition('r1', r1On3[0]!)!;
  assert.equal(healed.leader, 3);
  assert.equal(healed.leaderEpoch, orphan.leaderEpoch + 1);
  // It does not get its old leadership of r3 back (the leader only changes when it must).
  assert.notEqual(controller.image().leaderOf('r3', ledBy3[0]!), 3);
});

test('controlled shutdown moves leaderships away, then says shouldShutDown; RF=1 partitions become leaderless', async () => {
  const h = await activeController();
  const { controller } = h;
  const epochs = await h.addBrokers(1, 2);
  await controller.createTopics({ topics: [topicSpec('a', 2, 2), topicSpec('solo', 2, 1)], timeoutMs: 1000, validateOnly: false });
  const r = await controller.brokerHeartbeat(heartbeat(2, epochs.get(2)!, { wantShutDown: true }));
  assert.deepEqual([r.errorCode, r.shouldShutDown, r.isFenced], [0, true, true]);
  const image = controller.image();
  for (const p of [0, 1]) {
    assert.equal(image.leaderOf('a', p), 1);
    assert.deepEqual(image.partition('a', p)!.isr, [1]);
    const solo = image.partition('solo', p)!;
    if (solo.replicas[0] === 2) assert.equal(solo.leader, -1);
  }
  assert.equal(image.broker(2)?.fenced, true);
  // A fenced broker asking again may shut down at once.
  const again = await controller.brokerHeartbeat(heartbeat(2, epochs.get(2)!, { wantShutDown: true }));
  assert.equal(again.shouldShutDown, true);
});

test('unregistering a broker removes it and its leaderships', async () => {
  const h = await activeController();
  const { controller } = h;
  await h.addBrokers(1, 2);
  await controller.createTopics({ topics: [topicSpec('a', 2, 2)], timeoutMs: 1000, validateOnly: false });
  assert.equal((await controller.unregisterBroker({ brokerId: 7 })).errorCode, ErrorCode.BROKER_ID_NOT_REGISTERED);
  assert.equal((await controller.unregisterBroker({ brokerId: 2 })).errorCode, ErrorCode.NONE);
  assert.equal(controller.image().broker(2), undefined);
  assert.equal(controller.image().leaderOf('a', 0), 1);
  assert.equal(controller.image().leaderOf('a', 1), 1);
});

test('a follower answers NOT_CONTROLLER; losing leadership fails waiting requests with NOT_CONTROLLER', async () => {
  const quorum = new FakeQuorum({ autoCommit: false });
  const h = await activeController({}, quorum);
  const follower = new QuorumController({ nodeId: 2, log: quorum.client(2), runtime: new FakeRuntime() });
  follower.start();
  assert.equal(follower.isActive(), false);
  assert.equal((await follower.registerBroker(registration(1))).errorCode, ErrorCode.NOT_CONTROLLER);
  assert.equal((await follower.brokerHeartbeat(heartbeat(1, 0))).errorCode, ErrorCode.NOT_CONTROLLER);
  const ct = await follower.createTopics({ topics: [topicSpec('a', 1, 1)], timeoutMs: 1000, validateOnly: false });
  assert.equal(ct.topics[0]!.errorCode, ErrorCode.NOT_CONTROLLER);

  // The leader's registration waits for its commit …
  let done = false;
  const pending = h.controller.registerBroker(registration(1)).then((r) => {
    done = true;
    return r;
  });
  await settle();
  assert.equal(done, false, 'no reply before the commit');
  // … and the leadership moves before it commits.
  quorum.elect(2);
  const r = await pending;
  assert.equal(r.errorCode, ErrorCode.NOT_CONTROLLER);
  assert.equal(h.controller.isActive(), false);
  follower.close();
});

test('a second controller replaying the same log reaches the same image, and can take over', async () => {
  const quorum = new FakeQuorum();
  const h = await activeController({}, quorum);
  const epochs = await h.addBrokers(1, 2, 3);
  await h.controller.createTopics({ topics: [topicSpec('a', 6, 2), topicSpec('b', 1, 3)], timeoutMs: 1000, validateOnly: false });
  await h.controller.brokerHeartbeat(heartbeat(3, epochs.get(3)!, { wantShutDown: true }));
  await h.controller.deleteTopics({ topics: [], topicNames: ['b'], timeoutMs: 1000 });

  const second = new QuorumController({ nodeId: 2, log: quorum.client(2), runtime: new FakeRuntime() });
  second.start();
  assert.deepEqual(imageToRecords(second.image()), imageToRecords(h.controller.image()));
  assert.deepEqual(imageToRecords(h.controller.pendingImage()), imageToRecords(h.controller.image()), 'pending = committed when idle');
  assert.equal(second.image().offset, h.controller.image().offset);

  quorum.elect(2);
  await settle();
  assert.ok(second.isActive());
  assert.ok(!h.controller.isActive());
  // The new controller gave brokers fresh sessions and knows their epochs.
  const hb = await second.brokerHeartbeat(heartbeat(1, epochs.get(1)!));
  assert.equal(hb.errorCode, ErrorCode.NONE);
  assert.equal(hb.isFenced, false);
  second.close();
  h.controller.close();
});
