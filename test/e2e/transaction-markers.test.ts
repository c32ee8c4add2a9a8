import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { FetchApi, InitProducerIdApi, ListOffsetsApi, ProduceApi, WriteTxnMarkersApi } from '../../src/protocol/messages/index.js';
import type { FetchResponse } from '../../src/protocol/messages/fetch.js';
import type { InitProducerIdResponse } from '../../src/protocol/messages/init-producer-id.js';
import type { ListOffsetsResponse } from '../../src/protocol/messages/list-offsets.js';
import type { ProduceResponse } from '../../src/protocol/messages/produce.js';
import type { WriteTxnMarkersResponse } from '../../src/protocol/messages/write-txn-markers.js';
import { buildRecordBatch } from '../../src/protocol/records/record-batch.js';
import { recordsToBuffer } from '../../src/protocol/schema/records.js';
import { runProcess } from '../helpers/proc.js';
import { Checks, statesFromAny } from '../helpers/replica-check.js';
import { createReplicatedTopic, startReplicatedCluster, stopAndCompareReplicas, waitIsr } from '../helpers/replication-setup.js';
import { requireTool } from '../helpers/tools.js';
import { consumeAll } from '../helpers/kafkajs.js';
import { Kafka, logLevel } from 'kafkajs';
import { Consumer, stringDeserializer } from '../../src/client/index.js';

/**
 * The partition side of transactions (issue "Idempotent producers and transactions"): transactional
 * batches of two producers interleaved with plain ones on a 3-node, RF 3 partition; a read_committed
 * Fetch stops at the last stable offset while they are open; WriteTxnMarkers (as a coordinator sends
 * it) aborts one and commits the other; then read_committed consumers (raw Fetch: abortedTransactions;
 * kcat/librdkafka isolation.level=read_committed, our Consumer, kafkajs) see the committed and plain
 * records only, while
 * read_uncommitted sees everything — also after the leader is SIGKILLed (the new leader answers from the
 * `.txnindex` it replicated). A marker from an older coordinator epoch is refused. Replicas, `.txnindex`
 * included, are byte-identical.
 */
const TOPIC = 'txn-markers';

