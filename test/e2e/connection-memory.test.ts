/**
 * The memory a hostile client can make the broker hold, measured on a real broker process
 * (VmRSS / VmHWM from /proc/<pid>/status), and a real client (kafkajs) working afterwards:
 * - a slow reader pipelines 200 Fetch requests of 50 MiB max bytes against ~60 MB of data and
 *   never reads: the broker computes one fetch at a time and stops reading while the response is
 *   unsent (before: ~50 MB more RSS per 100-byte request, 3.1 GB);
 * - 25 connections each send a 99 MB frame: the frames are admitted against
 *   queued.max.request.bytes, the rest wait unread (before: 2.4 GB);
 * - a valid acks=-1 Produce followed in the same write by a malformed frame is acknowledged
 *   before the connection closes, and exactly its 20 records are stored.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { CreateTopicsApi, ProduceApi } from '../../src/protocol/messages/index.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js';
import type { ProduceResponse } from '../../src/protocol/messages/produce.js';
import { buildRecordBatchSync } from '../../src/protocol/records/index.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { kafkajsStillWorks, MiB, mib, openFds, procMemory, rawConnect, requestFrame, sleep, waitFor } from '../helpers/hostile.js';
import { readAllBatches, WireReader, WireWriter } from '../helpers/wire.js';

async function createTopic(conn: BrokerConnection, name: string): Promise<void> {
  const created = await conn.send<CreateTopicsResponse>(CreateTopicsApi, 7, {
    topics: [{ name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 30_000,
  });
  assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE, created.topics[0]!.errorMessage ?? '');
}

function fetchV4Body(topic: string, maxBytes: number): Buffer {
  return new WireWriter()
    .int32(-1) // replica id
    .int32(0) // max wait ms
    .int32(0) // min bytes
    .int32(maxBytes)
    .int8(0)
    .int32(1)
    .string(topic)
    .int32(1)
    .int32(0) // partition
    .int64(0n) // fetch offset
    .int32(maxBytes) // partition max bytes
    .build();
}

test('slow reader: 200 pipelined 50 MiB fetches, never read: broker RSS stays bounded, the connection is closed when idle', async (t) => {
  const broker = await startBrokerProcess(t, { name: 'slow-reader', overrides: { 'connections.max.idle.ms': 4000 } });
  const pid = broker.pid!;
  const topic = 'slow-reader';
  const conn = await BrokerConnection.open(broker.host, broker.port);
  t.after(() => conn.close());
  await createTopic(conn, topic);
  // ~60 MB: 66 batches of 9 records of 100 KB.
  const value = Buffer.alloc(100_000, 7);
  for (let i = 0; i < 66; i++) {
    const records = buildRecordBatchSync({ records: Array.from({ length: 9 }, (_, j) => ({ key: `k${i}-${j}`, value })) });
    const res = await conn.send<ProduceResponse>(ProduceApi, 9, { transactionalId: null, acks: 1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
    assert.equal(res.responses[0]!.partitionResponses[0]!.errorCode, ErrorCode.NONE);
  }
  conn.close();
  await sleep(500); // the broker sees the close
  const before = procMemory(pid);
  const fdsBefore = openFds(pid);

  const slow = await rawConnect(broker.port);
  slow.socket.pause(); // never read: the kernel buffers fill, then the broker's writes back up
  const body = fetchV4Body(topic, 50 * MiB);
  slow.socket.write(Buffer.concat(Array.from({ length: 200 }, (_, i) => requestFrame(1, 4, i + 1, body))));
  let peak = 0;
  const sampleUntil = Date.now() + 3000;
  while (Date.now() < sampleUntil) {
    peak = Math.max(peak, procMemory(pid).rssBytes);
    await sleep(50);
  }
  const hwm = procMemory(pid).hwmBytes;
  t.diagnostic(`slow reader: RSS before ${mib(before.rssBytes)}, peak sampled ${mib(peak)}, VmHWM ${mib(hwm)}`);
  assert.ok(hwm < 400 * MiB, `broker VmHWM ${mib(hwm)} (ceiling 400 MiB)\n${broker.recentLogs()}`);

  // connections.max.idle.ms: nothing read, nothing taken by the peer for 4 s, no request being served.
  // (The paused client cannot see the close: it reads nothing, so the broker's fds tell.)
  assert.ok(openFds(pid) > fdsBefore, 'the slow connection is open while it is not yet idle');
  assert.ok(await waitFor(() => openFds(pid) <= fdsBefore, 10_000), `the broker closed the stuck connection after connections.max.idle.ms: fds back to ${fdsBefore} (now ${openFds(pid)})`);
  slow.socket.destroy();
  await kafkajsStillWorks(broker.bootstrap, topic);
});

test('25 connections each sending a 99 MB frame stay within queued.max.request.bytes', async (t) => {
  const poolBytes = 128 * MiB;
  const broker = await startBrokerProcess(t, { name: 'big-frames', overrides: { 'queued.max.request.bytes': poolBytes } });
  const pid = broker.pid!;
  const before = procMemory(pid);
  const frameBytes = 99_000_000;
  const chunk = Buffer.alloc(1024 * 1024, 0x55);
  // An API key nobody serves: each frame, once complete, closes its connection (and frees its memory).
  chunk.writeInt16BE(32000, 0);
  let done = 0;
  let sentTotal = 0;
  const senders = Array.from({ length: 25 }, async () => {
    const s = await rawConnect(broker.port);
    const size = Buffer.alloc(4);
    size.writeInt32BE(frameBytes);
    s.socket.write(size);
    let sent = 0;
    while (sent < frameBytes && !s.isClosed()) {
      const n = Math.min(chunk.length, frameBytes - sent);
      if (!s.socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
        await Promise.race([new Promise((r) => s.socket.once('drain', r)), s.closed]);
      }
      sent += n;
      sentTotal += n;
    }
    await s.closed;
    done++;
  });
  let peak = 0;
  let all = false;
  void Promise.all(senders).then(() => (all = true));
  const deadline = Date.now() + 90_000;
  while (!all && Date.now() < deadline) {
    peak = Math.max(peak, procMemory(pid).rssBytes);
    await sleep(50);
  }
  const hwm = procMemory(pid).hwmBytes;
  t.diagnostic(`99 MB frames: ${done}/25 connections done, ${mib(sentTotal)} sent; RSS before ${mib(before.rssBytes)}, peak sampled ${mib(peak)}, VmHWM ${mib(hwm)}`);
  assert.ok(all, `all 25 frames were read and their connections closed (${done} done)`);
  // The pool is not strict (as Kafka's): one reservation may overshoot it, by at most a frame.
  const ceiling = before.rssBytes + poolBytes + frameBytes + 150 * MiB;
  assert.ok(hwm < ceiling, `broker VmHWM ${mib(hwm)} (ceiling ${mib(ceiling)} = RSS at start + pool + one frame + 150 MiB)`);
  await kafkajsStillWorks(broker.bootstrap, 'after-big-frames');
});

test('a Produce followed by a malformed frame in one write is acknowledged before the close; exactly its 20 records are stored', async (t) => {
  const broker = await startBrokerProcess(t, { name: 'produce-then-garbage' });
  const topic = 'produce-then-garbage';
  const conn = await BrokerConnection.open(broker.host, broker.port);
  t.after(() => conn.close());
  await createTopic(conn, topic);
  conn.close();

  const batch = buildRecordBatchSync({ records: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `value ${i}` })) });
  const produce = new WireWriter()
    .string(null) // transactional id
    .int16(-1) // acks=all
    .int32(30_000)
    .int32(1)
    .string(topic)
    .int32(1)
    .int32(0)
    .int32(batch.length)
    .raw(batch)
    .build();
  // Metadata v1 whose topic array claims more entries than the frame holds.
  const malformed = requestFrame(3, 1, 2, Buffer.from([0x00, 0x00, 0x7f, 0xff]));
  const s = await rawConnect(broker.port);
  const received: Buffer[] = [];
  s.socket.on('data', (d: Buffer) => received.push(d));
  s.socket.write(Buffer.concat([requestFrame(0, 3, 1, produce), malformed]));
  await Promise.race([s.closed, sleep(15_000)]);
  assert.ok(s.isClosed(), 'the broker closes the connection after the malformed frame');
  const bytes = Buffer.concat(received);
  assert.ok(bytes.length >= 8, `a response arrived before the close (got ${bytes.length} bytes)`);
  const size = bytes.readInt32BE(0);
  assert.equal(bytes.length, 4 + size, 'exactly one response frame (none for the malformed request)');
  const r = new WireReader(bytes.subarray(4));
  assert.equal(r.int32(), 1, 'correlation id of the Produce');
  assert.equal(r.int32(), 1, 'one topic');
  assert.equal(r.string(), topic);
  assert.equal(r.int32(), 1, 'one partition');
  assert.equal(r.int32(), 0);
  assert.equal(r.int16(), ErrorCode.NONE, 'the Produce succeeded');
  assert.equal(r.int64(), 0n, 'base offset 0');

  const stored = await readAllBatches(broker.host, broker.port, topic, 0);
  assert.equal(stored.batches.reduce((n, b) => n + b.recordsCount, 0), 20);
  assert.equal(stored.highWatermark, 20n);
  await kafkajsStillWorks(broker.bootstrap, topic);
});
