/**
 * Record batches that lie, as a hostile client would send them: every one has a valid CRC32C and a
 * plausible header, so only a validator that walks (and, for compressed ones, decompresses) the records
 * can tell. The cases are the findings of the "Hostile input" issue; unit tests feed them to the validator
 * and end-to-end tests send them over a socket in Produce requests.
 *
 * Built with test-local encoders (no broker code), so a bug in the broker's record code cannot hide here.
 */
import { crc32c } from '@node-rs/crc32';
import { gzipSync, createGzip } from 'node:zlib';
import { Encoder } from '@toondepauw/node-zstd';
import { ErrorCode } from '../../src/protocol/errors.js';

const ATTR_GZIP = 1;
const ATTR_ZSTD = 4;

function uvarint(z: number): number[] {
  const out: number[] = [];
  while (z >= 0x80) {
    out.push((z % 128) | 0x80);
    z = Math.floor(z / 128);
  }
  out.push(z);
  return out;
}

/** Zigzag varint as Kafka writes it, for values within ±2^53. */
export function varint(v: number): number[] {
  return uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
}

export interface RawRecordFields {
  offsetDelta: number;
  key?: Buffer | null;
  value?: Buffer | null;
  timestampDelta?: number;
  headers?: Array<[string, Buffer | null]>;
  /** Replace fields by raw bytes to lie about them. */
  lengthBytes?: number[];
  keyLengthBytes?: number[];
  headerCountBytes?: number[];
}

/** One v2 record: length, attributes, timestamp delta, offset delta, key, value, headers. */
export function rawRecord(f: RawRecordFields): Buffer {
  const body: number[] = [0, ...varint(f.timestampDelta ?? 0), ...varint(f.offsetDelta)];
  const key = f.key === undefined ? Buffer.from(`key-${f.offsetDelta}`) : f.key;
  const value = f.value === undefined ? Buffer.from(`value-${f.offsetDelta}`) : f.value;
  const parts: Buffer[] = [];
  const push = (bytes: number[] | Buffer): void => void parts.push(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  push(body);
  if (f.keyLengthBytes) push(f.keyLengthBytes);
  else push(varint(key === null ? -1 : key.length));
  if (key !== null && !f.keyLengthBytes) push(key);
  push(varint(value === null ? -1 : value.length));
  if (value !== null) push(value);
  const headers = f.headers ?? [];
  push(f.headerCountBytes ?? varint(headers.length));
  for (const [k, v] of headers) {
    const kb = Buffer.from(k);
    push(varint(kb.length));
    push(kb);
    push(varint(v === null ? -1 : v.length));
    if (v !== null) push(v);
  }
  const rec = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(f.lengthBytes ?? varint(rec.length)), rec]);
}

/** Records 0..n-1 with keys and values. */
export function goodRecords(n: number, prefix = 'r'): Buffer {
  return Buffer.concat(Array.from({ length: n }, (_, i) => rawRecord({ offsetDelta: i, key: Buffer.from(`${prefix}-k${i}`), value: Buffer.from(`${prefix}-v${i}`) })));
}

export interface BatchFields {
  /** The records section as sent (compressed bytes for a compressed batch). */
  records: Buffer;
  recordsCount: number;
  lastOffsetDelta?: number;
  attributes?: number;
  baseTimestamp?: number;
}

