/**
 * Per-partition log configuration: Kafka's topic-level properties, typed. Names map one to one (camelCased):
 * segment.bytes → segmentBytes, segment.ms → segmentMs, index.interval.bytes → indexIntervalBytes,
 * segment.index.bytes → segmentIndexBytes, flush.messages → flushMessages, flush.ms → flushMs,
 * max.message.bytes → maxMessageBytes, message.timestamp.type → messageTimestampType,
 * retention.ms → retentionMs, retention.bytes → retentionBytes, cleanup.policy → cleanupPolicy,
 * delete.retention.ms → deleteRetentionMs, min.compaction.lag.ms → minCompactionLagMs,
 * max.compaction.lag.ms → maxCompactionLagMs, min.cleanable.dirty.ratio → minCleanableDirtyRatio,
 * file.delete.delay.ms → fileDeleteDelayMs, message.timestamp.difference.max.ms →
 * messageTimestampDifferenceMaxMs, message.timestamp.before.max.ms → messageTimestampBeforeMaxMs,
 * message.timestamp.after.max.ms → messageTimestampAfterMaxMs, preallocate → preallocate.
 *
 * Kafka's Long.MAX_VALUE defaults cannot be held by a JS number; any value ≥ Number.MAX_SAFE_INTEGER (`NEVER`)
 * means "unbounded", as in src/cluster/config.
 */
import type { FileHandleCache } from './file-handle-cache.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';

export type TimestampType = 'CreateTime' | 'LogAppendTime';
export type CleanupPolicy = 'delete' | 'compact';

/**
 * The fields from retentionMs on are optional so that configs built before they existed still type-check;
 * `resolveLogConfig` fills every missing field with Kafka's default and returns a {@link ResolvedLogConfig}.
 */
export interface LogConfig {
  /** segment.bytes: roll when the active segment would grow past this. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment's first batch is older than this (message time). */
  segmentMs: number;
  /** index.interval.bytes: bytes of log between two sparse offset-index entries. */
  indexIntervalBytes: number;
  /** segment.index.bytes: maximum size of one .index file; a full index rolls the segment. */
  segmentIndexBytes: number;
  /** flush.messages: fsync after this many records. NEVER_FLUSH (Kafka's Long.MAX) leaves it to the OS. */
  flushMessages: number;
  /** flush.ms: fsync data older than this. NEVER_FLUSH leaves it to the OS. */
  flushMs: number;
  /** max.message.bytes: largest record batch accepted (whole batch, header included). */
  maxMessageBytes: number;
  /** message.timestamp.type. LogAppendTime rewrites each batch's maxTimestamp with the broker's clock. */
  messageTimestampType: TimestampType;
  /** retention.ms: segments whose largest timestamp is older than this are deleted; -1 = keep forever. */
  retentionMs?: number;
  /** retention.bytes: oldest segments are deleted while the log is larger than this; -1 = no limit. */
  retentionBytes?: number;
  /** cleanup.policy: 'delete' (retention), 'compact' (keep the latest value per key), or both. */
  cleanupPolicy?: readonly CleanupPolicy[];
  /** delete.retention.ms: how long a tombstone survives after the cleaner first saw it (compacted logs). */
  deleteRetentionMs?: number;
  /** min.compaction.lag.ms: a record younger than this is never compacted. */
  minCompactionLagMs?: number;
  /** max.compaction.lag.ms: a record older than this makes its log eligible for cleaning whatever the dirty ratio. */
  maxCompactionLagMs?: number;
  /** min.cleanable.dirty.ratio: clean when dirty bytes / (clean + dirty bytes) reaches this. */
  minCleanableDirtyRatio?: number;
  /** file.delete.delay.ms: how long a segment renamed `*.deleted` stays on disk before it is removed. */
  fileDeleteDelayMs?: number;
  /**
   * message.timestamp.difference.max.ms (deprecated by KIP-937): used for before/after when those are left
   * unbounded. NEVER = no check.
   */
  messageTimestampDifferenceMaxMs?: number;
  /** message.timestamp.before.max.ms (KIP-937): CreateTime batches older than broker time minus this are refused. */
  messageTimestampBeforeMaxMs?: number;
  /** message.timestamp.after.max.ms (KIP-937): CreateTime batches newer than broker time plus this are refused. */
  messageTimestampAfterMaxMs?: number;
  /** preallocate: create each segment's .log at segment.bytes (sparse where the FS allows), trimmed on roll. */
  preallocate?: boolean;
}

