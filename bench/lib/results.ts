/** Writes a workload's results to bench/results/<workload>-<timestamp>.json (gitignored). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/results in the source tree (the compiled file lives in dist/bench/lib). */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', 'results');

export function saveResults(workload: string, params: Record<string, unknown>, rows: ReadonlyArray<Record<string, unknown>>, extra: Record<string, unknown> = {}): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(RESULTS_DIR, `${workload}-${stamp}.json`);
  const doc = {
    workload,
    date: new Date().toISOString(),
    command: `npm run bench ${process.argv.slice(2).join(' ')}`.trim(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '', memBytes: totalmem(), node: process.version },
    params,
    rows,
    ...extra,
  };
  writeFileSync(file, JSON.stringify(doc, null, 2) + '\n');
  console.log(`results: ${file}`);
  return file;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export async function timed(fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}
