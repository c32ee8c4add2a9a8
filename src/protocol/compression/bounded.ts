/**
 * Decompression with a hard bound on the output, for payloads a client sent (decompression bombs:
 * 33 KB of zstd that inflates to 1 GiB, 1 MB of gzip that inflates to gigabytes).
 *
 * For snappy, lz4 and zstd the framing tells how large the output can be before a byte is
 * decompressed: snappy blocks declare their length; lz4 frame blocks and zstd blocks declare
 * their kind and size, and a compressed block's output is capped (lz4: the frame's block maximum,
 * and at most 255 bytes out per byte in; zstd: 128 KiB per block). `decompressedSizeBound` walks
 * those headers only (a few bytes per block), so a bomb is refused without inflating anything.
 * gzip declares nothing reliable (ISIZE is mod 2^32), so zlib runs with `maxOutputLength` and stops
 * at the bound. Decompression itself runs in the libuv/napi thread pool, off the event loop.
 */
import { ErrorCode, KafkaError } from '../errors.js';
import { zlibLib } from './gzip.js';
import { compressionName, decompress, decompressSync } from './index.js';
import { isXerialFramed, XERIAL_HEADER_SIZE } from './snappy.js';
import { CompressionType } from './types.js';
import { corrupt } from './corrupt.js';

const LZ4_MAGIC = 0x184d2204;
const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames (lz4 and zstd share the range): magic 0x184D2A50-0x184D2A5F, int32 LE size, payload. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
const ZSTD_MAX_BLOCK_BYTES = 128 * 1024;
/** LZ4 block format: each input byte yields at most 255 output bytes (a match-length extension byte). */
const LZ4_MAX_RATIO = 255;
const LZ4_BLOCK_MAX_BYTES = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024] as const;

function malformed(codec: string, what: string): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `${codec}: ${what}`);
}

/** The largest output `payload` can decompress to, from its framing; null for gzip (nothing declared). */
export function decompressedSizeBound(type: CompressionType, payload: Buffer): number | null {
  switch (type) {
    case CompressionType.None:
      return payload.length;
    case CompressionType.Gzip:
      return null;
    case CompressionType.Snappy:
      return snappyBound(payload);
    case CompressionType.Lz4:
      return lz4Bound(payload);
    case CompressionType.Zstd:
      return zstdBound(payload);
    default:
      throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type id ${type as number}`);
  }
}

/**
 * The bytes `payload` may decompress to, at most `limitBytes`: its framing's bound, or `limitBytes` itself for
 * gzip. Throws INVALID_RECORD when the framing allows more than `limitBytes`, CORRUPT_MESSAGE when it is malformed.
 */
export function boundedSize(type: CompressionType, payload: Buffer, limitBytes: number): number {
  const bound = decompressedSizeBound(type, payload);
  if (bound === null) return limitBytes;
  if (bound > limitBytes) throw tooLarge(limitBytes, `its framing allows up to ${bound} bytes`);
  return bound;
}

/**
 * Decompresses `payload`, refusing with INVALID_RECORD when it would exceed `limitBytes` (checked from the
 * framing before decompressing, or by zlib as it inflates). Malformed payloads are CORRUPT_MESSAGE.
 */
export async function decompressBounded(type: CompressionType, payload: Buffer, limitBytes: number): Promise<Buffer> {
  if (type === CompressionType.None) return payload;
  if (type === CompressionType.Gzip) return gunzipBounded(payload, limitBytes);
  const bound = boundedSize(type, payload, limitBytes);
  const out = await decompress(type, payload);
  // The codecs honour the framing; this guards the bound should one ever not.
  if (out.length > bound) throw malformed(compressionName(type), `decompressed to ${out.length} bytes, more than its framing allows (${bound})`);
  return out;
}

/**
 * Decompresses on the caller's thread when the output is at most `limitBytes` (small batches: a thread-pool
 * round trip costs more than the work); null when it may be larger, for `decompressBounded` to do it off the
 * event loop. Malformed payloads are CORRUPT_MESSAGE.
 */
export function decompressSyncWithin(type: CompressionType, payload: Buffer, limitBytes: number): Buffer | null {
  if (type === CompressionType.None) return payload;
  if (type === CompressionType.Gzip) {
    try {
      return zlibLib().gunzipSync(payload, { maxOutputLength: limitBytes });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return null;
      throw corrupt('gzip', err);
    }
  }
  const bound = decompressedSizeBound(type, payload)!;
  if (bound > limitBytes) return null;
  const out = decompressSync(type, payload);
  if (out.length > bound) throw malformed(compressionName(type), `decompressed to ${out.length} bytes, more than its framing allows (${bound})`);
  return out;
}

function tooLarge(limitBytes: number, why: string): KafkaError {
  return new KafkaError(
    ErrorCode.INVALID_RECORD,
    `compressed records would decompress to more than ${limitBytes} bytes, the broker's bound for this topic (${why})`,
  );
}

function gunzipBounded(payload: Buffer, limitBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    zlibLib().gunzip(payload, { maxOutputLength: limitBytes }, (err, out) => {
      if (err === null) return resolve(out);
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return reject(tooLarge(limitBytes, 'gzip stopped at the bound'));
      reject(corrupt('gzip', err));
    });
  });
}

