/**
 * Topic-level configuration: Kafka's topic config names, each defaulting from a broker property
 * (its "server default property"), validated with Kafka's ranges. Overrides arrive as strings from
 * CreateTopics / AlterConfigs / IncrementalAlterConfigs; the broker turns a {@link ConfigError} into
 * INVALID_CONFIG with the error's message.
 */
import type { LogConfig } from '../../storage/log-config.js';
import {
  type BrokerConfig,
  CLEANUP_POLICIES,
  type CleanupPolicy,
  COMPRESSION_TYPES,
  type CompressionType,
  type ConfigEntryDescription,
  TIMESTAMP_TYPES,
  type TimestampType,
} from './broker-config.js';
import {
  atLeast,
  between,
  closestName,
  custom,
  type ConfigDefinition,
  type ConfigType,
  type ConfigValue,
  listOf,
  NEVER,
  oneOf,
  parseConfigValue,
  parseDefault,
  renderConfigValue,
} from './config-def.js';
import { ConfigError } from './errors.js';
import { TOPIC_CONFIG_BROKER_SYNONYMS, topicNameForBrokerProperty } from './synonyms.js';

export { ConfigError } from './errors.js';

/** The effective configuration of one topic: overrides over broker defaults. Durations ms, sizes bytes. */
export interface TopicConfig {
  cleanupPolicy: readonly CleanupPolicy[];
  compressionType: CompressionType;
  compressionGzipLevel: number;
  compressionLz4Level: number;
  compressionZstdLevel: number;
  deleteRetentionMs: number;
  fileDeleteDelayMs: number;
  flushMessages: number;
  flushMs: number;
  followerReplicationThrottledReplicas: readonly string[];
  leaderReplicationThrottledReplicas: readonly string[];
  indexIntervalBytes: number;
  localRetentionBytes: number;
  localRetentionMs: number;
  maxCompactionLagMs: number;
  maxMessageBytes: number;
  messageDownconversionEnable: boolean;
  messageFormatVersion: string;
  messageTimestampType: TimestampType;
  messageTimestampDifferenceMaxMs: number;
  /** message.timestamp.before.max.ms, or message.timestamp.difference.max.ms while before is left at Long.MAX (Kafka's rule). */
  messageTimestampBeforeMaxMs: number;
  /** message.timestamp.after.max.ms, or message.timestamp.difference.max.ms while after is left at Long.MAX (Kafka's rule). */
  messageTimestampAfterMaxMs: number;
  minCleanableDirtyRatio: number;
  minCompactionLagMs: number;
  minInsyncReplicas: number;
  preallocate: boolean;
  remoteStorageEnable: boolean;
  /** -1 = no size limit. */
  retentionBytes: number;
  /** -1 = keep forever. */
  retentionMs: number;
  segmentBytes: number;
  segmentIndexBytes: number;
  segmentJitterMs: number;
  segmentMs: number;
  uncleanLeaderElectionEnable: boolean;
}

export interface TopicConfigDefinition extends ConfigDefinition {
  /** Broker properties the default comes from, highest precedence first (empty: Kafka's fixed default). */
  readonly brokerSynonyms: readonly string[];
  /** The broker's effective value for this config. */
  readonly fromBroker?: (broker: BrokerConfig) => ConfigValue;
}

const KIND = 'topic config';
const LONG_MAX = '9223372036854775807';

type Options = Partial<Pick<TopicConfigDefinition, 'validator' | 'fromBroker'>> & { honoured?: boolean };

function t(name: string, type: ConfigType, defaultValue: string | null, documentation: string, options: Options = {}): TopicConfigDefinition {
  const { honoured = false, ...rest } = options;
  return { name, type, default: defaultValue, documentation, honoured, brokerSynonyms: TOPIC_CONFIG_BROKER_SYNONYMS[name] ?? [], ...rest };
}

const HONOURED = { honoured: true } as const;

const validThrottledReplicas = custom(
  (v) => Array.isArray(v) && (v.length === 1 && v[0] === '*' ? true : v.every((e) => /^\d+:\d+$/.test(e))),
  "'*' or a comma-separated list of partition:brokerId",
);

