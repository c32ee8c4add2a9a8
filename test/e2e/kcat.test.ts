import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { makeTempDir, removeTempDir } from '../helpers/cleanup.js';
import { runChecked } from '../helpers/proc.js';
import { makeRecords, verifyRoundTrip } from '../helpers/records.js';
import { KCAT_RECORD_FORMAT, parseKcatLine, requireTool } from '../helpers/tools.js';
import { checkStoredBatches, COMPRESSION_NAMES } from '../helpers/wire.js';

/**
 * kcat 1.7.1 (librdkafka 2.0.2) against the broker process. The topic is auto-created by the
 * producer's Metadata request (broker: num.partitions=3). For each codec kcat produces 10,000
 * keyed records with two headers from a file (`-l`, `-K`, `-H`, `-z`), consumes them with
 * `kcat -C -e` and the test checks keys, values, headers, CreateTime timestamps and per-partition
 * order; an independent Fetch v4 client then checks that the stored batches really carry the codec
 * (librdkafka 2.0.2 silently sends uncompressed batches if the broker does not advertise Produce v0).
 */

const COUNT = 10_000;
const PARTITIONS = 3;
const HEADERS = { 'h-one': 'first header', source: 'kcat' };

type Codec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

async function kcatRoundTrip(t: TestContext, codec: Codec): Promise<void> {
  requireTool('kcat');
  const broker = await startBrokerProcess(t, {
    name: `kcat-${codec}-broker`,
    overrides: { 'num.partitions': PARTITIONS, 'auto.create.topics.enable': true },
  });
  const dir = await makeTempDir(`kcat-${codec}`);
  t.after(() => removeTempDir(dir));
  const topic = `kcat-${codec}-topic`;
  try {
    const records = makeRecords({ count: COUNT, withHeaders: false, baseTimestamp: null, keyPrefix: `kcat-${codec}` });
    const input = path.join(dir, 'records.txt');
    await fs.promises.writeFile(input, records.map((r) => `${r.key}\t${r.value}`).join('\n') + '\n');

    const headerArgs = Object.entries(HEADERS).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
    const produceStart = Date.now();
    const produced = await runChecked(
      'kcat',
      ['-P', '-b', broker.bootstrap, '-t', topic, '-K', '\\t', '-z', codec, ...headerArgs, '-X', 'acks=all', '-X', 'linger.ms=5', '-l', input],
      { timeoutMs: 40_000 },
      `kcat producer (${codec})`,
    );
    const produceEnd = Date.now();
    assert.doesNotMatch(produced.stderr, /Delivery failed|% ERROR|% FATAL/, `kcat producer reported errors:\n${produced.stderr}`);

    const consumed = await runChecked(
      'kcat',
      ['-C', '-b', broker.bootstrap, '-t', topic, '-e', '-o', 'beginning', '-X', 'check.crcs=true', '-f', KCAT_RECORD_FORMAT],
      { timeoutMs: 40_000 },
      `kcat consumer (${codec})`,
    );
    const lines = consumed.stdout.split('\n').filter((l) => l.length > 0);
    const got = lines.map(parseKcatLine);
    verifyRoundTrip(records, got, {
      partitions: PARTITIONS,
      timestamps: { kind: 'window', minMs: produceStart, maxMs: produceEnd },
      checkHeaders: true,
      fixedHeaders: HEADERS,
      label: `kcat -z ${codec}`,
    });

    const expectedCodec = COMPRESSION_NAMES.indexOf(codec);
    const stored = await checkStoredBatches(broker.host, broker.port, topic, {
      partitions: PARTITIONS,
      compression: expectedCodec,
      // librdkafka sends a batch uncompressed when compressing does not make it smaller (a batch
      // of one or two short records); every bigger batch must carry the codec.
      codecMinRecords: 10,
      expectedRecords: COUNT,
      label: `kcat -z ${codec}`,
    });
    t.diagnostic(`kcat -z ${codec}: ${stored.batches} stored batches, codecs ${JSON.stringify(stored.codecs)}`);
  } catch (err) {
    if (err instanceof Error) err.message += `\n--- broker log (tail) ---\n${broker.recentLogs()}`;
    throw err;
  }
}

for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
  test(`kcat: 10,000 keyed records with headers round-trip, -z ${codec}`, { timeout: 90_000 }, async (t) => {
    await kcatRoundTrip(t, codec);
  });
}
