/**
 * LZ4 frame format, which is what Kafka means by "lz4" (magic 2 and legacy magic 0/1).
 *
 * lz4-napi (lz4_flex) writes frames Java's KafkaLZ4BlockInputStream accepts: FLG 0x60 (version 1,
 * independent blocks, no block checksums, no content size, no content checksum), a correct header
 * checksum, and BD = 4 MiB max block size where Java writes 64 KiB (BD values 4..7 are all legal
 * and every client's reader takes them). Its reader handles content size, uncompressed blocks,
 * checksums and dependent blocks, and verifies the header checksum.
 *
 * The one quirk it cannot know: magic-0 producers (Java, kafka-python, librdkafka) compute the
 * header checksum over magic+FLG+BD instead of FLG+BD. Such frames are only accepted when the
 * caller says the payload comes from a magic-0 message.
 */
import { lazyRequire } from './lazy-require.js';
import type { Codec } from './types.js';
import { xxh32 } from './xxh32.js';

export const LZ4_FRAME_MAGIC = 0x184d2204;
const FLG_CONTENT_SIZE = 0x08;
const FLG_DICT_ID = 0x01;

/** The addon, loaded on the first lz4 call (lazy-require.ts says why). */
export const lz4Lib = lazyRequire<typeof import('lz4-napi')>('lz4-napi');

/** Byte position of the header checksum (HC), or -1 if `data` does not start with a frame header. */
export function lz4HeaderChecksumPos(data: Buffer): number {
  if (data.length < 7 || data.readUInt32LE(0) !== LZ4_FRAME_MAGIC) return -1;
  const flg = data[4]!;
  const pos = 6 + (flg & FLG_CONTENT_SIZE ? 8 : 0) + (flg & FLG_DICT_ID ? 4 : 0);
  return pos < data.length ? pos : -1;
}

/** HC as the frame spec defines it (`legacy` = false) or as magic-0 Kafka writers compute it. */
export function lz4HeaderChecksum(data: Buffer, hcPos: number, legacy = false): number {
  return (xxh32(data.subarray(legacy ? 0 : 4, hcPos)) >>> 8) & 0xff;
}

/** A copy of `frame` with its HC replaced, converting between the correct and the magic-0 form. */
function withChecksum(frame: Buffer, legacy: boolean): Buffer {
  const pos = lz4HeaderChecksumPos(frame);
  if (pos < 0) return frame;
  const want = lz4HeaderChecksum(frame, pos, legacy);
  if (frame[pos] === want) return frame;
  const copy = Buffer.from(frame);
  copy[pos] = want;
  return copy;
}

/** If `frame` carries the magic-0 style HC, a copy with the correct HC so the decoder accepts it. */
function fromLegacyChecksum(frame: Buffer): Buffer {
  const pos = lz4HeaderChecksumPos(frame);
  if (pos < 0 || frame[pos] === lz4HeaderChecksum(frame, pos)) return frame;
  if (frame[pos] !== lz4HeaderChecksum(frame, pos, true)) return frame; // let the decoder reject it
  return withChecksum(frame, false);
}

export const lz4Codec: Codec = {
  compress: (data) => lz4Lib().compressFrame(data),
  decompress: (data) => lz4Lib().decompressFrame(data),
  compressSync: (data) => lz4Lib().compressFrameSync(data),
  decompressSync: (data) => lz4Lib().decompressFrameSync(data),
};

/** Compress for a magic-0 message: same frame, magic-0 style header checksum. */
export async function compressLz4ForMagic0(data: Buffer): Promise<Buffer> {
  return withChecksum(await lz4Lib().compressFrame(data), true);
}

/** Decompress a magic-0 payload, which may carry either header checksum form. */
export function decompressLz4FromMagic0(data: Buffer): Promise<Buffer> {
  return lz4Lib().decompressFrame(fromLegacyChecksum(data));
}

export function decompressLz4FromMagic0Sync(data: Buffer): Buffer {
  return lz4Lib().decompressFrameSync(fromLegacyChecksum(data));
}

export function compressLz4ForMagic0Sync(data: Buffer): Buffer {
  return withChecksum(lz4Lib().compressFrameSync(data), true);
}