export const TOPIC_CONFIG_DEFINITIONS: readonly TopicConfigDefinition[] = [
  t('cleanup.policy', 'list', 'delete', 'delete discards old segments by time/size; compact keeps the latest value per key; both may be listed.', {
    ...HONOURED,
    validator: listOf(CLEANUP_POLICIES),
    fromBroker: (b) => b.logCleanupPolicy,
  }),
  t('compression.type', 'string', 'producer', 'Compression of stored batches: producer keeps what the producer sent.', {
    ...HONOURED,
    validator: oneOf(COMPRESSION_TYPES),
    fromBroker: (b) => b.compressionType,
  }),
  t('compression.gzip.level', 'int', '-1', 'gzip level when compression.type=gzip.', {
    validator: custom((v) => v === -1 || (typeof v === 'number' && v >= 1 && v <= 9), '-1 or a value between 1 and 9'),
    fromBroker: (b) => b.compressionGzipLevel,
  }),
  t('compression.lz4.level', 'int', '9', 'lz4 level when compression.type=lz4.', { validator: between(1, 17), fromBroker: (b) => b.compressionLz4Level }),
  t('compression.zstd.level', 'int', '3', 'zstd level when compression.type=zstd.', {
    validator: between(-131072, 22),
    fromBroker: (b) => b.compressionZstdLevel,
  }),
  t('delete.retention.ms', 'long', '86400000', 'How long tombstones are kept on a compacted topic.', {
    ...HONOURED,
    validator: atLeast(0),
    fromBroker: (b) => b.logCleanerDeleteRetentionMs,
  }),
  t('file.delete.delay.ms', 'long', '60000', 'Delay before a deleted segment file is removed from disk.', {
    ...HONOURED,
    validator: atLeast(0),
    fromBroker: (b) => b.logSegmentDeleteDelayMs,
  }),
  t('flush.messages', 'long', LONG_MAX, 'Records appended before an fsync (Long.MAX leaves flushing to the OS).', {
    ...HONOURED,
    validator: atLeast(1),
    fromBroker: (b) => b.logFlushIntervalMessages,
  }),
  t('flush.ms', 'long', LONG_MAX, 'Longest time data stays unflushed (Long.MAX leaves flushing to the OS).', {
    ...HONOURED,
    validator: atLeast(0),
    fromBroker: (b) => b.logFlushIntervalMs,
  }),
  t('follower.replication.throttled.replicas', 'list', '', 'Replicas whose follower-side replication is throttled.', { validator: validThrottledReplicas }),
  t('index.interval.bytes', 'int', '4096', 'Bytes appended between two offset index entries.', {
    ...HONOURED,
    validator: atLeast(0),
    fromBroker: (b) => b.logIndexIntervalBytes,
  }),
  t('leader.replication.throttled.replicas', 'list', '', 'Replicas whose leader-side replication is throttled.', { validator: validThrottledReplicas }),
  t('local.retention.bytes', 'long', '-2', 'Tiered storage: local size limit (-2 = retention.bytes).', { validator: atLeast(-2), fromBroker: (b) => b.logLocalRetentionBytes }),
  t('local.retention.ms', 'long', '-2', 'Tiered storage: local time limit (-2 = retention.ms).', { validator: atLeast(-2), fromBroker: (b) => b.logLocalRetentionMs }),
  t('max.compaction.lag.ms', 'long', LONG_MAX, 'Oldest an uncompacted record may get before compaction is forced.', {
    ...HONOURED,
    validator: atLeast(1),
    fromBroker: (b) => b.logCleanerMaxCompactionLagMs,
  }),
  t('max.message.bytes', 'int', '1048588', 'Largest record batch (after compression) accepted.', {
    ...HONOURED,
    validator: atLeast(0),
    fromBroker: (b) => b.messageMaxBytes,
  }),
  t('message.downconversion.enable', 'boolean', 'true', 'Allow down-converting batches for consumers of old fetch versions.', {
    fromBroker: (b) => b.logMessageDownconversionEnable,
  }),
  t('message.format.version', 'string', '3.0-IV1', 'Deprecated and ignored since Kafka 3.0: the message format is always v2.', {
    validator: custom((v) => typeof v === 'string' && /^\d+\.\d+(\.\d+)?(-IV\d+)?$/.test(v), 'a Kafka version such as 3.0-IV1'),
  }),
  t('message.timestamp.type', 'string', 'CreateTime', 'CreateTime keeps the producer timestamp; LogAppendTime stamps batches with broker time.', {
    ...HONOURED,
    validator: oneOf(TIMESTAMP_TYPES),
    fromBroker: (b) => b.logMessageTimestampType,
  }),
  t('message.timestamp.difference.max.ms', 'long', LONG_MAX, 'Deprecated: largest gap between a CreateTime timestamp and broker time.', {
    ...HONOURED,
    validator: atLeast(0),
    fromBroker: (b) => b.logMessageTimestampDifferenceMaxMs,
  }),
  t('message.timestamp.before.max.ms', 'long', LONG_MAX, 'Most a CreateTime timestamp may lie in the past.', {
    ...HONOURED,
    validator: atLeast(0),
    fromBroker: (b) => b.logMessageTimestampBeforeMaxMs,
  }),
  t('message.timestamp.after.max.ms', 'long', LONG_MAX, 'Most a CreateTime timestamp may lie in the future.', {
    ...HONOURED,
    validator: atLeast(0),
    fromBroker: (b) => b.logMessageTimestampAfterMaxMs,
  }),
  t('min.cleanable.dirty.ratio', 'double', '0.5', 'Dirty/total ratio above which the log is compacted.', {
    ...HONOURED,
    validator: between(0, 1),
    fromBroker: (b) => b.logCleanerMinCleanableRatio,
  }),
  t('min.compaction.lag.ms', 'long', '0', 'Youngest a record may be and still be compacted.', {
    ...HONOURED,
    validator: atLeast(0),
    fromBroker: (b) => b.logCleanerMinCompactionLagMs,
  }),
  t('min.insync.replicas', 'int', '1', 'With acks=all, fewest in-sync replicas that must have a write.', {
    ...HONOURED,
    validator: atLeast(1),
    fromBroker: (b) => b.minInsyncReplicas,
  }),
  t('preallocate', 'boolean', 'false', 'Preallocate segment files on creation.', { ...HONOURED, fromBroker: (b) => b.logPreallocate }),
  t('remote.storage.enable', 'boolean', 'false', 'Tiered storage; Tributary has none, so only false is accepted.', {
    validator: custom((v) => v === false, 'false (Tributary has no tiered storage)'),
  }),
  t('retention.bytes', 'long', '-1', 'Largest size of a partition before old segments are deleted; -1 = no limit.', {
    ...HONOURED,
    fromBroker: (b) => b.logRetentionBytes,
  }),
  t('retention.ms', 'long', '604800000', 'How long records are kept; -1 = forever.', { ...HONOURED, validator: atLeast(-1), fromBroker: (b) => b.logRetentionMs }),
  t('segment.bytes', 'int', '1073741824', 'Size at which a new segment is started.', {
    ...HONOURED,
    validator: atLeast(14),
    fromBroker: (b) => b.logSegmentBytes,
  }),
  t('segment.index.bytes', 'int', '10485760', 'Largest offset index file; a full index rolls the segment.', {
    ...HONOURED,
    validator: atLeast(4),
    fromBroker: (b) => b.logIndexSizeMaxBytes,
  }),
  t('segment.jitter.ms', 'long', '0', 'Random jitter subtracted from segment.ms.', { validator: atLeast(0), fromBroker: (b) => b.logRollJitterMs }),
  t('segment.ms', 'long', '604800000', 'Age at which a new segment is started even if not full.', {
    ...HONOURED,
    validator: atLeast(1),
    fromBroker: (b) => b.logRollMs,
  }),
  t('unclean.leader.election.enable', 'boolean', 'false', 'Allow an out-of-sync replica to become leader as a last resort; setting it to true elects one for leaderless partitions at once.', {
    ...HONOURED,
    fromBroker: (b) => b.uncleanLeaderElectionEnable,
  }),
];

