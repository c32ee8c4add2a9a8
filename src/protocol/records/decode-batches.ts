/**
 * Full decoding of concatenated batches: CRC check, decompression, records. Legacy (magic 0/1)
 * entries come back in the same DecodedBatch shape with their `magic` set.
 */
import { decompress, decompressSync } from '../compression/index.js';
import { CompressionType } from '../compression/types.js';
import { ErrorCode, KafkaError } from '../errors.js';
import { computeBatchCrc, RECORD_BATCH_OVERHEAD } from './batch-header.js';
import { iterateBatchHeaders } from './batch-iterator.js';
import { decodeLegacyEntry, legacyCompressedValue, legacyCrcMatches } from './legacy.js';
import { decodeRecords } from './record-decoder.js';
import type { BatchInfo, DecodedBatch } from './types.js';

export interface DecodeOptions {
  /** Default true. Turn off only for data already verified (e.g. re-reading one's own log). */
  verifyCrc?: boolean;
}

function checkCrc(buf: Buffer, info: BatchInfo): void {
  const ok = info.magic === 2 ? computeBatchCrc(buf, info.position) === info.crc : legacyCrcMatches(buf, info.position, info.size);
  if (!ok) throw new KafkaError(ErrorCode.CORRUPT_MESSAGE, `batch at offset ${info.baseOffset} (byte ${info.position}): CRC mismatch`);
}

/** The bytes that hold this entry's records, still compressed if the entry is. */
function compressedPayload(buf: Buffer, info: BatchInfo): Buffer | null {
  if (info.magic < 2) return legacyCompressedValue(buf, info);
  if (info.compression === CompressionType.None) return null;
  return buf.subarray(info.position + RECORD_BATCH_OVERHEAD, info.position + info.size);
}

/** Builds the decoded entry; `plain` is the decompressed payload, or null if it was not compressed. */
function finish(buf: Buffer, info: BatchInfo, plain: Buffer | null): DecodedBatch {
  if (info.magic < 2) return decodeLegacyEntry(buf, info, plain);
  const ctx = {
    baseOffset: info.baseOffset,
    baseTimestamp: info.baseTimestamp,
    logAppendTime: info.timestampType === 'log-append' ? info.maxTimestamp : null,
  };
  const records =
    plain === null
      ? decodeRecords(buf, info.position + RECORD_BATCH_OVERHEAD, info.position + info.size, info.recordsCount, ctx)
      : decodeRecords(plain, 0, plain.length, info.recordsCount, ctx);
  return { ...info, records };
}

function headers(buf: Buffer, opts: DecodeOptions): BatchInfo[] {
  const infos = Array.from(iterateBatchHeaders(buf));
  if (opts.verifyCrc !== false) for (const info of infos) checkCrc(buf, info);
  return infos;
}

/**
 * Decodes every whole batch in `buf`; a trailing partial batch (normal at the end of a fetch
 * response) is ignored. Corruption of any kind throws KafkaError(CORRUPT_MESSAGE). Batches
 * decompress concurrently on the thread pool.
 */
export async function decodeRecordBatches(buf: Buffer, opts: DecodeOptions = {}): Promise<DecodedBatch[]> {
  // Headers and CRCs are checked before any decompression starts, so nothing runs on after a throw.
  const infos = headers(buf, opts);
  return Promise.all(
    infos.map(async (info) => {
      const payload = compressedPayload(buf, info);
      const plain = payload === null ? null : await decompress(info.compression, payload, info.magic);
      return finish(buf, info, plain);
    }),
  );
}

/** Same as decodeRecordBatches, decompressing on the calling thread. */
export function decodeRecordBatchesSync(buf: Buffer, opts: DecodeOptions = {}): DecodedBatch[] {
  return headers(buf, opts).map((info) => {
    const payload = compressedPayload(buf, info);
    return finish(buf, info, payload === null ? null : decompressSync(info.compression, payload, info.magic));
  });
}
