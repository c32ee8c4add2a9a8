import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRecordBatch, decodeRecordBatches } from '../../../src/protocol/records/record-batch.js';
import { crc32 } from '../../../src/protocol/records/crc32.js';
import { crc32c } from '../../../src/protocol/records/crc32c.js';
import { hex, slowCrc32, slowCrc32c } from './helpers.js';

test('CRC-32C and CRC-32 check values ("123456789")', () => {
  const check = Buffer.from('123456789');
  assert.equal(slowCrc32c(check), 0xe3069283);
  assert.equal(crc32c(check), 0xe3069283);
  assert.equal(slowCrc32(check), 0xcbf43926);
  assert.equal(crc32(check), 0xcbf43926);
});

// One record: null key, value "v", timestamp = baseTimestamp = 1000, no headers. Laid out by hand
// from the DefaultRecordBatch / DefaultRecord field tables (COMPAT.md section 5).
const RECORD = Buffer.from([
  0x0e, // length 7 (zigzag 14)
  0x00, // attributes
  0x00, // timestampDelta 0
  0x00, // offsetDelta 0
  0x01, // keyLength -1: null key
  0x02, 0x76, // valueLength 1, "v"
  0x00, // headers count 0
]);

function expectedBatch(): Buffer {
  const afterCrc = Buffer.concat([
    hex('0000'), // attributes
    hex('00000000'), // lastOffsetDelta
    hex('00000000000003e8'), // baseTimestamp 1000
    hex('00000000000003e8'), // maxTimestamp 1000
    hex('ffffffffffffffff'), // producerId -1
    hex('ffff'), // producerEpoch -1
    hex('ffffffff'), // baseSequence -1
    hex('00000001'), // recordsCount
    RECORD,
  ]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(slowCrc32c(afterCrc));
  const afterLength = Buffer.concat([hex('ffffffff'), hex('02'), crc, afterCrc]);
  const length = Buffer.alloc(4);
  length.writeInt32BE(afterLength.length);
  return Buffer.concat([hex('0000000000000000'), length, afterLength]);
}

test('builds byte-for-byte the batch laid out from the spec', async () => {
  const built = await buildRecordBatch({ records: [{ key: null, value: 'v', timestamp: 1000 }] });
  assert.deepEqual(built, expectedBatch());
  assert.equal(built.length, 61 + 8);
});

test('decodes the batch laid out from the spec', async () => {
  const [batch] = await decodeRecordBatches(expectedBatch());
  assert.ok(batch);
  assert.equal(batch.magic, 2);
  assert.equal(batch.recordsCount, 1);
  assert.deepEqual(batch.records, [{ offset: 0, timestamp: 1000, key: null, value: Buffer.from('v'), headers: [] }]);
});

test('varint edge values in a record: negative delta, 64-bit delta, header', async () => {
  // Two records; the second is 2^33 ms earlier (delta -2^33 -> zigzag 2^34 - 1 -> 5-byte varint).
  const built = await buildRecordBatch({
    now: 0,
    records: [
      { value: null, timestamp: 2 ** 33 },
      { key: 'k', value: null, timestamp: 0, headers: [{ key: 'h', value: null }] },
    ],
  });
  // Second record by hand: attributes, tsDelta zigzag(-2^33) = 2^34-1 = ff ff ff ff 3f,
  // offsetDelta 1 -> 02, key "k" -> 02 6b, value null -> 01, 1 header -> 02, key "h" -> 02 68, null -> 01.
  const body = hex('00 ffffffff3f 02 026b 01 02 0268 01');
  const second = Buffer.concat([Buffer.from([body.length * 2]), body]);
  assert.deepEqual(built.subarray(built.length - second.length), second);
  const [batch] = await decodeRecordBatches(built);
  assert.deepEqual(
    batch!.records.map((r) => r.timestamp),
    [2 ** 33, 0],
  );
  assert.equal(batch!.maxTimestamp, 2 ** 33);
  assert.equal(batch!.baseTimestamp, 2 ** 33);
});
