import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { CompressionTypes } from 'kafkajs';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { adversarialFrames, MUTATORS, mutate, Rng, type MutatorName } from '../helpers/fuzz.js';
import { checkEncoderFidelity, checkReadable, formatCodes, memoryOf, prepareWorld, runCampaign } from '../helpers/fuzz-campaign.js';
import { STRUCT_MUTATIONS } from '../helpers/fuzz-struct.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { consumeAll, makeKafka, produceAll, redirectingSocketFactory } from '../helpers/kafkajs.js';
import { runProcess } from '../helpers/proc.js';
import { makeRecords, verifyRoundTrip } from '../helpers/records.js';
import { startRecordingProxy } from '../helpers/recording-proxy.js';
import { requireTool } from '../helpers/tools.js';
import { apiVersionsV0, apiVersionsV3, encodeRequest, fetchV4, metadataV1, parseBatches, probeApiVersions, WireConnection, WireWriter } from '../helpers/wire.js';

/**
 * Protocol fuzzing against the broker process.
 *  1. Capture real request frames: kafkajs (admin, producer plain + gzip, consumer group) talks to
 *     the broker through a recording proxy (its socket factory sends every connection there), and
 *     kcat -L bootstraps through it too; a few hand-made ApiVersions/Metadata frames are added.
 *  2. Send >= 10,000 mutated frames (bit flips, truncations, length fields, size prefixes, huge
 *     declared sizes, random api keys/versions, garbage, splices, varint storms ...) over many
 *     short connections, 24 at a time. Every ~500 frames a fresh connection must still get an
 *     ApiVersions answer, and the process must be alive.
 *  3. Afterwards: the process is alive, its RSS is bounded, ApiVersions v0 and v3 answer, every
 *     batch still stored in the captured topic has a valid CRC, and kafkajs produces and consumes
 *     1,000 records on a new topic correctly.
 * Seeded (FUZZ_SEED=<n> to replay); a failure writes the recent frames to a JSON file in the temp dir.
 *
 * The two structure-aware tests at the end mutate requests at field level for every served API
 * version, and record batches at record level (docs/reliability.md).
 */

const FRAMES_TO_SEND = 10_000;
const CONCURRENCY = 24;
const FUZZ_BUDGET_MS = 30_000;
const RSS_LIMIT_BYTES = 1024 * 1024 * 1024;

interface SentFrame {
  mutator: MutatorName | 'adversarial';
  name?: string;
  apiKey: number;
  apiVersion: number;
  hex: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function rssBytes(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

async function captureFrames(broker: BrokerProcess, log: (msg: string) => void): Promise<Buffer[]> {
  const proxy = await startRecordingProxy(broker.host, broker.port);
  try {
    const { kafka, logTail } = makeKafka(`${proxy.host}:${proxy.port}`, 'fuzz-capture', { socketFactory: redirectingSocketFactory(proxy.host, proxy.port) });
    const step = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        log(`capture step "${name}" failed (frames are still captured): ${String(err).slice(0, 300)}\n${logTail(10)}`);
      }
    };
    const admin = kafka.admin();
    await step('admin', async () => {
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'fuzz-captured', numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
      await admin.fetchTopicMetadata({ topics: ['fuzz-captured'] });
      await admin.listTopics();
      await admin.describeCluster();
    });
    const records = makeRecords({ count: 300, withHeaders: true, baseTimestamp: Date.now(), keyPrefix: 'capture' });
    await step('produce', () => produceAll(kafka, 'fuzz-captured', records.slice(0, 150), { chunk: 50 }));
    await step('produce gzip', () => produceAll(kafka, 'fuzz-captured', records.slice(150), { chunk: 50, compression: CompressionTypes.GZIP }));
    await step('consume', async () => {
      const res = await consumeAll(kafka, 'fuzz-captured', 'fuzz-capture-group', 300, { timeoutMs: 15_000, lingerMs: 200 });
      if (res.timedOut) throw new Error(`consumed only ${res.records.length} of 300`);
    });
    await step('admin offsets', async () => {
      await admin.fetchTopicOffsets('fuzz-captured');
      await admin.fetchOffsets({ groupId: 'fuzz-capture-group', topics: ['fuzz-captured'] });
      await admin.describeGroups(['fuzz-capture-group']);
      await admin.listGroups();
    });
    await admin.disconnect().catch(() => undefined);
    await step('kcat -L', async () => {
      const r = await runProcess('kcat', ['-L', '-b', `${proxy.host}:${proxy.port}`, '-t', 'fuzz-captured'], { timeoutMs: 15_000 });
      if (r.code !== 0) throw new Error(`kcat -L exited ${r.code}: ${r.stderr}`);
    });
  } finally {
    await proxy.close();
  }
  const frames = proxy.frames.map((f) => f.bytes);
  // Hand-made frames the capture may lack: every ApiVersions version, Metadata v0/v1 (kafka-python style).
  for (let v = 0; v <= 4; v++) {
    const body = v >= 3 ? new WireWriter().compactString('fuzz').compactString('1.0').uvarint(0).build() : Buffer.alloc(0);
    frames.push(encodeRequest(18, v, 1000 + v, body, { flexibleHeader: v >= 3 }));
  }
  frames.push(encodeRequest(3, 0, 2000, new WireWriter().int32(0).build()));
  frames.push(encodeRequest(3, 1, 2001, new WireWriter().int32(1).string('fuzz-captured').build()));
  return frames;
}

