import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder, FrameTooLargeError } from '../../../src/network/frame-decoder.js';

function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

test('frames split at every byte boundary come out whole and in order', () => {
  const payloads = [Buffer.from('a'), Buffer.alloc(0), Buffer.alloc(300, 7), Buffer.from('last')];
  const stream = Buffer.concat(payloads.map(frame));
  for (let cut = 0; cut <= stream.length; cut++) {
    const d = new FrameDecoder(1000);
    const out = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
    assert.deepEqual(out, payloads, `cut at ${cut}`);
    assert.equal(d.bufferedBytes, 0);
  }
});

test('one byte at a time', () => {
  const payloads = [Buffer.alloc(50, 1), Buffer.alloc(70, 2)];
  const stream = Buffer.concat(payloads.map(frame));
  const d = new FrameDecoder(1000);
  const out: Buffer[] = [];
  for (const b of stream) out.push(...d.push(Buffer.from([b])));
  assert.deepEqual(out, payloads);
});

test('a declared size over the limit, or negative, is rejected before its bytes arrive', () => {
  const huge = Buffer.alloc(4);
  huge.writeInt32BE(2_000_000_000);
  assert.throws(() => new FrameDecoder(1000).push(huge), FrameTooLargeError);
  const negative = Buffer.alloc(4);
  negative.writeInt32BE(-5);
  assert.throws(() => new FrameDecoder(1000).push(negative), FrameTooLargeError);
  // the size may arrive split too
  const d = new FrameDecoder(1000);
  assert.deepEqual(d.push(huge.subarray(0, 2)), []);
  assert.throws(() => d.push(huge.subarray(2)), FrameTooLargeError);
});
