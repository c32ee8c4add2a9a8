/**
 * A broker process with a small open-files limit (prlimit: 256, soft and hard) hosts more partitions than it may
 * open files: create them in one CreateTopics, produce to every one in one request (acks=-1), fetch every one,
 * SIGKILL and restart (recovery), SIGTERM and restart (clean); every acknowledged record is read back each time,
 * and /proc/<pid>/fd, sampled throughout, stays under the limit. Before the segment handle cache, each partition
 * held its .log open and this broker failed with EMFILE.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { CreateTopicsApi, FetchApi, ProduceApi } from '../../src/protocol/messages/index.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js';
import type { FetchResponse } from '../../src/protocol/messages/fetch.js';
import type { ProduceResponse } from '../../src/protocol/messages/produce.js';
import { buildRecordBatchSync, decodeRecordBatchesSync } from '../../src/protocol/records/index.js';
import { recordsToBuffer } from '../../src/protocol/schema/records.js';
import { makeTempDir, removeTempDir } from '../helpers/cleanup.js';
import { brokerCli } from '../helpers/paths.js';

const NOFILE = 256;
const PARTITIONS = 600;
const TOPIC = 'fd-budget';

interface Running {
  child: ChildProcess;
  port: number;
  peakFds: () => number;
  stop: (signal: NodeJS.Signals) => Promise<void>;
}

async function startLimited(logDir: string): Promise<Running> {
  const args = [`--nofile=${NOFILE}:${NOFILE}`, process.execPath, brokerCli, 'server', '--override', 'listeners=PLAINTEXT://127.0.0.1:0', '--override', `log.dirs=${logDir}`];
  const child = spawn('prlimit', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TRIBUTARY_LOG_LEVEL: 'warn' } });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => void (stderr = (stderr + d.toString()).slice(-20_000)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready on \S+:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code} before it was ready\n${stderr}`)));
  });
  let peak = 0;
  const sample = (): void => {
    try {
      peak = Math.max(peak, readdirSync(`/proc/${child.pid}/fd`).length);
    } catch {
      // exited
    }
  };
  const timer = setInterval(sample, 20);
  return {
    child,
    port,
    peakFds: () => (sample(), peak),
    stop: async (signal) => {
      clearInterval(timer);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill(signal);
      await exited;
      assert.ok(!/EMFILE/.test(stderr), `broker hit EMFILE:\n${stderr}`);
    },
  };
}

function value(p: number, round: number): string {
  return `partition ${p} round ${round}`;
}

async function produceAll(conn: BrokerConnection, round: number): Promise<void> {
  const partitionData = Array.from({ length: PARTITIONS }, (_, p) => ({
    index: p,
    records: buildRecordBatchSync({ records: [{ key: `k${p}`, value: value(p, round) }] }),
  }));
  const res = await conn.send<ProduceResponse>(ProduceApi, 9, { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: TOPIC, partitionData }] });
  for (const r of res.responses[0]!.partitionResponses) assert.equal(r.errorCode, ErrorCode.NONE, `produce to ${r.index}`);
}

/** Fetches every partition from offset 0 in one request and checks it holds exactly `rounds` records. */
async function checkAll(conn: BrokerConnection, rounds: number): Promise<void> {
  const res = await conn.send<FetchResponse>(FetchApi, 11, {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes: 64 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, currentLeaderEpoch: -1, fetchOffset: 0, logStartOffset: -1, partitionMaxBytes: 1 << 20 })) }],
    forgottenTopicsData: [],
    rackId: '',
  });
  const parts = res.responses[0]!.partitions;
  assert.equal(parts.length, PARTITIONS);
  for (const part of parts) {
    assert.equal(part.errorCode, ErrorCode.NONE, `fetch from ${part.partitionIndex}`);
    assert.equal(part.highWatermark, rounds);
    const values = decodeRecordBatchesSync(recordsToBuffer(part.records) ?? Buffer.alloc(0)).flatMap((b) => b.records.map((r) => r.value?.toString()));
    assert.deepEqual(values, Array.from({ length: rounds }, (_, round) => value(part.partitionIndex, round)));
  }
}

test('more partitions than open files: create, produce, fetch, SIGKILL and clean restarts under a 256 open-files limit', { skip: spawnSync('prlimit', ['--version']).status !== 0 ? 'prlimit not available' : false }, async (t) => {
  const logDir = await makeTempDir('fd-budget');
  t.after(() => removeTempDir(logDir));
  let broker = await startLimited(logDir);
  t.after(() => broker.stop('SIGKILL'));
  let conn = await BrokerConnection.open('127.0.0.1', broker.port);
  const created = await conn.send<CreateTopicsResponse>(CreateTopicsApi, 7, {
    topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: 1, assignments: [], configs: [] }],
    timeoutMs: 60_000,
  });
  assert.equal(created.topics[0]!.errorCode, ErrorCode.NONE, created.topics[0]!.errorMessage ?? '');
  await produceAll(conn, 0);
  await produceAll(conn, 1);
  await checkAll(conn, 2);
  const peaks = [broker.peakFds()];

  // SIGKILL after acknowledged acks=-1 writes: recovery under the same limit loses nothing.
  conn.close();
  await broker.stop('SIGKILL');
  broker = await startLimited(logDir);
  conn = await BrokerConnection.open('127.0.0.1', broker.port);
  await checkAll(conn, 2);
  await produceAll(conn, 2);
  await checkAll(conn, 3);
  peaks.push(broker.peakFds());

  // Clean shutdown closes every log (bounded), and the next start trusts them.
  conn.close();
  await broker.stop('SIGTERM');
  assert.equal(broker.child.exitCode, 0);
  broker = await startLimited(logDir);
  conn = await BrokerConnection.open('127.0.0.1', broker.port);
  await checkAll(conn, 3);
  peaks.push(broker.peakFds());
  conn.close();
  // Half the limit goes to segment files and 64 to short-lived opens; the rest is headroom.
  for (const peak of peaks) assert.ok(peak < NOFILE * 0.75, `peak open files ${peak} of ${NOFILE} (${peaks.join(', ')})`);
});
