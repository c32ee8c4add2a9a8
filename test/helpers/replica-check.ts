import fs from 'node:fs';
import path from 'node:path';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { MetadataApi } from '../../src/protocol/messages/index.js';
import type { MetadataResponse } from '../../src/protocol/messages/metadata.js';
import { batchLastOffset, batchSize, decodeRecordBatchesSync, readInt64 } from '../../src/protocol/records/index.js';
import type { AckedProducer } from './acked-workload.js';
import { recordId } from './acked-workload.js';
import type { ProcessCluster } from './cluster-process.js';
import { fetchStored } from './raw-fetch.js';

/**
 * The checks behind the replication tests: what the cluster says about a partition (leader, ISR),
 * every record of a partition read back from its leader up to the high watermark, every
 * acknowledged record looked up at its acknowledged offset, and each replica's on-disk copy
 * (parsed from the .log segment files of a stopped node) compared byte for byte below the HW.
 */

export interface PartitionState {
  partition: number;
  errorCode: number;
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

async function withConnection<T>(bootstrap: string, fn: (conn: BrokerConnection) => Promise<T>): Promise<T> {
  const [host, port] = bootstrap.split(':');
  const conn = await BrokerConnection.open(host!, Number(port), { requestTimeoutMs: 5000, connectTimeoutMs: 2000 });
  try {
    return await fn(conn);
  } finally {
    conn.close();
  }
}

/** Metadata v12 for one topic, as one broker sees it. */
export async function partitionStates(bootstrap: string, topic: string): Promise<{ topicError: number; partitions: PartitionState[] }> {
  return withConnection(bootstrap, async (conn) => {
    const md = await conn.send<MetadataResponse>(MetadataApi, 12, { topics: [{ topicId: null, name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const t = md.topics.find((x) => x.name === topic);
    if (!t) return { topicError: -1, partitions: [] };
    const partitions = t.partitions
      .map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: [...p.replicaNodes], isr: [...p.isrNodes] }))
      .sort((a, b) => a.partition - b.partition);
    return { topicError: t.errorCode, partitions };
  });
}

/** The first live node's view (nodes tried in order, skipping ones that do not answer). */
export async function statesFromAny(cluster: ProcessCluster, topic: string, nodeIds: readonly number[] = [...cluster.nodes.keys()]): Promise<PartitionState[]> {
  let last: unknown = null;
  for (const id of nodeIds) {
    if (!cluster.node(id).process.alive) continue;
    try {
      return (await partitionStates(cluster.bootstrapOf(id), topic)).partitions;
    } catch (err) {
      last = err;
    }
  }
  throw new Error(`no node answered Metadata for ${topic}: ${String(last)}`);
}

export interface StoredRecord {
  offset: number;
  value: string;
}

export interface PartitionContents {
  partition: number;
  highWatermark: number;
  logStartOffset: number;
  records: StoredRecord[];
}

/** Every record of the partition from its log start to the high watermark, read from its leader with raw fetches. */
export async function readPartition(cluster: ProcessCluster, topic: string, partition: number): Promise<PartitionContents> {
  const states = await statesFromAny(cluster, topic);
  const leader = states.find((s) => s.partition === partition)?.leader ?? -1;
  if (leader < 0) throw new Error(`${topic}-${partition} has no leader to read from`);
  return withConnection(cluster.bootstrapOf(leader), async (conn) => {
    const records: StoredRecord[] = [];
    let first = await fetchStored(conn, topic, partition, 0);
    if (first.errorCode === 1) first = await fetchStored(conn, topic, partition, first.logStartOffset);
    if (first.errorCode !== 0) throw new Error(`fetch ${topic}-${partition} from node ${leader}: error ${first.errorCode}`);
    const hw = first.highWatermark;
    let next = Math.max(0, first.logStartOffset);
    let res = first;
    for (let rounds = 0; next < hw; rounds++) {
      if (rounds > 0) res = await fetchStored(conn, topic, partition, next);
      if (res.errorCode !== 0) throw new Error(`fetch ${topic}-${partition}@${next} from node ${leader}: error ${res.errorCode}`);
      if (res.bytes.length === 0) break;
      for (const b of decodeRecordBatchesSync(res.bytes)) {
        for (const r of b.records) {
          if (r.offset >= next && r.offset < hw) records.push({ offset: r.offset, value: r.value?.toString() ?? '' });
        }
        next = Math.max(next, b.lastOffset + 1);
      }
    }
    return { partition, highWatermark: hw, logStartOffset: first.logStartOffset, records };
  });
}

export interface VerifyReport {
  acknowledged: number;
  /** Acknowledged, and not in the partition at all. */
  lost: string[];
  /** Acknowledged at one offset, found at another. */
  moved: string[];
  /** Ids present more than once (a retry of a write that had succeeded; allowed without idempotence). */
  duplicated: string[];
  /** One producer's acknowledged records of a partition not in send order. */
  reordered: string[];
  summary: string;
}

/** Checks every acknowledged record of every producer against what the partitions hold. */
export function verifyAcknowledged(producers: readonly AckedProducer[], contents: readonly PartitionContents[]): VerifyReport {
  const byPartition = new Map(contents.map((c) => [c.partition, c]));
  const where = new Map<string, Array<{ partition: number; offset: number }>>();
  const atOffset = new Map<string, string>(); // `${p}:${offset}` -> id
  for (const c of contents) {
    for (const r of c.records) {
      const id = recordId(r.value);
      if (id === null) continue;
      atOffset.set(`${c.partition}:${r.offset}`, id);
      const list = where.get(id) ?? [];
      list.push({ partition: c.partition, offset: r.offset });
      where.set(id, list);
    }
  }
  const lost: string[] = [];
  const moved: string[] = [];
  const reordered: string[] = [];
  let acknowledged = 0;
  for (const { log } of producers) {
    const lastOffset = new Map<number, { seq: number; offset: number }>();
    for (const a of [...log.acks].sort((x, y) => x.seq - y.seq)) {
      acknowledged++;
      const id = `${a.producer}:${a.seq}`;
      const c = byPartition.get(a.partition);
      if (c && a.offset >= c.highWatermark) lost.push(`${id} @${a.partition}:${a.offset} (above the HW ${c.highWatermark})`);
      else if (atOffset.get(`${a.partition}:${a.offset}`) === id) {
        // in place
      } else if (where.has(id)) moved.push(`${id} acknowledged @${a.partition}:${a.offset}, found at ${JSON.stringify(where.get(id))}`);
      else lost.push(`${id} @${a.partition}:${a.offset} (offset holds ${atOffset.get(`${a.partition}:${a.offset}`) ?? 'nothing'})`);
      // Order is judged by each record's first copy: without idempotence a retried write that had in fact
      // succeeded lands again later (a duplicate, reported above), and its acknowledgement names the later copy.
      const first = Math.min(a.offset, ...(where.get(id) ?? []).filter((w) => w.partition === a.partition).map((w) => w.offset));
      const prev = lastOffset.get(a.partition);
      if (prev && first <= prev.offset) reordered.push(`${log.name} p${a.partition}: seq ${a.seq} first @${first} (acknowledged @${a.offset}), after seq ${prev.seq} @${prev.offset}`);
      lastOffset.set(a.partition, { seq: a.seq, offset: first });
    }
  }
  const duplicated = [...where].filter(([, l]) => l.length > 1).map(([id, l]) => `${id} ×${l.length}`);
  const summary =
    `${acknowledged} acknowledged: ${lost.length} lost, ${moved.length} moved, ${reordered.length} reordered, ${duplicated.length} duplicated; ` +
    contents.map((c) => `p${c.partition} [${c.logStartOffset}, ${c.highWatermark}) ${c.records.length} records`).join(', ') +
    (lost.length > 0 ? `\n  first lost: ${lost.slice(0, 5).join('; ')}` : '') +
    (moved.length > 0 ? `\n  first moved: ${moved.slice(0, 5).join('; ')}` : '') +
    (reordered.length > 0 ? `\n  first reordered: ${reordered.slice(0, 5).join('; ')}` : '');
  return { acknowledged, lost, moved, duplicated, reordered, summary };
}

/** The batches of a partition's directory on disk, in offset order, that end below `belowOffset`. */
export function storedBatchesBelow(dataDir: string, topic: string, partition: number, belowOffset: number): Buffer | null {
  const dir = path.join(dataDir, `${topic}-${partition}`);
  if (!fs.existsSync(dir)) return null;
  const segments = fs.readdirSync(dir).filter((f) => /^\d{20}\.log$/.test(f)).sort();
  const parts: Buffer[] = [];
  for (const seg of segments) {
    const buf = fs.readFileSync(path.join(dir, seg));
    for (let pos = 0; pos + 12 <= buf.length; ) {
      const size = batchSize(buf, pos);
      if (size <= 12 || pos + size > buf.length) break; // a torn tail
      if (batchLastOffset(buf, pos) < belowOffset) parts.push(buf.subarray(pos, pos + size));
      else if (readInt64(buf, pos) >= belowOffset) break;
      pos += size;
    }
  }
  return Buffer.concat(parts);
}

/**
 * Byte comparison of every replica's copy below `highWatermark`; the nodes must be stopped (their
 * files quiet). Returns mismatch descriptions (empty = identical).
 */
export function compareReplicas(cluster: ProcessCluster, topic: string, partition: number, replicas: readonly number[], highWatermark: number): string[] {
  return compareReplicaDirs(replicas.map((id) => ({ id, dataDir: cluster.node(id).dataDir })), topic, partition, highWatermark);
}

/** `compareReplicas` on data dirs given directly (node id, its log.dirs). */
export function compareReplicaDirs(dirs: ReadonlyArray<{ id: number; dataDir: string }>, topic: string, partition: number, highWatermark: number): string[] {
  const copies = dirs.map(({ id, dataDir }) => ({ id, bytes: storedBatchesBelow(dataDir, topic, partition, highWatermark) }));
  const problems: string[] = [];
  const ref = copies.find((c) => c.bytes !== null && c.bytes.length > 0) ?? copies[0]!;
  for (const c of copies) {
    if (c.bytes === null) {
      problems.push(`${topic}-${partition}: node ${c.id} has no copy of the partition`);
      continue;
    }
    if (c === ref || ref.bytes === null) continue;
    if (!c.bytes.equals(ref.bytes)) {
      let i = 0;
      while (i < c.bytes.length && i < ref.bytes.length && c.bytes[i] === ref.bytes[i]) i++;
      problems.push(`${topic}-${partition}: node ${c.id} (${c.bytes.length} B) differs from node ${ref.id} (${ref.bytes.length} B) below the HW ${highWatermark}, first at byte ${i}`);
    }
  }
  if (ref.bytes !== null && ref.bytes.length === 0 && highWatermark > 0) problems.push(`${topic}-${partition}: no replica holds the records below the HW ${highWatermark}`);
  return problems;
}

/**
 * Soft checks: a scenario records every failed expectation and goes on, so one run reports all
 * that is wrong (on a broker without replication, several checks fail at once); `assertAll`
 * throws them together at the end.
 */
export class Checks {
  readonly failures: string[] = [];
  readonly passed: string[] = [];

  check(ok: boolean, what: string, detail = ''): boolean {
    if (ok) this.passed.push(what);
    else this.failures.push(detail ? `${what}: ${detail}` : what);
    return ok;
  }

  assertAll(context = ''): void {
    if (this.failures.length === 0) return;
    throw new Error(`${this.failures.length} check(s) failed (${this.passed.length} passed):\n- ${this.failures.join('\n- ')}${context ? `\n${context}` : ''}`);
  }
}
