import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetadataLoader } from '../../../src/cluster/metadata/metadata-loader.js';
import { imageToRecords } from '../../../src/cluster/metadata/image-records.js';
import { FakeQuorum } from './fake-metadata-log.js';
import { FakeRuntime } from './fake-runtime.js';
import { activeController, topicSpec } from './harness.js';

test('brokers\' loaders see what the controller committed, with the changes it made', async () => {
  const quorum = new FakeQuorum();
  const loaders = [2, 3].map((id) => new MetadataLoader({ log: quorum.client(id), runtime: new FakeRuntime() }));
  const seen: string[] = [];
  loaders[0]!.addPublisher({
    name: 'replicas',
    onMetadataUpdate(update, image) {
      for (const id of update.changes.topicsCreated) seen.push(`created ${image.topicById(id)!.name}`);
      for (const t of update.changes.topicsDeleted.values()) seen.push(`deleted ${t.name}`);
    },
  });
  for (const l of loaders) l.start();
  const h = await activeController({}, quorum);
  await h.addBrokers(2, 3);
  const created = await h.controller.createTopics({ topics: [topicSpec('a', 4, 2)], timeoutMs: 1000, validateOnly: false });
  assert.equal(created.topics[0]!.errorCode, 0);
  for (const l of loaders) await l.waitForOffset(h.controller.image().offset, 1000);
  await h.controller.deleteTopics({ topics: [], topicNames: ['a'], timeoutMs: 1000 });
  await h.controller.createTopics({ topics: [topicSpec('b', 2, 1)], timeoutMs: 1000, validateOnly: false });
  for (const l of loaders) {
    await l.waitForOffset(h.controller.image().offset, 1000);
    await l.drain();
    assert.deepEqual(imageToRecords(l.image()), imageToRecords(h.controller.image()));
  }
  assert.deepEqual(seen, ['created a', 'deleted a', 'created b']);
  const image = loaders[0]!.image();
  const onTwo = image.replicasOn(2).map((r) => `${r.topic.name}-${r.partition}`);
  const onThree = image.replicasOn(3).map((r) => `${r.topic.name}-${r.partition}`);
  assert.equal(onTwo.length + onThree.length, 2);
  for (const l of loaders) l.close();
  h.controller.close();
});
