/**
 * The leader side of replication in one process, with real logs and a fake clock: follower fetches move
 * the high watermark and complete acks=all appends; min.insync.replicas refuses before and after the
 * append; ISR expansion and shrink go to the controller (a recording AlterPartition sender); a leader
 * that becomes a follower fails its waiting appends; a diverging follower is told where to truncate.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { pino } from 'pino';
import type { PartitionRegistration } from '../../../src/cluster/metadata/metadata-image.js';
import type { AlterPartitionSender, IsrChangeRequest } from '../../../src/cluster/replication/alter-partition-sender.js';
import { ReplicaManager } from '../../../src/cluster/replication/replica-manager.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';
import { buildRecordBatch } from '../../../src/protocol/records/index.js';
import { buildEndTxnMarkerBatch } from '../../../src/protocol/records/control.js';
import { DEFAULT_LOG_CONFIG } from '../../../src/storage/log-config.js';
import { LogManager } from '../../../src/storage/log-manager.js';
import { FakeRuntime } from '../controller/fake-runtime.js';

const TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const silent = pino({ level: 'silent' });

function reg(fields: Partial<PartitionRegistration>): PartitionRegistration {
  return {
    replicas: [1, 2, 3],
    isr: [1, 2, 3],
    removingReplicas: [],
    addingReplicas: [],
    leader: 1,
    leaderRecoveryState: 0,
    leaderEpoch: 5,
    partitionEpoch: 7,
    directories: [],
    eligibleLeaderReplicas: [],
    lastKnownElr: [],
    ...fields,
  };
}

async function batch(n: number): Promise<Buffer> {
  return buildRecordBatch({ records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
}

async function setup(t: TestContext, opts: { minIsr?: number; lagMs?: number } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'replica-manager-'));
  const logs = new LogManager([dir]);
  await logs.open();
  const runtime = new FakeRuntime();
  const sent: IsrChangeRequest[] = [];
  const sender = { submit: (c: IsrChangeRequest) => void sent.push(c), close: () => undefined } as unknown as AlterPartitionSender;
  const replicas = new ReplicaManager(logs, () => ({ ...DEFAULT_LOG_CONFIG }), silent, {
    nodeId: 1,
    runtime,
    minInsyncReplicas: () => opts.minIsr ?? 2,
    replication: { replicaLagTimeMaxMs: opts.lagMs ?? 1000, fetchMaxBytes: 1 << 20, fetchResponseMaxBytes: 1 << 20, fetchMinBytes: 1, fetchWaitMaxMs: 100, fetchBackoffMs: 100, socketTimeoutMs: 1000, numFetchers: 1 },
    brokerEpoch: () => 100,
    peers: { endpoint: () => undefined, eligibleEpoch: (id) => 100 + id },
    alterPartition: sender,
  });
  t.after(async () => {
    await replicas.close();
    await logs.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { replicas, runtime, sent, logs };
}

function fetchAt(replicas: ReplicaManager, follower: number, fetchOffset: number, lastFetchedEpoch = -1) {
  return replicas.readForFollower(follower, 100 + follower, { topic: 't', partition: 0, fetchOffset, lastFetchedEpoch, currentLeaderEpoch: 5, maxBytes: 1 << 20, minOneMessage: true });
}

test('acks=all completes once every ISR member has fetched past the batch; acks=1 at once', async (t) => {
  const { replicas } = await setup(t);
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({}));
  const acks1 = await replicas.append('t', 0, await batch(3), { acks: 1 });
  assert.equal(acks1.lastOffset, 2);
  assert.equal(replicas.get('t', 0).highWatermark, 0, 'followers have not fetched: the high watermark stays');
  let done = false;
  const all = replicas.append('t', 0, await batch(2), { acks: -1, timeoutMs: 10_000 }).then((r) => ((done = true), r));
  await new Promise((r) => setImmediate(r));
  const r2 = await fetchAt(replicas, 2, 0);
  assert.ok(r2.records.length > 0, 'the follower reads past the high watermark');
  await fetchAt(replicas, 2, 5);
  assert.equal(replicas.get('t', 0).highWatermark, 0, 'follower 3 has not fetched yet');
  assert.equal(done, false);
  await fetchAt(replicas, 3, 5);
  const res = await all;
  assert.equal(res.lastOffset, 4);
  assert.equal(replicas.get('t', 0).highWatermark, 5);
});

test('min.insync.replicas: NOT_ENOUGH_REPLICAS before the append, NOT_ENOUGH_REPLICAS_AFTER_APPEND when the ISR shrank meanwhile', async (t) => {
  const { replicas, sent } = await setup(t, { minIsr: 2 });
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({ isr: [1] }));
  await assert.rejects(replicas.append('t', 0, await batch(1), { acks: -1 }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.NOT_ENOUGH_REPLICAS);
  assert.equal((await replicas.append('t', 0, await batch(1), { acks: 1 })).baseOffset, 0, 'acks=1 is not held to min.insync.replicas');
  // ISR [1,2]: an acks=all write waits for 2; the ISR then shrinks to [1] (committed): the write was appended
  // and is below the high watermark, but too few replicas have it.
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({ isr: [1, 2], partitionEpoch: 8 }));
  const pending = replicas.append('t', 0, await batch(1), { acks: -1, timeoutMs: 10_000 });
  const refused = assert.rejects(pending, (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND);
  await new Promise((r) => setImmediate(r));
  // The committed shrink lets the high watermark pass the batch at once.
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({ isr: [1], partitionEpoch: 9 }));
  await refused;
  assert.equal(sent.length, 0);
});

test('a follower that catches up is proposed for the ISR; one that lags past replica.lag.time.max.ms is proposed for removal', async (t) => {
  const { replicas, runtime, sent } = await setup(t, { lagMs: 1000 });
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({ isr: [1, 2] }));
  await replicas.append('t', 0, await batch(4), { acks: 1 });
  await fetchAt(replicas, 2, 4);
  assert.equal(replicas.get('t', 0).highWatermark, 4);
  await fetchAt(replicas, 3, 4);
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0]!.isr, [
    { brokerId: 1, brokerEpoch: 100 },
    { brokerId: 2, brokerEpoch: 102 },
    { brokerId: 3, brokerEpoch: 103 },
  ]);
  assert.equal(sent[0]!.partitionEpoch, 7);
  sent[0]!.onAnswer({ partitionIndex: 0, errorCode: ErrorCode.NONE, leaderId: 1, leaderEpoch: 5, isr: [1, 2, 3], leaderRecoveryState: 0, partitionEpoch: 8 });
  // Follower 2 stops fetching while the leader keeps appending: after the lag time it is proposed for removal.
  await replicas.append('t', 0, await batch(1), { acks: 1 });
  runtime.advance(400);
  await fetchAt(replicas, 3, 5);
  runtime.advance(1200);
  const shrink = sent[1];
  assert.ok(shrink, 'a shrink was proposed');
  assert.deepEqual(shrink.isr.map((m) => m.brokerId), [1, 3]);
  assert.equal(shrink.partitionEpoch, 8);
});

test('leadership lost: waiting acks=all appends fail with NOT_LEADER_OR_FOLLOWER and reads are refused', async (t) => {
  const { replicas } = await setup(t);
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({}));
  const pending = replicas.append('t', 0, await batch(1), { acks: -1, timeoutMs: 10_000 });
  await new Promise((r) => setImmediate(r));
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({ leader: 2, leaderEpoch: 6, partitionEpoch: 8 }));
  await assert.rejects(pending, (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.NOT_LEADER_OR_FOLLOWER);
  assert.throws(() => replicas.get('t', 0), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.NOT_LEADER_OR_FOLLOWER);
  await assert.rejects(replicas.append('t', 0, await batch(1), { acks: 1 }), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.NOT_LEADER_OR_FOLLOWER);
});

test('a follower whose last fetched epoch ends earlier on the leader is told the divergence point', async (t) => {
  const { replicas } = await setup(t);
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({ leaderEpoch: 3, partitionEpoch: 3 }));
  await replicas.append('t', 0, await batch(3), { acks: 1 }); // epoch 3: offsets 0-2
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({ leaderEpoch: 5 }));
  await replicas.append('t', 0, await batch(2), { acks: 1 }); // epoch 5: offsets 3-4
  // The follower has epoch 3 up to offset 4 (two records the leader never had in epoch 3).
  const diverging = await fetchAt(replicas, 2, 5, 3);
  assert.deepEqual(diverging.divergingEpoch, { epoch: 3, endOffset: 3 });
  assert.equal(diverging.records.length, 0);
  const fine = await fetchAt(replicas, 2, 3, 3);
  assert.equal(fine.divergingEpoch, undefined);
  assert.ok(fine.records.length > 0);
  await assert.rejects(
    replicas.readForFollower(2, 102, { topic: 't', partition: 0, fetchOffset: 0, lastFetchedEpoch: -1, currentLeaderEpoch: 4, maxBytes: 1000, minOneMessage: true }),
    (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.FENCED_LEADER_EPOCH,
  );
  await assert.rejects(fetchAt(replicas, 2, 99), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE);
});

test('acks=all times out with REQUEST_TIMED_OUT when the ISR never catches up', async (t) => {
  const { replicas, runtime } = await setup(t);
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({}));
  const pending = replicas.append('t', 0, await batch(1), { acks: -1, timeoutMs: 500 });
  let settled = false;
  pending.then(() => (settled = true), () => (settled = true));
  // The produce waits in the purgatory (with its fake-clock timeout) once the local append is written.
  // (Written, not just queued: a busy machine may take a while; the waiter's fake-clock timer starts after.)
  while (replicas.get('t', 0).log.writtenEndOffset < 1) await new Promise((r) => setTimeout(r, 2));
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 5));
  runtime.advance(499);
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.equal(settled, false, 'still waiting before its timeout');
  runtime.advance(101);
  await assert.rejects(pending, (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.REQUEST_TIMED_OUT);
});

test('a registration older than the log (start-up replay of the metadata log) changes neither the role nor the epoch cache', async (t) => {
  const { replicas } = await setup(t);
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({ leaderEpoch: 3, partitionEpoch: 3 }));
  await replicas.append('t', 0, await batch(2), { acks: 1 }); // epoch 3: offsets 0-1
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({ leaderEpoch: 5 }));
  await replicas.append('t', 0, await batch(2), { acks: 1 }); // epoch 5: offsets 2-3
  const p = replicas.tryGetReplica('t', 0)!;
  const before = p.log.epochEntries().map((e) => ({ ...e }));
  assert.deepEqual(before, [{ epoch: 3, startOffset: 0 }, { epoch: 5, startOffset: 2 }]);
  // Epoch 4 was a leadership of this broker's that the log has already moved past: applying it again
  // would assign 4 at the log end and drop epoch 5's entry (followers then diverge for ever).
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({ leaderEpoch: 4, partitionEpoch: 4 }));
  assert.deepEqual(p.log.epochEntries().map((e) => ({ ...e })), before);
  assert.equal(p.leaderEpoch, 5);
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({ leader: 2, leaderEpoch: 4, partitionEpoch: 4 }));
  assert.ok(p.isLeader, 'a stale follower registration does not demote the leader');
  assert.deepEqual(p.log.epochEntries().map((e) => ({ ...e })), before);
});

test('an ISR expansion whose answer is lost stays pending: the high watermark keeps waiting for the new member (chaos seed 20261204 lost two acks=all writes this way)', async (t) => {
  const { replicas, runtime, sent } = await setup(t, { lagMs: 1000, minIsr: 2 });
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({ isr: [1, 2] }));
  await replicas.append('t', 0, await batch(2), { acks: 1 });
  await fetchAt(replicas, 2, 2);
  // Follower 3 catches up: the leader proposes [1,2,3] (the controller may commit it).
  await fetchAt(replicas, 3, 2);
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0]!.isr.map((m) => m.brokerId), [1, 2, 3]);
  // An acks=all write; follower 2 fetches it, follower 3 does not (cut off).
  let acked = false;
  const write = replicas.append('t', 0, await batch(1), { acks: -1, timeoutMs: 60_000 }).then(() => (acked = true));
  const settled = write.catch(() => undefined);
  await new Promise((r) => setImmediate(r));
  await fetchAt(replicas, 2, 3);
  assert.equal(replicas.get('t', 0).highWatermark, 2, 'the pending member 3 counts');
  // The AlterPartition answer never comes (the controller may have committed [1,2,3]): the leader must not
  // fall back to [1,2] and acknowledge what 3, a committed member for all it knows, does not have.
  sent[0]!.onAnswer({ partitionIndex: 0, errorCode: ErrorCode.REQUEST_TIMED_OUT, leaderId: -1, leaderEpoch: -1, isr: [], leaderRecoveryState: 0, partitionEpoch: -1 });
  await fetchAt(replicas, 2, 3);
  await new Promise((r) => setImmediate(r));
  assert.equal(replicas.get('t', 0).highWatermark, 2);
  assert.equal(acked, false);
  // The same change is sent again after a backoff.
  runtime.advance(1000);
  assert.equal(sent.length, 2);
  assert.deepEqual(sent[1]!.isr.map((m) => m.brokerId), [1, 2, 3]);
  // The metadata brings the committed registration: [1,2,3] it was. The write waits for 3.
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({ isr: [1, 2, 3], partitionEpoch: 8 }));
  assert.equal(acked, false);
  await fetchAt(replicas, 3, 3);
  await settled;
  assert.equal(acked, true);
  assert.equal(replicas.get('t', 0).highWatermark, 3);
});

test('a sole replica\'s high watermark never passes what is written: an ABORT marker still queued keeps the last stable offset before its transaction', async (t) => {
  // Found by franz-go's TestTxnEtl against one broker: a read_committed fetch returned an aborted
  // transaction's records without listing it, because the high watermark (so the last stable offset)
  // had moved to the log end — past a marker queued behind another append but not yet written, whose
  // .txnindex entry is written with it.
  const { replicas } = await setup(t, { minIsr: 1 });
  await replicas.applyPartition('t', TOPIC_ID, 0, reg({ replicas: [1], isr: [1] }));
  const producerId = 4000;
  const txn = await buildRecordBatch({ producerId, producerEpoch: 0, baseSequence: 0, transactional: true, records: [{ key: 'a', value: 'aborted-0' }, { key: 'b', value: 'aborted-1' }] });
  await replicas.append('t', 0, txn, { acks: -1 }); // offsets 0-1, the transaction is open
  const p = replicas.get('t', 0);
  assert.equal(p.lastStableOffset, 0);
  // A plain batch (offset 2), and the coordinator's ABORT marker (offset 3) queued right behind it.
  const plain = replicas.append('t', 0, await batch(1), { acks: -1 });
  const marker = replicas.append('t', 0, await buildEndTxnMarkerBatch({ commit: false, producerId, producerEpoch: 0, coordinatorEpoch: 0, timestamp: Date.now() }), { acks: -1, origin: 'coordinator' });
  await plain;
  // What a read_committed fetch sees now (fetch.ts): records up to the LSO, and the aborted transactions among them.
  const view = async () => {
    const lso = p.lastStableOffset;
    const read = await p.log.read(0, 1 << 20, { maxOffset: lso, minOneMessage: true });
    const aborted = read.records.length > 0 ? await p.log.abortedTransactions(0, read.nextOffset) : [];
    return { lso, bytes: read.records.length, aborted: aborted.map((a) => a.producerId) };
  };
  const hw = p.highWatermark;
  const written = p.log.writtenEndOffset;
  const before = await view();
  assert.ok(before.bytes === 0 || before.aborted.includes(producerId), `read_committed would return the aborted transaction unmarked: ${JSON.stringify(before)}`);
  assert.ok(hw <= written, `high watermark ${hw} is past the written end ${written}`);
  await marker;
  const after = await view();
  assert.equal(after.lso, 4);
  assert.deepEqual(after.aborted, [producerId]);
});
