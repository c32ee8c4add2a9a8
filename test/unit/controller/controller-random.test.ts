/**
 * Seeded random operations against one active controller (with failovers to a second one), with
 * the invariants checked after every step: leaders are live ISR members (or -1), ISRs are non-empty
 * subsets of the replicas, the follower's replayed image equals the leader's, and an idle
 * controller's pending image equals its committed one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QuorumController } from '../../../src/cluster/controller/quorum-controller.js';
import { imageToRecords } from '../../../src/cluster/metadata/image-records.js';
import type { MetadataImage } from '../../../src/cluster/metadata/metadata-image.js';
import { FakeQuorum } from './fake-metadata-log.js';
import { FakeRuntime } from './fake-runtime.js';
import { heartbeat, registration, settle, topicSpec } from './harness.js';

function checkInvariants(image: MetadataImage, where: string): void {
  for (const t of image.topics.byId.values()) {
    for (const [id, p] of t.partitions) {
      const at = `${where}: ${t.name}-${id}`;
      assert.ok(p.isr.length > 0, `${at} has an empty ISR`);
      assert.ok(p.isr.every((b) => p.replicas.includes(b)), `${at} ISR ${p.isr} not within replicas ${p.replicas}`);
      if (p.leader !== -1) {
        assert.ok(p.isr.includes(p.leader), `${at} leader ${p.leader} not in ISR ${p.isr}`);
        const b = image.broker(p.leader);
        assert.ok(b && !b.fenced, `${at} leader ${p.leader} is fenced or gone`);
      }
    }
  }
}

for (const seed of [1, 2, 3, 4, 5]) {
  test(`random operations keep the invariants (seed ${seed})`, async () => {
    const quorum = new FakeQuorum();
    const rt = [new FakeRuntime(seed * 11), new FakeRuntime(seed * 13)];
    const controllers = [1, 2].map((nodeId, i) => new QuorumController({ nodeId, log: quorum.client(nodeId), runtime: rt[i]!, sessionTimeoutMs: 9000 }));
    for (const c of controllers) c.start();
    quorum.elect(1);
    await settle();
    const rnd = new FakeRuntime(seed).random;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd.next() * xs.length)]!;
    const epochs = new Map<number, number>();
    let topicNo = 0;
    for (let step = 0; step < 150; step++) {
      const active = controllers.find((c) => c.isActive())!;
      assert.ok(active, `step ${step}: an active controller`);
      const runtime = rt[controllers.indexOf(active)]!;
      const op = rnd.next();
      const brokerId = 1 + Math.floor(rnd.next() * 4);
      if (op < 0.15) {
        const r = await active.registerBroker(registration(brokerId, Math.floor(rnd.next() * 3)));
        if (r.errorCode === 0) epochs.set(brokerId, r.brokerEpoch);
      } else if (op < 0.5) {
        const epoch = epochs.get(brokerId);
        if (epoch !== undefined) await active.brokerHeartbeat(heartbeat(brokerId, epoch, { wantShutDown: rnd.next() < 0.05 }));
      } else if (op < 0.65) {
        await active.createTopics({ topics: [topicSpec(`t${topicNo++}`, 1 + Math.floor(rnd.next() * 4), 1 + Math.floor(rnd.next() * 3))], timeoutMs: 1000, validateOnly: false });
      } else if (op < 0.72) {
        const names = [...active.image().topics.byName.keys()];
        if (names.length > 0) await active.deleteTopics({ topics: [], topicNames: [pick(names)], timeoutMs: 1000 });
      } else if (op < 0.8) {
        const names = [...active.image().topics.byName.keys()];
        if (names.length > 0) {
          const name = pick(names);
          await active.createPartitions({ topics: [{ name, count: active.image().topic(name)!.partitions.size + 1, assignments: null }], timeoutMs: 1000, validateOnly: false });
        }
      } else if (op < 0.95) {
        runtime.advance(Math.floor(rnd.next() * 6000));
      } else {
        // Failover to the other controller.
        quorum.elect(active.nodeId === 1 ? 2 : 1);
      }
      await settle();
      for (const c of controllers) checkInvariants(c.image(), `step ${step} node ${c.nodeId}`);
      const [a, b] = controllers.map((c) => imageToRecords(c.image()));
      assert.deepEqual(a, b, `step ${step}: both controllers replayed the same image`);
      for (const c of controllers) {
        if (c.isActive()) assert.deepEqual(imageToRecords(c.pendingImage()), imageToRecords(c.image()), `step ${step}: pending = committed when idle`);
      }
    }
    const final = controllers[0]!.image();
    if (process.env.DEBUG_RANDOM) {
      const types = new Map<number, number>();
      for (const batch of quorum.batches) for (const r of batch.records) types.set(r[1]!, (types.get(r[1]!) ?? 0) + 1);
      console.log(seed, JSON.stringify([...types].sort((x, y) => x[0] - y[0])), final.topics.byId.size, final.liveBrokers().length, quorum.leader.epoch);
    }
    for (const c of controllers) c.close();
  });
}