/** Unsigned LEB128 length preamble of a raw snappy block (at most 5 bytes: a uint32). */
function snappyPreamble(block: Buffer, from: number, to: number): number {
  let value = 0;
  let scale = 1;
  for (let i = from; i < to && i < from + 5; i++) {
    const b = block[i]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return value;
    scale *= 128;
  }
  throw malformed('snappy', 'bad length preamble');
}

function snappyBound(payload: Buffer): number {
  if (!isXerialFramed(payload)) return snappyPreamble(payload, 0, payload.length);
  let total = 0;
  let p = XERIAL_HEADER_SIZE;
  while (p < payload.length) {
    if (p + 4 > payload.length) throw malformed('snappy', `truncated xerial block at ${p}`);
    const n = payload.readInt32BE(p);
    if (n <= 0 || p + 4 + n > payload.length) throw malformed('snappy', `truncated xerial block at ${p}`);
    total += snappyPreamble(payload, p + 4, p + 4 + n);
    p += 4 + n;
  }
  return total;
}

/** LZ4 frame format (lz4_Frame_format.md): FLG, BD, optional content size / dict id, HC, then blocks. */
function lz4Bound(payload: Buffer): number {
  let total = 0;
  let p = 0;
  while (p < payload.length) {
    if (p + 4 > payload.length) throw malformed('lz4', `truncated frame at ${p}`);
    const magic = payload.readUInt32LE(p);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      p = skippable(payload, p, 'lz4');
      continue;
    }
    if (magic !== LZ4_MAGIC) throw malformed('lz4', `bad frame magic 0x${magic.toString(16)} at ${p}`);
    if (p + 7 > payload.length) throw malformed('lz4', 'truncated frame header');
    const flg = payload[p + 4]!;
    const bd = payload[p + 5]!;
    if (flg >> 6 !== 1) throw malformed('lz4', `unsupported frame version ${flg >> 6}`);
    const blockMax = LZ4_BLOCK_MAX_BYTES[(bd >> 4) & 7]!;
    if (blockMax === 0) throw malformed('lz4', `bad block maximum size ${(bd >> 4) & 7}`);
    const blockChecksums = (flg & 0x10) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    p += 6 + ((flg & 0x08) !== 0 ? 8 : 0) + ((flg & 0x01) !== 0 ? 4 : 0) + 1; // magic FLG BD [size] [dict] HC
    for (;;) {
      if (p + 4 > payload.length) throw malformed('lz4', 'truncated block header (no end mark)');
      const word = payload.readUInt32LE(p);
      p += 4;
      if (word === 0) break; // EndMark
      const size = word & 0x7fffffff;
      const stored = word >>> 31 === 1;
      if (size > blockMax || p + size > payload.length) throw malformed('lz4', `bad block size ${size}`);
      total += stored ? size : Math.min(blockMax, size * LZ4_MAX_RATIO);
      p += size + (blockChecksums ? 4 : 0);
    }
    p += contentChecksum ? 4 : 0;
    if (p > payload.length) throw malformed('lz4', 'truncated content checksum');
  }
  return total;
}

function skippable(payload: Buffer, p: number, codec: string): number {
  if (p + 8 > payload.length) throw malformed(codec, 'truncated skippable frame');
  const next = p + 8 + payload.readUInt32LE(p + 4);
  if (next > payload.length) throw malformed(codec, 'truncated skippable frame');
  return next;
}

/** Zstandard frames (RFC 8878 §3.1.1): header, then 3-byte block headers (last flag, type, size). */
function zstdBound(payload: Buffer): number {
  let total = 0;
  let p = 0;
  while (p < payload.length) {
    if (p + 4 > payload.length) throw malformed('zstd', `truncated frame at ${p}`);
    const magic = payload.readUInt32LE(p);
    if ((magic & SKIPPABLE_MASK) >>> 0 === SKIPPABLE_MAGIC) {
      p = skippable(payload, p, 'zstd');
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw malformed('zstd', `bad frame magic 0x${magic.toString(16)} at ${p}`);
    if (p + 5 > payload.length) throw malformed('zstd', 'truncated frame header');
    const descriptor = payload[p + 4]!;
    const fcsFlag = descriptor >> 6;
    const singleSegment = (descriptor & 0x20) !== 0;
    const checksum = (descriptor & 0x04) !== 0;
    const dictIdBytes = [0, 1, 2, 4][descriptor & 3]!;
    const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
    p += 5 + (singleSegment ? 0 : 1) + dictIdBytes + fcsBytes;
    for (let last = false; !last; ) {
      if (p + 3 > payload.length) throw malformed('zstd', 'truncated block header');
      const header = payload[p]! | (payload[p + 1]! << 8) | (payload[p + 2]! << 16);
      p += 3;
      last = (header & 1) === 1;
      const type = (header >> 1) & 3;
      const size = header >>> 3;
      if (type === 3) throw malformed('zstd', 'reserved block type');
      if (size > ZSTD_MAX_BLOCK_BYTES) throw malformed('zstd', `block size ${size} exceeds 128 KiB`);
      const stored = type === 1 ? 1 : size; // an RLE block stores one byte, repeated `size` times
      if (p + stored > payload.length) throw malformed('zstd', 'truncated block');
      total += type === 2 ? ZSTD_MAX_BLOCK_BYTES : size;
      p += stored;
    }
    p += checksum ? 4 : 0;
    if (p > payload.length) throw malformed('zstd', 'truncated content checksum');
  }
  return total;
}
