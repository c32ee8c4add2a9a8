/**
 * zstd via @toondepauw/node-zstd (napi-rs, prebuilt binaries as optional dependencies, no install
 * script). Its decoder streams, so frames without a content size in the header (what zstd-jni and
 * other streaming encoders emit) decode fine; its encoder emits such frames itself.
 */
import { Decoder, Encoder } from '@toondepauw/node-zstd';
import type { Codec } from './types.js';

/** Kafka's default zstd level (ZstdCompression.DEFAULT_LEVEL mirrors zstd's own default). */
export const ZSTD_DEFAULT_LEVEL = 3;

// Stateless between calls (each call gets its own native context), so one shared instance is safe.
const encoder = new Encoder(ZSTD_DEFAULT_LEVEL);
const decoder = new Decoder();

export const zstdCodec: Codec = {
  compress: (data) => encoder.encode(data),
  decompress: (data) => decoder.decode(data),
  compressSync: (data) => encoder.encodeSync(data),
  decompressSync: (data) => decoder.decodeSync(data),
};
