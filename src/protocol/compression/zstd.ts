/**
 * zstd via @toondepauw/node-zstd (napi-rs, prebuilt binaries as optional dependencies, no install
 * script). Its decoder streams, so frames without a content size in the header (what zstd-jni and
 * other streaming encoders emit) decode fine; its encoder emits such frames itself.
 */
import type { Decoder, Encoder } from '@toondepauw/node-zstd';
import { lazyRequire } from './lazy-require.js';
import type { Codec } from './types.js';

/** Kafka's default zstd level (ZstdCompression.DEFAULT_LEVEL mirrors zstd's own default). */
export const ZSTD_DEFAULT_LEVEL = 3;

const zstdLib = lazyRequire<typeof import('@toondepauw/node-zstd')>('@toondepauw/node-zstd');

// Stateless between calls (each call gets its own native context), so one shared instance is safe.
// Both are made with the addon, on the first zstd call (lazy-require.ts says why).
let coders: { encoder: Encoder; decoder: Decoder } | undefined;
function zstd(): { encoder: Encoder; decoder: Decoder } {
  if (coders === undefined) {
    const lib = zstdLib();
    coders = { encoder: new lib.Encoder(ZSTD_DEFAULT_LEVEL), decoder: new lib.Decoder() };
  }
  return coders;
}

export const zstdCodec: Codec = {
  compress: (data) => zstd().encoder.encode(data),
  decompress: (data) => zstd().decoder.decode(data),
  compressSync: (data) => zstd().encoder.encodeSync(data),
  decompressSync: (data) => zstd().decoder.decodeSync(data),
};

/** Loads the addon now, so that a failure to load is not mistaken for a corrupt payload. */
export function loadZstd(): void {
  zstd();
}
