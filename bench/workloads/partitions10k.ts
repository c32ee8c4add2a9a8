/**
 * partitions10k: 10,000 partitions on one broker process. Creates one topic of --partitions
 * partitions (one CreateTopics request), writes one batch to every partition, reads every partition
 * back in one Fetch, restarts the broker on the same data dir; reports times, RSS and open files,
 * and memory per partition = (RSS after create − RSS before) / partitions.
 * The broker runs with the open-files limit it inherits (`--nofile N` sets soft and hard limit to N with
 * prlimit, e.g. `--nofile 1024` for a machine's usual default); the limit it ends up with is reported (Node
 * raises its soft limit to the hard one at start). Segment files are opened on demand within a budget of half
 * that limit, so open files stay bounded whatever the partition count.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printTable, type BenchArgs } from '../bench-args.js';
import { startBrokerProcess, type BenchBroker } from '../broker-process.js';
import { fmt, saveResults, timed } from '../lib/results.js';
import { codecProduce, createTopics, fetchConsume } from '../lib/tributary.js';
import { textValues } from '../lib/values.js';

export const description = '10,000 partitions on one broker: create, write, read, restart; memory per partition (--partitions)';

const settle = (ms = 2000): Promise<void> => new Promise((r) => setTimeout(r, ms));
const fds = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
/** The soft open-files limit a process runs with. */
const softNofile = (pid: number): number => Number(/Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[1] ?? NaN);

export async function run(args: BenchArgs): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tributary-p10k-'));
  const partitions = args.number('--partitions', 10_000);
  const nofile = args.number('--nofile', 0);
  const opts = { dataDir, ...(nofile > 0 ? { nofile } : {}) };
  const rows: Array<{ step: string; seconds: number; rssMiB: number; openFiles: number; peakOpenFiles: number }> = [];
  // Open files are sampled every 50 ms during each step, so the peak (not just the count at rest) is reported.
  let peak = 0;
  let sampled: BenchBroker | null = null;
  const sampler = setInterval(() => {
    try {
      if (sampled !== null) peak = Math.max(peak, fds(sampled.pid));
    } catch {
      // The broker is restarting.
    }
  }, 50);
  const snap = (b: BenchBroker, step: string, seconds: number): void => {
    const now = fds(b.pid);
    rows.push({ step, seconds, rssMiB: b.rssBytes() / 1048576, openFiles: now, peakOpenFiles: Math.max(peak, now) });
    peak = 0;
  };
  let perPartitionBytes = NaN;
  let perPartitionWrittenBytes = NaN;
  let brokerNofile = NaN;
  let emptyFds = NaN;
  try {
    let broker = await startBrokerProcess({}, opts);
    sampled = broker;
    brokerNofile = softNofile(broker.pid);
    await settle();
    snap(broker, 'started (empty)', broker.readyMs / 1000);
    const before = broker.rssBytes();
    emptyFds = fds(broker.pid);
    const createSecs = await timed(() => createTopics(broker.bootstrap, [{ name: 'p10k', partitions }]));
    await settle();
    snap(broker, `created ${fmt(partitions)} partitions`, createSecs);
    perPartitionBytes = (broker.rssBytes() - before) / partitions;
    const value = textValues(1024, 16);
    const writeSecs = await codecProduce(broker.host, broker.port, 'p10k', partitions, partitions * 15, value, { batchBytes: 16384, inFlight: 5, partitionsPerRequest: 1000 });
    await settle();
    snap(broker, 'one 15-record batch written to each', writeSecs);
    perPartitionWrittenBytes = (broker.rssBytes() - before) / partitions;
    const read = await fetchConsume(broker.host, broker.port, 'p10k', partitions, partitions * 15, { maxBytes: 1024 * 1024 * 1024 });
    snap(broker, `all read back (${read.fetches} fetches)`, read.seconds);
    await broker.stop();
    broker = await startBrokerProcess({}, opts);
    sampled = broker;
    await settle();
    snap(broker, 'restarted (clean shutdown)', broker.readyMs / 1000);
    await broker.stop();
  } finally {
    clearInterval(sampler);
    await rm(dataDir, { recursive: true, force: true });
  }
  const maxFds = Math.max(...rows.map((r) => r.peakOpenFiles));
  const fdsPerPartition = (maxFds - emptyFds) / partitions;
  console.log(
    `partitions10k: ${fmt(partitions)} partitions in one topic, broker as a separate process (open files limit ${nofile || 'inherited'}, ` +
      `broker's soft limit ${fmt(brokerNofile)}); memory per partition ${fmt(perPartitionBytes / 1024, 1)} KiB empty, ` +
      `${fmt(perPartitionWrittenBytes / 1024, 1)} KiB after one batch; open files at most ${fmt(maxFds)} (${fmt(fdsPerPartition, 3)} per partition)`,
  );
  printTable(
    ['step', 'seconds', 'RSS MiB', 'open files', 'peak open files'],
    rows.map((r) => [r.step, r.seconds.toFixed(3), fmt(r.rssMiB, 1), fmt(r.openFiles), fmt(r.peakOpenFiles)]),
  );
  saveResults('partitions10k', { partitions, nofile: nofile || 'inherited', brokerNofile }, rows, {
    perPartitionBytes,
    perPartitionWrittenBytes,
    maxOpenFiles: maxFds,
    fdsPerPartition,
  });
}