/** A config with every field present, as the log uses it. */
export type ResolvedLogConfig = Required<LogConfig>;

/** Kafka's Long.MAX_VALUE as a JS number: "unbounded" for every long-valued setting. */
export const NEVER = Number.MAX_SAFE_INTEGER;

/**
 * Kafka's default for flush.messages and flush.ms is Long.MAX_VALUE, which a JS number cannot hold; any value
 * at or above this one means "never force a flush".
 */
export const NEVER_FLUSH = NEVER;

/** setTimeout cannot wait longer than this: delays from the config (flush.ms, file.delete.delay.ms) are capped at it. */
export const MAX_TIMER_MS = 0x7fffffff;

export const DEFAULT_LOG_CONFIG: Readonly<ResolvedLogConfig> = Object.freeze({
  segmentBytes: 1073741824,
  segmentMs: 604800000,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10485760,
  flushMessages: NEVER_FLUSH,
  flushMs: NEVER_FLUSH,
  maxMessageBytes: 1048588,
  messageTimestampType: 'CreateTime',
  retentionMs: 604800000,
  retentionBytes: -1,
  cleanupPolicy: Object.freeze(['delete']) as readonly CleanupPolicy[],
  deleteRetentionMs: 86400000,
  minCompactionLagMs: 0,
  maxCompactionLagMs: NEVER,
  minCleanableDirtyRatio: 0.5,
  fileDeleteDelayMs: 60000,
  messageTimestampDifferenceMaxMs: NEVER,
  messageTimestampBeforeMaxMs: NEVER,
  messageTimestampAfterMaxMs: NEVER,
  preallocate: false,
});

/** Smallest segment Kafka accepts (segment.bytes ≥ 14 = LegacyRecord.RECORD_OVERHEAD_V0). */
const MIN_SEGMENT_BYTES = 14;
const INT32_MAX = 2147483647;

function invalid(message: string): KafkaError {
  return new KafkaError(ErrorCode.INVALID_CONFIG, message);
}

function requireInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/** Long settings: anything at or past NEVER (e.g. 9223372036854775807 parsed as a number) is NEVER. */
function clampLong(value: number): number {
  return typeof value === 'number' && value >= NEVER ? NEVER : value;
}

const LONG_FIELDS = [
  'segmentMs',
  'flushMessages',
  'flushMs',
  'retentionMs',
  'retentionBytes',
  'deleteRetentionMs',
  'minCompactionLagMs',
  'maxCompactionLagMs',
  'fileDeleteDelayMs',
  'messageTimestampDifferenceMaxMs',
  'messageTimestampBeforeMaxMs',
  'messageTimestampAfterMaxMs',
] as const;