/** Topics on the broker (Metadata v1, all topics), for failure messages. */
async function topicSummary(broker: BrokerProcess): Promise<string> {
  try {
    const conn = await WireConnection.connect(broker.host, broker.port);
    try {
      const md = await metadataV1(conn, null);
      return md.topics
        .map((t) => `${JSON.stringify(t.name)}: ${t.partitions} partitions${t.errorCode ? `, error ${t.errorCode}` : ''}${t.leaderless ? `, ${t.leaderless} without leader` : ''}`)
        .join('\n');
    } finally {
      conn.close();
    }
  } catch (err) {
    return `(Metadata v1 failed: ${String(err)})`;
  }
}

/** One fuzz connection: send frames one by one; stop when the broker closes the connection. */
async function fuzzConnection(
  host: string,
  port: number,
  frames: readonly { bytes: Buffer; meta: SentFrame }[],
  stats: { sent: number; responses: number; closedByBroker: number; connectErrors: number },
  recent: SentFrame[],
): Promise<void> {
  const socket = net.connect({ host, port });
  socket.setNoDelay(true);
  let closed = false;
  let buffered: Buffer = Buffer.alloc(0);
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const size = buffered.readInt32BE(0);
      if (size < 0 || buffered.length < 4 + size) break;
      buffered = buffered.subarray(4 + size);
      stats.responses += 1;
    }
    wake?.();
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
    wake?.();
  });
  const connected = await new Promise<boolean>((resolve) => {
    socket.once('connect', () => resolve(true));
    socket.once('error', () => resolve(false));
    setTimeout(() => resolve(false), 3000).unref();
  });
  if (!connected) {
    stats.connectErrors += 1;
    socket.destroy();
    return;
  }
  try {
    for (const f of frames) {
      if (closed) break;
      socket.write(f.bytes);
      stats.sent += 1;
      recent.push(f.meta);
      if (recent.length > 200) recent.splice(0, recent.length - 200);
      // Give the broker a moment to answer or hang up before the next frame.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 40);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
    if (closed) stats.closedByBroker += 1;
  } finally {
    socket.destroy();
  }
}

