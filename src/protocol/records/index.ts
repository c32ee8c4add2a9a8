/** Record formats: v2 batches (build, decode, header walk), legacy message sets, control records. */
export * from './types.js';
export {
  buildRecordBatch,
  buildRecordBatchSync,
  decodeRecordBatches,
  iterateBatchHeaders,
  readMagic,
  type BuildRecordBatchOptions,
  type DecodeOptions,
} from './record-batch.js';
export { decodeRecordBatchesSync } from './decode-batches.js';
export { readBatchInfo, readLegacyInfo } from './batch-iterator.js';
export { decodeRecords, type RecordsContext } from './record-decoder.js';
export { decodeLegacyEntry, legacyCrcMatches, readLegacyMessage, type LegacyMessage } from './legacy.js';
export { buildLegacyMessageSet, type BuildLegacyOptions, type LegacyRecordInput } from './legacy-build.js';
export * from './control.js';
export { crc32 } from './crc32.js';
export { crc32c } from './crc32c.js';
export * from './batch-header.js';
