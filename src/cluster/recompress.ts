/**
 * `compression.type`: the codec a topic stores its batches in. The log rebuilds batches that arrive in
 * another codec (storage/deferred-validation.ts: the records section is recompressed as it is, never
 * decoded into records); batches already in the topic's codec, and every batch of a `producer` topic,
 * are stored untouched.
 */
import { CompressionType } from '../protocol/compression/types.js';

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
