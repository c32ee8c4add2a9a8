import { test } from 'node:test';
import assert from 'node:assert/strict';
import { xxh32 } from '../../../src/protocol/compression/xxh32.js';

// Reference values published with xxHash (seed 0 unless noted).
test('xxh32 known answers', () => {
  assert.equal(xxh32(Buffer.alloc(0)), 0x02cc5d05);
  assert.equal(xxh32(Buffer.from('abc')), 0x32d153ff);
  assert.equal(xxh32(Buffer.from('Nobody inspects the spammish repetition')), 0xe2293b2f);
});

test('xxh32 covers every tail length and honours the seed', () => {
  const data = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
  const seen = new Set<number>();
  for (let n = 0; n <= data.length; n++) seen.add(xxh32(data.subarray(0, n)));
  assert.equal(seen.size, data.length + 1);
  assert.notEqual(xxh32(data, 1), xxh32(data, 0));
  // A view with a non-zero byteOffset hashes the same as a copy.
  assert.equal(xxh32(data.subarray(3, 30)), xxh32(Buffer.from(data.subarray(3, 30))));
});

test('LZ4 frame header checksums from the frame spec', () => {
  // FLG 0x60 BD 0x40 (independent, 64 KiB) and BD 0x70 (4 MiB): HC values seen in real frames.
  assert.equal((xxh32(Buffer.from([0x60, 0x40])) >>> 8) & 0xff, 0x82);
  assert.equal((xxh32(Buffer.from([0x60, 0x70])) >>> 8) & 0xff, 0x73);
});
