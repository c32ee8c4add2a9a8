/**
 * The QuorumController on the real RaftClient: three voters on MemoryRaftLogs and the Raft simulator's
 * network and scheduler (test/unit/raft/sim). Checks what the fake log cannot: activation after Raft's
 * own LeaderChangeMessage, broker epochs equal to the real offsets of their RegisterBrokerRecords,
 * replies after the quorum commits, every controller's replayed image equal, and failover.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Logger } from 'pino';
import { QuorumController } from '../../../src/cluster/controller/quorum-controller.js';
import { imageToRecords } from '../../../src/cluster/metadata/image-records.js';
import { MetadataLoader } from '../../../src/cluster/metadata/metadata-loader.js';
import { decodeMetadataRecord } from '../../../src/cluster/metadata/record-serde.js';
import { REGISTER_BROKER_RECORD_TYPE, type RegisterBrokerRecord } from '../../../src/cluster/metadata/records/index.js';
import { MemoryRaftLog } from '../../../src/cluster/raft/memory-raft-log.js';
import { MemoryQuorumStateStore } from '../../../src/cluster/raft/quorum-state.js';
import { RaftClient } from '../../../src/cluster/raft/raft-client.js';
import type { CommittedBatch, RaftListener } from '../../../src/cluster/raft/types.js';
import { SimNetwork } from '../raft/sim/network.js';
import { Prng } from '../raft/sim/prng.js';
import { Scheduler } from '../raft/sim/scheduler.js';
import { heartbeat, registration, topicSpec } from './harness.js';

/** A logger that keeps warnings and errors (none are expected). */
function problemLogger(problems: string[]): Logger {
  const keep = (level: string) => (obj: unknown, msg?: string) => problems.push(`${level} ${msg ?? ''} ${JSON.stringify(obj, (_k, v: unknown) => (v instanceof Error ? v.message : v))}`);
  return { info() {}, debug() {}, warn: keep('warn'), error: keep('error') } as unknown as Logger;
}

interface Node {
  readonly id: number;
  up: boolean;
  incarnation: number;
  client: RaftClient;
  controller: QuorumController;
  loader: MetadataLoader;
  readonly registerOffsets: Map<number, number>;
  handle(apiKey: number, version: number, body: unknown): Promise<unknown>;
}

