/**
 * Snappy as Kafka clients use it. Java and kafka-python write xerial framing; librdkafka, kafkajs'
 * snappy plugin and some others write one raw snappy block. Readers must accept both, and we write
 * xerial because every client reads it (COMPAT.md section 6).
 *
 * xerial framing: 8-byte magic, int32 version, int32 compatible version, then blocks of
 * int32 BE compressed length + raw snappy block, each block holding up to 32 KiB of input.
 */
import { ErrorCode, KafkaError } from '../errors.js';
import { lazyRequire } from './lazy-require.js';
import type { Codec } from './types.js';

/** The addon, loaded on the first snappy call (lazy-require.ts says why). */
export const snappyLib = lazyRequire<typeof import('snappy')>('snappy');

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
export const XERIAL_HEADER_SIZE = 16;
/** The block size xerial's SnappyOutputStream uses by default, and so Java's producer. */
export const XERIAL_BLOCK_SIZE = 32 * 1024;
const XERIAL_VERSION = 1;
const XERIAL_COMPAT_VERSION = 1;

export function isXerialFramed(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0;
}

function xerialHeader(): Buffer {
  const h = Buffer.allocUnsafe(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(h, 0);
  h.writeInt32BE(XERIAL_VERSION, 8);
  h.writeInt32BE(XERIAL_COMPAT_VERSION, 12);
  return h;
}

function splitInput(data: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let p = 0; p < data.length; p += XERIAL_BLOCK_SIZE) {
    chunks.push(data.subarray(p, Math.min(p + XERIAL_BLOCK_SIZE, data.length)));
  }
  return chunks;
}

function frame(blocks: Buffer[]): Buffer {
  let total = XERIAL_HEADER_SIZE;
  for (const b of blocks) total += 4 + b.length;
  const out = Buffer.allocUnsafe(total);
  xerialHeader().copy(out, 0);
  let p = XERIAL_HEADER_SIZE;
  for (const b of blocks) {
    out.writeInt32BE(b.length, p);
    b.copy(out, p + 4);
    p += 4 + b.length;
  }
  return out;
}

/** The raw snappy blocks inside a xerial stream, as views into `data`. */
function xerialBlocks(data: Buffer): Buffer[] {
  const blocks: Buffer[] = [];
  let p = XERIAL_HEADER_SIZE;
  while (p < data.length) {
    if (p + 4 > data.length) throw truncated(p);
    const n = data.readInt32BE(p);
    if (n < 0 || p + 4 + n > data.length) throw truncated(p);
    blocks.push(data.subarray(p + 4, p + 4 + n));
    p += 4 + n;
  }
  return blocks;
}

function truncated(pos: number): KafkaError {
  return new KafkaError(ErrorCode.CORRUPT_MESSAGE, `snappy: truncated xerial block at ${pos}`);
}

function concat(parts: Buffer[]): Buffer {
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

const DEC = { asBuffer: true } as const;

// With asBuffer the binding always returns a Buffer; its typings just do not narrow on the option.
async function rawUncompress(block: Buffer): Promise<Buffer> {
  return (await snappyLib().uncompress(block, DEC)) as Buffer;
}

function rawUncompressSync(block: Buffer): Buffer {
  return snappyLib().uncompressSync(block, DEC) as Buffer;
}

export const snappyCodec: Codec = {
  async compress(data) {
    const lib = snappyLib();
    // Blocks are independent, so they compress in parallel on the thread pool.
    return frame(await Promise.all(splitInput(data).map((c) => lib.compress(c))));
  },
  async decompress(data) {
    if (!isXerialFramed(data)) return rawUncompress(data);
    return concat(await Promise.all(xerialBlocks(data).map(rawUncompress)));
  },
  compressSync(data) {
    const lib = snappyLib();
    return frame(splitInput(data).map((c) => lib.compressSync(c)));
  },
  decompressSync(data) {
    if (!isXerialFramed(data)) return rawUncompressSync(data);
    return concat(xerialBlocks(data).map(rawUncompressSync));
  },
};

/** Raw (unframed) snappy, as librdkafka writes it. Exposed for tests and interop checks. */
export function compressRawSnappy(data: Buffer): Promise<Buffer> {
  return snappyLib().compress(data);
}
