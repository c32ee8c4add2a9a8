/**
 * Kafka refuses records without a key on compacted topics ("Compacted topic cannot accept message
 * without key"): compaction keeps the latest record per key, so a keyless one has no meaning there.
 * This walks a batch's records (decompressing it first when needed, as Kafka's LogValidator does for
 * compacted topics) and reports the first record whose key is null.
 */
import { ByteReader } from '../protocol/bytes.js';
import { decompressSync } from '../protocol/compression/index.js';
import type { CompressionType } from '../protocol/compression/types.js';
import { ATTR_COMPRESSION_MASK, ATTRIBUTES, RECORD_BATCH_OVERHEAD, RECORDS_COUNT } from '../protocol/records/batch-header.js';

/** Index of the first keyless record of the batch at buf[pos, pos+size), or -1 when every record has a key. */
export function firstKeylessRecord(buf: Buffer, pos: number, size: number): number {
  const codec = (buf.readInt16BE(pos + ATTRIBUTES) & ATTR_COMPRESSION_MASK) as CompressionType;
  const body = buf.subarray(pos + RECORD_BATCH_OVERHEAD, pos + size);
  const records = codec === 0 ? body : decompressSync(codec, body);
  const count = buf.readInt32BE(pos + RECORDS_COUNT);
  const r = new ByteReader(records);
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    const end = r.pos + length;
    r.int8(); // attributes
    r.varint(); // timestamp delta
    r.varint(); // offset delta
    if (r.varint() < 0) return i;
    r.pos = end;
  }
  return -1;
}
