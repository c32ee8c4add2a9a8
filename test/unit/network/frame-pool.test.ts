import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameDecoder } from '../../../src/network/frame-decoder.js';
import { FramePool, MAX_POOLED_BYTES, MIN_POOLED_BYTES } from '../../../src/network/frame-pool.js';

test('frame pool: a released buffer is reused for the next frame of its size class', () => {
  const pool = new FramePool();
  try {
    const a = pool.alloc(100_000);
    assert.equal(a.length, 100_000);
    assert.equal(a.buffer.byteLength, 131_072, 'power-of-two class');
    pool.release(a);
    assert.equal(pool.retained, 131_072);
    const b = pool.alloc(70_000);
    assert.equal(b.buffer, a.buffer, 'same memory, new view');
    assert.equal(b.length, 70_000);
    assert.equal(pool.retained, 0);
    const c = pool.alloc(70_000);
    assert.notEqual(c.buffer, b.buffer, 'a lent buffer is never lent twice');
  } finally {
    pool.close();
  }
});

test('frame pool: double release, foreign buffers and out-of-range sizes are ignored', () => {
  const pool = new FramePool();
  try {
    const a = pool.alloc(MIN_POOLED_BYTES);
    pool.release(a);
    pool.release(a);
    assert.equal(pool.retained, MIN_POOLED_BYTES, 'second release ignored');
    pool.release(Buffer.alloc(MIN_POOLED_BYTES));
    pool.release(pool.alloc(MIN_POOLED_BYTES * 2).subarray(1));
    assert.equal(pool.retained, MIN_POOLED_BYTES);
    const tiny = pool.alloc(100);
    const huge = pool.alloc(MAX_POOLED_BYTES + 1);
    pool.release(tiny);
    pool.release(huge);
    assert.equal(pool.retained, MIN_POOLED_BYTES);
  } finally {
    pool.close();
  }
});

test('frame pool: retained memory is capped, and dropped after an idle period', async () => {
  const pool = new FramePool({ maxRetainedBytes: 3 * 65_536, idleTrimMs: 30 });
  try {
    const bufs = Array.from({ length: 5 }, () => pool.alloc(65_536));
    for (const b of bufs) pool.release(b);
    assert.equal(pool.retained, 3 * 65_536);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(pool.retained, 0);
  } finally {
    pool.close();
  }
});

test('frame decoder assembles chunk-spanning frames in pool buffers, byte for byte', () => {
  const pool = new FramePool();
  try {
    const decoder = new FrameDecoder(10_000_000, (n) => pool.alloc(n));
    const payloads = [200_000, 40_000, 10, 1_048_576].map((n, i) => Buffer.alloc(n, i + 1));
    const stream = Buffer.concat(payloads.flatMap((p) => [Buffer.from([p.length >>> 24, (p.length >>> 16) & 255, (p.length >>> 8) & 255, p.length & 255]), p]));
    const frames: Buffer[] = [];
    for (let pos = 0; pos < stream.length; pos += 65_536) decoder.feed(stream.subarray(pos, pos + 65_536), (f) => frames.push(Buffer.from(f)));
    assert.deepEqual(frames, payloads);
  } finally {
    pool.close();
  }
});

test('frame decoder with transient chunks: frames stay intact when the read buffer is overwritten after each feed', () => {
  const decoder = new FrameDecoder(10_000_000, undefined, true);
  // Small frames wholly inside a read, one spanning reads, one larger than the preallocation limit.
  const payloads = [5, 300, 70_000, 12, 1_500_000, 1].map((n, i) => Buffer.alloc(n, i + 1));
  const stream = Buffer.concat(payloads.flatMap((p) => [Buffer.from([p.length >>> 24, (p.length >>> 16) & 255, (p.length >>> 8) & 255, p.length & 255]), p]));
  const readBuffer = Buffer.alloc(50_000);
  const frames: Buffer[] = [];
  for (let pos = 0; pos < stream.length; pos += readBuffer.length) {
    const n = stream.copy(readBuffer, 0, pos, pos + readBuffer.length);
    decoder.feed(readBuffer.subarray(0, n), (f) => frames.push(f));
    readBuffer.fill(0xee); // the socket's next read reuses the memory
  }
  assert.equal(frames.length, payloads.length);
  frames.forEach((f, i) => assert.ok(f.equals(payloads[i]!), `frame ${i} intact`));
});
