import { createRequire } from 'node:module';

/*
 * Loaded with require rather than import: Node 20 scans a CommonJS module's source to find named
 * exports for an ESM import, and @node-rs/crc32's loader is large enough that the scan costs about
 * 2 MiB of settled RSS and some start time (docs/performance.md, "Startup and idle memory").
 */
const native = createRequire(import.meta.url)('@node-rs/crc32') as {
  crc32c(data: Uint8Array, initial?: number): number;
  crc32(data: Uint8Array, initial?: number): number;
};
const nativeCrc32c = native.crc32c;

/** The addon's zlib CRC-32, shared with crc32.ts so the module loads once. */
export const nativeCrc32 = native.crc32;

/** CRC-32C (Castagnoli) of `data`, as an unsigned 32-bit integer. Native, SIMD-accelerated. */
export function crc32c(data: Buffer, initial = 0): number {
  return nativeCrc32c(data, initial) >>> 0;
}