/** A magic-2 batch whose header says what `f` says, with batchLength and CRC32C made to match. */
export function rawBatch(f: BatchFields): Buffer {
  const h = Buffer.alloc(61);
  const now = f.baseTimestamp ?? Date.now();
  h.writeBigInt64BE(0n, 0);
  h.writeInt32BE(61 - 12 + f.records.length, 8);
  h.writeInt32BE(-1, 12);
  h.writeInt8(2, 16);
  h.writeInt16BE(f.attributes ?? 0, 21);
  h.writeInt32BE(f.lastOffsetDelta ?? f.recordsCount - 1, 23);
  h.writeBigInt64BE(BigInt(now), 27);
  h.writeBigInt64BE(BigInt(now), 35);
  h.writeBigInt64BE(-1n, 43);
  h.writeInt16BE(-1, 51);
  h.writeInt32BE(-1, 53);
  h.writeInt32BE(f.recordsCount, 57);
  const batch = Buffer.concat([h, f.records]);
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

/**
 * A zstd frame of `totalBytes` zeros made of RLE blocks (4 bytes per 128 KiB): 1 GiB is 32 KiB. Real zstd
 * decoders inflate it; the frame header declares no content size, as streaming encoders write.
 */
export function zstdZeros(totalBytes: number): Buffer {
  const BLOCK = 128 * 1024;
  const blocks = Math.ceil(totalBytes / BLOCK);
  const out = Buffer.alloc(4 + 2 + blocks * 4);
  out.writeUInt32LE(0xfd2fb528, 0);
  out[4] = 0x00; // no content size, not single segment, no checksum, no dictionary
  out[5] = (17 - 10) << 3; // window 128 KiB
  let p = 6;
  for (let i = 0; i < blocks; i++) {
    const size = Math.min(BLOCK, totalBytes - i * BLOCK);
    const last = i === blocks - 1 ? 1 : 0;
    const header = last | (1 << 1) | (size << 3); // RLE block
    out[p] = header & 0xff;
    out[p + 1] = (header >> 8) & 0xff;
    out[p + 2] = (header >> 16) & 0xff;
    out[p + 3] = 0; // the repeated byte
    p += 4;
  }
  return out;
}

/** gzip of `totalBytes` zeros, streamed so the test never holds the inflated bytes (1 GiB is about 1 MB). */
export async function gzipZeros(totalBytes: number): Promise<Buffer> {
  const gz = createGzip({ level: 9 });
  const parts: Buffer[] = [];
  gz.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise<void>((resolve, reject) => {
    gz.on('end', resolve);
    gz.on('error', reject);
  });
  const chunk = Buffer.alloc(1024 * 1024);
  for (let left = totalBytes; left > 0; left -= chunk.length) {
    if (!gz.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await new Promise((r) => gz.once('drain', r));
  }
  gz.end();
  await done;
  return Buffer.concat(parts);
}

export interface HostileCase {
  name: string;
  /** The error code Kafka's LogValidator would answer. */
  code: ErrorCode;
  /** The batch: built lazily, some are large. */
  build(): Promise<Buffer>;
}

const three = (): Buffer[] => [0, 1, 2].map((i) => rawRecord({ offsetDelta: i }));

/** Every lying batch of the issue, in the order its findings list them. */
export const HOSTILE_CASES: readonly HostileCase[] = [
  { name: 'records count higher than the records present', code: ErrorCode.INVALID_RECORD, build: async () => rawBatch({ records: Buffer.concat(three()), recordsCount: 4 }) },
  {
    name: 'records count lower than the records present (two records at one offset)',
    code: ErrorCode.INVALID_RECORD,
    build: async () => rawBatch({ records: Buffer.concat(three()), recordsCount: 2 }),
  },
  {
    name: 'batch length too short (last record cut)',
    code: ErrorCode.INVALID_RECORD,
    build: async () => {
      const r = Buffer.concat(three());
      return rawBatch({ records: r.subarray(0, r.length - 4), recordsCount: 3 });
    },
  },
  {
    name: 'batch length too long (junk inside)',
    code: ErrorCode.INVALID_RECORD,
    build: async () => rawBatch({ records: Buffer.concat([...three(), Buffer.from('junk junk junk')]), recordsCount: 3 }),
  },
  {
    name: 'record length -1',
    code: ErrorCode.INVALID_RECORD,
    build: async () => rawBatch({ records: Buffer.concat([rawRecord({ offsetDelta: 0 }), rawRecord({ offsetDelta: 1, lengthBytes: varint(-1) })]), recordsCount: 2 }),
  },
  {
    name: 'key length 2^30',
    code: ErrorCode.INVALID_RECORD,
    build: async () => rawBatch({ records: rawRecord({ offsetDelta: 0, keyLengthBytes: varint(2 ** 30) }), recordsCount: 1 }),
  },
  {
    name: 'an 11-byte varint',
    code: ErrorCode.INVALID_RECORD,
    build: async () => rawBatch({ records: rawRecord({ offsetDelta: 0, lengthBytes: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01] }), recordsCount: 1 }),
  },
  {
    name: 'header count 2^31-1',
    code: ErrorCode.INVALID_RECORD,
    build: async () => rawBatch({ records: rawRecord({ offsetDelta: 0, headerCountBytes: varint(2 ** 31 - 1) }), recordsCount: 1 }),
  },
  {
    name: 'offset deltas that are not incremental',
    code: ErrorCode.INVALID_RECORD,
    build: async () => rawBatch({ records: Buffer.concat([rawRecord({ offsetDelta: 0 }), rawRecord({ offsetDelta: 0 })]), recordsCount: 2 }),
  },
  {
    name: 'a gzip payload of random bytes',
    code: ErrorCode.CORRUPT_MESSAGE,
    build: async () => rawBatch({ records: Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919 + 13) & 0xff)), recordsCount: 3, attributes: ATTR_GZIP }),
  },
  {
    name: 'a truncated gzip stream',
    code: ErrorCode.CORRUPT_MESSAGE,
    build: async () => {
      const gz = gzipSync(goodRecords(50));
      return rawBatch({ records: gz.subarray(0, gz.length - 20), recordsCount: 50, attributes: ATTR_GZIP });
    },
  },
  {
    name: 'gzip records that lie about their count',
    code: ErrorCode.INVALID_RECORD,
    build: async () => rawBatch({ records: gzipSync(goodRecords(5)), recordsCount: 6, attributes: ATTR_GZIP }),
  },
  {
    name: 'zstd bomb: 33 KB that inflate to 1 GiB of zeros',
    code: ErrorCode.INVALID_RECORD,
    build: async () => rawBatch({ records: zstdZeros(1024 * 1024 * 1024), recordsCount: 1, attributes: ATTR_ZSTD }),
  },
  {
    name: 'zstd batch of 12M identical records in a few KB',
    code: ErrorCode.INVALID_RECORD,
    build: async () => {
      const one = rawRecord({ offsetDelta: 0, key: Buffer.from('k'), value: Buffer.from('v') });
      const section = Buffer.alloc(one.length * 12_000_000);
      for (let p = 0; p < section.length; p += one.length) one.copy(section, p);
      return rawBatch({ records: new Encoder(3).encodeSync(section), recordsCount: 12_000_000, attributes: ATTR_ZSTD });
    },
  },
  {
    name: 'gzip bomb: about 1 MB that inflates to 1 GiB',
    code: ErrorCode.INVALID_RECORD,
    build: async () => rawBatch({ records: await gzipZeros(1024 * 1024 * 1024), recordsCount: 1, attributes: ATTR_GZIP }),
  },
];

/**
 * Rewrites the base offsets of a set of v2 batches so they continue a log ending at `logEndOffset`: what a
 * follower's append (origin 'replication', offsets kept) needs. The CRC does not cover the base offset.
 */
export function continuing(batches: Buffer, logEndOffset: number): Buffer {
  let pos = 0;
  let next = logEndOffset;
  while (pos + 61 <= batches.length) {
    batches.writeBigInt64BE(BigInt(next), pos);
    next += batches.readInt32BE(pos + 23) + 1;
    pos += 12 + batches.readInt32BE(pos + 8);
  }
  return batches;
}
