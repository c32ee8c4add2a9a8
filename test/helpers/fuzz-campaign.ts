/**
 * A fuzz campaign against a broker process: structure-aware mutated requests for every API and
 * version the broker serves (fuzz-struct.ts), and Produce requests carrying mutated record batches
 * (fuzz-records.ts). Each input goes on a connection followed by an ApiVersions request: its answer
 * (or the broker closing the connection, or 1 s of silence) ends the input. Used by the bounded run
 * in test/e2e/fuzz.test.ts and the long run (`npm run fuzz -- --inputs 1000000`, scripts/fuzz.ts).
 *
 * Afterwards it checks: the process is alive, its peak RSS (VmHWM) is under a ceiling, the broker
 * logged no internal error, and every partition of every topic reads to its end both with the codec
 * (each batch decoded, each record walked) and with kcat (librdkafka), naming the first unreadable
 * partition and offset.
 */
import net from 'node:net';
import fs from 'node:fs';
import { ALL_HANDLERS } from '../../src/server/handlers/index.js';
import { decodeResponse } from '../../src/protocol/headers.js';
import type { ApiSpec } from '../../src/protocol/schema/dsl.js';
import { CompressionType } from '../../src/protocol/compression/index.js';
import { decodeRecordBatchesSync } from '../../src/protocol/records/index.js';
import type { BrokerProcess } from './broker-process.js';
import { Rng } from './fuzz.js';
import { encodeInstrumented, encodeWithCodec, frame, generateRequest, mutateStructured, requestHeader, STRUCT_MUTATIONS, type FuzzWorld, type StructMutation } from './fuzz-struct.js';
import { baseBatch, mutateBatch } from './fuzz-records.js';
import { runProcess } from './proc.js';
import { encodeRequest, fetchV4, metadataV1, WireConnection, WireReader, WireWriter } from './wire.js';
import { ProduceApi } from '../../src/protocol/messages/index.js';

export interface CampaignOptions {
  inputs: number;
  seed: number;
  /** Stop early after this long (the run then reports fewer inputs). */
  budgetMs: number;
  concurrency: number;
  /** Share of inputs that are Produce requests with a mutated record batch (0..1). */
  recordShare: number;
  /** Request mutations to use (default: all). The bounded decoder run leaves out 'records-mutate'. */
  mutations?: readonly StructMutation[];
  /** Topic the record-batch inputs are produced to. */
  recordTopic: string;
  recordTopicPartitions: number;
  onProgress?: (stats: CampaignStats) => void;
}

export interface CampaignStats {
  inputs: number;
  requestInputs: number;
  recordInputs: number;
  answered: number;
  closedByBroker: number;
  silent: number;
  connectErrors: number;
  /** Error codes in the answers to mutated inputs, with counts. */
  errorCodes: Map<number, number>;
  /** Error codes in answers to the record-batch Produce inputs. */
  recordErrorCodes: Map<number, number>;
  /** Mutated record batches the broker accepted (error 0), by mutation note: what a validator should refuse. */
  acceptedRecordMutations: Map<string, number>;
  undecodableResponses: number;
  undecodableSamples: string[];
  /** Inputs answered with UNKNOWN_SERVER_ERROR (-1): what the broker did not expect. */
  unknownServerErrorSamples: string[];
  elapsedMs: number;
}

interface Target {
  api: ApiSpec;
  version: number;
}

function servedTargets(): Target[] {
  const targets: Target[] = [];
  for (const r of ALL_HANDLERS) for (let v = r.minVersion; v <= r.maxVersion; v++) targets.push({ api: r.api, version: v });
  return targets;
}