test('fuzz: >= 10,000 mutated request frames do not crash or wedge the broker', { timeout: 120_000 }, async (t) => {
  requireTool('kcat');
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
  t.diagnostic(`FUZZ_SEED=${seed}`);
  const rng = new Rng(seed);
  const broker = await startBrokerProcess(t, { name: 'fuzz-broker', overrides: { 'auto.create.topics.enable': true, 'num.partitions': 3 } });
  const notes: string[] = [];
  const recent: SentFrame[] = [];
  const fail = (message: string): never => {
    const file = path.join(os.tmpdir(), `tributary-fuzz-failure-${seed}.json`);
    try {
      fs.writeFileSync(file, JSON.stringify({ seed, message, recentFrames: recent }, null, 1));
    } catch {
      // best effort
    }
    assert.fail(`${message}\nFUZZ_SEED=${seed}; the last ${recent.length} frames sent are in ${file}\nlast frames: ${recent
      .slice(-8)
      .map((f) => `${f.mutator}${f.name ? ` (${f.name})` : ''} key=${f.apiKey} v=${f.apiVersion} ${f.hex.slice(0, 120)}`)
      .join('\n  ')}\n--- broker log (tail) ---\n${broker.recentLogs()}`);
  };

  // FUZZ_EXCLUDE_API_KEYS=19,37 drops those request kinds from the corpus: for digging past a known
  // bug by hand, never set in CI.
  const excluded = new Set((process.env.FUZZ_EXCLUDE_API_KEYS ?? '').split(',').filter((s) => s.trim() !== '').map(Number));
  const corpus = (await captureFrames(broker, (m) => notes.push(m))).filter((f) => !excluded.has(f.readInt16BE(4)));
  if (excluded.size > 0) t.diagnostic(`FUZZ_EXCLUDE_API_KEYS=${[...excluded].join(',')}`);
  for (const n of notes) t.diagnostic(n);
  const keys = new Map<string, number>();
  for (const f of corpus) {
    const k = `${f.readInt16BE(4)}v${f.readInt16BE(6)}`;
    keys.set(k, (keys.get(k) ?? 0) + 1);
  }
  t.diagnostic(`captured ${corpus.length} frames: ${[...keys.entries()].map(([k, n]) => `${k}x${n}`).join(' ')}`);
  assert.ok(corpus.length >= 20, `too few frames captured (${corpus.length}): ${notes.join('\n')}`);
  assert.ok(broker.alive, 'the broker died during the capture phase');

  const validApiVersions = encodeRequest(18, 0, 77, Buffer.alloc(0));
  const stats = { sent: 0, responses: 0, closedByBroker: 0, connectErrors: 0 };
  const started = Date.now();
  let nextProbeAt = 500;
  let maxRss = 0;
  let probeFailure: string | null = null;

  const nextConnectionFrames = (): { bytes: Buffer; meta: SentFrame }[] => {
    const frames: { bytes: Buffer; meta: SentFrame }[] = [];
    if (rng.chance(0.3)) frames.push({ bytes: validApiVersions, meta: { mutator: 'unmodified', apiKey: 18, apiVersion: 0, hex: validApiVersions.toString('hex') } });
    const n = rng.range(1, 8);
    for (let i = 0; i < n; i++) {
      const base = rng.pick(corpus);
      const mutator = rng.pick(MUTATORS);
      const bytes = mutate(rng, mutator, base, rng.pick(corpus));
      frames.push({ bytes, meta: { mutator, apiKey: base.readInt16BE(4), apiVersion: base.readInt16BE(6), hex: bytes.subarray(0, 512).toString('hex') } });
    }
    return frames;
  };

  // Stage 1: the hand-made hostile requests, one at a time, each on its own connection; after each
  // one the broker must still answer ApiVersions and a Metadata request for all topics (what
  // kafkajs sends when it connects) within 5 s, so a failure names the request that caused it.
  let correlation = 5000;
  const hostile = adversarialFrames((apiKey, apiVersion, body) => encodeRequest(apiKey, apiVersion, correlation++, body));
  for (const f of hostile) {
    await fuzzConnection(broker.host, broker.port, [{ bytes: f.bytes, meta: { mutator: 'adversarial', name: f.name, apiKey: f.bytes.readInt16BE(4), apiVersion: f.bytes.readInt16BE(6), hex: f.bytes.subarray(0, 512).toString('hex') } }], stats, recent);
    await sleep(50);
    try {
      await probeApiVersions(broker.host, broker.port, 5000);
      const conn = await WireConnection.connect(broker.host, broker.port);
      try {
        await metadataV1(conn, null, 5000);
      } finally {
        conn.close();
      }
    } catch (err) {
      const rss = rssBytes(broker.pid);
      fail(`after the hostile request "${f.name}" the broker is no longer healthy (ApiVersions v0, then Metadata v1 for all topics, 5 s each): ${String(err)}; process alive: ${broker.alive}; RSS ${rss === null ? '?' : `${(rss / 1048576).toFixed(0)} MiB`}`);
    }
  }
  t.diagnostic(`${hostile.length} hand-made hostile requests answered or refused without harm: ${hostile.map((f) => f.name).join('; ')}`);

  // Stage 2: random mutations of the captured frames.
  const worker = async (): Promise<void> => {
    while (stats.sent < FRAMES_TO_SEND && probeFailure === null && Date.now() - started < FUZZ_BUDGET_MS) {
      await fuzzConnection(broker.host, broker.port, nextConnectionFrames(), stats, recent);
    }
  };
  const prober = async (): Promise<void> => {
    while (stats.sent < FRAMES_TO_SEND && probeFailure === null && Date.now() - started < FUZZ_BUDGET_MS) {
      if (stats.sent >= nextProbeAt) {
        nextProbeAt += 500;
        if (!broker.alive) {
          probeFailure = `the broker process exited during fuzzing after ${stats.sent} frames: ${JSON.stringify(broker.lastExit)}`;
          return;
        }
        const rss = rssBytes(broker.pid);
        if (rss !== null) maxRss = Math.max(maxRss, rss);
        try {
          await probeApiVersions(broker.host, broker.port, 5000);
        } catch (err) {
          probeFailure = `after ${stats.sent} fuzz frames a fresh connection got no valid ApiVersions v0 answer within 5 s: ${String(err)}`;
          return;
        }
      }
      await sleep(20);
    }
  };
  await Promise.all([prober(), ...Array.from({ length: CONCURRENCY }, () => worker())]);
  const elapsed = Date.now() - started;
  t.diagnostic(`fuzz: ${stats.sent} frames on many connections in ${elapsed} ms; ${stats.responses} responses; ${stats.closedByBroker} connections closed by the broker; ${stats.connectErrors} connect errors; max RSS ${(maxRss / 1048576).toFixed(0)} MiB`);
  if (probeFailure !== null) fail(probeFailure);
  if (!broker.alive) fail(`the broker process exited during fuzzing: ${JSON.stringify(broker.lastExit)}`);
  if (stats.sent < FRAMES_TO_SEND) fail(`only ${stats.sent} frames were sent within the ${FUZZ_BUDGET_MS} ms budget (need ${FRAMES_TO_SEND}); ${stats.connectErrors} connect errors`);

  // The broker must still be fully usable.
  await sleep(200);
  if (!broker.alive) fail(`the broker process exited right after fuzzing: ${JSON.stringify(broker.lastExit)}`);
  const rss = rssBytes(broker.pid);
  if (rss !== null && rss > RSS_LIMIT_BYTES) fail(`broker RSS is ${(rss / 1048576).toFixed(0)} MiB after fuzzing (limit ${RSS_LIMIT_BYTES / 1048576} MiB)`);
  try {
    const conn = await WireConnection.connect(broker.host, broker.port);
    try {
      const v0 = await apiVersionsV0(conn);
      assert.equal(v0.errorCode, 0, 'ApiVersions v0 error code');
      const v3 = await apiVersionsV3(conn);
      assert.equal(v3.errorCode, 0, 'ApiVersions v3 error code');
      assert.ok(v3.apiKeys.some((k) => k.apiKey === 0) && v3.apiKeys.some((k) => k.apiKey === 1), 'ApiVersions v3 should list Produce and Fetch');
      // Whatever the fuzzing appended to the captured topic, every stored batch must have a valid CRC.
      for (let p = 0; p < 3; p++) {
        let offset = 0n;
        for (let round = 0; round < 1000; round++) {
          const res = await fetchV4(conn, 'fuzz-captured', p, offset);
          if (res.errorCode === 3) break; // a mutated frame may legitimately have deleted the topic
          assert.equal(res.errorCode, 0, `Fetch v4 fuzz-captured-${p} @${offset}: error ${res.errorCode}`);
          const { batches } = parseBatches(res.records);
          const fresh = batches.filter((b) => b.lastOffset >= offset);
          for (const b of fresh) assert.ok(b.crcOk, `fuzz-captured-${p}: stored batch @${b.baseOffset} has an invalid CRC (the broker stored a corrupt batch)`);
          if (fresh.length === 0) break;
          offset = fresh[fresh.length - 1]!.lastOffset + 1n;
          if (offset >= res.highWatermark) break;
        }
      }
    } finally {
      conn.close();
    }
  } catch (err) {
    fail(`the broker is not healthy after fuzzing: ${String(err)}`);
  }

  const { kafka, logTail } = makeKafka(broker.bootstrap, 'fuzz-after');
  try {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'fuzz-after', numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const records = makeRecords({ count: 1000, withHeaders: true, baseTimestamp: Date.now() - 1000, keyPrefix: 'after' });
    await produceAll(kafka, 'fuzz-after', records, { chunk: 200 });
    const res = await consumeAll(kafka, 'fuzz-after', 'fuzz-after-group', records.length, { timeoutMs: 20_000 });
    assert.ok(!res.timedOut, `kafkajs consumed only ${res.records.length} of ${records.length} records after fuzzing; consumer crashes: ${JSON.stringify(res.crashes)}`);
    verifyRoundTrip(records, res.records, { partitions: 3, timestamps: { kind: 'exact' }, checkHeaders: true, label: 'kafkajs after fuzzing' });
  } catch (err) {
    fail(`kafkajs could not produce and consume after fuzzing: ${String(err)}\n--- topics on the broker now ---\n${await topicSummary(broker)}\n--- kafkajs log ---\n${logTail(12)}`);
  }
  assert.ok(broker.alive, 'the broker must still run at the end');
});