function checkEqual(checks: Checks, actual: unknown, expected: unknown, what: string): void {
  checks.check(JSON.stringify(actual) === JSON.stringify(expected), what, `got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
}
const READ_COMMITTED = 1;

async function leaderConnection(bootstrapOf: (id: number) => string, leader: number): Promise<BrokerConnection> {
  const [host, port] = bootstrapOf(leader).split(':');
  return BrokerConnection.open(host!, Number(port), { requestTimeoutMs: 15_000, connectTimeoutMs: 5000 });
}

async function produce(conn: BrokerConnection, batch: Buffer): Promise<number> {
  const res = await conn.send<ProduceResponse>(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records: batch }] }] });
  const p = res.responses[0]!.partitionResponses[0]!;
  assert.equal(p.errorCode, ErrorCode.NONE, `produce: ${ErrorCode[p.errorCode]}`);
  return Number(p.baseOffset);
}

const batchOf = (values: string[], producerId: number, baseSequence: number, transactional: boolean): Promise<Buffer> =>
  buildRecordBatch({ producerId, producerEpoch: 0, baseSequence, transactional, records: values.map((v) => ({ value: Buffer.from(v) })) });

async function fetchPartition(conn: BrokerConnection, isolationLevel: number): Promise<{ hw: number; lso: number; aborted: Array<{ producerId: number; firstOffset: number }> | null; bytes: number }> {
  const res = await conn.send<FetchResponse>(FetchApi, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: '',
  });
  const p = res.responses[0]!.partitions[0]!;
  assert.equal(p.errorCode, ErrorCode.NONE);
  return { hw: Number(p.highWatermark), lso: Number(p.lastStableOffset), aborted: p.abortedTransactions?.map((a) => ({ producerId: Number(a.producerId), firstOffset: Number(a.firstOffset) })) ?? null, bytes: recordsToBuffer(p.records)?.length ?? 0 };
}

async function latest(conn: BrokerConnection, isolationLevel: number): Promise<number> {
  const res = await conn.send<ListOffsetsResponse>(ListOffsetsApi, 5, { replicaId: -1, isolationLevel, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1 }] }] });
  return Number(res.topics[0]!.partitions[0]!.offset);
}

/** Our Consumer, assigned partition 0 from the start, until it has read `count` records. */
async function ourValues(bootstrap: string, isolationLevel: 'read_committed' | 'read_uncommitted', count: number): Promise<string[]> {
  const c = new Consumer<string | null, string | null>({ bootstrapServers: bootstrap, keyDeserializer: stringDeserializer, valueDeserializer: stringDeserializer, autoOffsetReset: 'earliest', isolationLevel, fetchMaxWaitMs: 100 });
  c.assign([{ topic: TOPIC, partition: 0 }]);
  const out: string[] = [];
  const timer = setTimeout(() => void c.close(), 15_000);
  try {
    for await (const r of c) {
      out.push(r.value ?? '');
      if (out.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
    await c.close();
  }
  return out;
}

/** kafkajs (its default readUncommitted false is read_committed), a group from the earliest offset, until `count` records. */
async function kafkajsValues(bootstrap: string, count: number): Promise<string[]> {
  const kafka = new Kafka({ brokers: bootstrap.split(','), clientId: 'txn-kafkajs', logLevel: logLevel.NOTHING });
  const { records } = await consumeAll(kafka, TOPIC, `txn-kafkajs-${Date.now()}`, count, { timeoutMs: 20_000 });
  return records.map((r) => r.value ?? '');
}

async function kcatValues(bootstrap: string, isolation: 'read_committed' | 'read_uncommitted'): Promise<string[]> {
  const r = await runProcess('kcat', ['-C', '-b', bootstrap, '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%s\\n', '-X', `isolation.level=${isolation}`], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l.length > 0);
}

test('transactional batches, WriteTxnMarkers, read_committed: open transactions hold the LSO, aborted records are hidden, also on a new leader', { timeout: 180_000 }, async (t) => {
  requireTool('kcat');
  // This test plays the coordinator itself (no transactional id, markers by hand): the leaders must not
  // verify with one (KIP-890 part 1; test/e2e/transactions-verification covers that).
  const cluster = await startReplicatedCluster(t, { properties: { 'transaction.partition.verification.enable': false } });
  const checks = new Checks();
  await createReplicatedTopic(cluster, TOPIC, 1);
  const leader = (await statesFromAny(cluster, TOPIC))[0]!.leader;
  const conn = await leaderConnection((id) => cluster.bootstrapOf(id), leader);
  try {
    const ids: number[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await conn.send<InitProducerIdResponse>(InitProducerIdApi, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1, producerEpoch: -1 });
      assert.equal(r.errorCode, ErrorCode.NONE);
      ids.push(Number(r.producerId));
    }
    const [a, b] = ids as [number, number];
    await produce(conn, await batchOf(['plain-0', 'plain-1'], -1, -1, false)); // 0-1
    const aFirst = await produce(conn, await batchOf(['abort-0', 'abort-1'], a, 0, true)); // 2-3
    await produce(conn, await batchOf(['commit-0'], b, 0, true)); // 4
    await produce(conn, await batchOf(['plain-2'], -1, -1, false)); // 5
    await produce(conn, await batchOf(['abort-2'], a, 2, true)); // 6
    await produce(conn, await batchOf(['commit-1'], b, 1, true)); // 7
    const open = await fetchPartition(conn, READ_COMMITTED);
    checks.check(open.hw === 8 && open.lso === aFirst, 'open transactions hold the last stable offset at the first one', JSON.stringify(open));
    checks.check((await latest(conn, READ_COMMITTED)) === aFirst, 'ListOffsets read_committed LATEST is the LSO');
    checks.check((await latest(conn, 0)) === 8, 'ListOffsets read_uncommitted LATEST is the high watermark');
    checkEqual(checks, await kcatValues(cluster.bootstrap, 'read_committed'), ['plain-0', 'plain-1'], 'read_committed stops before the open transactions');

    const markers = await conn.send<WriteTxnMarkersResponse>(WriteTxnMarkersApi, 1, {
      markers: [
        { producerId: a, producerEpoch: 0, transactionResult: false, coordinatorEpoch: 4, topics: [{ name: TOPIC, partitionIndexes: [0] }] },
        { producerId: b, producerEpoch: 0, transactionResult: true, coordinatorEpoch: 4, topics: [{ name: TOPIC, partitionIndexes: [0] }] },
      ],
    });
    const codes = markers.markers.map((m) => m.topics[0]!.partitions[0]!.errorCode);
    checkEqual(checks, codes, [ErrorCode.NONE, ErrorCode.NONE], 'both markers written');
    const fenced = await conn.send<WriteTxnMarkersResponse>(WriteTxnMarkersApi, 1, {
      markers: [{ producerId: a, producerEpoch: 0, transactionResult: false, coordinatorEpoch: 3, topics: [{ name: TOPIC, partitionIndexes: [0] }] }],
    });
    checks.check(fenced.markers[0]!.topics[0]!.partitions[0]!.errorCode === ErrorCode.TRANSACTION_COORDINATOR_FENCED, 'a marker from an older coordinator epoch is fenced', JSON.stringify(fenced));
    const closed = await fetchPartition(conn, READ_COMMITTED);
    checks.check(closed.lso === closed.hw && closed.hw === 10, 'with both transactions closed the LSO is the high watermark', JSON.stringify(closed));
    checkEqual(checks, closed.aborted, [{ producerId: a, firstOffset: aFirst }], 'Fetch names the aborted transaction');
    const committedView = ['plain-0', 'plain-1', 'commit-0', 'plain-2', 'commit-1'];
    checkEqual(checks, await kcatValues(cluster.bootstrap, 'read_committed'), committedView, 'librdkafka read_committed skips the aborted records');
    checkEqual(checks, (await kcatValues(cluster.bootstrap, 'read_uncommitted')).length, 8, 'read_uncommitted sees every data record');
    checkEqual(checks, await ourValues(cluster.bootstrap, 'read_committed', committedView.length), committedView, 'our Consumer read_committed skips the aborted records');
    checkEqual(checks, (await ourValues(cluster.bootstrap, 'read_uncommitted', 8)).length, 8, 'our Consumer read_uncommitted sees them');
    checkEqual(checks, await kafkajsValues(cluster.bootstrap, committedView.length), committedView, 'kafkajs read_committed skips the aborted records');

    await cluster.kill(leader);
    const survivors = [...cluster.nodes.keys()].filter((id) => id !== leader);
    const bootstrap = survivors.map((id) => cluster.bootstrapOf(id)).join(',');
    for (let i = 0; i < 100; i++) {
      const s = (await statesFromAny(cluster, TOPIC, survivors))[0];
      if (s && s.leader >= 0 && s.leader !== leader) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    checkEqual(checks, await kcatValues(bootstrap, 'read_committed'), committedView, 'the new leader hides the aborted records too');
    await cluster.restart(leader);
    await cluster.waitFormed(30_000);
    checks.check((await waitIsr(cluster, TOPIC, 3, 30_000)).ok, 'the old leader rejoins the ISR');
    const idx = [...cluster.nodes.values()].map((n) => fs.readFileSync(path.join(n.dataDir, `${TOPIC}-0`, '00000000000000000000.txnindex')).toString('hex'));
    checks.check(idx.every((x) => x === idx[0]) && idx[0]!.length === 68, 'every replica indexed the one aborted transaction identically', idx.join(' / '));
    await stopAndCompareReplicas(t, cluster, checks, TOPIC, 1);
  } finally {
    conn.close();
  }
  checks.assertAll(cluster.logs(1500));
});
