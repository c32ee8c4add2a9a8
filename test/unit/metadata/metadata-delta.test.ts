import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetadataDelta } from '../../../src/cluster/metadata/metadata-delta.js';
import { MetadataImage } from '../../../src/cluster/metadata/metadata-image.js';
import { imageToRecords } from '../../../src/cluster/metadata/image-records.js';
import { encodeRecord } from '../../../src/cluster/metadata/record-serde.js';
import {
  BROKER_REGISTRATION_CHANGE_RECORD_TYPE,
  FEATURE_LEVEL_RECORD_TYPE,
  FENCE_BROKER_RECORD_TYPE,
  PRODUCER_IDS_RECORD_TYPE,
  REMOVE_TOPIC_RECORD_TYPE,
  UNFENCE_BROKER_RECORD_TYPE,
  UNREGISTER_BROKER_RECORD_TYPE,
} from '../../../src/cluster/metadata/records/index.js';
import { config, partition, partitionChange, registerBroker, T1, T2, topic } from './helpers.js';

function applyAll(base: MetadataImage, records: Buffer[], offset = base.offset + records.length) {
  const delta = new MetadataDelta(base);
  for (const r of records) delta.replayBuffer(r);
  const image = delta.apply(offset, 1);
  return { image, changes: delta.changes(image) };
}

function baseImage(): MetadataImage {
  return applyAll(MetadataImage.EMPTY, [
    encodeRecord(FEATURE_LEVEL_RECORD_TYPE, { name: 'metadata.version', featureLevel: 25 }),
    registerBroker(1, 10, false),
    registerBroker(2, 11, false),
    registerBroker(3, 12, false),
    topic('a', T1),
    partition(T1, 0, [1, 2, 3]),
    partition(T1, 1, [2, 3, 1]),
    config(2, 'a', 'retention.ms', '1000'),
  ]).image;
}

test('records build an image: brokers, topics, partitions, configs, features', () => {
  const image = baseImage();
  assert.equal(image.offset, 7);
  assert.equal(image.metadataVersion(), 25);
  assert.deepEqual(image.liveBrokers().map((b) => b.brokerId), [1, 2, 3]);
  assert.equal(image.topic('a')?.topicId, T1);
  assert.equal(image.topicById(T1)?.name, 'a');
  assert.deepEqual(image.partition('a', 1)?.replicas, [2, 3, 1]);
  assert.equal(image.leaderOf('a', 0), 1);
  assert.equal(image.leaderOf('a', 9), undefined);
  assert.deepEqual(image.topicConfig('a'), { 'retention.ms': '1000' });
  assert.equal(image.broker(2)?.endpoints[0]?.host, 'b2');
});

test('PartitionChangeRecord: -2 keeps the leader and its epoch, -1 removes it, nulls change nothing', () => {
  const base = baseImage();
  const before = base.partition('a', 0)!;
  // Only the ISR changes: leader stays (-2 default), leader epoch stays, partition epoch bumps.
  let { image, changes } = applyAll(base, [partitionChange({ partitionId: 0, topicId: T1, isr: [1, 2] })]);
  let p = image.partition('a', 0)!;
  assert.deepEqual(p.isr, [1, 2]);
  assert.deepEqual(p.replicas, before.replicas);
  assert.equal(p.leader, 1);
  assert.equal(p.leaderEpoch, before.leaderEpoch);
  assert.equal(p.partitionEpoch, before.partitionEpoch + 1);
  assert.deepEqual([...changes.partitionsChanged.get(T1)!], [0]);
  assert.deepEqual([...changes.topicsChanged], [T1]);
  // The base is untouched.
  assert.deepEqual(base.partition('a', 0)!.isr, [1, 2, 3]);

  ({ image } = applyAll(image, [partitionChange({ partitionId: 0, topicId: T1, leader: -1 })]));
  p = image.partition('a', 0)!;
  assert.equal(p.leader, -1);
  assert.equal(p.leaderEpoch, before.leaderEpoch + 1);
  assert.equal(p.partitionEpoch, before.partitionEpoch + 2);
  assert.deepEqual(p.isr, [1, 2]);

  ({ image } = applyAll(image, [partitionChange({ partitionId: 0, topicId: T1, leader: 2, replicas: [2, 1, 3], isr: [2] })]));
  p = image.partition('a', 0)!;
  assert.equal(p.leader, 2);
  assert.equal(p.leaderEpoch, before.leaderEpoch + 2);
  assert.deepEqual(p.replicas, [2, 1, 3]);
  assert.deepEqual(p.isr, [2]);
  // The untouched partition is shared with the previous image.
  assert.equal(image.partition('a', 1), base.partition('a', 1));
});

