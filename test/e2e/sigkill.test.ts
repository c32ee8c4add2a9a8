import assert from 'node:assert/strict';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { makeTempDir, removeTempDir } from '../helpers/cleanup.js';
import { makeKafka } from '../helpers/kafkajs.js';
import { formatRunFailure } from '../helpers/proc.js';
import { parseConsumed, parseJsonLines, runPython, runPythonChecked, startPython } from '../helpers/python.js';
import { makeRecords, parseValue, writeRecordsJsonl, type ConsumedRecord } from '../helpers/records.js';
import { requireTool } from '../helpers/tools.js';
import { checkStoredBatches } from '../helpers/wire.js';

/**
 * Crash safety: a real producer streams records with acks=all and records every acknowledged
 * (partition, offset, value); the broker is SIGKILLed mid-stream and restarted on the same
 * log.dirs. Then every acknowledged record must be read back at its acknowledged offset by a real
 * consumer (confluent-kafka-python, check.crcs=true, assigned from the beginning to the end of
 * each partition), the consumer must see no error (no CORRUPT_MESSAGE), offsets must be contiguous
 * from 0 in each partition, and an independent Fetch v4 reader must find only whole batches with
 * valid CRCs covering 0..high watermark (no torn batch survived recovery).
 */

const PARTITIONS = 3;

