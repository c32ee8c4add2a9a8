import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CompressionType, compress, compressSync, decompress, decompressSync } from '../../../src/protocol/compression/index.js';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.js';

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];
const FHD_FCS_FLAG_MASK = 0xc0;
const FHD_SINGLE_SEGMENT = 0x20;

const BLOCK_RAW = 0;
const BLOCK_RLE = 1;

/** Block header (zstd format spec): 3 bytes LE = Last_Block | Block_Type << 1 | Block_Size << 3. */
function blockHeader(last: boolean, type: number, size: number): Buffer {
  const v = (last ? 1 : 0) | (type << 1) | (size << 3);
  return Buffer.from([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff]);
}

/**
 * A frame as a streaming encoder writes it when it does not know the input size: FHD 0x00 (no
 * Frame_Content_Size, not single-segment, no checksum, no dictionary), then a Window_Descriptor.
 * Exponent 7 -> 128 KiB window, so blocks may hold up to 128 KiB.
 */
function frameWithoutContentSize(parts: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([...ZSTD_MAGIC, 0x00, 7 << 3]), ...parts]);
}

test('decodes a hand-built frame without content size (raw and RLE blocks)', async () => {
  const raw1 = randomBytes(100_000);
  const rleLen = 5000;
  const tail = Buffer.from('tail');
  const f = frameWithoutContentSize([
    blockHeader(false, BLOCK_RAW, raw1.length),
    raw1,
    blockHeader(false, BLOCK_RLE, rleLen),
    Buffer.from('x'),
    blockHeader(true, BLOCK_RAW, tail.length),
    tail,
  ]);
  const want = Buffer.concat([raw1, Buffer.alloc(rleLen, 'x'), tail]);
  assert.deepEqual(await decompress(CompressionType.Zstd, f), want);
  assert.deepEqual(decompressSync(CompressionType.Zstd, f), want);
});

test('decodes a hand-built frame without content size whose output exceeds any default buffer', async () => {
  // 20 RLE blocks of 128 KiB = 2.5 MiB of output from a few bytes of input.
  const parts: Buffer[] = [];
  for (let i = 0; i < 20; i++) parts.push(blockHeader(i === 19, BLOCK_RLE, 128 * 1024), Buffer.from([i]));
  const out = await decompress(CompressionType.Zstd, frameWithoutContentSize(parts));
  assert.equal(out.length, 20 * 128 * 1024);
  assert.equal(out[19 * 128 * 1024], 19);
});

test('decodes a zstd CLI frame made with --no-content-size (compressed block, checksum)', async () => {
  // printf '%s' "$TEXT" | zstd -19 --no-content-size
  const text =
    'tributary tributary tributary: kafka-compatible broker, zstd frame without content size. tributary tributary!';
  const f = Buffer.from(
    '28b52ffd04002d020062840e11b03dec280568c5351ac899b8a43adae84460745571dff5bb67f6e54bafe67663477b3ed60ddeeb79d966453dc3f68ce085782d59eafcb228ff02002b051a36294829351f4b',
    'hex',
  );
  assert.equal(f[4]! & FHD_FCS_FLAG_MASK, 0);
  assert.equal(f[4]! & FHD_SINGLE_SEGMENT, 0);
  assert.equal((await decompress(CompressionType.Zstd, f)).toString(), text);
});

test('our own encoder output decodes, whatever its header says about the size', async () => {
  const data = Buffer.concat([randomBytes(300_000), Buffer.alloc(2_000_000, 3)]);
  for (const f of [await compress(CompressionType.Zstd, data), compressSync(CompressionType.Zstd, data)]) {
    assert.deepEqual([...f.subarray(0, 4)], ZSTD_MAGIC);
    assert.deepEqual(await decompress(CompressionType.Zstd, f), data);
  }
});

test('a bad block type or a truncated frame is CORRUPT_MESSAGE', async () => {
  const reserved = frameWithoutContentSize([blockHeader(true, 3, 1), Buffer.from('x')]);
  await assert.rejects(decompress(CompressionType.Zstd, reserved), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE);
  const short = frameWithoutContentSize([blockHeader(true, BLOCK_RAW, 10), Buffer.from('abc')]);
  await assert.rejects(decompress(CompressionType.Zstd, short), (e: unknown) => e instanceof KafkaError && e.code === ErrorCode.CORRUPT_MESSAGE);
});