test('a change for an unknown partition or topic is refused', () => {
  const delta = new MetadataDelta(baseImage());
  assert.throws(() => delta.replayBuffer(partitionChange({ partitionId: 7, topicId: T1, leader: 1 })), /unknown partition/);
  assert.throws(() => delta.replayBuffer(partitionChange({ partitionId: 0, topicId: T2, leader: 1 })), /unknown topic/);
});

test('RemoveTopicRecord deletes the topic and its configs', () => {
  const base = baseImage();
  const { image, changes } = applyAll(base, [encodeRecord(REMOVE_TOPIC_RECORD_TYPE, { topicId: T1 })]);
  assert.equal(image.topic('a'), undefined);
  assert.equal(image.topicById(T1), undefined);
  assert.deepEqual(image.topicConfig('a'), {});
  assert.equal(changes.topicsDeleted.get(T1)?.name, 'a');
  assert.equal(changes.topicsCreated.size, 0);
  assert.deepEqual(changes.configsChanged, [{ resourceType: 2, resourceName: 'a' }]);
  assert.ok(base.topic('a'));
});

test('a topic created and deleted in one delta is neither created nor deleted', () => {
  const { image, changes } = applyAll(baseImage(), [topic('b', T2), partition(T2, 0, [1]), encodeRecord(REMOVE_TOPIC_RECORD_TYPE, { topicId: T2 })]);
  assert.equal(image.topic('b'), undefined);
  assert.equal(changes.topicsCreated.size, 0);
  assert.equal(changes.topicsDeleted.size, 0);
  assert.equal(changes.partitionsChanged.size, 0);
});

test('ConfigRecord: a null value deletes the override, an empty resource disappears', () => {
  const base = baseImage();
  let { image, changes } = applyAll(base, [config(2, 'a', 'cleanup.policy', 'compact'), config(4, '1', 'log.retention.ms', '5')]);
  assert.deepEqual(image.topicConfig('a'), { 'retention.ms': '1000', 'cleanup.policy': 'compact' });
  assert.equal(image.config(4, '1').get('log.retention.ms'), '5');
  assert.equal(changes.configsChanged.length, 2);
  ({ image } = applyAll(image, [config(2, 'a', 'retention.ms', null)]));
  assert.deepEqual(image.topicConfig('a'), { 'cleanup.policy': 'compact' });
  ({ image } = applyAll(image, [config(2, 'a', 'cleanup.policy', null)]));
  assert.equal(image.configs.has('2:a'), false);
  assert.deepEqual(base.topicConfig('a'), { 'retention.ms': '1000' });
});

