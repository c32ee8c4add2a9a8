/**
 * `tributary perf produce|consume`, like kafka-producer-perf-test / kafka-consumer-perf-test.
 * Progress goes to stderr (a live bar on a terminal, periodic lines otherwise); the final summary
 * goes to stdout (text, or one JSON object with --json).
 */
import { setImmediate as yieldNow } from 'node:timers/promises';
import { type Command, Option } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { json, keyValues } from '../output.js';
import { acksArg, compressionArg, intArg, type AcksFlag, type CompressionFlag } from '../parse.js';
import { LatencyRecorder, summarize, Throttle, type RunSummary } from '../perf/stats.js';
import { fmtInt, Progress } from '../perf/progress.js';
import { createProducer, prepareTopic } from '../producing.js';
import { explain, openSession, withAdmin, type Session } from '../session.js';
import { createConsumer, topicPartitions } from '../consuming.js';
import { durationArg } from '../globals.js';

interface PerfProduceOpts {
  topic: string;
  numRecords: number;
  recordSize: number;
  throughput: number;
  acks?: AcksFlag;
  compression?: CompressionFlag;
  batchSize?: number;
  lingerMs?: number;
  json?: boolean;
  progress: boolean;
  reportingInterval: number;
}

/** Records in flight (sent, not yet acknowledged) before the loop waits. */
const MAX_IN_FLIGHT = 50_000;
/** Records per send() call without --throughput (as `npm run bench client` sends them). */
const CHUNK_RECORDS = 1000;

export function registerPerfCommand(program: Command, ctx: CliContext): Command {
  const perf = program
    .command('perf')
    .description('Measure throughput and latency against a cluster.')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary perf produce --topic bench --num-records 1000000 --record-size 100
  $ tributary perf produce --topic bench --num-records 100000 --throughput 10000 --json
  $ tributary perf consume --topic bench`,
    );

  perf
    .command('produce')
    .description('Send records as fast as allowed and report records/s, MB/s and latency percentiles.')
    .requiredOption('-t, --topic <topic>', 'topic to write to (auto-created if the broker allows)')
    .addOption(new Option('-n, --num-records <n>', 'how many records to send').argParser(intArg(1)).default(100_000))
    .addOption(new Option('-s, --record-size <bytes>', 'value size of each record').argParser(intArg(0, 100 * 1024 * 1024)).default(100))
    .addOption(new Option('--throughput <records/s>', 'cap the send rate; -1 for no cap').argParser(intArg(-1)).default(-1))
    .addOption(new Option('--acks <acks>', 'all (-1), 1 or 0').argParser(acksArg))
    .addOption(new Option('-z, --compression <codec>', 'none, gzip, snappy, lz4 or zstd').argParser(compressionArg))
    .addOption(new Option('--batch-size <bytes>', 'target batch size per partition (default 16384)').argParser(intArg(1)))
    .addOption(new Option('--linger-ms <ms>', 'how long a batch waits for more records (default 5)').argParser(intArg(0)))
    .option('--json', 'print the summary as one JSON object')
    .option('--no-progress', 'no progress while running')
    .addOption(
      new Option('--reporting-interval <duration>', 'period of the progress lines when stderr is not a terminal').argParser(durationArg).default(5000, '5s'),
    )
    .addHelpText(
      'after',
      `
Latency is from send() to the broker's acknowledgement (with --acks 0: to when the request
was written). Values are random printable bytes. On a terminal a live progress bar shows the
rate; otherwise a line every --reporting-interval. The summary goes to stdout.

Examples:
  $ tributary perf produce --topic bench --num-records 1000000 --record-size 100
  $ tributary perf produce -t bench -n 200000 -s 1024 --throughput 20000 --acks 1 -z lz4
  $ tributary perf produce -t bench -n 100000 --batch-size 65536 --linger-ms 10 --json`,
    )
    .action(async (opts: PerfProduceOpts, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      const summary = await perfProduce(s, opts);
      printSummary(s, 'produce', summary, opts.json === true);
    });

  perf
    .command('consume')
    .description('Read records as fast as possible and report records/s, MB/s and end-to-end latency percentiles.')
    .requiredOption('-t, --topic <topic>', 'topic to read')
    .addOption(new Option('-n, --num-records <n>', 'how many records to read (default: all there are when it starts)').argParser(intArg(1)))
    .option('-g, --group <id>', 'read as a member of this group (default: no group, every partition from the start)')
    .addOption(new Option('--idle-timeout <duration>', 'give up when no record arrives for this long').argParser(durationArg).default(10_000, '10s'))
    .option('--json', 'print the summary as one JSON object')
    .option('--no-progress', 'no progress while running')
    .addOption(
      new Option('--reporting-interval <duration>', 'period of the progress lines when stderr is not a terminal').argParser(durationArg).default(5000, '5s'),
    )
    .addHelpText(
      'after',
      `
