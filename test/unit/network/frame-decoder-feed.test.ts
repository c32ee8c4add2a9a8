import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder } from '../../../src/network/frame-decoder.js';

function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

test('feed: frames larger than the preallocation limit are joined from their chunks', () => {
  const big = Buffer.alloc(3 * 1024 * 1024 + 5);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  const payloads = [Buffer.from('x'), big, Buffer.alloc(2 * 1024 * 1024, 9), Buffer.from('tail')];
  const stream = Buffer.concat(payloads.map(frame));
  for (const step of [7, 65536, 1_000_003]) {
    const d = new FrameDecoder(8 * 1024 * 1024);
    const out: Buffer[] = [];
    for (let pos = 0; pos < stream.length; pos += step) {
      d.feed(stream.subarray(pos, pos + step), (f) => void out.push(Buffer.from(f)));
      assert.ok(d.bufferedBytes < 8 * 1024 * 1024);
    }
    assert.deepEqual(out, payloads, `step ${step}`);
    assert.equal(d.bufferedBytes, 0);
  }
});

test('feed: a frame assembled across chunks does not alias the chunks it came from', () => {
  const payload = Buffer.alloc(1000, 3);
  const stream = frame(payload);
  const d = new FrameDecoder(10_000);
  const first = Buffer.from(stream.subarray(0, 500));
  const second = Buffer.from(stream.subarray(500));
  const out: Buffer[] = [];
  d.feed(first, (f) => void out.push(f));
  d.feed(second, (f) => void out.push(f));
  first.fill(0);
  second.fill(0);
  assert.deepEqual(out, [payload]);
});
