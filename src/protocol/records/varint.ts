/**
 * Zigzag varint sizing/writing straight into a presized Buffer. The record encoder computes every
 * record's size first and then writes into one allocation, so it cannot use the growable ByteWriter.
 */

/** Zigzag mapping for values within ±2^53 (plain arithmetic: bit ops would truncate to 32 bits). */
export function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

export function sizeOfUvarint(z: number): number {
  if (z < 0x80) return 1;
  if (z < 0x4000) return 2;
  if (z < 0x200000) return 3;
  if (z < 0x10000000) return 4;
  let n = 4;
  z = Math.floor(z / 0x10000000);
  while (z > 0) {
    n++;
    z = Math.floor(z / 0x80);
  }
  return n;
}

export function sizeOfVarint(v: number): number {
  return sizeOfUvarint(zigzag(v));
}

/** Writes `z` as an unsigned LEB128 varint at `pos`; returns the position after it. */
export function writeUvarint(buf: Buffer, pos: number, z: number): number {
  while (z >= 0x80) {
    buf[pos++] = (z & 0x7f) | 0x80; // `&` keeps the low 7 bits even past 2^32 (ToInt32 is mod 2^32)
    z = z < 0x80000000 ? z >>> 7 : Math.floor(z / 0x80);
  }
  buf[pos++] = z;
  return pos;
}

export function writeVarint(buf: Buffer, pos: number, v: number): number {
  return writeUvarint(buf, pos, zigzag(v));
}