/** Proves the instrumented encoder writes exactly what the codec writes, for every served API version. */
export function checkEncoderFidelity(world: FuzzWorld, seed: number, perVersion = 20): number {
  const rng = new Rng(seed);
  let checked = 0;
  for (const t of servedTargets()) {
    for (let i = 0; i < perVersion; i++) {
      const data = generateRequest(rng, t.api.request, t.version, world);
      const mine = encodeInstrumented(t.api.request, t.version, data).body;
      const codec = encodeWithCodec(t.api.request, t.version, data);
      if (!mine.equals(codec)) {
        throw new Error(`instrumented encoding of ${t.api.name} v${t.version} differs from the codec's:\n mine  ${mine.toString('hex')}\n codec ${codec.toString('hex')}\n data ${JSON.stringify(data)}`);
      }
      checked += 1;
    }
  }
  return checked;
}

function collectErrorCodes(value: unknown, into: Set<number>): void {
  if (Array.isArray(value)) {
    for (const v of value) collectErrorCodes(v, into);
  } else if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'errorCode' && typeof v === 'number') into.add(v);
      else collectErrorCodes(v, into);
    }
  }
}

interface Input {
  api: ApiSpec;
  version: number;
  bytes: Buffer;
  record: boolean;
  note: string;
}

const SENTINEL_CORRELATION = 0x7ffffff0;
const SENTINEL = encodeRequest(18, 0, SENTINEL_CORRELATION, Buffer.alloc(0));
const SILENCE_MS = 1000;