// ---------------------------------------------------------------------------------------------
// Structure-aware fuzzing (test/helpers/fuzz-struct.ts, fuzz-records.ts, fuzz-campaign.ts). The long
// run of the same campaign is `npm run fuzz -- --inputs 1000000` (docs/reliability.md).

const STRUCT_INPUTS = 15_000;
const STRUCT_MIN_INPUTS = 4_000;
const STRUCT_BUDGET_MS = 25_000;
const STRUCT_HWM_LIMIT_BYTES = 512 * 1024 * 1024;

async function structuredBroker(t: TestContext, name: string): Promise<BrokerProcess> {
  return startBrokerProcess(t, {
    name,
    overrides: { 'auto.create.topics.enable': true, 'num.partitions': 2, 'max.partitions': 2000, 'group.initial.rebalance.delay.ms': 0 },
  });
}

test('fuzz (structured): mutated requests for every served API version are answered or refused, never an internal error', { timeout: 180_000 }, async (t) => {
  requireTool('kcat');
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
  t.diagnostic(`FUZZ_SEED=${seed}`);
  const broker = await structuredBroker(t, 'fuzz-structured');
  const internalErrors = broker.watchLogs(/internal error/);
  const world = await prepareWorld(broker, seed, 'fuzz-records', 2);
  t.diagnostic(`encoder fidelity: ${checkEncoderFidelity(world, seed, 5)} generated requests encode exactly as the codec encodes them`);
  // Record-batch mutations are the other test's subject (they poison partitions until the validator walks records).
  const stats = await runCampaign(broker, world, {
    inputs: STRUCT_INPUTS,
    seed,
    budgetMs: STRUCT_BUDGET_MS,
    concurrency: 12,
    recordShare: 0,
    mutations: STRUCT_MUTATIONS.filter((m) => m !== 'records-mutate'),
    recordTopic: 'fuzz-records',
    recordTopicPartitions: 2,
  });
  const mem = memoryOf(broker.pid);
  t.diagnostic(
    `${stats.inputs} inputs in ${stats.elapsedMs} ms: ${stats.answered} answered, ${stats.closedByBroker} closed by the broker, ${stats.silent} silent; ` +
      `error codes ${formatCodes(stats.errorCodes)}; VmHWM ${((mem?.hwmBytes ?? 0) / 1048576).toFixed(0)} MiB`,
  );
  const context = `FUZZ_SEED=${seed}\n--- broker log (tail) ---\n${broker.recentLogs(4000)}`;
  assert.ok(broker.alive, `the broker died: ${JSON.stringify(broker.lastExit)}\n${context}`);
  assert.ok(stats.inputs >= STRUCT_MIN_INPUTS, `only ${stats.inputs} inputs within ${STRUCT_BUDGET_MS} ms (${stats.connectErrors} connect errors)`);
  assert.equal(internalErrors.count, 0, `the broker logged ${internalErrors.count} internal errors for malformed requests, e.g.\n${internalErrors.samples.join('\n')}\n${context}`);
  assert.equal(stats.undecodableResponses, 0, `responses our codec cannot decode:\n${stats.undecodableSamples.join('\n')}`);
  assert.ok(stats.errorCodes.has(ErrorCode.INVALID_REQUEST) || stats.closedByBroker > 0, 'the mutations should provoke refusals');
  assert.ok(mem !== null && mem.hwmBytes < STRUCT_HWM_LIMIT_BYTES, `peak RSS (VmHWM) ${(mem?.hwmBytes ?? 0) / 1048576} MiB, limit ${STRUCT_HWM_LIMIT_BYTES / 1048576} MiB`);
  const readable = await checkReadable(broker, { kcat: true });
  t.diagnostic(`read back ${readable.partitions} partitions: ${readable.batches} batches, ${readable.records} records`);
  assert.deepEqual(readable.unreadable, [], `partitions that no longer read to their end:\n${JSON.stringify(readable.unreadable, null, 1)}`);
});

