/** Record values for the workloads: incompressible bytes, or text that compresses like real payloads. */
import { randomBytes } from 'node:crypto';

const WORDS = 'order customer product quantity price status shipped pending delivered warehouse region north south east west payment card cash refund'.split(' ');

/** JSON-ish text of exactly `size` bytes; compresses about 3-5x with lz4/zstd. */
export function textValue(size: number, seed = 1): Buffer {
  let s = seed;
  const next = (): number => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s;
  };
  let out = '';
  while (out.length < size) out += `{"${WORDS[next() % WORDS.length]}":"${WORDS[next() % WORDS.length]}","id":${next() % 100000}},`;
  return Buffer.from(out.slice(0, size));
}

/** Random (incompressible) bytes. */
export function randomValue(size: number): Buffer {
  return randomBytes(size);
}

/** `count` distinct values of `size` bytes, so a codec cannot profit from identical records. */
export function textValues(size: number, count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => textValue(size, i + 1));
}