export async function runCampaign(broker: BrokerProcess, world: FuzzWorld, opts: CampaignOptions): Promise<CampaignStats> {
  const rng = new Rng(opts.seed);
  const targets = servedTargets();
  const mutations = opts.mutations ?? STRUCT_MUTATIONS;
  const stats: CampaignStats = {
    inputs: 0,
    requestInputs: 0,
    recordInputs: 0,
    answered: 0,
    closedByBroker: 0,
    silent: 0,
    connectErrors: 0,
    errorCodes: new Map(),
    recordErrorCodes: new Map(),
    acceptedRecordMutations: new Map(),
    undecodableResponses: 0,
    undecodableSamples: [],
    unknownServerErrorSamples: [],
    elapsedMs: 0,
  };
  const started = Date.now();
  const produceVersions = ALL_HANDLERS.find((h) => h.api.apiKey === ProduceApi.apiKey)!;
  let correlation = 1;
  let lastProgressAt = 0;
  const recordBatchMutator = (b: Buffer): Buffer => {
    try {
      return mutateBatch(rng, b).batch;
    } catch {
      // Not a whole valid batch (an earlier mutation moved the bytes): flip bits instead.
      const out = Buffer.from(b);
      if (out.length > 0) out[rng.int(out.length)] ^= 0xff;
      return out;
    }
  };

  const nextInput = (): Input => {
    correlation = (correlation % 0x7fff0000) + 1;
    if (rng.chance(opts.recordShare)) {
      // A Produce of one mutated batch to the record topic, at v3+ (magic 2).
      const version = rng.range(Math.max(3, produceVersions.minVersion), produceVersions.maxVersion);
      const { batch, note } = mutateBatch(rng, rng.pick(world.batches));
      const data = {
        transactionalId: null,
        acks: rng.pick([1, -1]),
        timeoutMs: 1000,
        topicData: [{ name: opts.recordTopic, partitionData: [{ index: rng.int(opts.recordTopicPartitions), records: batch }] }],
      };
      const body = encodeWithCodec(ProduceApi.request, version, data);
      return { api: ProduceApi, version, bytes: frame(requestHeader(ProduceApi, version, correlation), body), record: true, note };
    }
    const t = rng.pick(targets);
    const data = generateRequest(rng, t.api.request, t.version, world);
    const enc = encodeInstrumented(t.api.request, t.version, data);
    let { body, note } = mutateStructured(rng, enc, rng.pick(mutations), recordBatchMutator);
    if (rng.chance(0.1)) {
      // Now and then a second mutation on top (offsets of the first encoding may no longer fit: then it acts as noise).
      const second = mutateStructured(rng, { body, spans: enc.spans.filter((s) => s.end <= body.length) }, rng.pick(mutations), recordBatchMutator);
      body = second.body;
      note = `${note}; ${second.note}`;
    }
    return { api: t.api, version: t.version, bytes: frame(requestHeader(t.api, t.version, correlation), body), record: false, note };
  };

  const count = (into: Map<number, number>, codes: Set<number>): void => {
    for (const c of codes) into.set(c, (into.get(c) ?? 0) + 1);
  };

  /** One connection; returns when the broker closes it, or it is given up after silence. */
  const connection = async (): Promise<void> => {
    const socket = net.connect({ host: broker.host, port: broker.port });
    socket.setNoDelay(true);
    let buffered: Buffer = Buffer.alloc(0);
    let closed = false;
    let wake: (() => void) | null = null;
    let current: Input | null = null;
    let currentCorrelation = -1;
    let sentinelSeen = false;
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4) {
        const size = buffered.readInt32BE(0);
        if (buffered.length < 4 + size) break;
        const f = buffered.subarray(4, 4 + size);
        buffered = buffered.subarray(4 + size);
        const id = f.readInt32BE(0);
        if (id === SENTINEL_CORRELATION) {
          sentinelSeen = true;
        } else if (current && id === currentCorrelation) {
          try {
            const { body } = decodeResponse<object>(current.api, current.version, f);
            const codes = new Set<number>();
            collectErrorCodes(body, codes);
            count(current.record ? stats.recordErrorCodes : stats.errorCodes, codes);
            if (codes.has(-1) && stats.unknownServerErrorSamples.length < 20) {
              stats.unknownServerErrorSamples.push(`${current.api.name} v${current.version} (${current.note}): ${JSON.stringify(body).slice(0, 400)}`);
            }
            if (current.record && codes.size === 1 && codes.has(0)) {
              const key = current.note.replace(/-?\d+/g, 'N');
              stats.acceptedRecordMutations.set(key, (stats.acceptedRecordMutations.get(key) ?? 0) + 1);
            }
          } catch (err) {
            stats.undecodableResponses += 1;
            if (stats.undecodableSamples.length < 10) stats.undecodableSamples.push(`${current.api.name} v${current.version} (${current.note}): ${String(err)}`);
          }
        }
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
    });
    if (!connected) {
      stats.connectErrors += 1;
      socket.destroy();
      await new Promise((r) => setTimeout(r, 50));
      return;
    }
    try {
      while (!closed && stats.inputs < opts.inputs && Date.now() - started < opts.budgetMs) {
        const input = nextInput();
        current = input;
        currentCorrelation = input.bytes.readInt32BE(8);
        sentinelSeen = false;
        socket.write(input.bytes);
        socket.write(SENTINEL);
        stats.inputs += 1;
        if (input.record) stats.recordInputs += 1;
        else stats.requestInputs += 1;
        const outcome = await new Promise<'answered' | 'closed' | 'silent'>((resolve) => {
          const check = (): void => {
            if (sentinelSeen) resolve('answered');
            else if (closed) resolve('closed');
          };
          const timer = setTimeout(() => resolve('silent'), SILENCE_MS);
          wake = () => {
            if (sentinelSeen || closed) {
              clearTimeout(timer);
              check();
            }
          };
          check();
        });
        wake = null;
        if (outcome === 'answered') stats.answered += 1;
        else if (outcome === 'closed') stats.closedByBroker += 1;
        else {
          stats.silent += 1;
          break;
        }
        if (stats.inputs % 5000 === 0 && stats.inputs !== lastProgressAt) {
          lastProgressAt = stats.inputs;
          stats.elapsedMs = Date.now() - started;
          opts.onProgress?.(stats);
        }
      }
    } finally {
      socket.destroy();
    }
  };

  const worker = async (): Promise<void> => {
    while (stats.inputs < opts.inputs && Date.now() - started < opts.budgetMs && broker.alive) await connection();
  };
  await Promise.all(Array.from({ length: opts.concurrency }, () => worker()));
  stats.elapsedMs = Date.now() - started;
  // Requests still being handled (a delete, a creation) settle before anyone looks at the result.
  await new Promise((r) => setTimeout(r, 1000));
  return stats;
}