Without a group every partition is read from its start. Latency is end to end: from each
record's timestamp to when it was consumed, so it is meaningful while a producer runs
(e.g. \`tributary perf produce\` in another terminal); for old records it is their age.
MB/s counts key and value bytes. The summary goes to stdout.

Examples:
  $ tributary perf consume --topic bench
  $ tributary perf consume -t bench -n 1000000 -g perf-group --json`,
    )
    .action(async (opts: PerfConsumeOpts, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      const summary = await perfConsume(s, opts);
      printSummary(s, 'consume', summary, opts.json === true);
    });

  return perf;
}

interface PerfConsumeOpts {
  topic: string;
  numRecords?: number;
  group?: string;
  idleTimeout: number;
  json?: boolean;
  progress: boolean;
  reportingInterval: number;
}

async function perfConsume(s: Session, opts: PerfConsumeOpts): Promise<RunSummary & { errors: number }> {
  const consumer = createConsumer(s, {
    ...(opts.group !== undefined ? { groupId: opts.group } : { enableAutoCommit: false }),
    autoOffsetReset: 'earliest',
    maxPartitionFetchBytes: 4 * 1024 * 1024,
  });
  let progress: Progress | null = null;
  let done = 0;
  let bytes = 0;
  let stopped = false;
  s.ctx.onSignal('SIGINT', () => {
    stopped = true;
    s.ctx.exitCode = 130;
    void consumer.close().catch(() => undefined);
  });
  try {
    const counts = await topicPartitions(s, consumer, [opts.topic]);
    let total = opts.numRecords;
    if (total === undefined) {
      total = await withAdmin(s, async (admin) => {
        const [first, last] = [await admin.listOffsets(opts.topic, 'earliest'), await admin.listOffsets(opts.topic, 'latest')];
        return last.reduce((n, o) => n + o.offset - (first.find((f) => f.partition === o.partition)?.offset ?? 0), 0);
      });
      if (total === 0) {
        throw new CliError(`topic '${opts.topic}' is empty — produce some records first, e.g. \`tributary perf produce --topic ${opts.topic}\`, or give --num-records and produce meanwhile.`);
      }
    }
    const latency = new LatencyRecorder(total);
    if (opts.group !== undefined) consumer.subscribe([opts.topic]);
    else consumer.assign([...Array(counts.get(opts.topic)!).keys()].map((partition) => ({ topic: opts.topic, partition })));
    if (opts.progress) {
      progress = new Progress({
        label: 'consume',
        verb: 'consumed',
        total,
        tty: process.stderr.isTTY === true,
        columns: process.stderr.columns ?? 100,
        intervalMs: opts.reportingInterval,
        style: s.err,
        write: (t) => process.stderr.write(t),
        snapshot: () => ({ done, bytes, latencyAvgMs: latency.count ? latency.sum / latency.count : 0, latencyMaxMs: latency.max }),
      });
    }
    const startMs = performance.now();
    let lastRecordMs = startMs;
    progress?.start();
    let idle = false;
    const idleTimer = setInterval(() => {
      if (performance.now() - lastRecordMs > opts.idleTimeout) {
        idle = true;
        void consumer.close().catch(() => undefined);
      }
    }, 100);
    try {
      outer: for await (const batch of consumer.batches()) {
        const now = Date.now();
        lastRecordMs = performance.now();
        for (const r of batch.records) {
          done++;
          bytes += (r.key?.length ?? 0) + (r.value?.length ?? 0);
          latency.record(Math.max(0, now - r.timestamp));
          if (done >= total) break outer;
        }
        if (stopped) break;
      }
    } finally {
      clearInterval(idleTimer);
    }
    const elapsed = (idle ? lastRecordMs : performance.now()) - startMs;
    progress?.stop();
    progress = null;
    if (done < total && !stopped) {
      s.ctx.stderr(`tributary: only ${done} of ${total} records arrived; none for ${opts.idleTimeout} ms (--idle-timeout) — produce more, or lower --num-records.`);
      s.ctx.exitCode = 1;
    }
    return { ...summarize(done, bytes, elapsed, latency), errors: 0 };
  } catch (err) {
    throw explain(err, s.settings, { topic: opts.topic, group: opts.group });
  } finally {
    progress?.stop();
    await consumer.close().catch(() => undefined);
  }
}

