import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation } from './sim/cluster.js';

const SEEDS = Number(process.env.RAFT_SIM_SEEDS ?? 20);

test(`3 voters + 1 observer survive random faults (${SEEDS} seeds)`, async () => {
  for (let seed = 1; seed <= SEEDS; seed++) {
    const r = await runSimulation(seed, { voters: 3, observers: 1, durationMs: 15_000 });
    assert.ok(r.committedBatches > 10, `seed ${seed}: only ${r.committedBatches} batches committed`);
  }
});