const DEFINITIONS_BY_NAME: ReadonlyMap<string, TopicConfigDefinition> = new Map(TOPIC_CONFIG_DEFINITIONS.map((def) => [def.name, def]));

export function topicConfigDefinition(name: string): TopicConfigDefinition | undefined {
  return DEFINITIONS_BY_NAME.get(name);
}

function definitionOrThrow(name: string): TopicConfigDefinition {
  const def = DEFINITIONS_BY_NAME.get(name);
  if (def) return def;
  const topicName = topicNameForBrokerProperty(name);
  if (topicName) {
    throw new ConfigError(`Unknown topic config '${name}': that is a broker config; the topic-level config is '${topicName}'.`, name);
  }
  const suggestion = closestName(name, DEFINITIONS_BY_NAME.keys());
  throw new ConfigError(`Unknown topic config '${name}'.` + (suggestion ? ` Did you mean '${suggestion}'?` : ''), name);
}

function parseOverrides(overrides: Readonly<Record<string, string>>): Map<string, ConfigValue> {
  const parsed = new Map<string, ConfigValue>();
  for (const [name, raw] of Object.entries(overrides)) {
    parsed.set(name, parseConfigValue(definitionOrThrow(name), raw, KIND));
  }
  return parsed;
}

function checkCompactionLag(min: number, max: number): void {
  if (min > max) {
    throw new ConfigError(
      `Conflicting topic configs: min.compaction.lag.ms (${renderConfigValue('long', min)}) is greater than max.compaction.lag.ms (${renderConfigValue('long', max)}).`,
      'min.compaction.lag.ms',
    );
  }
}