async function perfProduce(s: Session, opts: PerfProduceOpts): Promise<RunSummary & { errors: number }> {
  const producer = createProducer(s, opts);
  const latency = new LatencyRecorder(opts.numRecords);
  const payload = Buffer.alloc(opts.recordSize);
  for (let i = 0; i < payload.length; i++) payload[i] = 65 + Math.floor(Math.random() * 26);
  let done = 0;
  let errors = 0;
  let firstError: unknown = null;
  let inFlight = 0;
  let wake: (() => void) | null = null;
  let stopped = false;
  s.ctx.onSignal('SIGINT', () => {
    stopped = true;
    s.ctx.exitCode = 130;
  });
  let progress: Progress | null = null;
  let startMs = 0;
  try {
    await prepareTopic(s, producer, opts.topic, true);
    const tty = process.stderr.isTTY === true;
    if (opts.progress) {
      progress = new Progress({
        label: 'produce',
        verb: 'sent',
        total: opts.numRecords,
        tty,
        columns: process.stderr.columns ?? 100,
        intervalMs: opts.reportingInterval,
        style: s.err,
        write: (t) => process.stderr.write(t),
        snapshot: () => ({ done, bytes: done * opts.recordSize, latencyAvgMs: latency.count ? latency.sum / latency.count : 0, latencyMaxMs: latency.max }),
      });
    }
    startMs = performance.now();
    progress?.start();
    const throttle = new Throttle(opts.throughput, startMs);
    // Records go to send() in chunks: one send() per record costs a promise chain per record,
    // which held this loop to a quarter of what the Producer takes in `send` of 1,000 records.
    // Every record of a chunk is handed over at the same instant t0, so its latency (send → ack)
    // is still exact. Under --throughput a chunk is at most 1 ms worth of records.
    const chunk = opts.throughput > 0 ? Math.max(1, Math.min(CHUNK_RECORDS, Math.floor(opts.throughput / 1000))) : CHUNK_RECORDS;
    const full = new Array<{ value: Buffer }>(chunk).fill({ value: payload });
    for (let i = 0; i < opts.numRecords && !stopped && firstError === null; i += chunk) {
      const delay = throttle.delayMs(i, performance.now());
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      while (inFlight >= MAX_IN_FLIGHT && firstError === null) await new Promise<void>((r) => (wake = r));
      const n = Math.min(chunk, opts.numRecords - i);
      const messages = n === chunk ? full : full.slice(0, n);
      const t0 = performance.now();
      inFlight += n;
      producer.send({ topic: opts.topic, messages }).then(
        () => {
          const ms = performance.now() - t0;
          for (let k = 0; k < n; k++) latency.record(ms);
          done += n;
        },
        (err: unknown) => {
          errors += n;
          firstError ??= err;
        },
      ).finally(() => {
        inFlight -= n;
        if (wake) {
          const w = wake;
          wake = null;
          w();
        }
      });
      // Let acknowledgements and the progress bar run between chunks.
      if ((i / chunk) % 8 === 7) await yieldNow();
    }
    await producer.flush();
    const elapsed = performance.now() - startMs;
    progress?.stop();
    progress = null;
    if (firstError !== null && done === 0) throw firstError;
    if (firstError !== null) s.ctx.stderr(`tributary: ${errors} records failed; the first: ${explain(firstError, s.settings, { topic: opts.topic }).message}`);
    if (firstError !== null) s.ctx.exitCode = 1;
    return { ...summarize(done, done * opts.recordSize, elapsed, latency), errors };
  } catch (err) {
    throw explain(err, s.settings, { topic: opts.topic });
  } finally {
    progress?.stop();
    await producer.close({ timeoutMs: s.settings.timeoutMs }).catch(() => undefined);
  }
}

function printSummary(s: Session, what: 'produce' | 'consume', r: RunSummary & { errors?: number }, asJson: boolean): void {
  if (asJson) {
    s.ctx.stdout(json({ test: what, ...r }));
    return;
  }
  const l = r.latencyMs;
  const lines = keyValues(
    [
      ['records', `${fmtInt(r.records)}${r.errors ? ` (${fmtInt(r.errors)} failed)` : ''}`],
      ['elapsed', `${(r.elapsedMs / 1000).toFixed(2)} s`],
      ['throughput', `${fmtInt(Math.round(r.recordsPerSec))} records/s, ${r.mbPerSec.toFixed(2)} MB/s`],
      ['latency ms', `avg ${l.avg}  p50 ${l.p50}  p95 ${l.p95}  p99 ${l.p99}  p99.9 ${l.p999}  max ${l.max}`],
    ],
    s.out,
  );
  for (const line of lines) s.ctx.stdout(line);
}

