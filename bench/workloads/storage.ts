/**
 * Storage benchmark, no network: PartitionLog append throughput against a plain `fs` append of the same
 * bytes (the ratio is the storage layer's overhead: validation with CRC32C, offset assignment, indexes, the
 * write queue), read throughput, and restart time after an unclean stop with --mib of data (default 1 GiB),
 * with and without a recovery point (the recovery-point-offset-checkpoint tells recovery to skip the segments
 * below it).
 */
import { mkdtemp, open, rm, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { buildRecordBatchSync } from '../../src/protocol/records/index.js';
import { PartitionLog } from '../../src/storage/partition-log.js';
import { printTable, type BenchArgs } from '../bench-args.js';

export const description =
  'PartitionLog append vs plain fs append (ratio), read throughput, restart after an unclean stop with and without a recovery point (--mib 1024)';

const MIB = 1024 * 1024;

/** A pool of distinct batches: append owns a buffer until it settles, so in-flight appends never share one. */
function batchPool(count: number, batchBytes: number, recordBytes: number): Buffer[] {
  const perBatch = Math.max(1, Math.floor(batchBytes / recordBytes));
  const value = Buffer.alloc(recordBytes, 0x61);
  return Array.from({ length: count }, () =>
    buildRecordBatchSync({ records: Array.from({ length: perBatch }, () => ({ value })), now: Date.now() }),
  );
}

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function fsAppend(file: string, pool: Buffer[], batches: number): Promise<number> {
  const fh = await open(file, 'a');
  const start = process.hrtime.bigint();
  for (let i = 0; i < batches; i++) await fh.write(pool[i % pool.length]!);
  const s = seconds(start);
  await fh.close();
  return s;
}

/** The same bytes with the coalescing the log does: one writev per `group` batches. */
async function fsWritev(file: string, pool: Buffer[], batches: number, group: number): Promise<number> {
  const fh = await open(file, 'a');
  const start = process.hrtime.bigint();
  for (let i = 0; i < batches; i += group) {
    const bufs: Buffer[] = [];
    for (let j = i; j < Math.min(batches, i + group); j++) bufs.push(pool[j % pool.length]!);
    await fh.writev(bufs);
  }
  const s = seconds(start);
  await fh.close();
  return s;
}

async function logAppend(dir: string, pool: Buffer[], batches: number, segmentBytes: number, inFlight: number): Promise<{ s: number; log: PartitionLog }> {
  const log = await PartitionLog.open(dir, { segmentBytes });
  const pending = new Set<Promise<unknown>>();
  const start = process.hrtime.bigint();
  for (let i = 0; i < batches; i++) {
    const p = log.append(pool[i % pool.length]!);
    pending.add(p);
    void p.finally(() => pending.delete(p));
    if (pending.size >= inFlight) await Promise.race(pending);
  }
  await Promise.all(pending);
  return { s: seconds(start), log };
}

async function readAll(log: PartitionLog, fetchBytes: number): Promise<{ s: number; bytes: number }> {
  const start = process.hrtime.bigint();
  let offset = log.logStartOffset;
  let bytes = 0;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, fetchBytes);
    bytes += r.records.length;
    offset = r.nextOffset;
  }
  return { s: seconds(start), bytes };
}

/** Reopens after removing the clean-shutdown marker, i.e. the files an unclean stop after an fsync leaves. */
async function uncleanRestart(dir: string, segmentBytes: number, recoveryPoint: number | undefined): Promise<number> {
  await unlink(path.join(dir, '.kafka_cleanshutdown'));
  const start = process.hrtime.bigint();
  const log = await PartitionLog.open(dir, { segmentBytes }, undefined, { recoveryPoint });
  const s = seconds(start);
  await log.close();
  return s;
}

async function cleanRestart(dir: string, segmentBytes: number): Promise<number> {
  const start = process.hrtime.bigint();
  const log = await PartitionLog.open(dir, { segmentBytes });
  const s = seconds(start);
  await log.close();
  return s;
}

export async function run(args: BenchArgs): Promise<void> {
  const totalMiB = args.number('--mib', 1024);
  const batchBytes = args.number('--batch-size', 16384);
  const recordBytes = args.number('--record-size', 1024);
  const segmentMiB = args.number('--segment-mib', 64);
  const inFlight = args.number('--in-flight', 64);
  const root = await mkdtemp(path.join(args.string('--dir', os.tmpdir()), 'tributary-bench-storage-'));
  try {
    const pool = batchPool(inFlight * 2, batchBytes, recordBytes);
    const batchSize = pool[0]!.length;
    const batches = Math.ceil((totalMiB * MIB) / batchSize);
    const mb = (batches * batchSize) / 1e6;
    const segmentBytes = segmentMiB * MIB;

    const fsSeconds = await fsAppend(path.join(root, 'plain.log'), pool, batches);
    await rm(path.join(root, 'plain.log'));
    const writevSeconds = await fsWritev(path.join(root, 'plain.log'), pool, batches, inFlight);
    await rm(path.join(root, 'plain.log'));
    const dir = path.join(root, 'bench-0');
    const { s: logSeconds, log } = await logAppend(dir, pool, batches, segmentBytes, inFlight);
    const read = await readAll(log, MIB);
    const recoveryPoint = log.logEndOffset;
    const segments = log.segmentCount;
    await log.close();
    const clean = await cleanRestart(dir, segmentBytes);
    const withRp = await uncleanRestart(dir, segmentBytes, recoveryPoint);
    const withoutRp = await uncleanRestart(dir, segmentBytes, undefined);

    console.log(
      `storage: ${mb.toFixed(0)} MB in ${batches} batches of ${batchSize} B (${recordBytes} B records), ` +
        `${segments} segments of ${segmentMiB} MiB, ${inFlight} appends in flight, default flush policy`,
    );
    printTable(
      ['measure', 'MB/s', 'seconds', 'ratio'],
      [
        ['plain fs append (await each write)', (mb / fsSeconds).toFixed(0), fsSeconds.toFixed(2), '1'],
        [`plain fs writev (${inFlight} batches a call)`, (mb / writevSeconds).toFixed(0), writevSeconds.toFixed(2), `${(fsSeconds / writevSeconds).toFixed(2)}`],
        ['PartitionLog.append', (mb / logSeconds).toFixed(0), logSeconds.toFixed(2), `${(fsSeconds / logSeconds).toFixed(2)} (${(writevSeconds / logSeconds).toFixed(2)} of writev)`],
        ['PartitionLog.read (1 MiB fetches)', (read.bytes / 1e6 / read.s).toFixed(0), read.s.toFixed(2), ''],
      ],
    );
    printTable(
      ['restart', 'seconds'],
      [
        ['clean (marker present)', clean.toFixed(3)],
        ['unclean, recovery point at the log end', withRp.toFixed(3)],
        ['unclean, no recovery point (every segment scanned)', withoutRp.toFixed(3)],
      ],
    );
    console.log(
      JSON.stringify({
        workload: 'storage',
        mb,
        fsAppendMBps: mb / fsSeconds,
        logAppendMBps: mb / logSeconds,
        fsWritevMBps: mb / writevSeconds,
        appendRatio: fsSeconds / logSeconds,
        appendRatioToWritev: writevSeconds / logSeconds,
        readMBps: read.bytes / 1e6 / read.s,
        restartCleanS: clean,
        restartUncleanWithRecoveryPointS: withRp,
        restartUncleanWithoutRecoveryPointS: withoutRp,
      }),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