// Fails until the record validator walks records (the validator work in progress): today batches with
// lying record lengths, key lengths or header counts are stored, and kcat and the codec cannot read
// the partition past them. It lists the partition and offset of the first unreadable batch.
test('fuzz (record batches): mutated record batches in Produce never make a partition unreadable', { timeout: 180_000 }, async (t) => {
  requireTool('kcat');
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
  t.diagnostic(`FUZZ_SEED=${seed}`);
  const broker = await structuredBroker(t, 'fuzz-records');
  const internalErrors = broker.watchLogs(/internal error/);
  const world = await prepareWorld(broker, seed, 'fuzz-records', 4);
  const stats = await runCampaign(broker, world, {
    inputs: 4_000,
    seed,
    budgetMs: 15_000,
    concurrency: 8,
    recordShare: 1,
    recordTopic: 'fuzz-records',
    recordTopicPartitions: 4,
  });
  const mem = memoryOf(broker.pid);
  t.diagnostic(`${stats.recordInputs} mutated batches in ${stats.elapsedMs} ms; Produce error codes ${formatCodes(stats.recordErrorCodes)}; VmHWM ${((mem?.hwmBytes ?? 0) / 1048576).toFixed(0)} MiB`);
  assert.ok(broker.alive, `the broker died: ${JSON.stringify(broker.lastExit)}\n${broker.recentLogs(4000)}`);
  assert.ok(stats.recordInputs >= 1_000, `only ${stats.recordInputs} record inputs within the budget`);
  assert.equal(internalErrors.count, 0, `internal errors:\n${internalErrors.samples.join('\n')}`);
  assert.ok(mem !== null && mem.hwmBytes < STRUCT_HWM_LIMIT_BYTES, `peak RSS (VmHWM) ${(mem?.hwmBytes ?? 0) / 1048576} MiB`);
  const readable = await checkReadable(broker, { kcat: true, topics: ['fuzz-records'] });
  const accepted = [...stats.acceptedRecordMutations.entries()].sort((a, b) => b[1] - a[1]).map(([m, n]) => `${m}: ${n}`);
  assert.deepEqual(
    readable.unreadable,
    [],
    `POISONED: the broker stored mutated batches that make these partitions unreadable (FUZZ_SEED=${seed}):\n${readable.unreadable
      .map((u) => `  ${u.topic}-${u.partition} at offset ${u.offset}: ${u.reason}`)
      .join('\n')}\nmutated batches the broker accepted (a validator as Kafka's refuses them):\n  ${accepted.join('\n  ')}`,
  );
});