/**
 * Validates topic config overrides (names and values) without a broker: for CreateTopics and
 * AlterConfigs. Throws {@link ConfigError}.
 */
export function validateTopicConfigs(overrides: Readonly<Record<string, string>>): void {
  const parsed = parseOverrides(overrides);
  const min = parsed.get('min.compaction.lag.ms');
  const max = parsed.get('max.compaction.lag.ms');
  if (typeof min === 'number' && typeof max === 'number') checkCompactionLag(min, max);
}

function effectiveValues(overrides: Readonly<Record<string, string>>, broker: BrokerConfig): Map<string, ConfigValue> {
  const values = parseOverrides(overrides);
  for (const def of TOPIC_CONFIG_DEFINITIONS) {
    if (!values.has(def.name)) values.set(def.name, def.fromBroker ? def.fromBroker(broker) : parseDefault(def, KIND));
  }
  return values;
}

/** The topic's effective configuration: overrides over the broker's defaults. Throws {@link ConfigError}. */
export function effectiveTopicConfig(overrides: Readonly<Record<string, string>>, broker: BrokerConfig): TopicConfig {
  const v = effectiveValues(overrides, broker);
  const num = (name: string): number => v.get(name) as number;
  const bool = (name: string): boolean => v.get(name) as boolean;
  const str = (name: string): string => v.get(name) as string;
  const list = (name: string): readonly string[] => v.get(name) as readonly string[];
  checkCompactionLag(num('min.compaction.lag.ms'), num('max.compaction.lag.ms'));
  const difference = num('message.timestamp.difference.max.ms');
  const before = num('message.timestamp.before.max.ms');
  const after = num('message.timestamp.after.max.ms');
  const retentionMs = num('retention.ms');
  return {
    cleanupPolicy: list('cleanup.policy') as readonly CleanupPolicy[],
    compressionType: str('compression.type') as CompressionType,
    compressionGzipLevel: num('compression.gzip.level'),
    compressionLz4Level: num('compression.lz4.level'),
    compressionZstdLevel: num('compression.zstd.level'),
    deleteRetentionMs: num('delete.retention.ms'),
    fileDeleteDelayMs: num('file.delete.delay.ms'),
    flushMessages: num('flush.messages'),
    flushMs: num('flush.ms'),
    followerReplicationThrottledReplicas: list('follower.replication.throttled.replicas'),
    leaderReplicationThrottledReplicas: list('leader.replication.throttled.replicas'),
    indexIntervalBytes: num('index.interval.bytes'),
    localRetentionBytes: num('local.retention.bytes'),
    localRetentionMs: num('local.retention.ms'),
    maxCompactionLagMs: num('max.compaction.lag.ms'),
    maxMessageBytes: num('max.message.bytes'),
    messageDownconversionEnable: bool('message.downconversion.enable'),
    messageFormatVersion: str('message.format.version'),
    messageTimestampType: str('message.timestamp.type') as TimestampType,
    messageTimestampDifferenceMaxMs: difference,
    messageTimestampBeforeMaxMs: before < NEVER ? before : difference,
    messageTimestampAfterMaxMs: after < NEVER ? after : difference,
    minCleanableDirtyRatio: num('min.cleanable.dirty.ratio'),
    minCompactionLagMs: num('min.compaction.lag.ms'),
    minInsyncReplicas: num('min.insync.replicas'),
    preallocate: bool('preallocate'),
    remoteStorageEnable: bool('remote.storage.enable'),
    retentionBytes: num('retention.bytes'),
    retentionMs: retentionMs < 0 ? -1 : retentionMs,
    segmentBytes: num('segment.bytes'),
    segmentIndexBytes: num('segment.index.bytes'),
    segmentJitterMs: num('segment.jitter.ms'),
    segmentMs: num('segment.ms'),
    uncleanLeaderElectionEnable: bool('unclean.leader.election.enable'),
  };
}