test('broker fencing, registration changes, unregistration (epoch checked)', () => {
  const base = baseImage();
  let { image, changes } = applyAll(base, [encodeRecord(FENCE_BROKER_RECORD_TYPE, { id: 2, epoch: 11 })]);
  assert.equal(image.broker(2)?.fenced, true);
  assert.deepEqual(image.liveBrokers().map((b) => b.brokerId), [1, 3]);
  assert.deepEqual([...changes.brokersChanged], [2]);
  ({ image } = applyAll(image, [encodeRecord(UNFENCE_BROKER_RECORD_TYPE, { id: 2, epoch: 11 })]));
  assert.equal(image.broker(2)?.fenced, false);
  ({ image } = applyAll(image, [encodeRecord(BROKER_REGISTRATION_CHANGE_RECORD_TYPE, { brokerId: 2, brokerEpoch: 11, fenced: 0, inControlledShutdown: 1 })]));
  assert.equal(image.broker(2)?.inControlledShutdown, true);
  assert.equal(image.broker(2)?.fenced, false);
  ({ image } = applyAll(image, [encodeRecord(BROKER_REGISTRATION_CHANGE_RECORD_TYPE, { brokerId: 2, brokerEpoch: 11, fenced: 1 })]));
  assert.equal(image.broker(2)?.fenced, true);
  assert.throws(() => applyAll(image, [encodeRecord(FENCE_BROKER_RECORD_TYPE, { id: 2, epoch: 99 })]), /epoch 99/);
  // A stale unregistration is ignored; the matching one removes the broker.
  ({ image } = applyAll(image, [encodeRecord(UNREGISTER_BROKER_RECORD_TYPE, { brokerId: 2, brokerEpoch: 5 })]));
  assert.ok(image.broker(2));
  ({ image, changes } = applyAll(image, [encodeRecord(UNREGISTER_BROKER_RECORD_TYPE, { brokerId: 2, brokerEpoch: 11 })]));
  assert.equal(image.broker(2), undefined);
  assert.deepEqual([...changes.brokersChanged], [2]);
});

test('features (level 0 removes) and producer id blocks', () => {
  let { image, changes } = applyAll(baseImage(), [
    encodeRecord(FEATURE_LEVEL_RECORD_TYPE, { name: 'transaction.version', featureLevel: 2 }),
    encodeRecord(PRODUCER_IDS_RECORD_TYPE, { brokerId: 1, brokerEpoch: 10, nextProducerId: 1000 }),
  ]);
  assert.equal(image.features.get('transaction.version'), 2);
  assert.equal(image.producerIds.nextProducerId, 1000);
  assert.ok(changes.producerIdsChanged);
  ({ image } = applyAll(image, [encodeRecord(FEATURE_LEVEL_RECORD_TYPE, { name: 'transaction.version', featureLevel: 0 })]));
  assert.equal(image.features.has('transaction.version'), false);
  assert.throws(() => applyAll(image, [encodeRecord(PRODUCER_IDS_RECORD_TYPE, { brokerId: 1, brokerEpoch: 10, nextProducerId: 10 })]), /back/);
});

test('imageToRecords rebuilds an equal image; a snapshot delta reports the differences', () => {
  const { image: changed } = applyAll(baseImage(), [
    partitionChange({ partitionId: 0, topicId: T1, isr: [1], leader: 1 }),
    encodeRecord(PRODUCER_IDS_RECORD_TYPE, { brokerId: 1, brokerEpoch: 10, nextProducerId: 2000 }),
    topic('b', T2),
    partition(T2, 0, [3]),
  ]);
  const snap = new MetadataDelta(MetadataImage.EMPTY, true);
  for (const r of imageToRecords(changed)) snap.replayBuffer(r);
  const rebuilt = snap.apply(changed.offset, changed.epoch);
  assert.deepEqual(imageToRecords(rebuilt), imageToRecords(changed));
  assert.deepEqual(rebuilt.partition('a', 0), changed.partition('a', 0));
  assert.equal(rebuilt.producerIds.nextProducerId, 2000);

  // Loading that snapshot over the base image: topic b created, a-0 changed, nothing else.
  const base = baseImage();
  const over = new MetadataDelta(base, true);
  for (const r of imageToRecords(changed)) over.replayBuffer(r);
  const changes = over.changes(over.apply(changed.offset, 1));
  assert.deepEqual([...changes.topicsCreated], [T2]);
  assert.deepEqual([...changes.partitionsChanged.get(T1)!], [0]);
  assert.equal(changes.brokersChanged.size, 0);
  assert.equal(changes.configsChanged.length, 0);
  assert.ok(changes.producerIdsChanged);
  // And a snapshot without topic a deletes it.
  const empty = new MetadataDelta(base, true);
  const c2 = empty.changes(empty.apply(100, 1));
  assert.deepEqual([...c2.topicsDeleted.keys()], [T1]);
  assert.equal(c2.brokersChanged.size, 3);
});
