/**
 * Frame mutators for the protocol fuzz test. Every mutator takes a whole request frame (4-byte
 * size prefix included) and returns the bytes to send. Everything is driven by a seeded PRNG so a
 * failing run can be replayed with FUZZ_SEED=<seed>.
 */

/** A deterministic PRNG (mulberry32): numbers in [0, 1), the same sequence for the same seed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Rng {
  /** The next number in [0, 1) (mulberry32). */
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  range(min: number, maxInclusive: number): number {
    return min + this.int(maxInclusive - min + 1);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

const INT16_VALUES = [-32768, -2, -1, 0, 1, 2, 127, 128, 255, 256, 0x7ffe, 0x7fff];
const INT32_VALUES = [-2147483648, -2, -1, 0, 1, 2, 255, 65535, 65536, 0x00ffffff, 0x0fffffff, 0x7ffffffe, 0x7fffffff];
const BYTE_VALUES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

function withSize(payload: Buffer, size = payload.length): Buffer {
  const out = Buffer.alloc(4 + payload.length);
  out.writeInt32BE(size | 0, 0);
  payload.copy(out, 4);
  return out;
}

function payloadOf(frame: Buffer): Buffer {
  return Buffer.from(frame.subarray(4));
}

export type MutatorName =
  | 'bitflip'
  | 'byteset'
  | 'truncate'
  | 'truncate-keep-size'
  | 'int16-field'
  | 'int32-field'
  | 'size-prefix'
  | 'huge-size'
  | 'api-key-version'
  | 'api-version-only'
  | 'garbage'
  | 'garbage-raw'
  | 'splice'
  | 'varint-storm'
  | 'trailing-bytes'
  | 'tiny-frame'
  | 'client-id-length'
  | 'unmodified';

export const MUTATORS: readonly MutatorName[] = [
  'bitflip',
  'bitflip',
  'byteset',
  'truncate',
  'truncate',
  'truncate-keep-size',
  'int16-field',
  'int32-field',
  'int32-field',
  'size-prefix',
  'huge-size',
  'api-key-version',
  'api-version-only',
  'garbage',
  'garbage-raw',
  'splice',
  'varint-storm',
  'trailing-bytes',
  'tiny-frame',
  'client-id-length',
  'unmodified',
];

export function mutate(rng: Rng, name: MutatorName, frame: Buffer, other: Buffer): Buffer {
  switch (name) {
    case 'unmodified':
      return Buffer.from(frame);
    case 'bitflip': {
      const p = payloadOf(frame);
      const flips = rng.range(1, 12);
      for (let i = 0; i < flips && p.length > 0; i++) {
        const at = rng.int(p.length);
        p[at] = p[at]! ^ (1 << rng.int(8));
      }
      return withSize(p);
    }
    case 'byteset': {
      const p = payloadOf(frame);
      const n = rng.range(1, 6);
      for (let i = 0; i < n && p.length > 0; i++) p[rng.int(p.length)] = rng.pick(BYTE_VALUES);
      return withSize(p);
    }
    case 'truncate': {
      const p = payloadOf(frame);
      return withSize(p.subarray(0, rng.int(Math.max(1, p.length))));
    }
    case 'truncate-keep-size': {
      // Declares the full size but sends only part of it; the broker must wait or time out, not crash.
      const p = payloadOf(frame);
      const cut = p.subarray(0, rng.int(Math.max(1, p.length)));
      return withSize(cut, p.length);
    }
    case 'int16-field': {
      const p = payloadOf(frame);
      if (p.length >= 2) p.writeInt16BE(rng.pick(INT16_VALUES), rng.int(p.length - 1));
      return withSize(p);
    }
    case 'int32-field': {
      const p = payloadOf(frame);
      if (p.length >= 4) p.writeInt32BE(rng.pick(INT32_VALUES), rng.int(p.length - 3));
      return withSize(p);
    }
    case 'size-prefix': {
      const p = payloadOf(frame);
      const size = rng.pick([0, 1, 4, 7, p.length - 1, p.length + 1, p.length + 100, -1, -p.length, rng.int(1 << 16)]);
      return withSize(p, size);
    }
    case 'huge-size': {
      const p = payloadOf(frame);
      const size = rng.pick([0x7fffffff, 0x40000000, 0x10000000, 104857601, 104857600, 50_000_000, -2147483648]);
      return withSize(p.subarray(0, Math.min(p.length, rng.int(64))), size);
    }
    case 'api-key-version': {
      const p = payloadOf(frame);
      if (p.length >= 4) {
        p.writeInt16BE(rng.chance(0.8) ? rng.range(0, 80) : rng.pick(INT16_VALUES), 0);
        p.writeInt16BE(rng.chance(0.8) ? rng.range(0, 20) : rng.pick(INT16_VALUES), 2);
      }
      return withSize(p);
    }
    case 'api-version-only': {
      const p = payloadOf(frame);
      if (p.length >= 4) p.writeInt16BE(rng.chance(0.7) ? rng.range(0, 20) : rng.pick(INT16_VALUES), 2);
      return withSize(p);
    }
    case 'garbage':
      return withSize(rng.bytes(rng.range(0, rng.chance(0.2) ? 20_000 : 300)));
    case 'garbage-raw':
      return rng.bytes(rng.range(1, 200));
    case 'splice': {
      const a = payloadOf(frame);
      const b = payloadOf(other);
      return withSize(Buffer.concat([a.subarray(0, rng.int(a.length + 1)), b.subarray(rng.int(b.length + 1))]));
    }
    case 'varint-storm': {
      const p = payloadOf(frame);
      const at = rng.int(p.length + 1);
      const storm = Buffer.alloc(rng.range(1, 12), rng.pick([0xff, 0x80, 0xfe]));
      return withSize(Buffer.concat([p.subarray(0, at), storm, p.subarray(at)]));
    }
    case 'trailing-bytes': {
      const p = payloadOf(frame);
      return withSize(Buffer.concat([p, rng.bytes(rng.range(1, 64))]));
    }
    case 'tiny-frame': {
      const p = payloadOf(frame);
      return withSize(p.subarray(0, rng.range(0, 9)));
    }
    case 'client-id-length': {
      const p = payloadOf(frame);
      if (p.length >= 10) p.writeInt16BE(rng.pick([-2, -1, 0, 1, 0x7fff, p.length, p.length - 9]), 8);
      return withSize(p);
    }
    default: {
      const never: never = name;
      throw new Error(`unknown mutator ${String(never)}`);
    }
  }
}

/**
 * Hand-made hostile requests that random mutation reaches only by luck: absurd counts and sizes
 * in otherwise well-formed requests (partition counts, byte limits, array lengths, record sizes).
 * A broker must answer them with an error, or at least not let one 60-byte request disable it.
 */
export function adversarialFrames(encode: (apiKey: number, apiVersion: number, body: Buffer) => Buffer): { name: string; bytes: Buffer }[] {
  const frames: { name: string; bytes: Buffer }[] = [];
  const str = (s: string): Buffer => {
    const b = Buffer.from(s, 'utf8');
    const out = Buffer.alloc(2 + b.length);
    out.writeInt16BE(b.length, 0);
    b.copy(out, 2);
    return out;
  };
  const i8 = (v: number): Buffer => Buffer.from([v & 0xff]);
  const i16 = (v: number): Buffer => {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v, 0);
    return b;
  };
  const i32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v | 0, 0);
    return b;
  };
  const i64 = (v: bigint): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(v, 0);
    return b;
  };
  const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts);

  // CreateTopics v3: [name, num_partitions, replication_factor, assignments[], configs[]], timeout, validate_only
  const createTopic = (name: string, partitions: number, replication: number): Buffer =>
    encode(19, 3, cat(i32(1), str(name), i32(partitions), i16(replication), i32(0), i32(0), i32(5000), i8(0)));
  for (const [n, partitions] of [2147483647, 16777215, 1000000, 100000].entries()) frames.push({ name: `CreateTopics v3 num_partitions=${partitions}`, bytes: createTopic(`fuzz-huge-${n}`, partitions, 1) });
  frames.push({ name: 'CreateTopics v3 num_partitions=-7', bytes: createTopic('fuzz-negative', -7, 1) });
  frames.push({ name: 'CreateTopics v3 replication_factor=32767', bytes: createTopic('fuzz-replicas', 3, 32767) });
  frames.push({ name: 'CreateTopics v3 topics count=2147483647', bytes: encode(19, 3, cat(i32(2147483647), str('x'), i32(1), i16(1))) });
  // CreatePartitions v1: [name, count, assignments (null)], timeout, validate_only
  for (const count of [2147483647, 1000000]) {
    frames.push({ name: `CreatePartitions v1 count=${count}`, bytes: encode(37, 1, cat(i32(1), str('fuzz-captured'), i32(count), i32(-1), i32(5000), i8(0))) });
  }
  // Fetch v4 with every limit at its maximum.
  frames.push({
    name: 'Fetch v4 max_wait/min_bytes/max_bytes=2^31-1',
    bytes: encode(1, 4, cat(i32(-1), i32(2147483647), i32(2147483647), i32(2147483647), i8(0), i32(1), str('fuzz-captured'), i32(1), i32(0), i64(0n), i32(2147483647))),
  });
  frames.push({ name: 'Fetch v4 fetch_offset=2^63-1', bytes: encode(1, 4, cat(i32(-1), i32(10), i32(1), i32(1048576), i8(0), i32(1), str('fuzz-captured'), i32(1), i32(0), i64(0x7fffffffffffffffn), i32(1048576))) });
  frames.push({ name: 'Fetch v4 partition=2^31-1', bytes: encode(1, 4, cat(i32(-1), i32(10), i32(1), i32(1048576), i8(0), i32(1), str('fuzz-captured'), i32(1), i32(2147483647), i64(0n), i32(1048576))) });
  // Arrays that claim far more elements than the frame holds.
  frames.push({ name: 'Metadata v1 topics count=2147483647', bytes: encode(3, 1, i32(2147483647)) });
  frames.push({ name: 'Metadata v4 topics count=1000000 (each missing)', bytes: encode(3, 4, cat(i32(1000000), i8(1))) });
  frames.push({ name: 'ListOffsets v1 partitions count=2147483647', bytes: encode(2, 1, cat(i32(-1), i32(1), str('fuzz-captured'), i32(2147483647))) });
  // Produce v3 whose records claim 2 GiB, and one with a batch length far past the records.
  frames.push({ name: 'Produce v3 records length=2^31-1', bytes: encode(0, 3, cat(i16(-1), i16(1), i32(5000), i32(1), str('fuzz-captured'), i32(1), i32(0), i32(2147483647))) });
  const batch = Buffer.alloc(61);
  batch.writeInt32BE(2147483000, 8); // batchLength
  batch.writeInt8(2, 16); // magic
  batch.writeInt32BE(1000000, 57); // recordsCount
  frames.push({ name: 'Produce v3 batchLength=2147483000 recordsCount=1000000', bytes: encode(0, 3, cat(i16(-1), i16(-1), i32(5000), i32(1), str('fuzz-captured'), i32(1), i32(0), i32(batch.length), batch)) });
  // Produce v7 with acks=-1 and a timeout of 2^31-1 ms, with an empty record set.
  frames.push({ name: 'Produce v7 acks=-1 timeout=2^31-1 empty records', bytes: encode(0, 7, cat(i16(-1), i16(-1), i32(2147483647), i32(1), str('fuzz-captured'), i32(1), i32(0), i32(0))) });
  // Group APIs with absurd timeouts.
  frames.push({
    name: 'JoinGroup v2 session/rebalance timeout=2^31-1',
    bytes: encode(11, 2, cat(str('fuzz-group'), i32(2147483647), i32(2147483647), str(''), str('consumer'), i32(1), str('range'), i32(0))),
  });
  return frames;
}