export interface TopicConfigEntry extends ConfigEntryDescription {
  source: 'DYNAMIC_TOPIC_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG';
  readOnly: false;
  sensitive: false;
}

/**
 * Every topic config with its effective value, for DescribeConfigs on a TOPIC resource: overrides
 * are DYNAMIC_TOPIC_CONFIG; inherited values are STATIC_BROKER_CONFIG when one of the broker
 * properties behind them was set explicitly, else DEFAULT_CONFIG.
 */
export function describeTopicConfig(overrides: Readonly<Record<string, string>>, broker: BrokerConfig): TopicConfigEntry[] {
  const values = effectiveValues(overrides, broker);
  return TOPIC_CONFIG_DEFINITIONS.map((def) => {
    const overridden = Object.prototype.hasOwnProperty.call(overrides, def.name);
    const fromStaticBroker = def.brokerSynonyms.some((name) => broker.explicitProperties.has(name));
    return {
      name: def.name,
      value: renderConfigValue(def.type, values.get(def.name) ?? null),
      source: overridden ? 'DYNAMIC_TOPIC_CONFIG' : fromStaticBroker ? 'STATIC_BROKER_CONFIG' : 'DEFAULT_CONFIG',
      readOnly: false,
      sensitive: false,
      type: def.type,
      documentation: def.documentation,
    };
  });
}

/** The storage layer's per-partition settings from a topic's effective config. */
export function toLogConfig(effective: TopicConfig): LogConfig {
  return {
    segmentBytes: effective.segmentBytes,
    segmentMs: effective.segmentMs,
    indexIntervalBytes: effective.indexIntervalBytes,
    segmentIndexBytes: effective.segmentIndexBytes,
    flushMessages: effective.flushMessages,
    flushMs: effective.flushMs,
    maxMessageBytes: effective.maxMessageBytes,
    messageTimestampType: effective.messageTimestampType,
    retentionMs: effective.retentionMs,
    retentionBytes: effective.retentionBytes,
    cleanupPolicy: effective.cleanupPolicy,
    deleteRetentionMs: effective.deleteRetentionMs,
    minCompactionLagMs: effective.minCompactionLagMs,
    maxCompactionLagMs: effective.maxCompactionLagMs,
    minCleanableDirtyRatio: effective.minCleanableDirtyRatio,
    fileDeleteDelayMs: effective.fileDeleteDelayMs,
    messageTimestampDifferenceMaxMs: effective.messageTimestampDifferenceMaxMs,
    // Already resolved against message.timestamp.difference.max.ms (Kafka's rule) in effectiveTopicConfig.
    messageTimestampBeforeMaxMs: effective.messageTimestampBeforeMaxMs,
    messageTimestampAfterMaxMs: effective.messageTimestampAfterMaxMs,
    preallocate: effective.preallocate,
  };
}

/** Whether the topic config is of Kafka's LIST type (IncrementalAlterConfigs APPEND/SUBTRACT need one). */
export function isListTopicConfig(name: string): boolean {
  return DEFINITIONS_BY_NAME.get(name)?.type === 'list';
}

/**
 * Parses one override value with the topic config's rules: for IncrementalAlterConfigs, which must
 * merge list values. Throws {@link ConfigError} for an unknown name or a bad value.
 */
export function parseTopicConfigValue(name: string, raw: string): ConfigValue {
  return parseConfigValue(definitionOrThrow(name), raw, KIND);
}

/** The topic's effective value of one config, rendered as Kafka shows it (overrides over broker defaults). */
export function effectiveTopicConfigValue(overrides: Readonly<Record<string, string>>, broker: BrokerConfig, name: string): string | null {
  const def = definitionOrThrow(name);
  return renderConfigValue(def.type, effectiveValues(overrides, broker).get(name) ?? null);
}
