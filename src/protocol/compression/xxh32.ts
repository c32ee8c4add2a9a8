/**
 * XXH32 (xxHash spec, 32-bit variant). Only the LZ4 frame header checksum needs it, over at most
 * 15 bytes, so this favours brevity over the streaming/unrolled forms.
 */
const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

function round(acc: number, lane: number): number {
  acc = (acc + Math.imul(lane, P2)) | 0;
  return Math.imul(rotl(acc, 13), P1);
}

export function xxh32(data: Uint8Array, seed = 0): number {
  const len = data.length;
  const view = new DataView(data.buffer, data.byteOffset, len);
  let p = 0;
  let acc: number;
  if (len >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    for (; p + 16 <= len; p += 16) {
      v1 = round(v1, view.getUint32(p, true));
      v2 = round(v2, view.getUint32(p + 4, true));
      v3 = round(v3, view.getUint32(p + 8, true));
      v4 = round(v4, view.getUint32(p + 12, true));
    }
    acc = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    acc = (seed + P5) | 0;
  }
  acc = (acc + len) | 0;
  for (; p + 4 <= len; p += 4) {
    acc = (acc + Math.imul(view.getUint32(p, true), P3)) | 0;
    acc = Math.imul(rotl(acc, 17), P4);
  }
  for (; p < len; p++) {
    acc = (acc + Math.imul(data[p]!, P5)) | 0;
    acc = Math.imul(rotl(acc, 11), P1);
  }
  acc ^= acc >>> 15;
  acc = Math.imul(acc, P2);
  acc ^= acc >>> 13;
  acc = Math.imul(acc, P3);
  acc ^= acc >>> 16;
  return acc >>> 0;
}
