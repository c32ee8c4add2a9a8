/**
 * partitions10k: 10,000 partitions on one broker process. Creates one topic of --partitions
 * partitions (one CreateTopics request), writes one batch to every partition, reads every partition
 * back in one Fetch, restarts the broker on the same data dir; reports times, RSS and open files,
 * and memory per partition = (RSS after create − RSS before) / partitions.
 */
import { readdirSync } from 'node:fs';
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

export async function run(args: BenchArgs): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tributary-p10k-'));
  const partitions = args.number('--partitions', 10_000);
  const nofile = args.number('--nofile', 0);
  const opts = { dataDir, ...(nofile > 0 ? { nofile } : {}) };
  const rows: Array<{ step: string; seconds: number; rssMiB: number; openFiles: number }> = [];
  const snap = (b: BenchBroker, step: string, seconds: number): void => void rows.push({ step, seconds, rssMiB: b.rssBytes() / 1048576, openFiles: fds(b.pid) });
  let perPartitionBytes = NaN;
  try {
    let broker = await startBrokerProcess({}, opts);
    await settle();
    snap(broker, 'started (empty)', broker.readyMs / 1000);
    const before = broker.rssBytes();
    const createSecs = await timed(() => createTopics(broker.bootstrap, [{ name: 'p10k', partitions }]));
    await settle();
    snap(broker, `created ${fmt(partitions)} partitions`, createSecs);
    perPartitionBytes = (broker.rssBytes() - before) / partitions;
    const value = textValues(1024, 16);
    const writeSecs = await codecProduce(broker.host, broker.port, 'p10k', partitions, partitions * 15, value, { batchBytes: 16384, inFlight: 5, partitionsPerRequest: 1000 });
    await settle();
    snap(broker, 'one 15-record batch written to each', writeSecs);
    const read = await fetchConsume(broker.host, broker.port, 'p10k', partitions, partitions * 15, { maxBytes: 1024 * 1024 * 1024 });
    snap(broker, `all read back (${read.fetches} fetches)`, read.seconds);
    await broker.stop();
    broker = await startBrokerProcess({}, opts);
    await settle();
    snap(broker, 'restarted (clean shutdown)', broker.readyMs / 1000);
    await broker.stop();
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(`partitions10k: ${fmt(partitions)} partitions in one topic, broker as a separate process (open files limit ${nofile || 'inherited'}); memory per partition ${fmt(perPartitionBytes / 1024, 1)} KiB`);
  printTable(['step', 'seconds', 'RSS MiB', 'open files'], rows.map((r) => [r.step, r.seconds.toFixed(3), fmt(r.rssMiB, 1), fmt(r.openFiles)]));
  saveResults('partitions10k', { partitions, nofile: nofile || 'inherited' }, rows, { perPartitionBytes });
}
