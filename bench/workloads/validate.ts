/**
 * validate: what validating a client's batch costs on the produce path, per record, with no network or disk —
 * the synchronous pass (headers, CRC32C, the record walk, small compressed batches decompressed) plus the
 * deferred one (larger compressed batches), exactly as PartitionLog.append runs them. With `--baseline DIR`
 * (a built checkout of another commit, e.g. `git worktree add /tmp/base <commit> && (cd /tmp/base && npm ci)`)
 * the same batches go through that build's validator too, rounds alternating between the two in one process,
 * so that load on the machine hits both alike; the table shows both and the added cost.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CompressionType } from '../../src/protocol/compression/types.js';
import { buildRecordBatchSync } from '../../src/protocol/records/index.js';
import { ByteBudget } from '../../src/storage/byte-budget.js';
import { prepareBatches } from '../../src/storage/deferred-validation.js';
import { validateBatches, type ValidateOptions } from '../../src/storage/log-validator.js';
import { printTable, type BenchArgs } from '../bench-args.js';
import { fmt } from '../lib/results.js';
import { textValues } from '../lib/values.js';

export const description = 'produce-path validation cost per record, by record size and codec (--baseline DIR compares another build)';

type Validate = (buf: Buffer) => Promise<void> | void;

interface Case {
  name: string;
  recordBytes: number;
  codec: CompressionType;
  batchBytes: number;
}

const CASES: readonly Case[] = [
  { name: '100 B, none', recordBytes: 100, codec: CompressionType.None, batchBytes: 16384 },
  { name: '1 KiB, none', recordBytes: 1024, codec: CompressionType.None, batchBytes: 16384 },
  { name: '1 KiB, lz4', recordBytes: 1024, codec: CompressionType.Lz4, batchBytes: 16384 },
  { name: '1 KiB, zstd', recordBytes: 1024, codec: CompressionType.Zstd, batchBytes: 16384 },
  { name: '1 KiB, snappy', recordBytes: 1024, codec: CompressionType.Snappy, batchBytes: 16384 },
  { name: '1 KiB, gzip', recordBytes: 1024, codec: CompressionType.Gzip, batchBytes: 16384 },
  { name: '1 KiB, lz4, 1 MiB batches', recordBytes: 1024, codec: CompressionType.Lz4, batchBytes: 1024 * 1024 },
];

const OPTS: ValidateOptions = { maxMessageBytes: 8 * 1024 * 1024 };

function current(): Validate {
  const budget = new ByteBudget(256 * 1024 * 1024);
  return (buf) => {
    const v = validateBatches(buf, OPTS);
    if (v.deferred.length > 0) return prepareBatches(buf, v, { validate: OPTS, recompressTo: null, budget }).then(() => undefined);
  };
}

async function baseline(dir: string): Promise<Validate> {
  const mod = (await import(pathToFileURL(path.join(path.resolve(dir), 'dist/src/storage/log-validator.js')).href)) as {
    validateBatches: (buf: Buffer, opts: ValidateOptions) => { deferred?: unknown[] };
  };
  return (buf) => void mod.validateBatches(buf, OPTS);
}

function batchesFor(c: Case): { batches: Buffer[]; records: number } {
  const perBatch = Math.max(1, Math.floor(c.batchBytes / (c.recordBytes + 8)));
  const values = textValues(c.recordBytes, perBatch);
  const batches = Array.from({ length: 8 }, (_, i) =>
    buildRecordBatchSync({ records: values.map((value, j) => ({ key: `key-${i}-${j}`, value })), compression: c.codec }),
  );
  return { batches, records: perBatch };
}

/** ns per record of `validate` over `rounds` passes of at least `minRecords` records. */
async function measure(validate: Validate, batches: Buffer[], perBatch: number, minRecords: number): Promise<number> {
  const n = Math.max(1, Math.ceil(minRecords / perBatch));
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = validate(batches[i % batches.length]!);
    if (r !== undefined) await r;
  }
  return Number(process.hrtime.bigint() - start) / (n * perBatch);
}

export async function run(args: BenchArgs): Promise<void> {
  const rounds = args.number('--rounds', 5);
  const minRecords = args.number('--records', 300_000);
  const baseDir = args.string('--baseline', '');
  const sides: Array<[string, Validate]> = [['this build', current()]];
  if (baseDir !== '') sides.push([`baseline ${baseDir}`, await baseline(baseDir)]);
  console.log(`validate: ${rounds} rounds of ≥ ${fmt(minRecords)} records per case, median ns/record${baseDir ? `, alternating with ${baseDir}` : ''}`);
  const rows: string[][] = [];
  for (const c of CASES) {
    const { batches, records } = batchesFor(c);
    const samples = sides.map(() => [] as number[]);
    for (let r = 0; r < rounds + 1; r++) {
      for (let s = 0; s < sides.length; s++) {
        const side = (r + s) % sides.length; // alternate which side goes first
        const ns = await measure(sides[side]![1], batches, records, minRecords);
        if (r > 0) samples[side]!.push(ns); // round 0 warms the JIT
      }
    }
    const median = (xs: number[]): number => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const ours = median(samples[0]!);
    const row = [c.name, `${records}`, ours.toFixed(1), `${fmt((c.recordBytes * 1e3) / ours)}`];
    if (sides.length > 1) {
      const base = median(samples[1]!);
      row.push(base.toFixed(1), `+${(ours - base).toFixed(1)}`, `${(ours / base).toFixed(2)}×`);
    }
    rows.push(row);
  }
  const header = ['case', 'records/batch', 'ns/record', 'MB/s of records'];
  if (sides.length > 1) header.push('baseline ns/record', 'added ns', 'ratio');
  printTable(header, rows);
}
