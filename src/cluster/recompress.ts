/**
 * `compression.type` on append: when a topic names a codec (anything but `producer`), batches that
 * arrive with a different codec are decoded and rebuilt with the topic's codec, as Kafka's
 * LogValidator does. Everything the batch says about its records is kept: keys, values, headers,
 * CreateTime timestamps, the producer id / epoch / base sequence, the transactional flag and the
 * leader epoch. Offsets are reassigned by the log afterwards, as for any batch.
 *
 * This is the one place the produce path decodes records; batches already in the topic's codec (and
 * every batch of a `producer` topic) are passed through untouched.
 */
import { CompressionType } from '../protocol/compression/types.js';
import { buildRecordBatch, decodeRecordBatches, iterateBatchHeaders } from '../protocol/records/index.js';
import type { BatchInfo, RecordInput } from '../protocol/records/index.js';

/** The topic-level `compression.type` values (Kafka's names; `uncompressed` is codec none). */
export type TopicCompression = 'producer' | 'uncompressed' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

const CODEC_OF: Readonly<Record<Exclude<TopicCompression, 'producer'>, CompressionType>> = {
  uncompressed: CompressionType.None,
  gzip: CompressionType.Gzip,
  snappy: CompressionType.Snappy,
  lz4: CompressionType.Lz4,
  zstd: CompressionType.Zstd,
};

/** The codec a topic stores its batches in; null for `producer` (keep what the producer sent). */
export function topicCodec(compression: TopicCompression): CompressionType | null {
  return compression === 'producer' ? null : CODEC_OF[compression];
}

function needsRewrite(info: BatchInfo, target: CompressionType): boolean {
  // Control batches (transaction markers) are written by the broker and never carry compression.
  return info.magic === 2 && !info.isControl && info.compression !== target;
}

/**
 * Returns `batches` itself when nothing needs rewriting (the fast path), else a new buffer in which
 * every v2 data batch whose codec differs from `target` has been rebuilt with `target`.
 * Input that is not a clean sequence of whole batches, or holds a batch above `maxBatchBytes`, is
 * returned untouched so that the log's validation reports it exactly as it would otherwise.
 * Corrupt batches (CRC, undecodable payload) throw KafkaError(CORRUPT_MESSAGE).
 */
export async function recompressBatches(batches: Buffer, target: CompressionType, maxBatchBytes: number): Promise<Buffer> {
  let infos: BatchInfo[];
  try {
    infos = Array.from(iterateBatchHeaders(batches));
  } catch {
    return batches;
  }
  let covered = 0;
  let rewrite = false;
  for (const info of infos) {
    if (info.position !== covered || info.size > maxBatchBytes) return batches;
    covered += info.size;
    if (needsRewrite(info, target)) rewrite = true;
  }
  if (!rewrite || covered !== batches.length) return batches;

  const parts = await Promise.all(
    infos.map(async (info) => {
      const bytes = batches.subarray(info.position, info.position + info.size);
      if (!needsRewrite(info, target)) return bytes;
      const [decoded] = await decodeRecordBatches(bytes);
      const logAppend = decoded!.timestampType === 'log-append';
      const records: RecordInput[] = decoded!.records.map((r) => ({
        key: r.key,
        value: r.value,
        headers: r.headers,
        timestamp: logAppend ? decoded!.baseTimestamp : r.timestamp,
      }));
      if (records.length === 0) return bytes; // nothing to recompress; the validator judges empty batches
      return buildRecordBatch({
        baseOffset: info.baseOffset,
        records,
        compression: target,
        producerId: info.producerId,
        producerEpoch: info.producerEpoch,
        baseSequence: info.baseSequence,
        transactional: info.isTransactional,
        partitionLeaderEpoch: info.partitionLeaderEpoch,
        timestampType: logAppend ? 'log-append' : 'create',
        logAppendTime: logAppend ? info.maxTimestamp : undefined,
      });
    }),
  );
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
