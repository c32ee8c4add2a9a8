/**
 * The deterministic simulator (sim/cluster.ts): seeded random faults with invariants checked after every
 * event, plus two scripted scenarios for pre-vote and check-quorum. A failure names its seed; replay it
 * with `runSimulation(seed, opts)` or `node dist/scripts/raft-sim.js --start SEED --seeds 1`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, Simulation, simDefaults } from './sim/cluster.js';

const SEEDS = Number(process.env.RAFT_SIM_SEEDS ?? 200);

test(`3 voters + 1 observer under random faults (${SEEDS} seeds, half with snapshots)`, async () => {
  let truncations = 0;
  let installs = 0;
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = await runSimulation(seed, { voters: 3, observers: 1, durationMs: 15_000, snapshots: seed % 2 === 0 });
    assert.ok(r.committedBatches > 20, `seed ${seed}: only ${r.committedBatches} batches committed`);
    assert.ok(r.leaderChanges >= 1, `seed ${seed}: no leader was ever elected`);
    truncations += r.truncations;
    installs += r.snapshotInstalls;
  }
  // The faults must reach the interesting paths, or the invariants above prove little.
  assert.ok(truncations > 0, 'some follower truncated a diverging log');
  assert.ok(installs > 0, 'some follower installed a snapshot fetched from the leader');
});

test('5 voters + 1 observer under random faults (8 seeds)', async () => {
  for (let seed = 1001; seed <= 1008; seed++) {
    const r = await runSimulation(seed, { voters: 5, observers: 1, durationMs: 15_000, snapshots: seed % 2 === 1 });
    assert.ok(r.committedBatches > 20, `seed ${seed}: only ${r.committedBatches} batches committed`);
  }
});

async function stableCluster(seed: number): Promise<Simulation> {
  const sim = new Simulation(seed, simDefaults({ voters: 3, observers: 1, faults: false }));
  sim.boot();
  await sim.runUntil(5_000);
  assert.equal(sim.leaders().length, 1, 'one leader after 5 s without faults');
  return sim;
}

test('pre-vote: an isolated follower does not raise the epoch nor unseat the leader when it returns', async () => {
  for (const seed of [7, 8, 9]) {
    const sim = await stableCluster(seed);
    const leader = sim.leaders()[0]!;
    const epoch = leader.client!.epoch;
    const follower = sim.nodes.find((n) => n.isVoter && n !== leader)!;
    sim.net.isolate(follower.id);
    await sim.runUntil(sim.sched.nowMs + 10_000);
    assert.equal(follower.client!.epoch, epoch, `seed ${seed}: the isolated node's pre-votes failed, so its epoch stayed`);
    assert.notEqual(follower.client!.role, 'candidate');
    sim.net.healAll();
    await sim.runUntil(sim.sched.nowMs + 3_000);
    assert.equal(sim.leaders().length, 1);
    assert.equal(sim.leaders()[0], leader, `seed ${seed}: the healthy leader kept its place`);
    assert.equal(leader.client!.epoch, epoch);
    assert.equal(follower.client!.role, 'follower');
    assert.equal(follower.client!.leaderId, leader.id);
    await sim.close();
  }
});

test('check-quorum: an isolated leader resigns and the majority elects a new one; it follows after healing', async () => {
  for (const seed of [11, 12, 13]) {
    const sim = await stableCluster(seed);
    const old = sim.leaders()[0]!;
    const epoch = old.client!.epoch;
    sim.net.isolate(old.id);
    await sim.runUntil(sim.sched.nowMs + 4_000);
    assert.notEqual(old.client!.role, 'leader', `seed ${seed}: the isolated leader lost its quorum and resigned`);
    const fresh = sim.leaders();
    assert.equal(fresh.length, 1, `seed ${seed}: the majority side elected a leader`);
    assert.ok(fresh[0]!.client!.epoch > epoch);
    const committedBefore = sim.recordOffsets.size;
    await sim.runUntil(sim.sched.nowMs + 2_000);
    assert.ok(sim.recordOffsets.size > committedBefore, 'the majority keeps committing');
    sim.net.healAll();
    await sim.runUntil(sim.sched.nowMs + 3_000);
    assert.equal(old.client!.role, 'follower');
    assert.equal(old.client!.leaderId, fresh[0]!.id);
    assert.equal(old.client!.epoch, fresh[0]!.client!.epoch);
    await sim.close();
  }
});

test('a failing invariant names the seed', async () => {
  const sim = new Simulation(42, simDefaults({}));
  sim.fail('synthetic');
  await assert.rejects(sim.runUntil(1), /seed 42/);
});

test('checker self-test: a voter that grants every vote (two votes in one epoch) is caught', async () => {
  // Deterministic: the first seeds whose faults let two candidates stand in one epoch. The broken
  // voter lets both win, and "at most one leader per epoch" (or log matching after) must fail.
  let caught: string | null = null;
  for (let seed = 1; seed <= 60 && caught === null; seed++) {
    try {
      await runSimulation(seed, { voters: 3, observers: 0, durationMs: 15_000, brokenRule: 'vote-for-everyone' });
    } catch (err) {
      caught = (err as Error).message;
    }
  }
  assert.ok(caught !== null, 'a double-voting voter went unnoticed for 60 seeds');
  assert.match(caught, /two leaders in epoch|log matching|committed batch|lacks committed/);
});

test('a voter stranded in a newer epoch (lost its own election) is brought back by the leader', async () => {
  for (const seed of [21, 22, 23]) {
    const sim = await stableCluster(seed);
    const leader = sim.leaders()[0]!;
    const epoch = leader.client!.epoch;
    const stranded = sim.nodes.find((n) => n.isVoter && n !== leader)!;
    sim.net.isolate(stranded.id);
    // As if its pre-vote had succeeded just before the partition: it stands in epoch+1 and loses.
    void stranded.client!.serial(() => stranded.client!.becomeCandidate());
    await sim.runUntil(sim.sched.nowMs + 3_000);
    assert.equal(stranded.client!.epoch, epoch + 1);
    sim.net.healAll();
    await sim.runUntil(sim.sched.nowMs + 6_000);
    const now = sim.leaders();
    assert.equal(now.length, 1, `seed ${seed}: one leader`);
    assert.ok(now[0]!.client!.epoch > epoch + 1, `seed ${seed}: the quorum moved past the stranded epoch`);
    for (const n of sim.nodes) if (n !== now[0]) assert.equal(n.client!.leaderId, now[0]!.id, `seed ${seed}: node ${n.id} follows`);
    await sim.close();
  }
});
