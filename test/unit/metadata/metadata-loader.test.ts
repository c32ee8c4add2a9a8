import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetadataLoader, type MetadataPublisher, type MetadataUpdate } from '../../../src/cluster/metadata/metadata-loader.js';
import type { MetadataImage } from '../../../src/cluster/metadata/metadata-image.js';
import { encodeRecord } from '../../../src/cluster/metadata/record-serde.js';
import { REMOVE_TOPIC_RECORD_TYPE } from '../../../src/cluster/metadata/records/index.js';
import { FakeQuorum } from '../controller/fake-metadata-log.js';
import { FakeRuntime } from '../controller/fake-runtime.js';
import { partition, registerBroker, T1, topic } from './helpers.js';

function recorder(name: string, log: string[], delayMs = 0): MetadataPublisher & { updates: { update: MetadataUpdate; image: MetadataImage }[] } {
  const updates: { update: MetadataUpdate; image: MetadataImage }[] = [];
  return {
    name,
    updates,
    async onMetadataUpdate(update, image) {
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      log.push(`${name}@${image.offset}`);
      updates.push({ update, image });
    },
  };
}

test('the loader applies committed batches and publishes each, in order, to every publisher', async () => {
  const quorum = new FakeQuorum({ autoCommit: false });
  quorum.elect(1);
  const log = quorum.client(1);
  const loader = new MetadataLoader({ log, runtime: new FakeRuntime() });
  const order: string[] = [];
  const slow = recorder('slow', order, 5);
  const fast = recorder('fast', order);
  loader.addPublisher(slow);
  loader.addPublisher(fast);
  loader.start();

  await log.append(1, [registerBroker(1, 0)]);
  await log.append(1, [topic('a', T1), partition(T1, 0, [1]), partition(T1, 1, [1])]);
  assert.equal(loader.image().offset, -1, 'nothing before commit');
  quorum.commit(0);
  assert.equal(loader.image().offset, 0);
  assert.ok(loader.image().broker(1));
  quorum.commit();
  assert.equal(loader.image().offset, 3);
  await loader.drain();
  // The slow publisher still sees batches in order, and each batch reaches both before the next.
  assert.deepEqual(order, ['slow@0', 'fast@0', 'slow@3', 'fast@3']);
  const second = fast.updates[1]!.update;
  assert.deepEqual([...second.changes.topicsCreated], [T1]);
  assert.deepEqual([...second.changes.partitionsChanged.get(T1)!].sort(), [0, 1]);
  assert.equal(second.previous.offset, 0);
  assert.equal(second.isSnapshot, false);

  // A publisher added later gets the current image first.
  const late = recorder('late', order);
  loader.addPublisher(late);
  await loader.drain();
  assert.equal(late.updates[0]!.image.offset, 3);
  assert.ok(late.updates[0]!.update.changes.topicsCreated.has(T1));

  await log.append(1, [encodeRecord(REMOVE_TOPIC_RECORD_TYPE, { topicId: T1 })]);
  quorum.commit();
  await loader.drain();
  assert.equal(late.updates.at(-1)!.update.changes.topicsDeleted.get(T1)?.name, 'a');
  loader.close();
});

test('waitForOffset resolves when the offset is applied and times out on the runtime clock', async () => {
  const quorum = new FakeQuorum({ autoCommit: false });
  quorum.elect(1);
  const log = quorum.client(1);
  const runtime = new FakeRuntime();
  const loader = new MetadataLoader({ log, runtime });
  loader.start();
  const waiting = loader.waitForOffset(1, 1000);
  const timedOut = loader.waitForOffset(5, 1000);
  await log.append(1, [registerBroker(1, 0), registerBroker(2, 1)]);
  quorum.commit();
  assert.equal((await waiting).offset, 1);
  runtime.advance(1000);
  await assert.rejects(timedOut, /not reached within 1000 ms/);
  assert.equal((await loader.waitForOffset(0, 1)).offset, 1);
  loader.close();
});

test('a snapshot is written after maxBytesBetweenSnapshots and replaces the state on load', async () => {
  const quorum = new FakeQuorum({ autoCommit: false });
  quorum.elect(1);
  const log = quorum.client(1);
  const loader = new MetadataLoader({ log, runtime: new FakeRuntime(), maxBytesBetweenSnapshots: 400 });
  loader.start();
  await log.append(1, [registerBroker(1, 0)]);
  quorum.commit();
  await Promise.resolve();
  assert.equal(quorum.snapshots.length, 0, 'below the threshold');
  await log.append(1, [topic('a', T1), ...Array.from({ length: 8 }, (_, i) => partition(T1, i, [1]))]);
  quorum.commit();
  await new Promise((r) => setImmediate(r));
  assert.equal(quorum.snapshots.length, 1);
  const snap = quorum.snapshots[0]!;
  assert.deepEqual(snap.id, { endOffset: 10, epoch: 1 });

  // A new node starting from that snapshot reaches the same image.
  const other = new MetadataLoader({ log: quorum.client(2), runtime: new FakeRuntime() });
  const pub = recorder('p', []);
  other.addPublisher(pub);
  other.start();
  await other.drain();
  assert.equal(other.image().offset, 9);
  assert.equal(other.image().topic('a')?.partitions.size, 8);
  assert.equal(pub.updates[0]!.update.isSnapshot, true);
  assert.equal(pub.updates.length, 1, 'the batches the snapshot covers are not replayed');
  loader.close();
  other.close();
});