/** Peak and current RSS of a process from /proc/<pid>/status, in bytes. */
export function memoryOf(pid: number | undefined): { hwmBytes: number; rssBytes: number } | null {
  if (pid === undefined) return null;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)\\s+kB`).exec(status)?.[1] ?? NaN) * 1024;
    return { hwmBytes: kb('VmHWM'), rssBytes: kb('VmRSS') };
  } catch {
    return null;
  }
}

/** ListOffsets v1 EARLIEST (-2) for one partition; 0 when the broker answers an error. */
async function earliestOffset(conn: WireConnection, topic: string, partition: number): Promise<bigint> {
  const body = new WireWriter().int32(-1).int32(1).string(topic).int32(1).int32(partition).int64(-2n).build();
  const r = new WireReader(await conn.request(2, 1, body, { timeoutMs: 10_000 }));
  r.int32(); // topics
  r.string();
  r.int32(); // partitions
  r.int32();
  const errorCode = r.int16();
  r.int64(); // timestamp
  const offset = r.int64();
  return errorCode === 0 ? offset : 0n;
}

export interface Unreadable {
  topic: string;
  partition: number;
  offset: string;
  reason: string;
}

/**
 * Reads every partition of every non-internal topic to its high watermark: each batch through the
 * codec (CRC checked, decompressed, every record walked), then the whole partition with kcat -e.
 * Returns what could not be read (empty: nothing poisoned reached a log).
 */
export async function checkReadable(broker: BrokerProcess, opts: { kcat: boolean; topics?: readonly string[] }): Promise<{ partitions: number; batches: number; records: number; unreadable: Unreadable[]; deletedTopics: string[] }> {
  const conn = await WireConnection.connect(broker.host, broker.port);
  const unreadable: Unreadable[] = [];
  let partitions = 0;
  let batches = 0;
  let records = 0;
  const deleted = new Set<string>();
  try {
    const md = await metadataV1(conn, null, 10_000);
    const names = md.topics.filter((t) => t.name !== null && !t.name.startsWith('__') && t.errorCode === 0).map((t) => ({ name: t.name!, partitions: t.partitions }));
    const topics = names.filter((t) => opts.topics === undefined || opts.topics.includes(t.name));
    for (const t of topics) {
      for (let p = 0; p < t.partitions; p++) {
        if (deleted.has(t.name)) break;
        partitions += 1;
        // Fuzzed DeleteRecords move log starts: read from the partition's earliest offset, not 0.
        let offset = await earliestOffset(conn, t.name, p);
        let hw = -1n;
        for (let round = 0; round < 100_000; round++) {
          const res = await fetchV4(conn, t.name, p, offset, 8 * 1024 * 1024);
          if (res.errorCode !== 0) {
            // A topic deleted by a request still in flight when the fuzzing stopped is gone, not unreadable.
            const now = await metadataV1(conn, null, 10_000); // all topics: naming one would auto-create it
            const still = now.topics.find((x) => x.name === t.name);
            if (res.errorCode === 3 && (!still || still.errorCode === 3)) {
              deleted.add(t.name);
              break;
            }
            unreadable.push({ topic: t.name, partition: p, offset: String(offset), reason: `Fetch error ${res.errorCode} (Metadata: ${JSON.stringify(still)})` });
            break;
          }
          hw = res.highWatermark;
          if (offset >= hw || res.records.length === 0) break;
          let decoded;
          try {
            decoded = decodeRecordBatchesSync(res.records);
          } catch (err) {
            unreadable.push({ topic: t.name, partition: p, offset: firstBadBatch(res.records) ?? String(offset), reason: `codec: ${String(err)}` });
            break;
          }
          const fresh = decoded.filter((b) => BigInt(b.lastOffset) >= offset);
          if (fresh.length === 0) break;
          batches += fresh.length;
          for (const b of fresh) records += b.records.length;
          offset = BigInt(fresh[fresh.length - 1]!.lastOffset) + 1n;
        }
        // kcat too (a real client), unless the codec already found the partition unreadable.
        if (opts.kcat && hw > 0n && !unreadable.some((u) => u.topic === t.name && u.partition === p)) {
          const r = await runProcess('kcat', ['-C', '-b', `${broker.host}:${broker.port}`, '-t', t.name, '-p', String(p), '-o', 'beginning', '-e', '-q', '-f', '%o\n', '-X', 'check.crcs=true'], { timeoutMs: 20_000 });
          const errors = r.stderr.split('\n').filter((l) => /error|fail|corrupt|invalid/i.test(l));
          if (r.code !== 0 || errors.length > 0) {
            const offsets = r.stdout.trim().split('\n').filter((l) => l !== '');
            unreadable.push({ topic: t.name, partition: p, offset: `after ${offsets[offsets.length - 1] ?? 'none'}`, reason: `kcat ${r.code === null ? 'did not reach the end within 20 s' : `exit ${r.code}`}: ${errors.slice(0, 3).join(' | ') || r.stderr.slice(0, 300)}` });
          }
        }
      }
    }
  } finally {
    conn.close();
  }
  return { partitions, batches, records, unreadable, deletedTopics: [...deleted] };
}

/** The base offset of the first batch in a fetched record set that the codec cannot decode. */
function firstBadBatch(records: Buffer): string | null {
  let pos = 0;
  while (pos + 12 <= records.length) {
    const size = 12 + records.readInt32BE(pos + 8);
    if (size < 12 || pos + size > records.length) return null;
    const one = records.subarray(pos, pos + size);
    try {
      decodeRecordBatchesSync(one);
    } catch {
      return String(one.readBigInt64BE(0));
    }
    pos += size;
  }
  return null;
}

/** A fuzz world on a broker: topics to aim at (created here), their ids, valid batches in every codec. */
export async function prepareWorld(broker: BrokerProcess, seed: number, recordTopic: string, recordPartitions: number): Promise<FuzzWorld> {
  const rng = new Rng(seed ^ 0x5eed);
  const { BrokerConnection } = await import('../../src/network/broker-connection.js');
  const { CreateTopicsApi, MetadataApi } = await import('../../src/protocol/messages/index.js');
  const bc = await BrokerConnection.open(broker.host, broker.port);
  const topicIds: string[] = [];
  try {
    await bc.send(CreateTopicsApi, 5, {
      topics: [
        { name: 'fuzz-target', numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] },
        { name: recordTopic, numPartitions: recordPartitions, replicationFactor: 1, assignments: [], configs: [] },
      ],
      timeoutMs: 10_000,
      validateOnly: false,
    });
    const md = await bc.send<{ topics: Array<{ topicId: string }> }>(MetadataApi, 12, { topics: [{ name: 'fuzz-target' }, { name: recordTopic }], allowAutoTopicCreation: false });
    // Only fuzz-target's id: requests by id (DeleteTopics v6 ...) must not remove the record topic.
    topicIds.push(md.topics[0]!.topicId);
  } finally {
    bc.close();
  }
  const batches: Buffer[] = [];
  for (const codec of [CompressionType.None, CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd]) {
    for (let i = 0; i < 4; i++) batches.push(baseBatch(rng, codec, rng.range(1, 5)));
  }
  return { topics: ['fuzz-target', 'fuzz-target', 'fuzz-missing', 'fuzz-auto-a', ''], topicIds, groups: ['fuzz-group', 'fuzz-group-2'], batches };
}

export function formatCodes(codes: Map<number, number>): string {
  return [...codes.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([c, n]) => `${c}×${n}`)
    .join(' ');
}
