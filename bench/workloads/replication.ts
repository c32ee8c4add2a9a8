/**
 * replication: what replication costs and how fast it fails over, on a 3-node KRaft cluster of
 * `tributary server` processes on this machine (bench/lib/cluster.ts; broker.session.timeout.ms
 * 3000, broker.heartbeat.interval.ms 500, replica.lag.time.max.ms 3000):
 * 1. throughput: the same Producer (src/client, defaults, 1,000 records per send, 64 sends
 *    outstanding) writes the same records into a 1-partition topic with RF 1 and acks=1, then into
 *    one with RF 3, min.insync.replicas=2 and acks=all, alternately (--rounds, after a warm-up);
 *    the ratio RF3/RF1 is the cost of waiting for the ISR;
 * 2. end-to-end latency at 10 MB/s into an RF-3 topic with acks=all (lingerMs 1): each value carries
 *    its send time, a fetch loop on the partition's leader (which only returns records below the
 *    high watermark, i.e. replicated ones) reads them; latency = receive − send on one clock;
 * 3. fail-over: one acks=all send at a time into an RF-3 topic; the partition's leader (a node
 *    that is not the active controller) is SIGKILLed; fail-over time = from the kill to the acknowledgement of the first record sent
 *    after it (so at most one send's round trip more than the first acknowledgement by the new leader).
 * 4. round trip: one Produce request at a time carrying one batch the size of the producer's default
 *    batch.size (16 KiB of records), RF 1 acks=1 and RF 3 acks=all, to the leader. The Producer of (1)
 *    keeps at most 5 such requests in flight per broker (max.in.flight.requests.per.connection), so
 *    RF-3 throughput is bounded by about 5 × 16 KiB per acks=all round trip: this row says why the
 *    ratio is what it is.
 * All of them share two cores with the brokers: read absolute figures as this machine's.
 */
import { Producer } from '../../src/client/index.js';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { ProduceApi } from '../../src/protocol/messages/index.js';
import type { ProduceResponse } from '../../src/protocol/messages/produce.js';
import { buildRecordBatchSync, decodeRecordBatchesSync } from '../../src/protocol/records/index.js';
import { printTable, type BenchArgs } from '../bench-args.js';
import { startBenchCluster, type BenchCluster } from '../lib/cluster.js';
import { fmt, percentile, saveResults } from '../lib/results.js';
import { clientProduce, createTopics, fetchConsume } from '../lib/tributary.js';
import { textValues } from '../lib/values.js';

export const description = 'RF3 acks=all vs RF1 acks=1 throughput, RF3 p99 at 10 MB/s, leader fail-over time on a 3-node cluster (--records, --record-size, --seconds)';

const PROPERTIES = {
  'auto.create.topics.enable': false,
  'broker.session.timeout.ms': 3000,
  'broker.heartbeat.interval.ms': 500,
  'replica.lag.time.max.ms': 3000,
  'offsets.topic.replication.factor': 1,
};

const now = (): number => performance.timeOrigin + performance.now();

