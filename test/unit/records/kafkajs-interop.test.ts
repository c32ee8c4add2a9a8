/**
 * Cross-checks against KafkaJS's own (independently written) v2 and legacy codecs, loaded from the
 * kafkajs dev dependency. KafkaJS only ships gzip, so other codecs are covered elsewhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { CompressionType } from '../../../src/protocol/compression/index.js';
import { buildLegacyMessageSet } from '../../../src/protocol/records/legacy-build.js';
import { buildRecordBatch, decodeRecordBatches } from '../../../src/protocol/records/record-batch.js';

const require = createRequire(import.meta.url);

interface KjsEncoder {
  buffer: Buffer;
}
interface KjsDecoder {
  offset: number;
}
interface KjsRecordInput {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer>;
}
interface KjsDecodedRecord {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | Buffer[]>;
}
interface KjsDecodedBatch {
  firstOffset: string;
  lastOffsetDelta: number;
  producerId: string;
  records: KjsDecodedRecord[];
}
interface KjsMessage {
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  timestamp?: string;
  magicByte: number;
}

const kjs = 'kafkajs/src/protocol/';
const { RecordBatch } = require(`${kjs}recordBatch/v0/index.js`) as {
  RecordBatch: (opts: Record<string, unknown>) => Promise<KjsEncoder>;
};
const Record = require(`${kjs}recordBatch/record/v0/index.js`) as (r: KjsRecordInput) => KjsEncoder;
const decodeBatch = require(`${kjs}recordBatch/v0/decoder.js`) as (d: KjsDecoder) => Promise<KjsDecodedBatch>;
const Decoder = require(`${kjs}decoder.js`) as new (b: Buffer) => KjsDecoder;
const MessageSet = require(`${kjs}messageSet/index.js`) as (o: {
  messageVersion: number;
  compression: number;
  entries: Array<{ key: Buffer | null; value: Buffer | null; timestamp?: number }>;
}) => KjsEncoder;
const decodeMessageSet = require(`${kjs}messageSet/decoder.js`) as (d: KjsDecoder, size: number) => Promise<KjsMessage[]>;

const T0 = 1_600_000_000_000;
const INPUT = [
  { key: Buffer.from('k1'), value: Buffer.from('v1'), timestamp: T0, headers: { h: Buffer.from('1') } },
  { key: null, value: Buffer.from('v2'), timestamp: T0 + 5 },
  { key: Buffer.from('k3'), value: null, timestamp: T0 - 3 },
];

function kjsBatch(compression: number): Promise<KjsEncoder> {
  return RecordBatch({
    compression,
    firstOffset: '7',
    firstTimestamp: T0,
    maxTimestamp: T0 + 5,
    partitionLeaderEpoch: -1,
    lastOffsetDelta: INPUT.length - 1,
    producerId: -1,
    producerEpoch: -1,
    firstSequence: -1,
    records: INPUT.map((r, i) =>
      Record({ offsetDelta: i, timestampDelta: r.timestamp - T0, key: r.key, value: r.value, headers: r.headers }),
    ),
  });
}

test('uncompressed batches are byte-identical to KafkaJS output', async () => {
  const theirs = (await kjsBatch(CompressionType.None)).buffer;
  const ours = await buildRecordBatch({ baseOffset: 7, records: INPUT });
  assert.deepEqual(ours, theirs);
});

test('KafkaJS batches decode (none and gzip)', async () => {
  for (const codec of [CompressionType.None, CompressionType.Gzip]) {
    const [b] = await decodeRecordBatches((await kjsBatch(codec)).buffer);
    assert.ok(b);
    assert.equal(b.compression, codec);
    assert.deepEqual(
      b.records.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers]),
      INPUT.map((r, i) => [7 + i, r.timestamp, r.key, r.value, r.headers ? [{ key: 'h', value: r.headers.h }] : []]),
    );
  }
});

test('KafkaJS decodes our batches (none and gzip)', async () => {
  for (const compression of [CompressionType.None, CompressionType.Gzip]) {
    const ours = await buildRecordBatch({ baseOffset: 7, records: INPUT, compression, producerId: 12 });
    const b = await decodeBatch(new Decoder(ours));
    assert.equal(b.firstOffset, '7');
    assert.equal(b.producerId, '12');
    assert.equal(b.lastOffsetDelta, 2);
    assert.deepEqual(
      b.records.map((r) => [r.offset, r.timestamp, r.key, r.value, r.headers]),
      INPUT.map((r, i) => [String(7 + i), String(r.timestamp), r.key, r.value, r.headers ?? {}]),
    );
  }
});

test('KafkaJS legacy messages (v0, v1) decode', async () => {
  for (const messageVersion of [0, 1]) {
    const set = MessageSet({
      messageVersion,
      compression: CompressionType.None,
      entries: [
        { key: Buffer.from('a'), value: Buffer.from('1'), timestamp: 11 },
        { key: null, value: Buffer.from('2'), timestamp: 12 },
      ],
    }).buffer;
    const batches = await decodeRecordBatches(set);
    assert.deepEqual(
      batches.map((b) => [b.magic, b.records[0]!.key, b.records[0]!.value!.toString(), b.records[0]!.timestamp]),
      [
        [messageVersion, Buffer.from('a'), '1', messageVersion === 1 ? 11 : -1],
        [messageVersion, null, '2', messageVersion === 1 ? 12 : -1],
      ],
    );
  }
});

test('KafkaJS decodes our legacy sets (v0/v1, plain and gzip)', async () => {
  for (const magic of [0, 1] as const) {
    for (const compression of [CompressionType.None, CompressionType.Gzip]) {
      const set = await buildLegacyMessageSet({
        magic,
        baseOffset: 20,
        compression,
        records: [{ key: 'a', value: 'x', timestamp: 5 }, { value: 'y', timestamp: 6 }],
      });
      const msgs = await decodeMessageSet(new Decoder(set), set.length);
      assert.deepEqual(
        msgs.map((m) => [String(m.offset), m.key?.toString() ?? null, m.value?.toString(), m.magicByte]),
        [
          ['20', 'a', 'x', magic],
          ['21', null, 'y', magic],
        ],
      );
    }
  }
});
