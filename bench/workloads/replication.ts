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
 * 3. fail-over: one acks=all send at a time into an RF-3 topic; the partition's leader is
 *    SIGKILLed; fail-over time = from the kill to the acknowledgement of the first record sent
 *    after it (so at most one send's round trip more than the first acknowledgement by the new leader).
 * All three share two cores with the brokers: read absolute figures as this machine's.
 */
import { Producer } from '../../src/client/index.js';
import { decodeRecordBatchesSync } from '../../src/protocol/records/index.js';
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
      { name: 'fail3', partitions: 1, replicationFactor: 3, configs: rf3 },
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
    const lat = await latencyRf3(cluster, 'lat3', recordBytes, 10e6, seconds);
    rows.push({ measure: 'end-to-end latency RF 3 acks=all at 10 MB/s', ...lat });
    const fo = await failover(cluster, 'fail3', recordBytes);
    rows.push({ measure: 'fail-over: SIGKILL of the leader → first acknowledged produce', ...fo });
  } finally {
    await cluster.stop();
  }
  console.log(`replication: 3 tributary server processes (KRaft, combined nodes) on this machine, ${recordBytes} B records, ${records} per throughput run, ${rounds} rounds`);
  const [r1, r3, lat, fo] = rows as [Record<string, number>, Record<string, number>, Record<string, number>, Record<string, number>];
  printTable(
    ['measure', 'value', 'detail'],
    [
      ['produce RF 1, acks=1', `${fmt(r1.recordsPerSec!)} rec/s`, `${fmt(r1.mbPerSec!, 1)} MB/s`],
      ['produce RF 3, acks=all', `${fmt(r3.recordsPerSec!)} rec/s`, `${fmt(r3.mbPerSec!, 1)} MB/s`],
      ['ratio RF3 acks=all / RF1 acks=1', `${r3.ratioToRf1!.toFixed(2)}x`, ''],
      ['RF 3 end-to-end p99 at 10 MB/s', `${lat.p99Ms!.toFixed(2)} ms`, `p50 ${lat.p50Ms!.toFixed(2)}, p99.9 ${lat.p999Ms!.toFixed(2)}, max ${lat.maxMs!.toFixed(2)} ms; ${fmt(lat.achievedMBps!, 1)} MB/s, ${fmt(lat.records!)} records`],
      ['fail-over (SIGKILL → first ack)', `${fmt(fo.failoverMs!)} ms`, `leader ${fo.victim} killed, new leader ${fo.newLeader}, ${fo.errors} failed sends`],
    ],
  );
  saveResults('replication', { records, recordBytes, seconds, rounds, properties: PROPERTIES }, rows);
}
