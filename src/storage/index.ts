/** Public surface of the storage layer. */
export {
  DEFAULT_LOG_CONFIG,
  NEVER,
  NEVER_FLUSH,
  hasCleanupPolicy,
  resolveLogConfig,
  timestampBounds,
  type CleanupPolicy,
  type LogConfig,
  type ResolvedLogConfig,
  type TimestampType,
} from './log-config.js';
export {
  validateBatches,
  type AppendOrigin,
  type BatchInfo,
  type ValidateOptions,
  type ValidationResult,
} from './log-validator.js';
export {
  PartitionLog,
  type AppendOptions,
  type AppendResult,
  type PartitionLogOptions,
  type ReadOptions,
  type ReadResult,
  type RecordTimestamp,
  type RetentionOptions,
  type SwapStep,
} from './partition-log.js';
export {
  LogManager,
  parsePartitionDirName,
  validateTopicName,
  type HostedLog,
  type LogConfigResolver,
  type LogManagerOptions,
} from './log-manager.js';
export { readMetaProperties, writeMetaProperties, META_PROPERTIES_FILE } from './meta-properties.js';
export { readPartitionMetadata, writePartitionMetadata, PARTITION_METADATA_FILE } from './partition-metadata.js';
export {
  CLEANER_OFFSET_CHECKPOINT_FILE,
  LOG_START_OFFSET_CHECKPOINT_FILE,
  RECOVERY_POINT_CHECKPOINT_FILE,
  REPLICATION_OFFSET_CHECKPOINT_FILE,
} from './checkpoint-file.js';
export {
  LeaderEpochCache,
  LEADER_EPOCH_CHECKPOINT_FILE,
  UNDEFINED_EPOCH,
  UNDEFINED_EPOCH_OFFSET,
  type EpochEndOffset,
  type EpochEntry,
} from './leader-epoch-cache.js';
export {
  cleanLog,
  cleanableStats,
  type CleanableStats,
  type CleanOptions,
  type CleanResult,
  type CleanStep,
} from './cleaner/log-cleaner.js';
export { OffsetMap, OFFSET_MAP_SLOT_BYTES } from './cleaner/offset-map.js';
export { SILENT_LOGGER, type StorageLogger } from './logger.js';
