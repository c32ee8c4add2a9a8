/**
 * Long runs of the deterministic Raft simulator: `node dist/scripts/raft-sim.js --seeds N --start S
 * [--voters 3] [--observers 1] [--snapshots] [--duration-ms 20000]`. Prints each failing seed with its
 * reason and exits 1 if any failed. Replay one with `--start SEED --seeds 1`.
 */
import { runSimulation, type SimOptions } from '../test/unit/raft/sim/cluster.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v)) throw new Error(`--${name} needs an integer`);
  return v;
}

async function main(): Promise<void> {
  const seeds = arg('seeds', 100);
  const start = arg('start', 1);
  const opts: SimOptions = {
    voters: arg('voters', 3),
    observers: arg('observers', 1),
    durationMs: arg('duration-ms', 20_000),
    snapshots: process.argv.includes('--snapshots') ? true : undefined,
  };
  const failed: number[] = [];
  const t0 = Date.now();
  for (let seed = start; seed < start + seeds; seed++) {
    // Without --snapshots, every other seed uses them, so both paths get covered.
    const o = { ...opts, snapshots: opts.snapshots ?? seed % 2 === 0 };
    try {
      await runSimulation(seed, o);
    } catch (err) {
      failed.push(seed);
      console.log(`FAIL seed ${seed} ${JSON.stringify(o)}: ${(err as Error).message}`);
    }
    if ((seed - start + 1) % 100 === 0) console.error(`${seed - start + 1}/${seeds} seeds, ${failed.length} failed, ${Math.round((Date.now() - t0) / 1000)} s`);
  }
  console.log(`${seeds} seeds from ${start}: ${failed.length} failed${failed.length > 0 ? ` (${failed.join(' ')})` : ''}`);
  process.exitCode = failed.length > 0 ? 1 : 0;
}

await main();
