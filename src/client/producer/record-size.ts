/** Upper-bound estimate of a record's encoded size in a v2 batch (for batchSize and bufferMemory). */
import type { RecordHeaderInput } from '../../protocol/records/types.js';

/** length varint + attributes + timestamp delta + offset delta + key/value length varints + header count. */
const RECORD_OVERHEAD_BYTES = 5 + 1 + 10 + 5 + 5 + 5 + 5;

export function estimateRecordBytes(key: Buffer | null, value: Buffer | null, headers: readonly RecordHeaderInput[] | undefined): number {
  let n = RECORD_OVERHEAD_BYTES + (key?.length ?? 0) + (value?.length ?? 0);
  if (headers) {
    for (const h of headers) {
      const v = h.value;
      n += 10 + Buffer.byteLength(h.key) + (v === null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length);
    }
  }
  return n;
}