interface Ack {
  partition: number;
  offset: number;
  value: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Like sleep, but does not keep the process alive. */
function unrefSleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number, onTimeout: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${onTimeout()}`);
    await sleep(20);
  }
}

/** Read everything back after the crash(es) and check it against the acknowledged records. */
async function verifyAfterRestart(broker: BrokerProcess, topic: string, acks: readonly Ack[], label: string): Promise<void> {
  const read = await runPython('confluent_client.py', ['read-all', '--bootstrap', broker.bootstrap, '--topic', topic, '--partitions', String(PARTITIONS), '--timeout', '30'], 45_000);
  const { records, errors } = parseConsumed(read.stdout);
  const problems: string[] = [];
  if (errors.length > 0) problems.push(`the consumer reported ${errors.length} errors reading the recovered log, e.g. ${errors.slice(0, 5).join(' | ')}`);
  if (read.code !== 0) problems.push(formatRunFailure(read, 'read-all'));

  const byPos = new Map<string, ConsumedRecord>();
  const nextOffset = new Map<number, number>();
  for (const r of records) {
    const expected = nextOffset.get(r.partition) ?? 0;
    if (r.offset !== expected && problems.length < 20) problems.push(`partition ${r.partition}: offset ${r.offset} read where ${expected} was expected (offsets not contiguous)`);
    nextOffset.set(r.partition, r.offset + 1);
    byPos.set(`${r.partition}@${r.offset}`, r);
    if ((r.value === null || parseValue(r.value) === null) && problems.length < 20) {
      problems.push(`${r.partition}@${r.offset}: value ${JSON.stringify(r.value)} was never produced`);
    }
  }
  let lost = 0;
  for (const ack of acks) {
    const got = byPos.get(`${ack.partition}@${ack.offset}`);
    if (!got || got.value !== ack.value) {
      lost += 1;
      if (problems.length < 20) {
        problems.push(`acknowledged record ${ack.partition}@${ack.offset} ${JSON.stringify(ack.value.slice(0, 40))} ${got ? `reads back as ${JSON.stringify(got.value?.slice(0, 40))}` : 'is missing'}`);
      }
    }
  }
  if (lost > 0) problems.push(`${lost} of ${acks.length} acknowledged records lost or changed`);
  try {
    await checkStoredBatches(broker.host, broker.port, topic, { partitions: PARTITIONS, label });
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (problems.length > 0) {
    throw new Error(`${label}: after SIGKILL + restart:\n  - ${problems.join('\n  - ')}\n--- broker log (tail) ---\n${broker.recentLogs()}`);
  }
}

async function createTopic(broker: BrokerProcess, topic: string): Promise<void> {
  await runPythonChecked('confluent_client.py', ['create-topic', '--bootstrap', broker.bootstrap, '--topic', topic, '--partitions', String(PARTITIONS)], 30_000, 'create-topic');
}

test('sigkill: confluent-kafka-python acks=all, broker SIGKILLed mid-stream twice, no acknowledged record lost, no torn batch', { timeout: 120_000 }, async (t: TestContext) => {
  requireTool('confluent-kafka-python');
  const broker = await startBrokerProcess(t, { name: 'sigkill-confluent-broker', overrides: { 'auto.create.topics.enable': false } });
  const dir = await makeTempDir('sigkill-confluent');
  t.after(() => removeTempDir(dir));
  const topic = 'sigkill-confluent';
  await createTopic(broker, topic);

  const acks: Ack[] = [];
  const CYCLE_RECORDS = 60_000;
  for (let cycle = 0; cycle < 2; cycle++) {
    const records = makeRecords({ count: CYCLE_RECORDS, withHeaders: true, baseTimestamp: null, keyPrefix: `c${cycle}` });
    const input = path.join(dir, `cycle-${cycle}.jsonl`);
    await writeRecordsJsonl(input, records);
    const cycleAcks: Ack[] = [];
    const producer = startPython(
      'confluent_client.py',
      ['produce', '--bootstrap', broker.bootstrap, '--topic', topic, '--input', input, '--acks', 'all', '--report', '--rate', '15000', '--message-timeout-ms', '5000', '--flush-timeout', '8'],
      60_000,
      (line) => {
        if (line.trim().length === 0) return;
        const [ack] = parseJsonLines<{ p: number; o: number; v: string }>(line);
        if (ack) cycleAcks.push({ partition: ack.p, offset: ack.o, value: ack.v });
      },
    );
    t.after(() => producer.kill());
    // Mid-stream: wait for a few thousand acknowledgements, then pull the plug.
    await waitFor('acknowledgements before the kill', () => cycleAcks.length >= 4000, 30_000, () => `acks so far: ${cycleAcks.length}\n${producer.stderrSoFar()}\n${broker.recentLogs()}`);
    const exit = await broker.kill('SIGKILL');
    assert.equal(exit.signal, 'SIGKILL');
    const acksAtKill = cycleAcks.length;
    await sleep(500);
    producer.kill('SIGKILL');
    await producer.done;
    assert.ok(cycleAcks.length < CYCLE_RECORDS, `the producer finished (${cycleAcks.length} acks) before the kill: not mid-stream`);
    t.diagnostic(`cycle ${cycle}: ${acksAtKill} acks when SIGKILL was sent, ${cycleAcks.length} acks recorded in total`);
    acks.push(...cycleAcks);

    await broker.restart();
    await verifyAfterRestart(broker, topic, acks, `confluent cycle ${cycle}`);
  }
});

test('sigkill: kafkajs acks=-1, broker SIGKILLed mid-stream, no acknowledged record lost, no torn batch', { timeout: 120_000 }, async (t: TestContext) => {
  requireTool('confluent-kafka-python'); // the reader
  const broker = await startBrokerProcess(t, { name: 'sigkill-kafkajs-broker', overrides: { 'auto.create.topics.enable': false } });
  const topic = 'sigkill-kafkajs';
  await createTopic(broker, topic);

  const { kafka, logTail } = makeKafka(broker.bootstrap, 'e2e-sigkill-kafkajs', { retry: { retries: 0 } });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  t.after(() => producer.disconnect().catch(() => undefined));

  const acks: Ack[] = [];
  let stop = false;
  let sent = 0;
  const workerErrors: string[] = [];
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; !stop; i++) {
      const value = `kjs-w${w}|${i}|${w * 1_000_000 + i}|sigkill payload ${'z'.repeat(i % 40)}`;
      sent += 1;
      try {
        const meta = await producer.send({ topic, acks: -1, timeout: 5000, messages: [{ key: `kjs-w${w}-${i % 7}`, value }] });
        const m = meta[0];
        if (m && m.errorCode === 0 && m.baseOffset !== undefined) acks.push({ partition: m.partition, offset: Number(m.baseOffset), value });
      } catch (err) {
        workerErrors.push(String(err));
        return; // the broker is gone
      }
    }
  };
  const workers = Array.from({ length: 16 }, (_, w) => worker(w));
  await waitFor('kafkajs acknowledgements before the kill', () => acks.length >= 3000, 30_000, () => `acks so far: ${acks.length}; errors: ${workerErrors.slice(0, 3).join(' | ')}\n${logTail()}\n${broker.recentLogs()}`);
  await broker.kill('SIGKILL');
  const acksAtKill = acks.length;
  stop = true;
  await Promise.race([Promise.allSettled(workers), unrefSleep(15_000)]);
  t.diagnostic(`kafkajs: ${sent} sends, ${acksAtKill} acks at SIGKILL, ${acks.length} in total`);
  await producer.disconnect().catch(() => undefined);

  await broker.restart();
  await verifyAfterRestart(broker, topic, acks, 'kafkajs');
});
