import { nativeCrc32 } from './crc32c.js';

/** CRC-32 (IEEE 802.3, zlib's), as an unsigned 32-bit integer. Legacy (magic 0/1) messages use it. */
export function crc32(data: Uint8Array, initial = 0): number {
  return nativeCrc32(data, initial) >>> 0;
}
