/**
 * Regression test for the "Hostile input" findings on record batches, against a broker process over real
 * sockets: every lying batch of test/helpers/hostile-batches.ts is sent in a Produce request to a plain, a
 * compacted and a `compression.type=gzip` topic, between honest records written by kcat. Each must be refused
 * with Kafka's error code and nothing appended; afterwards kcat (`-C -e`) and kafka-python read every honest
 * record of every partition to the end, in order, and nothing else. Meanwhile a probe connection measures how
 * long the event loop is held (ApiVersions round trips), and the broker's peak RSS is read from /proc: three
 * decompression bombs at once may not take it anywhere near the gigabytes they inflate to.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BrokerConnection } from '../../src/network/broker-connection.js';
import { ApiVersionsApi, CreateTopicsApi, ProduceApi } from '../../src/protocol/messages/index.js';
import type { CreateTopicsResponse } from '../../src/protocol/messages/create-topics.js';
import type { ProduceResponse } from '../../src/protocol/messages/produce.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { makeTempDir, removeTempDir } from '../helpers/cleanup.js';
import { HOSTILE_CASES } from '../helpers/hostile-batches.js';
import { runChecked } from '../helpers/proc.js';
import { parseConsumed, runPythonChecked } from '../helpers/python.js';
import { requireTool } from '../helpers/tools.js';

const TOPICS: Record<string, Record<string, string>> = {
  'hostile-plain': {},
  'hostile-compacted': { 'cleanup.policy': 'compact', 'segment.ms': '200', 'min.cleanable.dirty.ratio': '0.01' },
  'hostile-gzip': { 'compression.type': 'gzip' },
};
const RSS_CEILING_BYTES = 600 * 1024 * 1024;
const EVENT_LOOP_BUDGET_MS = 100;

interface ProduceOutcome {
  errorCode: number;
  errorMessage: string | null;
  recordErrors: Array<{ batchIndex: number; batchIndexErrorMessage: string | null }>;
}

async function produce(conn: BrokerConnection, topic: string, records: Buffer): Promise<ProduceOutcome> {
  const res = await conn.send<ProduceResponse>(
    ProduceApi,
    9,
    { transactionalId: null, acks: -1, timeoutMs: 30_000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] },
  );
  const p = res.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, errorMessage: p.errorMessage ?? null, recordErrors: p.recordErrors ?? [] };
}

function peakRssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** ApiVersions round trips every 10 ms until stopped; resolves to the slowest one, in ms. */
function probeEventLoop(broker: BrokerProcess): { stop(): Promise<number> } {
  let running = true;
  let worst = 0;
  const done = (async () => {
    const conn = await BrokerConnection.open(broker.host, broker.port);
    try {
      while (running) {
        const t0 = performance.now();
        await conn.send(ApiVersionsApi, 3, { clientSoftwareName: 'probe', clientSoftwareVersion: '1' });
        worst = Math.max(worst, performance.now() - t0);
        await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      conn.close();
    }
    return worst;
  })();
  return {
    stop: async () => {
      running = false;
      return done;
    },
  };
}

async function kcatProduce(broker: BrokerProcess, dir: string, topic: string, tag: string): Promise<string[]> {
  const lines = Array.from({ length: 5 }, (_, i) => `${tag}-k${i}:${tag}-v${i}`);
  const file = path.join(dir, `${topic}-${tag}.txt`);
  await fs.promises.writeFile(file, lines.join('\n') + '\n');
  const r = await runChecked('kcat', ['-P', '-b', broker.bootstrap, '-t', topic, '-K', ':', '-X', 'acks=all', '-l', file], { timeoutMs: 30_000 }, `kcat producer (${topic})`);
  assert.doesNotMatch(r.stderr, /Delivery failed|% ERROR|% FATAL/, r.stderr);
  return lines;
}

test('lying record batches are refused, nothing is poisoned, and bombs neither stall nor bloat the broker', async (t) => {
  requireTool('kcat');
  requireTool('kafka-python');
  const broker = await startBrokerProcess(t, { name: 'hostile-batches-broker', overrides: { 'auto.create.topics.enable': false, 'log.cleaner.backoff.ms': 200 } });
  const dir = await makeTempDir('hostile-batches');
  t.after(() => removeTempDir(dir));
  const conn = await BrokerConnection.open(broker.host, broker.port);
  t.after(() => conn.close());
  const created = await conn.send<CreateTopicsResponse>(CreateTopicsApi, 5, {
    topics: Object.entries(TOPICS).map(([name, configs]) => ({
      name,
      numPartitions: 1,
      replicationFactor: 1,
      assignments: [],
      configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })),
    })),
    timeoutMs: 10_000,
  });
  for (const c of created.topics) assert.equal(c.errorCode, ErrorCode.NONE, `${c.name}: ${c.errorMessage}`);

  const batches = new Map<string, Buffer>();
  for (const c of HOSTILE_CASES) batches.set(c.name, await c.build());

  try {
    const expected = new Map<string, string[]>();
    for (const topic of Object.keys(TOPICS)) expected.set(topic, await kcatProduce(broker, dir, topic, 'before'));

    const probe = probeEventLoop(broker);
    for (const topic of Object.keys(TOPICS)) {
      for (const c of HOSTILE_CASES) {
        const r = await produce(conn, topic, batches.get(c.name)!);
        assert.equal(r.errorCode, c.code, `${topic}, ${c.name}: expected ${ErrorCode[c.code]}, got ${ErrorCode[r.errorCode] ?? r.errorCode} (${r.errorMessage})`);
        assert.ok(r.errorMessage !== null && r.errorMessage.length > 0, `${topic}, ${c.name}: an error message says what is wrong`);
        // A refused record is named in record_errors (Produce v8+), as Kafka's RecordValidationException does.
        const named = /: record (\d+): /.exec(r.errorMessage);
        if (named) assert.deepEqual(r.recordErrors.map((e) => e.batchIndex), [Number(named[1])], `${topic}, ${c.name}: record_errors`);
      }
    }
    // Three bombs at once, on three connections, as in the finding (5.6 GB before).
    const bombs = HOSTILE_CASES.filter((c) => /bomb|12M/.test(c.name));
    const conns = await Promise.all(bombs.map(() => BrokerConnection.open(broker.host, broker.port)));
    try {
      const results = await Promise.all(bombs.map((c, i) => produce(conns[i]!, 'hostile-gzip', batches.get(c.name)!)));
      results.forEach((r, i) => assert.equal(r.errorCode, bombs[i]!.code, `${bombs[i]!.name} at once: ${r.errorMessage}`));
    } finally {
      for (const c of conns) c.close();
    }
    const worstMs = await probe.stop();
    t.diagnostic(`slowest ApiVersions round trip while the batches were judged: ${worstMs.toFixed(1)} ms`);
    assert.ok(worstMs < EVENT_LOOP_BUDGET_MS, `the event loop was held ${worstMs.toFixed(1)} ms (budget ${EVENT_LOOP_BUDGET_MS} ms)`);

    for (const topic of Object.keys(TOPICS)) expected.get(topic)!.push(...(await kcatProduce(broker, dir, topic, 'after')));
    // Let the cleaner run over the compacted topic (segment.ms rolls it at the next append).
    await new Promise((r) => setTimeout(r, 600));
    await kcatProduce(broker, dir, 'hostile-compacted', 'roll').then((l) => expected.get('hostile-compacted')!.push(...l));
    await new Promise((r) => setTimeout(r, 600));

    for (const [topic, lines] of expected) {
      const kcat = await runChecked('kcat', ['-C', '-b', broker.bootstrap, '-t', topic, '-e', '-o', 'beginning', '-X', 'check.crcs=true', '-f', '%k:%s\\n'], { timeoutMs: 30_000 }, `kcat consumer (${topic})`);
      assert.deepEqual(kcat.stdout.split('\n').filter((l) => l.length > 0), lines, `kcat reads ${topic} to its end, honest records only`);
      const py = await runPythonChecked('kafka_python_client.py', ['read-all', '--bootstrap', broker.bootstrap, '--topic', topic, '--partitions', '1', '--timeout', '30'], 45_000, `kafka-python read-all (${topic})`);
      const { records, errors } = parseConsumed(py.stdout);
      assert.deepEqual(errors, [], `kafka-python reads ${topic} without errors`);
      assert.deepEqual(records.map((r) => `${r.key}:${r.value}`), lines, `kafka-python reads ${topic}`);
    }
    assert.doesNotMatch(broker.recentLogs(200_000), /cleaner.*(fail|error)|cannot be read/i, 'the cleaner found nothing it could not read');

    const peak = peakRssBytes(broker.pid!);
    t.diagnostic(`broker peak RSS (VmHWM): ${(peak / 1048576).toFixed(1)} MiB`);
    assert.ok(peak < RSS_CEILING_BYTES, `peak RSS ${peak} bytes is over the ${RSS_CEILING_BYTES} ceiling`);
  } catch (err) {
    if (err instanceof Error) err.message += `\n--- broker log (tail) ---\n${broker.recentLogs()}`;
    throw err;
  }
});
