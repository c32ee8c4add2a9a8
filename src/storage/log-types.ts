/** The option and result types of PartitionLog's methods (re-exported by partition-log.ts and index.ts). */
import type { CompressionType } from '../protocol/compression/types.js';
import type { AppendOrigin, ValidationResult } from './log-validator.js';
import type { VerificationGuard } from './producer-state/producer-state-manager.js';

export interface RetentionOptions {
  /** Segments reaching this offset are never deleted (Kafka's high-watermark bound). Default: the written end. */
  highWatermark?: number;
}

/** Steps of the compaction swap, in order; a test hook may stop at any of them (see `swapSegments`). */
export type SwapStep = 'renamed-to-swap' | 'old-renamed-deleted' | 'swap-renamed-live';

export interface AppendOptions {
  /** LogAppendTime topics: the broker time to stamp (default: the clock). Ignored for CreateTime. */
  logAppendTimeMs?: number;
  /** Written into each batch's partitionLeaderEpoch field when given. */
  leaderEpoch?: number;
  /** Validation rules (default 'client'); coordinators writing control batches pass 'coordinator'. */
  origin?: AppendOrigin;
  /** The result of `validateBatches` on this very buffer, to skip validating twice. */
  validated?: ValidationResult;
  /**
   * The topic's codec when its compression.type names one: batches in another codec are rebuilt with it
   * (Kafka's LogValidator). Null or absent: batches are stored in the codec the producer chose.
   */
  recompressTo?: CompressionType | null;
  /**
   * Transaction verification is on (KIP-890 part 1, `transaction.partition.verification.enable`): a
   * transactional batch that opens its producer's transaction here must carry the guard from
   * `maybeStartTransactionVerification` that its coordinator confirmed (null: none was).
   */
  transactionVerification?: { guard: VerificationGuard | null };
}

export interface AppendResult {
  /** Offset of the first record appended; -1 for an empty record set. */
  baseOffset: number;
  /** Offset of the last record appended; -1 for an empty record set. */
  lastOffset: number;
  /** The broker time stamped on the batches for LogAppendTime topics, -1 for CreateTime (as Kafka answers). */
  logAppendTime: number;
  logStartOffset: number;
  /** True when an idempotent producer's batch repeated one already in the log: the offsets are the original's. */
  duplicate?: boolean;
}

export interface ReadOptions {
  /** Exclusive upper bound, e.g. the high watermark: only batches whose lastOffset is below it are returned. */
  maxOffset?: number;
  /** KIP-74: return the first batch whole even when it is larger than maxBytes. Default false. */
  minOneMessage?: boolean;
}

export interface ReadResult {
  /** Whole stored batches, the first one containing the fetch offset (it may start before it). */
  records: Buffer;
  batches: number;
  /** Offset after the last returned batch; the fetch offset when nothing was returned. */
  nextOffset: number;
}
