/**
 * `npm run bench [workload] [flags]`. Each workload is a module in bench/workloads/ exporting
 * `description` and `run(args)`; `npm run bench list` lists them. Default: produce.
 */
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs, type BenchArgs } from './bench-args.js';

interface Workload {
  description: string;
  run(args: BenchArgs): Promise<void>;
}

const WORKLOAD_DIR = join(dirname(fileURLToPath(import.meta.url)), 'workloads');

function available(): string[] {
  return readdirSync(WORKLOAD_DIR).filter((f) => f.endsWith('.js')).map((f) => f.slice(0, -3)).sort();
}

async function main(): Promise<void> {
  const first = process.argv[2];
  const name = first && !first.startsWith('--') ? first : 'produce';
  const names = available();
  if (name === 'list') {
    for (const n of names) console.log(`${n.padEnd(16)} ${((await import(join(WORKLOAD_DIR, `${n}.js`))) as Workload).description}`);
    return;
  }
  if (!names.includes(name)) {
    process.stderr.write(`unknown workload '${name}'; available: ${names.join(', ')}\n`);
    process.exit(2);
  }
  const workload = (await import(join(WORKLOAD_DIR, `${name}.js`))) as Workload;
  await workload.run(benchArgs(process.argv.slice(3)));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