async function leaderOf(cluster: BenchCluster, topic: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const leader = (await cluster.leaders(topic))[0] ?? -1;
    if (leader >= 0) return leader;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${topic} has no leader`);
}

async function latencyRf3(cluster: BenchCluster, topic: string, recordBytes: number, bytesPerSec: number, seconds: number): Promise<Record<string, number>> {
  const template = textValues(recordBytes, 1)[0]!;
  const total = Math.floor((bytesPerSec / recordBytes) * seconds);
  const latencies = new Float64Array(total);
  let received = 0;
  const producer = new Producer({ bootstrapServers: cluster.bootstrap, acks: -1, lingerMs: 1, clientId: 'bench-replication-latency' });
  await producer.connect();
  const warm = Buffer.from(template);
  warm.writeDoubleBE(-1, 0);
  await producer.send({ topic, messages: [{ value: warm }] });
  const leader = cluster.nodes[await leaderOf(cluster, topic)]!;
  const consumer = fetchConsume('127.0.0.1', leader.port, topic, 1, Number.MAX_SAFE_INTEGER, {
    maxWaitMs: 500,
    minBytes: 1,
    until: () => received >= total,
    onRecords: (set) => {
      const t = now();
      for (const batch of decodeRecordBatchesSync(set, { verifyCrc: false })) {
        for (const r of batch.records) {
          const sent = r.value!.readDoubleBE(0);
          if (sent >= 0 && received < total) latencies[received++] = t - sent;
        }
      }
    },
  });
  let sent = 0;
  const errors: Error[] = [];
  const start = now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((now() - start) / 1000) * (bytesPerSec / recordBytes))) - sent;
      if (due > 0) {
        const t = now();
        const messages = Array.from({ length: due }, () => {
          const v = Buffer.allocUnsafe(recordBytes);
          template.copy(v);
          v.writeDoubleBE(t, 0);
          return { value: v };
        });
        sent += due;
        producer.send({ topic, messages }).catch((err: Error) => errors.push(err));
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const elapsed = (now() - start) / 1000;
  await consumer;
  await producer.close();
  if (errors.length > 0) throw errors[0]!;
  const sorted = latencies.subarray(0, received).sort();
  return { achievedMBps: (sent * recordBytes) / elapsed / 1e6, records: received, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), p999Ms: percentile(sorted, 99.9), maxMs: sorted[sorted.length - 1]! };
}

/** Latency percentiles of `count` one-at-a-time Produce requests of one ~16 KiB batch to the partition's leader. */
async function roundTrip(cluster: BenchCluster, topic: string, acks: -1 | 1, recordBytes: number, count: number): Promise<Record<string, number>> {
  const records = Math.max(1, Math.floor(16_384 / (recordBytes + 16)));
  const batch = buildRecordBatchSync({ records: textValues(recordBytes, records).map((value) => ({ value })) });
  const leader = cluster.nodes[await leaderOf(cluster, topic)]!;
  const conn = await BrokerConnection.open('127.0.0.1', leader.port, { clientId: 'bench-replication-round-trip', requestTimeoutMs: 30_000 });
  const ms = new Float64Array(count);
  try {
    for (let i = -200; i < count; i++) {
      const t = performance.now();
      const res = await conn.send<ProduceResponse>(ProduceApi, 9, { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
      const code = res.responses[0]?.partitionResponses[0]?.errorCode ?? -1;
      if (code !== 0) throw new Error(`round trip produce to ${topic}: error ${code}`);
      if (i >= 0) ms[i] = performance.now() - t; // the first 200 warm up
    }
  } finally {
    conn.close();
  }
  const sorted = ms.sort();
  return { recordsPerRequest: records, p50Ms: percentile(sorted, 50), p90Ms: percentile(sorted, 90), p99Ms: percentile(sorted, 99) };
}

async function failover(cluster: BenchCluster, topic: string, recordBytes: number): Promise<{ victim: number; failoverMs: number; newLeader: number; errors: number }> {
  const value = textValues(recordBytes, 1)[0]!;
  const producer = new Producer({ bootstrapServers: cluster.bootstrap, acks: -1, lingerMs: 0, requestTimeoutMs: 3000, retryBackoffMs: 50, retryBackoffMaxMs: 250, clientId: 'bench-replication-failover' });
  await producer.connect();
  const victim = await leaderOf(cluster, topic);
  let killedAt = Number.POSITIVE_INFINITY;
  let resumedAt = 0;
  let errors = 0;
  let acked = 0;
  const loop = (async () => {
    while (resumedAt === 0 && now() < killedAt + 60_000) {
      const sentAt = now();
      try {
        await producer.send({ topic, messages: [{ value }] });
        acked++;
        if (sentAt >= killedAt) resumedAt = now();
      } catch {
        errors++;
      }
    }
  })();
  while (acked < 200) await new Promise((r) => setTimeout(r, 10));
  killedAt = now();
  await cluster.nodes[victim]!.kill('SIGKILL');
  await loop;
  await producer.close();
  const newLeader = (await cluster.leaders(topic))[0] ?? -1;
  return { victim, failoverMs: resumedAt === 0 ? NaN : resumedAt - killedAt, newLeader, errors };
}

export async function run(args: BenchArgs): Promise<void> {
  const records = args.number('--records', 200_000);
  const recordBytes = args.number('--record-size', 1024);
  const seconds = args.number('--seconds', 10);
  const rounds = args.number('--rounds', 2);
  const values = textValues(recordBytes, 16);
  const cluster = await startBenchCluster({ nodes: 3, properties: PROPERTIES });
  const rows: Array<Record<string, unknown>> = [];
  try {
    const rf3 = { 'min.insync.replicas': '2' };
    await createTopics(cluster.bootstrap, [
      { name: 'rf1', partitions: 1, replicationFactor: 1 },
      { name: 'rf3', partitions: 1, replicationFactor: 3, configs: rf3 },
      { name: 'lat3', partitions: 1, replicationFactor: 3, configs: rf3 },
    ]);
    // Untimed warm-up (JIT, connections), then RF1 and RF3 alternately, `rounds` times each: the
    // rates are means over the rounds, so neither side is the one that ran cold or last.
    await clientProduce(cluster.bootstrap, 'rf1', Math.min(records, 50_000), values, { acks: 1 });
    let rf1Secs = 0;
    let rf3Secs = 0;
    for (let round = 0; round < rounds; round++) {
      rf1Secs += await clientProduce(cluster.bootstrap, 'rf1', records, values, { acks: 1 });
      rf3Secs += await clientProduce(cluster.bootstrap, 'rf3', records, values, { acks: -1 });
    }
    const rf1Rate = (records * rounds) / rf1Secs;
    const rf3Rate = (records * rounds) / rf3Secs;
    rows.push({ measure: 'produce RF 1, acks=1', recordsPerSec: rf1Rate, mbPerSec: (rf1Rate * recordBytes) / 1e6 });
    rows.push({ measure: 'produce RF 3, acks=all, min.insync.replicas 2', recordsPerSec: rf3Rate, mbPerSec: (rf3Rate * recordBytes) / 1e6, ratioToRf1: rf3Rate / rf1Rate });
    const rt1 = await roundTrip(cluster, 'rf1', 1, recordBytes, 2000);
    const rt3 = await roundTrip(cluster, 'rf3', -1, recordBytes, 2000);
    rows.push({ measure: 'round trip, one 16 KiB Produce at a time, RF 1 acks=1', ...rt1 });
    rows.push({ measure: 'round trip, one 16 KiB Produce at a time, RF 3 acks=all', ...rt3 });
    const lat = await latencyRf3(cluster, 'lat3', recordBytes, 10e6, seconds);
    rows.push({ measure: 'end-to-end latency RF 3 acks=all at 10 MB/s', ...lat });
    // The victim leads the partition but is not the active controller: this measures the partition's
    // fail-over (session timeout, election, clients redirected), not a controller election on top
    // (test/e2e/replication-failover measures that case).
    const controller = await cluster.activeController();
    const others = cluster.nodes.map((n) => n.id).filter((id) => id !== controller);
    await createTopics(cluster.bootstrap, [{ name: 'fail3', partitions: 1, assignments: { 0: [...others, controller] }, configs: rf3 }]);
    const fo = await failover(cluster, 'fail3', recordBytes);
    if (fo.victim === controller) throw new Error(`the fail-over victim ${fo.victim} is the active controller`);
    rows.push({ measure: 'fail-over: SIGKILL of the leader → first acknowledged produce', ...fo, activeController: controller });
  } finally {
    await cluster.stop();
  }
  console.log(`replication: 3 tributary server processes (KRaft, combined nodes) on this machine, ${recordBytes} B records, ${records} per throughput run, ${rounds} rounds`);
  const [r1, r3, rt1, rt3, lat, fo] = rows as Array<Record<string, number>> as [Record<string, number>, Record<string, number>, Record<string, number>, Record<string, number>, Record<string, number>, Record<string, number>];
  printTable(
    ['measure', 'value', 'detail'],
    [
      ['produce RF 1, acks=1', `${fmt(r1.recordsPerSec!)} rec/s`, `${fmt(r1.mbPerSec!, 1)} MB/s`],
      ['produce RF 3, acks=all', `${fmt(r3.recordsPerSec!)} rec/s`, `${fmt(r3.mbPerSec!, 1)} MB/s`],
      ['ratio RF3 acks=all / RF1 acks=1', `${r3.ratioToRf1!.toFixed(2)}x`, ''],
      ['round trip RF 1 acks=1 (p50)', `${rt1.p50Ms!.toFixed(3)} ms`, `p90 ${rt1.p90Ms!.toFixed(3)}, p99 ${rt1.p99Ms!.toFixed(3)} ms; ${rt1.recordsPerRequest} records per request, one in flight`],
      ['round trip RF 3 acks=all (p50)', `${rt3.p50Ms!.toFixed(3)} ms`, `p90 ${rt3.p90Ms!.toFixed(3)}, p99 ${rt3.p99Ms!.toFixed(3)} ms`],
      ['RF 3 end-to-end p99 at 10 MB/s', `${lat.p99Ms!.toFixed(2)} ms`, `p50 ${lat.p50Ms!.toFixed(2)}, p99.9 ${lat.p999Ms!.toFixed(2)}, max ${lat.maxMs!.toFixed(2)} ms; ${fmt(lat.achievedMBps!, 1)} MB/s, ${fmt(lat.records!)} records`],
      ['fail-over (SIGKILL → first ack)', `${fmt(fo.failoverMs!)} ms`, `leader ${fo.victim} killed (active controller ${fo.activeController}), new leader ${fo.newLeader}, ${fo.errors} failed sends`],
    ],
  );
  saveResults('replication', { records, recordBytes, seconds, rounds, properties: PROPERTIES }, rows);
}
