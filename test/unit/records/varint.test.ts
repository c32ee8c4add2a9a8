import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ByteReader, ByteWriter } from '../../../src/protocol/bytes.js';
import { sizeOfUvarint, sizeOfVarint, writeVarint, zigzag } from '../../../src/protocol/records/varint.js';

const VALUES = [
  0, 1, -1, 63, -64, 64, -65, 8191, 8192, -8193, 2 ** 20, 2 ** 27 - 1, 2 ** 27, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 33,
  -(2 ** 33), 2 ** 40 + 12345, -(2 ** 45), 2 ** 50 + 1, 2 ** 52, -(2 ** 52),
];

test('zigzag matches the protobuf sint mapping', () => {
  assert.deepEqual([0, -1, 1, -2, 2, 2147483647, -2147483648].map(zigzag), [0, 1, 2, 3, 4, 4294967294, 4294967295]);
});

test('writeVarint agrees with ByteWriter and reads back with ByteReader.varlong', () => {
  for (const v of VALUES) {
    const buf = Buffer.alloc(16);
    const end = writeVarint(buf, 1, v);
    assert.equal(end - 1, sizeOfVarint(v), `size of ${v}`);
    assert.deepEqual(buf.subarray(1, end), new ByteWriter().varlong(v).toBuffer(), `bytes of ${v}`);
    const r = new ByteReader(buf, 1, end);
    assert.equal(r.varlong(), v);
    assert.equal(r.remaining, 0);
  }
});

test('sizeOfUvarint boundaries', () => {
  for (let bytes = 1; bytes <= 7; bytes++) {
    // Stop at 7: 2^56 - 1 is not exact in a double, and no JS offset or timestamp gets that big.
    const max = 2 ** (7 * bytes) - 1;
    assert.equal(sizeOfUvarint(max), bytes);
    assert.equal(sizeOfUvarint(max + 1), bytes + 1);
  }
});