test('controllers on three Raft voters: activation, epochs = offsets, commit before reply, failover', async () => {
  const rng = new Prng(42);
  const sched = new Scheduler();
  const net = new SimNetwork(sched, rng);
  const problems: string[] = [];
  const voters = [1, 2, 3].map((id) => ({ id, host: 'sim', port: 0 }));
  const nodes: Node[] = voters.map((v) => {
    const log = new MemoryRaftLog();
    const runtime = sched.runtime(rng);
    const client = new RaftClient({
      nodeId: v.id, clusterId: 'sim', voters, log, quorumState: new MemoryQuorumStateStore(), transport: net.transportFor(v.id), runtime,
      electionTimeoutMs: 300, fetchTimeoutMs: 600, electionBackoffMaxMs: 200, appendLingerMs: 5, fetchMaxWaitMs: 100,
    });
    const node: Node = {
      id: v.id,
      up: true,
      incarnation: 1,
      client,
      controller: new QuorumController({ nodeId: v.id, log: client, runtime, sessionTimeoutMs: 9000, logger: problemLogger(problems) }),
      loader: new MetadataLoader({ log: client, runtime, maxBytesBetweenSnapshots: 400, logger: problemLogger(problems) }),
      registerOffsets: new Map(),
      handle: (apiKey, version, body) => (node.up ? node.client.handleRequest(apiKey, version, body) : Promise.reject(new Error('down'))),
    };
    // Where each RegisterBrokerRecord really landed.
    const spy: RaftListener = {
      handleCommit(b: CommittedBatch) {
        b.records.forEach((r, i) => {
          const d = decodeMetadataRecord(r);
          if (d.type === REGISTER_BROKER_RECORD_TYPE) node.registerOffsets.set((d.value as RegisterBrokerRecord).brokerId, b.baseOffset + i);
        });
      },
      handleLoadSnapshot() {},
      handleLeaderChange() {},
    };
    client.register(spy);
    node.controller.start();
    node.loader.start();
    net.endpoints.set(v.id, node);
    return node;
  });
  for (const n of nodes) await n.client.start();

  const runUntil = async (what: string, pred: () => boolean, maxMs = 20_000): Promise<void> => {
    const end = sched.nowMs + maxMs;
    while (!pred()) {
      if (sched.nowMs >= end) assert.fail(`timed out waiting for ${what}`);
      await sched.step(sched.nowMs + 50);
    }
  };
  const call = async <T>(what: string, p: Promise<T>): Promise<T> => {
    let out: { v: T } | null = null;
    void p.then((v) => (out = { v }));
    await runUntil(what, () => out !== null);
    return out!.v;
  };
  const active = (): QuorumController | undefined => nodes.find((n) => n.up && n.controller.isActive())?.controller;

  await runUntil('an active controller', () => active()?.image().metadataVersion() !== undefined);
  let c = active()!;
  const epochs = new Map<number, number>();
  for (const b of [10, 11, 12]) {
    const r = await call(`register ${b}`, c.registerBroker(registration(b)));
    assert.equal(r.errorCode, 0);
    epochs.set(b, r.brokerEpoch);
  }
  for (const b of [10, 11, 12]) assert.equal((await call(`heartbeat ${b}`, c.brokerHeartbeat(heartbeat(b, epochs.get(b)!)))).isFenced, false);
  const leaderNode = nodes.find((n) => n.controller === c)!;
  for (const [b, e] of epochs) assert.equal(leaderNode.registerOffsets.get(b), e, `broker ${b}'s epoch is its record's offset`);

  const created = await call('create a', c.createTopics({ topics: [topicSpec('a', 6, 2)], timeoutMs: 5000, validateOnly: false }));
  assert.equal(created.topics[0]!.errorCode, 0);
  assert.ok(c.image().topic('a'), 'committed before the reply');
  await runUntil('followers replay everything', () => nodes.every((n) => n.controller.image().offset === c.image().offset));
  for (const n of nodes) assert.deepEqual(imageToRecords(n.controller.image()), imageToRecords(c.image()));
  await runUntil('loaders caught up', () => nodes.every((n) => n.loader.image().offset === c.image().offset));
  for (const n of nodes) assert.deepEqual(imageToRecords(n.loader.image()), imageToRecords(c.image()));
  await runUntil('every loader wrote a snapshot', () => nodes.every((n) => n.client.latestSnapshotId() !== null), 2000);

  // Heartbeats keep the brokers' sessions alive whoever is active.
  const beat = (): void => {
    const now = active();
    if (now) for (const [b, e] of epochs) void now.brokerHeartbeat(heartbeat(b, e));
    sched.setTimeout(beat, 2000);
  };
  beat();

  // The active controller's node dies; another takes over with the same state.
  leaderNode.up = false;
  await leaderNode.client.close();
  leaderNode.controller.close();
  leaderNode.loader.close();
  await runUntil('a new active controller', () => active() !== undefined && active() !== c);
  c = active()!;
  const b = await call('create b', c.createTopics({ topics: [topicSpec('b', 3, 3)], timeoutMs: 5000, validateOnly: false }));
  assert.equal(b.topics[0]!.errorCode, 0, 'three unfenced brokers on the new controller');
  await runUntil('sessions outlive the failover', () => sched.nowMs > 20_000);
  assert.deepEqual(c.image().liveBrokers().map((x) => x.brokerId), [10, 11, 12]);
  const live = nodes.filter((n) => n.up);
  await runUntil('the follower catches up', () => live.every((n) => n.controller.image().offset === c.image().offset));
  assert.deepEqual(imageToRecords(live[0]!.controller.image()), imageToRecords(live[1]!.controller.image()));
  assert.deepEqual(problems, []);
  for (const n of live) {
    n.loader.close();
    n.controller.close();
    await n.client.close();
  }
});
