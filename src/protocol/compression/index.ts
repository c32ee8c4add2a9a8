/**
 * Compression codecs for record batches. Decompression failures surface as
 * KafkaError(CORRUPT_MESSAGE); unknown codec ids as KafkaError(UNSUPPORTED_COMPRESSION_TYPE).
 */
import { ErrorCode, KafkaError } from '../errors.js';
import { corrupt } from './corrupt.js';
import { gzipCodec, zlibLib } from './gzip.js';
import {
  compressLz4ForMagic0,
  compressLz4ForMagic0Sync,
  decompressLz4FromMagic0,
  decompressLz4FromMagic0Sync,
  lz4Codec,
  lz4Lib,
} from './lz4.js';
import { snappyCodec, snappyLib } from './snappy.js';
import { CompressionType, type Codec } from './types.js';
import { loadZstd, zstdCodec } from './zstd.js';

export { CompressionType, isCompressionType, type Codec } from './types.js';
export { isXerialFramed, compressRawSnappy, XERIAL_MAGIC, XERIAL_BLOCK_SIZE } from './snappy.js';
export {
  LZ4_FRAME_MAGIC,
  lz4HeaderChecksum,
  lz4HeaderChecksumPos,
  compressLz4ForMagic0,
  decompressLz4FromMagic0,
  compressLz4ForMagic0Sync,
  decompressLz4FromMagic0Sync,
} from './lz4.js';
export { ZSTD_DEFAULT_LEVEL } from './zstd.js';
export { xxh32 } from './xxh32.js';

const NONE: Codec = {
  compress: async (data) => data,
  decompress: async (data) => data,
  compressSync: (data) => data,
  decompressSync: (data) => data,
};

const CODECS: readonly Codec[] = [NONE, gzipCodec, snappyCodec, lz4Codec, zstdCodec];
/**
 * Each codec's library is loaded on first use (lazy-require.ts). getCodec loads it, so that in
 * decompress a library that fails to load surfaces as itself, not as a CORRUPT_MESSAGE.
 */
const LOADERS: readonly (() => unknown)[] = [() => undefined, zlibLib, snappyLib, lz4Lib, loadZstd];
const NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

export type CompressionName = (typeof NAMES)[number];

export function compressionName(type: CompressionType): CompressionName {
  return NAMES[codecIndex(type)]!;
}

/** Parses a `compression.type`-style name ("gzip", "lz4", ...). */
export function compressionFromName(name: string): CompressionType {
  const i = NAMES.indexOf(name.toLowerCase() as CompressionName);
  if (i < 0) throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression ${name}`);
  return i as CompressionType;
}

function codecIndex(type: number): number {
  if (!Number.isInteger(type) || type < 0 || type >= CODECS.length) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, `unknown compression type id ${type}`);
  }
  return type;
}

export function getCodec(type: CompressionType): Codec {
  const i = codecIndex(type);
  LOADERS[i]!();
  return CODECS[i]!;
}

/**
 * `magic` is the message format the payload belongs to (default 2). It only matters for lz4, whose
 * magic-0 frames carry a differently computed header checksum (COMPAT.md section 6).
 */
export function compress(type: CompressionType, data: Buffer, magic = 2): Promise<Buffer> {
  const codec = getCodec(type);
  if (type === CompressionType.Lz4 && magic === 0) return compressLz4ForMagic0(data);
  return codec.compress(data);
}

export async function decompress(type: CompressionType, data: Buffer, magic = 2): Promise<Buffer> {
  const codec = getCodec(type);
  try {
    if (type === CompressionType.Lz4 && magic === 0) return await decompressLz4FromMagic0(data);
    return await codec.decompress(data);
  } catch (e) {
    throw corrupt(NAMES[type]!, e);
  }
}

export function compressSync(type: CompressionType, data: Buffer, magic = 2): Buffer {
  const codec = getCodec(type);
  if (type === CompressionType.Lz4 && magic === 0) return compressLz4ForMagic0Sync(data);
  return codec.compressSync(data);
}

export function decompressSync(type: CompressionType, data: Buffer, magic = 2): Buffer {
  const codec = getCodec(type);
  try {
    if (type === CompressionType.Lz4 && magic === 0) return decompressLz4FromMagic0Sync(data);
    return codec.decompressSync(data);
  } catch (e) {
    throw corrupt(NAMES[type]!, e);
  }
}