/** Merges `overrides` over the defaults and validates every field; throws KafkaError(INVALID_CONFIG). */
export function resolveLogConfig(overrides: Partial<LogConfig> = {}): ResolvedLogConfig {
  const c: ResolvedLogConfig = { ...DEFAULT_LOG_CONFIG };
  for (const [k, v] of Object.entries(overrides) as Array<[keyof LogConfig, LogConfig[keyof LogConfig] | undefined]>) {
    if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v;
  }
  for (const f of LONG_FIELDS) c[f] = clampLong(c[f]);
  requireInt('segment.bytes', c.segmentBytes, MIN_SEGMENT_BYTES, INT32_MAX);
  requireInt('segment.ms', c.segmentMs, 1, NEVER);
  requireInt('index.interval.bytes', c.indexIntervalBytes, 0, INT32_MAX);
  requireInt('segment.index.bytes', c.segmentIndexBytes, 4, INT32_MAX);
  requireInt('flush.messages', c.flushMessages, 1, NEVER);
  requireInt('flush.ms', c.flushMs, 0, NEVER);
  requireInt('max.message.bytes', c.maxMessageBytes, 0, INT32_MAX);
  if (c.messageTimestampType !== 'CreateTime' && c.messageTimestampType !== 'LogAppendTime') {
    throw invalid(`message.timestamp.type must be CreateTime or LogAppendTime, got ${String(c.messageTimestampType)}`);
  }
  // Kafka treats any negative retention.ms as "forever"; normalise to -1 so callers test one value.
  if (Number.isSafeInteger(c.retentionMs) && c.retentionMs < 0) c.retentionMs = -1;
  requireInt('retention.ms', c.retentionMs, -1, NEVER);
  requireInt('retention.bytes', c.retentionBytes, -NEVER, NEVER);
  if (!Array.isArray(c.cleanupPolicy) || c.cleanupPolicy.some((p) => p !== 'delete' && p !== 'compact')) {
    throw invalid(`cleanup.policy must list delete and/or compact, got ${String(c.cleanupPolicy)}`);
  }
  c.cleanupPolicy = Object.freeze([...new Set(c.cleanupPolicy)]);
  requireInt('delete.retention.ms', c.deleteRetentionMs, 0, NEVER);
  requireInt('min.compaction.lag.ms', c.minCompactionLagMs, 0, NEVER);
  requireInt('max.compaction.lag.ms', c.maxCompactionLagMs, 1, NEVER);
  if (typeof c.minCleanableDirtyRatio !== 'number' || !(c.minCleanableDirtyRatio >= 0 && c.minCleanableDirtyRatio <= 1)) {
    throw invalid(`min.cleanable.dirty.ratio must be a number in [0, 1], got ${String(c.minCleanableDirtyRatio)}`);
  }
  requireInt('file.delete.delay.ms', c.fileDeleteDelayMs, 0, NEVER);
  requireInt('message.timestamp.difference.max.ms', c.messageTimestampDifferenceMaxMs, 0, NEVER);
  requireInt('message.timestamp.before.max.ms', c.messageTimestampBeforeMaxMs, 0, NEVER);
  requireInt('message.timestamp.after.max.ms', c.messageTimestampAfterMaxMs, 0, NEVER);
  if (typeof c.preallocate !== 'boolean') throw invalid(`preallocate must be a boolean, got ${String(c.preallocate)}`);
  return c;
}

/** KIP-937: before/after bounds, falling back to the deprecated difference bound while they are unbounded. */
export function timestampBounds(c: ResolvedLogConfig): { beforeMaxMs: number; afterMaxMs: number } {
  return {
    beforeMaxMs: c.messageTimestampBeforeMaxMs < NEVER ? c.messageTimestampBeforeMaxMs : c.messageTimestampDifferenceMaxMs,
    afterMaxMs: c.messageTimestampAfterMaxMs < NEVER ? c.messageTimestampAfterMaxMs : c.messageTimestampDifferenceMaxMs,
  };
}

export function hasCleanupPolicy(c: Pick<ResolvedLogConfig, 'cleanupPolicy'>, p: CleanupPolicy): boolean {
  return c.cleanupPolicy.includes(p);
}

/** What a segment needs of its log's config (fixed when the segment is created). */
export interface SegmentConfig {
  indexIntervalBytes: number;
  segmentIndexBytes: number;
  /** preallocate: size the new .log at this many bytes up front (0 = no); trimmed when the segment rolls. */
  preallocateBytes?: number;
  /** Where the segment's file handle is cached (not config, but it travels with it to every new segment). Default: the process-wide cache. */
  handles?: FileHandleCache;
}

/** The segment settings a log's config implies for new segments. */
export function segmentConfigFor(cfg: ResolvedLogConfig, handles?: FileHandleCache): SegmentConfig {
  return {
    indexIntervalBytes: cfg.indexIntervalBytes,
    segmentIndexBytes: cfg.segmentIndexBytes,
    preallocateBytes: cfg.preallocate ? cfg.segmentBytes : 0,
    ...(handles !== undefined ? { handles } : {}),
  };
}
