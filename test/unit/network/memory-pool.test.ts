import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameDecoder } from '../../../src/network/frame-decoder.js';
import { MemoryPool } from '../../../src/network/memory-pool.js';

function frame(payload: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
}

test('MemoryPool: non-strict reservations, release wakes waiters on a later turn', async () => {
  const pool = new MemoryPool(100);
  assert.equal(pool.tryReserve(60), true);
  assert.equal(pool.tryReserve(60), true, 'memory was left: the second may overshoot (as Kafka)');
  assert.equal(pool.tryReserve(1), false, 'exhausted');
  let woken = 0;
  pool.wait({ onMemoryAvailable: () => void woken++ });
  pool.release(60);
  assert.equal(woken, 0, 'not inside release');
  assert.equal(pool.used, 60);
  await new Promise((r) => setImmediate(r));
  assert.equal(woken, 1);
  assert.throws(() => pool.release(61), /released more/);
});

test('FrameDecoder with a pool: stalls at a refused reservation, resumes with the kept bytes in order', () => {
  const pool = new MemoryPool(10);
  const d = new FrameDecoder(1000, Buffer.allocUnsafe, false, (n) => pool.tryReserve(n));
  const payloads = [Buffer.alloc(8, 1), Buffer.alloc(5, 2), Buffer.alloc(3, 3)];
  const out: Buffer[] = [];
  const onFrame = (f: Buffer): void => void out.push(Buffer.from(f));
  const complete = d.feed(Buffer.concat(payloads.map(frame)), onFrame);
  // 8 reserved (used 8 < 10), 5 reserved (overshoot to 13), then refused.
  assert.equal(complete, false);
  assert.equal(d.stalled, true);
  assert.deepEqual(out, payloads.slice(0, 2));
  assert.throws(() => d.feed(Buffer.alloc(1), onFrame), /stalled/);
  assert.equal(d.resume(onFrame), false, 'still no memory');
  pool.release(13);
  assert.equal(d.resume(onFrame), true);
  assert.deepEqual(out, payloads);
  assert.equal(pool.used, 3);
});

test('FrameDecoder with a pool: a large frame gets one buffer of its declared size, reserved until delivered', () => {
  const pool = new MemoryPool(64 * 1024 * 1024);
  const d = new FrameDecoder(8 * 1024 * 1024, Buffer.allocUnsafe, false, (n) => pool.tryReserve(n));
  const big = Buffer.alloc(3 * 1024 * 1024, 9);
  const stream = frame(big);
  const out: Buffer[] = [];
  for (let pos = 0; pos < stream.length; pos += 65536) {
    d.feed(stream.subarray(pos, pos + 65536), (f) => void out.push(f));
    if (out.length === 0) assert.equal(d.reservedBytes, big.length);
  }
  assert.equal(out.length, 1);
  assert.deepEqual(out[0], big);
  assert.equal(out[0]!.buffer.byteLength >= big.length, true);
  assert.equal(pool.used, big.length, 'the owner releases it when the request is done');
});
