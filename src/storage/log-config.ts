/**
 * Per-partition log configuration: Kafka's topic-level properties, typed. Names map one to one:
 * segment.bytes → segmentBytes, segment.ms → segmentMs, index.interval.bytes → indexIntervalBytes,
 * segment.index.bytes → segmentIndexBytes, flush.messages → flushMessages, flush.ms → flushMs,
 * max.message.bytes → maxMessageBytes, message.timestamp.type → messageTimestampType.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';

export type TimestampType = 'CreateTime' | 'LogAppendTime';

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
}

/**
 * Kafka's default for flush.messages and flush.ms is Long.MAX_VALUE, which a JS number cannot hold; any value
 * at or above this one means "never force a flush".
 */
export const NEVER_FLUSH = Number.MAX_SAFE_INTEGER;

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1073741824,
  segmentMs: 604800000,
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10485760,
  flushMessages: NEVER_FLUSH,
  flushMs: NEVER_FLUSH,
  maxMessageBytes: 1048588,
  messageTimestampType: 'CreateTime',
});

/** Smallest segment Kafka accepts (segment.bytes ≥ 14 = LegacyRecord.RECORD_OVERHEAD_V0). */
const MIN_SEGMENT_BYTES = 14;
const INT32_MAX = 2147483647;

function requireInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new KafkaError(ErrorCode.INVALID_CONFIG, `${name} must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/** Merges `overrides` over the defaults and validates every field; throws KafkaError(INVALID_CONFIG). */
export function resolveLogConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  const c: LogConfig = { ...DEFAULT_LOG_CONFIG };
  for (const [k, v] of Object.entries(overrides) as Array<[keyof LogConfig, LogConfig[keyof LogConfig] | undefined]>) {
    if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v;
  }
  requireInt('segment.bytes', c.segmentBytes, MIN_SEGMENT_BYTES, INT32_MAX);
  requireInt('segment.ms', c.segmentMs, 1, Number.MAX_SAFE_INTEGER);
  requireInt('index.interval.bytes', c.indexIntervalBytes, 0, INT32_MAX);
  requireInt('segment.index.bytes', c.segmentIndexBytes, 4, INT32_MAX);
  requireInt('flush.messages', c.flushMessages, 1, Number.MAX_SAFE_INTEGER);
  requireInt('flush.ms', c.flushMs, 0, Number.MAX_SAFE_INTEGER);
  requireInt('max.message.bytes', c.maxMessageBytes, 0, INT32_MAX);
  if (c.messageTimestampType !== 'CreateTime' && c.messageTimestampType !== 'LogAppendTime') {
    throw new KafkaError(
      ErrorCode.INVALID_CONFIG,
      `message.timestamp.type must be CreateTime or LogAppendTime, got ${String(c.messageTimestampType)}`,
    );
  }
  return c;
}
