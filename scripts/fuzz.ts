/**
 * The long fuzz run: `npm run fuzz -- --inputs 1000000 [--seed N] [--concurrency 16] [--record-share 0.3]
 * [--budget-min 240] [--json out.json]`. Starts a broker process, sends structure-aware mutated
 * requests for every served API version and Produce requests with mutated record batches
 * (test/helpers/fuzz-campaign.ts), then checks the broker is alive, its peak RSS, that it logged no
 * internal error, and that every partition reads to its end (codec and kcat). Prints progress to
 * stderr and a summary to stdout; exits 1 when a check fails.
 */
import fs from 'node:fs';
import { BrokerProcess } from '../test/helpers/broker-process.js';
import { checkEncoderFidelity, checkReadable, formatCodes, memoryOf, prepareWorld, runCampaign } from '../test/helpers/fuzz-campaign.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const inputs = Number(arg('inputs', '1000000'));
const seed = Number(arg('seed', String(Math.floor(Math.random() * 2 ** 31))));
const concurrency = Number(arg('concurrency', '16'));
const recordShare = Number(arg('record-share', '0.3'));
const budgetMs = Number(arg('budget-min', '240')) * 60_000;
const jsonOut = arg('json', '');
const RSS_CEILING_BYTES = 1024 * 1024 * 1024;
const RECORD_TOPIC = 'fuzz-records';
const RECORD_PARTITIONS = 4;

const say = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);

const broker = await BrokerProcess.start({
  name: 'fuzz-long',
  readyTimeoutMs: 60_000,
  overrides: { 'auto.create.topics.enable': true, 'num.partitions': 2, 'max.partitions': 2000, 'group.initial.rebalance.delay.ms': 0 },
});
let exitCode = 0;
try {
  const internalErrors = broker.watchLogs(/internal error/);
  const world = await prepareWorld(broker, seed, RECORD_TOPIC, RECORD_PARTITIONS);
  say(`seed ${seed}; encoder fidelity: ${checkEncoderFidelity(world, seed)} requests identical to the codec's`);
  let peakHwm = 0;
  const sampler = setInterval(() => {
    const m = memoryOf(broker.pid);
    if (m) peakHwm = Math.max(peakHwm, m.hwmBytes);
  }, 1000);
  const stats = await runCampaign(broker, world, {
    inputs,
    seed,
    budgetMs,
    concurrency,
    recordShare,
    recordTopic: RECORD_TOPIC,
    recordTopicPartitions: RECORD_PARTITIONS,
    onProgress: (s) => {
      if (s.inputs % 50_000 === 0) {
        const m = memoryOf(broker.pid);
        say(`${s.inputs} inputs in ${(s.elapsedMs / 1000).toFixed(0)} s; answered ${s.answered}, closed ${s.closedByBroker}, silent ${s.silent}; VmHWM ${((m?.hwmBytes ?? 0) / 1048576).toFixed(0)} MiB; internal errors ${internalErrors.count}`);
      }
    },
  });
  clearInterval(sampler);
  const mem = memoryOf(broker.pid);
  peakHwm = Math.max(peakHwm, mem?.hwmBytes ?? 0);
  const alive = broker.alive;
  if (!alive) say(`THE BROKER DIED: ${JSON.stringify(broker.lastExit)}\n--- broker log (tail) ---\n${broker.recentLogs(30_000)}`);
  say(`fuzzing done; reading every partition back`);
  const readable = alive ? await checkReadable(broker, { kcat: true }) : null;
  const summary = {
    seed,
    inputs: stats.inputs,
    requestInputs: stats.requestInputs,
    recordInputs: stats.recordInputs,
    durationS: Math.round(stats.elapsedMs / 1000),
    inputsPerS: Math.round(stats.inputs / (stats.elapsedMs / 1000)),
    answered: stats.answered,
    closedByBroker: stats.closedByBroker,
    silent: stats.silent,
    connectErrors: stats.connectErrors,
    errorCodes: formatCodes(stats.errorCodes),
    distinctErrorCodes: stats.errorCodes.size,
    recordErrorCodes: formatCodes(stats.recordErrorCodes),
    acceptedRecordMutations: Object.fromEntries([...stats.acceptedRecordMutations.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30)),
    undecodableResponses: stats.undecodableResponses,
    undecodableSamples: stats.undecodableSamples,
    unknownServerErrorSamples: stats.unknownServerErrorSamples,
    peakRssMiB: Math.round(peakHwm / 1048576),
    alive,
    internalErrors: internalErrors.count,
    internalErrorSamples: internalErrors.samples,
    partitionsRead: readable?.partitions ?? 0,
    batchesRead: readable?.batches ?? 0,
    recordsRead: readable?.records ?? 0,
    unreadable: readable?.unreadable.slice(0, 50) ?? [],
    unreadableCount: readable?.unreadable.length ?? -1,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 1)}\n`);
  if (jsonOut !== '') fs.writeFileSync(jsonOut, JSON.stringify(summary, null, 1));
  if (!alive || peakHwm > RSS_CEILING_BYTES || internalErrors.count > 0 || stats.undecodableResponses > 0 || (readable?.unreadable.length ?? 1) > 0) exitCode = 1;
} finally {
  await broker.cleanup();
}
process.exit(exitCode);
