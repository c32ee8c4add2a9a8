/**
 * Broker configuration: one table of definitions under Kafka's property names and defaults, parsed
 * and validated once into a typed {@link BrokerConfig} whose field names carry their units.
 *
 * Where Tributary defaults differently from Kafka the definition records `kafkaDefault`:
 * - `node.id`/`broker.id` default to 0 (Kafka's KRaft mode requires node.id to be set);
 * - `process.roles` defaults to `broker,controller` (one combined node, no setup needed);
 * - `listeners` defaults to `PLAINTEXT://127.0.0.1:9092` (Kafka binds every interface; a dev broker
 *   should not), and port 0 means "pick a free port" (the broker reports the real one);
 * - `log.dir` defaults to `./data` (Kafka: /tmp/kafka-logs);
 * - `queued.max.request.bytes` defaults to 256 MiB (Kafka: -1, unbounded): a Node process has one
 *   heap and its fetch responses are buffers, not zero-copy file regions, so it needs a bound.
 */
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
import { COMPONENT_LEVEL_PATTERN, isLogLevel, LOG_COMPONENTS, LOG_LEVELS, type LogLevel, parseComponentLevels } from './log-levels.js';
import { TOPIC_CONFIG_BROKER_SYNONYMS } from './synonyms.js';
import { LISTENER_PATTERN, type ListenerConfig, type ProcessRole, type QuorumVoter, resolveQuorumConfig, SECURITY_PROTOCOLS, type SecurityProtocol } from './quorum-config.js';

export { ConfigError } from './errors.js';
export { IMPLICIT_CONTROLLER_LISTENER_NAME, SECURITY_PROTOCOLS, type ListenerConfig, type ProcessRole, type QuorumVoter, type SecurityProtocol } from './quorum-config.js';
export { NEVER, LONG_MAX_LITERAL, DESCRIBE_CONFIG_TYPE_CODES, DESCRIBE_CONFIG_SOURCE_CODES } from './config-def.js';
export type { ConfigType, ConfigDefinition } from './config-def.js';

export type CompressionType = 'uncompressed' | 'zstd' | 'lz4' | 'snappy' | 'gzip' | 'producer';
export type TimestampType = 'CreateTime' | 'LogAppendTime';
export type CleanupPolicy = 'delete' | 'compact';

export const COMPRESSION_TYPES: readonly CompressionType[] = ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'];
export const TIMESTAMP_TYPES: readonly TimestampType[] = ['CreateTime', 'LogAppendTime'];
export const CLEANUP_POLICIES: readonly CleanupPolicy[] = ['delete', 'compact'];

/** The validated broker configuration. Durations are ms, sizes bytes; {@link NEVER} = Long.MAX ("never"). */
export interface BrokerConfig {
  // --- identity and roles
  /** `node.id` (or `broker.id`; they must agree when both are set). */
  nodeId: number;
  /** `process.roles`; `['broker', 'controller']` when unset (the implicit single-node quorum). */
  processRoles: readonly ProcessRole[];
  /**
   * True when `process.roles` (and every quorum property) is unset: the node is a combined
   * broker+controller whose quorum is itself alone. It then has an implicit {@link controllerListener}
   * that is not in {@link listeners}: the broker binds it (port 0) and puts the bound port in the
   * self voter, so a single node goes through the same Raft code as a cluster.
   */
  implicitSingleNodeQuorum: boolean;
  /** Tributary's own property: null until the broker generates one and persists it in meta.properties. */
  clusterId: string | null;
  brokerRack: string | null;
  /**
   * `metrics.listener` (Tributary only): where the HTTP endpoint for Prometheus (`/metrics`) and health
   * checks (`/health`, `/ready`) listens; null (unset or empty) = no metrics listener. Port 0 picks one.
   */
  metricsListener: { readonly host: string; readonly port: number } | null;
  /**
   * `log.level` (Tributary only): the level of the broker's logs (pino: fatal, error, warn, info, debug,
   * trace, silent). The environment variable TRIBUTARY_LOG_LEVEL, when set, wins over it.
   */
  logLevel: LogLevel;
  /**
   * `log.level.components` (Tributary only): levels of single components, `component=level,…` (e.g.
   * `replica-fetcher=debug,group-coordinator=warn`); each wins over {@link logLevel} for its component
   * (and the loggers it creates). Empty when unset.
   */
  logLevelComponents: ReadonlyMap<string, LogLevel>;

  // --- listeners and quorum
  listeners: readonly ListenerConfig[];
  /** `advertised.listeners`, or `listeners` minus controller listeners when unset. */
  advertisedListeners: readonly ListenerConfig[];
  listenerSecurityProtocolMap: ReadonlyMap<string, SecurityProtocol>;
  /** The listener other brokers use to reach this one. */
  interBrokerListenerName: string;
  /** `controller.listener.names`, upper-cased; `['CONTROLLER']` for the implicit single-node quorum. */
  controllerListenerNames: readonly string[];
  /**
   * The listener this node's controller binds: the entry of `listeners` named by
   * `controller.listener.names[0]`; for the implicit single-node quorum a `CONTROLLER` listener on the
   * client listener's host with port 0 (not in `listeners`). Null when the node is not a controller.
   */
  controllerListener: ListenerConfig | null;
  /**
   * The listener brokers and clients reach this broker on: the inter-broker listener, else the first
   * listener that is not a controller listener. Null when the node is not a broker.
   */
  brokerListener: ListenerConfig | null;
  /**
   * `controller.quorum.voters`; for the implicit single-node quorum `[{ id: nodeId, host, port: 0 }]`
   * (port 0 until the broker has bound {@link controllerListener}). Empty when the quorum is found
   * through `controller.quorum.bootstrap.servers` (KIP-853 dynamic quorum).
   */
  controllerQuorumVoters: readonly QuorumVoter[];
  controllerQuorumBootstrapServers: readonly { host: string; port: number }[];
  controllerQuorumElectionTimeoutMs: number;
  controllerQuorumFetchTimeoutMs: number;
  controllerQuorumElectionBackoffMaxMs: number;
  controllerQuorumRequestTimeoutMs: number;
  controllerQuorumRetryBackoffMs: number;
  controllerQuorumAppendLingerMs: number;
  brokerHeartbeatIntervalMs: number;
  brokerSessionTimeoutMs: number;
  /** `metadata.log.dir`, or the first of {@link logDirs} when unset. */
  metadataLogDir: string;
  /** `metadata.log.max.record.bytes.between.snapshots`: metadata log bytes appended before a new snapshot. */
  metadataLogMaxRecordBytesBetweenSnapshots: number;
  /** `metadata.log.segment.bytes`: segment size of `__cluster_metadata-0`. */
  metadataLogSegmentBytes: number;
  /** `metadata.max.idle.interval.ms`: the active controller appends a NoOp record this often when idle (0 = never). */
  metadataMaxIdleIntervalMs: number;

  // --- network
  socketRequestMaxBytes: number;
  /** -1 = the OS default. */
  socketSendBufferBytes: number;
  /** -1 = the OS default. */
  socketReceiveBufferBytes: number;
  connectionsMaxIdleMs: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  /** `max.connections.per.ip.overrides` as `host:limit` entries (host names are resolved when the listener starts). */
  maxConnectionsPerIpOverrides: readonly string[];
  maxConnectionCreationRate: number;
  /** Requests in flight per connection (Kafka: the broker-wide request queue; see docs/compatibility.md). */
  queuedMaxRequests: number;
  /** The listener's memory pool; -1 = unbounded. */
  queuedMaxRequestBytes: number;
  numNetworkThreads: number;
  numIoThreads: number;
  numRecoveryThreadsPerDataDir: number;
  fetchMaxBytes: number;

  // --- topics
  numPartitions: number;
  defaultReplicationFactor: number;
  autoCreateTopicsEnable: boolean;
  deleteTopicEnable: boolean;
  /** `max.partitions` (Tributary, KIP-578's name): the most partitions the cluster holds. */
  maxPartitions: number;
  /** `max.broker.partitions` (Tributary, KIP-578's name): the most partition replicas on this broker. */
  maxBrokerPartitions: number;
  /** Module specifier (path or package) of the CreateTopicPolicy, or null. */
  createTopicPolicyClassName: string | null;
  /** Module specifier (path or package) of the AlterConfigPolicy, or null. */
  alterConfigPolicyClassName: string | null;
  minInsyncReplicas: number;
  uncleanLeaderElectionEnable: boolean;
  autoLeaderRebalanceEnable: boolean;
  /** `leader.imbalance.check.interval.seconds`, in ms. */
  leaderImbalanceCheckIntervalMs: number;
  leaderImbalancePerBrokerPercentage: number;
  compressionType: CompressionType;
  compressionGzipLevel: number;
  compressionLz4Level: number;
  compressionZstdLevel: number;

  // --- log (storage) defaults for every topic
  /** `log.dirs`, else `[log.dir]`. Relative paths are relative to the working directory. */
  logDirs: readonly string[];
  messageMaxBytes: number;
  logSegmentBytes: number;
  /** `log.roll.ms`, else `log.roll.hours` × 3,600,000. */
  logRollMs: number;
  /** `log.roll.jitter.ms`, else `log.roll.jitter.hours` × 3,600,000. */
  logRollJitterMs: number;
  logIndexIntervalBytes: number;
  logIndexSizeMaxBytes: number;
  logFlushIntervalMessages: number;
  /** `log.flush.interval.ms`, or `log.flush.scheduler.interval.ms` when unset (Kafka's fallback). */
  logFlushIntervalMs: number;
  logFlushSchedulerIntervalMs: number;
  logFlushOffsetCheckpointIntervalMs: number;
  /** `log.retention.ms` > `log.retention.minutes` > `log.retention.hours`; -1 = keep forever. */
  logRetentionMs: number;
  /** -1 = no size limit. */
  logRetentionBytes: number;
  logRetentionCheckIntervalMs: number;
  logLocalRetentionMs: number;
  logLocalRetentionBytes: number;
  logCleanupPolicy: readonly CleanupPolicy[];
  logSegmentDeleteDelayMs: number;
  logPreallocate: boolean;
  logMessageTimestampType: TimestampType;
  logMessageTimestampDifferenceMaxMs: number;
  logMessageTimestampBeforeMaxMs: number;
  logMessageTimestampAfterMaxMs: number;
  logMessageDownconversionEnable: boolean;
  logCleanerEnable: boolean;
  logCleanerThreads: number;
  logCleanerBackoffMs: number;
  logCleanerDedupeBufferSizeBytes: number;
  logCleanerDeleteRetentionMs: number;
  logCleanerMinCompactionLagMs: number;
  logCleanerMaxCompactionLagMs: number;
  logCleanerMinCleanableRatio: number;

  // --- replication
  replicaLagTimeMaxMs: number;
  replicaFetchMaxBytes: number;
  replicaFetchMinBytes: number;
  replicaFetchWaitMaxMs: number;
  replicaFetchBackoffMs: number;
  replicaFetchResponseMaxBytes: number;
  replicaSocketTimeoutMs: number;
  numReplicaFetchers: number;
  replicaHighWatermarkCheckpointIntervalMs: number;

  // --- group coordinator
  groupInitialRebalanceDelayMs: number;
  groupMinSessionTimeoutMs: number;
  groupMaxSessionTimeoutMs: number;
  groupMaxSize: number;
  offsetsTopicNumPartitions: number;
  offsetsTopicReplicationFactor: number;
  offsetsTopicSegmentBytes: number;
  /** `offsets.retention.minutes` × 60,000. */
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  offsetsCommitTimeoutMs: number;
  offsetMetadataMaxBytes: number;

  // --- transaction coordinator
  transactionStateLogNumPartitions: number;
  transactionStateLogReplicationFactor: number;
  transactionStateLogMinIsr: number;
  transactionStateLogSegmentBytes: number;
  transactionalIdExpirationMs: number;
  transactionMaxTimeoutMs: number;
  transactionAbortTimedOutTransactionCleanupIntervalMs: number;
  transactionRemoveExpiredTransactionCleanupIntervalMs: number;
  transactionPartitionVerificationEnable: boolean;
  producerIdExpirationMs: number;
  producerIdExpirationCheckIntervalMs: number;

  /**
   * The properties as given (validated), by Kafka name; DescribeConfigs reports these as STATIC_BROKER_CONFIG.
   * Holds password values verbatim: never log this map.
   */
  explicitProperties: ReadonlyMap<string, string>;
}

// ---------------------------------------------------------------------------------------------
// The table

export interface BrokerConfigDefinition extends ConfigDefinition {
  /** The value DescribeConfigs reports, when it is not simply the parsed property (derived values). */
  readonly describe?: (config: BrokerConfig) => string | null;
}

const KIND = 'broker config';
const LONG_MAX = '9223372036854775807';
const INT_MAX = '2147483647';

type Options = Partial<Pick<BrokerConfigDefinition, 'validator' | 'kafkaDefault' | 'describe'>> & { honoured?: boolean };

function d(
  name: string,
  type: ConfigType,
  defaultValue: string | null,
  documentation: string,
  options: Options = {},
): BrokerConfigDefinition {
  const { honoured = false, ...rest } = options;
  return { name, type, default: defaultValue, documentation, honoured, ...rest };
}

const HONOURED = { honoured: true } as const;
const NODE_NOTE = 'accepted for compatibility; a Node.js broker runs on one event loop, so there is no thread pool to size.';

const validListenerList = custom(
  (v) => Array.isArray(v) && v.every((e) => LISTENER_PATTERN.test(e)),
  'a comma-separated list of NAME://host:port (host may be empty or [IPv6])',
);
const validVoterList = custom(
  (v) => Array.isArray(v) && v.every((e) => /^\d+@.+:\d+$/.test(e)),
  'a comma-separated list of id@host:port',
);
const validHostPortList = custom(
  (v) => Array.isArray(v) && v.every((e) => /^.+:\d+$/.test(e)),
  'a comma-separated list of host:port',
);
const validProtocolMap = custom(
  (v) =>
    Array.isArray(v) &&
    v.every((e) => {
      const m = /^([^:]+):(.+)$/.exec(e);
      return m !== null && SECURITY_PROTOCOLS.includes(m[2]!.toUpperCase() as SecurityProtocol);
    }),
  `a comma-separated list of LISTENER_NAME:PROTOCOL with PROTOCOL one of ${SECURITY_PROTOCOLS.join(', ')}`,
);
/** `http://host:port` (host a name, an IPv4 address or [IPv6]); empty = off. */
const METRICS_LISTENER_PATTERN = /^http:\/\/(\[[0-9A-Fa-f:.]+\]|[^\s/:\[\]]+):(\d{1,5})\/?$/;
const validMetricsListener = custom(
  (v) => typeof v === 'string' && (v === '' || (METRICS_LISTENER_PATTERN.test(v) && Number(METRICS_LISTENER_PATTERN.exec(v)![2]) <= 65535)),
  'http://host:port (port 0 picks a free port), or empty to turn the metrics listener off',
);

/** The host and port of a validated `metrics.listener`, null when off. */
function parseMetricsListener(value: string | null): { host: string; port: number } | null {
  if (value === null || value === '') return null;
  const m = METRICS_LISTENER_PATTERN.exec(value)!;
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port: Number(m[2]) };
}
const validLogLevel = custom((v) => typeof v === 'string' && isLogLevel(v.toLowerCase()), `a log level: one of ${LOG_LEVELS.join(', ')}`);
const validComponentLevels = custom(
  (v) =>
    Array.isArray(v) &&
    v.every((e) => {
      const m = COMPONENT_LEVEL_PATTERN.exec(e);
      return m !== null && isLogLevel(m[2]!.toLowerCase());
    }),
  `a comma-separated list of component=level (e.g. replica-fetcher=debug,group-coordinator=warn), level one of ${LOG_LEVELS.join(', ')}`,
);
const validPerIpOverrides = custom(
  (v) => typeof v === 'string' && (v.trim() === '' || v.split(',').every((e) => /^\s*[^\s,]+:\d+\s*$/.test(e))),
  'a comma-separated list of host:limit (host a name or an IP address, limit a whole number)',
);
const validClusterId = custom(
  (v) => typeof v === 'string' && /^[A-Za-z0-9_-]{22}$/.test(v),
  'a 22-character base64url cluster id (16 random bytes, as `kafka-storage random-uuid` prints)',
);

export const BROKER_CONFIG_DEFINITIONS: readonly BrokerConfigDefinition[] = [
  // Identity and roles
  d('node.id', 'int', '0', 'The id of this node in the cluster (broker and controller).', {
    ...HONOURED,
    validator: atLeast(0),
    kafkaDefault: '-1',
    describe: (c) => String(c.nodeId),
  }),
  d('broker.id', 'int', null, 'Older name of node.id; if both are set they must be equal.', {
    ...HONOURED,
    validator: atLeast(0),
    kafkaDefault: '-1',
    describe: (c) => String(c.nodeId),
  }),
  d('process.roles', 'list', 'broker,controller', 'The roles this node plays: broker, controller, or both (combined mode). Unset: one combined node that is its own single-voter quorum.', {
    ...HONOURED,
    validator: listOf(['broker', 'controller']),
    kafkaDefault: '',
  }),
  d('cluster.id', 'string', null, 'Tributary only: the cluster id; when unset one is generated and stored in meta.properties.', {
    ...HONOURED,
    validator: validClusterId,
  }),
  d('broker.rack', 'string', null, 'Rack of this broker, used for rack-aware replica placement.', HONOURED),
  d('metrics.listener', 'string', null, 'Tributary only: http://host:port where Prometheus metrics (/metrics) and health checks (/health, /ready) are served; port 0 picks a free port; unset or empty: off.', {
    ...HONOURED,
    validator: validMetricsListener,
  }),
  d('log.level', 'string', 'info', `Tributary only: the level of the broker's logs (on stderr), one of ${LOG_LEVELS.join(', ')}; the environment variable TRIBUTARY_LOG_LEVEL, when set, wins over it.`, {
    ...HONOURED,
    validator: validLogLevel,
  }),
  d(
    'log.level.components',
    'list',
    '',
    `Tributary only: levels of single logging components as component=level pairs (e.g. replica-fetcher=debug,group-coordinator=warn), each winning over log.level for its component; the components are ${LOG_COMPONENTS.join(', ')}.`,
    { ...HONOURED, validator: validComponentLevels },
  ),

  // Listeners and quorum
  d('listeners', 'list', 'PLAINTEXT://127.0.0.1:9092', 'Addresses to listen on as NAME://host:port; an empty host binds every interface, port 0 picks a free port.', {
    ...HONOURED,
    validator: validListenerList,
    kafkaDefault: 'PLAINTEXT://:9092',
  }),
  d('advertised.listeners', 'list', null, 'Addresses handed to clients, if different from listeners (which are used when this is unset).', {
    ...HONOURED,
    validator: validListenerList,
  }),
  d(
    'listener.security.protocol.map',
    'list',
    'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL',
    'Security protocol of each listener name, as NAME:PROTOCOL pairs.',
    { ...HONOURED, validator: validProtocolMap },
  ),
  d('inter.broker.listener.name', 'string', null, 'The listener brokers use to talk to each other; defaults to the one named after security.inter.broker.protocol.', HONOURED),
  d('security.inter.broker.protocol', 'string', 'PLAINTEXT', 'Security protocol between brokers; set this or inter.broker.listener.name, not both.', {
    validator: oneOf(SECURITY_PROTOCOLS),
  }),
  d('controller.listener.names', 'list', '', 'Names of the listeners the controller quorum uses (the first is the one a controller binds); required with process.roles.', {
    ...HONOURED,
    describe: (c) => c.controllerListenerNames.join(','),
  }),
  d('controller.quorum.voters', 'list', '', 'The controller quorum as id@host:port entries (static quorum).', { ...HONOURED, validator: validVoterList }),
  d('controller.quorum.bootstrap.servers', 'list', '', 'host:port entries used to discover the controller quorum (dynamic quorum, KIP-853).', { validator: validHostPortList }),
  d('controller.quorum.election.timeout.ms', 'int', '1000', 'Longest time without a leader before a controller starts an election.', { ...HONOURED, validator: atLeast(1) }),
  d('controller.quorum.fetch.timeout.ms', 'int', '2000', 'Longest time without a successful fetch from the leader before a voter becomes a candidate.', { ...HONOURED, validator: atLeast(1) }),
  d('controller.quorum.election.backoff.max.ms', 'int', '1000', 'Upper bound of the randomised backoff before a new election.', { ...HONOURED, validator: atLeast(1) }),
  d('controller.quorum.request.timeout.ms', 'int', '2000', 'Timeout of requests between controllers.', { ...HONOURED, validator: atLeast(1) }),
  d('controller.quorum.retry.backoff.ms', 'int', '20', 'Backoff before retrying a failed quorum request.', { validator: atLeast(0) }),
  d('controller.quorum.append.linger.ms', 'int', '25', 'How long the quorum leader waits to batch writes to the metadata log.', { ...HONOURED, validator: atLeast(0) }),
  d('broker.heartbeat.interval.ms', 'int', '2000', 'Interval between broker heartbeats to the controller.', { ...HONOURED, validator: atLeast(1) }),
  d('broker.session.timeout.ms', 'int', '9000', 'A broker that has not heartbeated for this long is fenced.', { ...HONOURED, validator: atLeast(1) }),
  d('metadata.log.dir', 'string', null, 'Directory of the cluster metadata log; defaults to the first of log.dirs.', HONOURED),
  d('metadata.log.max.record.bytes.between.snapshots', 'long', '20971520', 'Bytes appended to the metadata log after the latest snapshot before a new snapshot is taken.', {
    ...HONOURED,
    validator: atLeast(1),
  }),
  d('metadata.log.segment.bytes', 'int', '1073741824', 'Segment size of the metadata log __cluster_metadata-0.', { validator: atLeast(12) }),
  d('metadata.max.idle.interval.ms', 'int', '500', 'How often the active controller appends a NoOp record when there is nothing else to write (0 disables it).', {
    validator: atLeast(0),
  }),

  // Network
  d('socket.request.max.bytes', 'int', '104857600', 'The largest request the broker accepts (protects memory).', { ...HONOURED, validator: atLeast(1) }),
  d('socket.send.buffer.bytes', 'int', '102400', 'SO_SNDBUF of sockets; -1 keeps the OS default.'),
  d('socket.receive.buffer.bytes', 'int', '102400', 'SO_RCVBUF of sockets; -1 keeps the OS default.'),
  d('connections.max.idle.ms', 'long', '600000', 'Connections with no byte read or written and no request in progress for this long are closed.', { ...HONOURED, validator: atLeast(1) }),
  d('max.connections', 'int', INT_MAX, 'Most connections the broker holds; beyond it the least recently active idle connection is closed, or the new one is.', { ...HONOURED, validator: atLeast(0) }),
  d('max.connections.per.ip', 'int', INT_MAX, 'Most connections from one IP address; a connection over it is closed at once.', { ...HONOURED, validator: atLeast(0) }),
  d('max.connections.per.ip.overrides', 'string', '', 'Per-IP or per-host-name limits overriding max.connections.per.ip, as host:limit pairs separated by commas.', {
    ...HONOURED,
    validator: validPerIpOverrides,
  }),
  d('max.connection.creation.rate', 'int', INT_MAX, 'Most new connections accepted per second; the excess waits unread until the rate allows it.', { ...HONOURED, validator: atLeast(0) }),
  d('queued.max.requests', 'int', '500', 'Most requests in flight on one connection before the broker stops reading from it.', { ...HONOURED, validator: atLeast(1) }),
  d('queued.max.request.bytes', 'long', '268435456', 'Memory for requests being read or served (and unsent fetch responses), across all connections; when used up, sockets are not read until it is released. -1 = unbounded.', {
    ...HONOURED,
    validator: custom((v) => typeof v === 'number' && (v === -1 || v > 0), '-1 (unbounded) or a positive number of bytes'),
    kafkaDefault: '-1',
  }),
  d('num.network.threads', 'int', '3', `Kafka's network thread count; ${NODE_NOTE}`, { validator: atLeast(1) }),
  d('num.io.threads', 'int', '8', `Kafka's request handler thread count; ${NODE_NOTE}`, { validator: atLeast(1) }),
  d('num.recovery.threads.per.data.dir', 'int', '1', `Kafka's log recovery threads per data dir; ${NODE_NOTE}`, { validator: atLeast(1) }),
  d('fetch.max.bytes', 'int', '57671680', 'Most bytes returned by one fetch request (a first batch larger than that is still returned whole).', { ...HONOURED, validator: atLeast(1024) }),

  // Topics
  d('num.partitions', 'int', '1', 'Partition count of topics created without one (including auto-created topics).', { ...HONOURED, validator: atLeast(1) }),
  d('default.replication.factor', 'int', '1', 'Replication factor of topics created without one.', { ...HONOURED, validator: atLeast(1) }),
  d('auto.create.topics.enable', 'boolean', 'true', 'Create a topic when a client asks for metadata of, or produces to, one that does not exist.', HONOURED),
  d('delete.topic.enable', 'boolean', 'true', 'Allow topics to be deleted; when false, DeleteTopics fails.', HONOURED),
  // Kafka has no broker-wide partition limit; KIP-578 proposed these two names (never adopted). Tributary enforces
  // them because every partition costs files, memory and start-up time (docs/storage.md measured 10,000).
  d('max.partitions', 'int', '10000', 'Tributary only (KIP-578\'s proposed name): most partitions in the cluster; CreateTopics, CreatePartitions and auto-creation beyond it fail with POLICY_VIOLATION.', {
    ...HONOURED,
    validator: atLeast(1),
  }),
  d('max.broker.partitions', 'int', '10000', 'Tributary only (KIP-578\'s proposed name): most partition replicas on this broker; on one node the same count as max.partitions.', {
    ...HONOURED,
    validator: atLeast(1),
  }),
  d('create.topic.policy.class.name', 'string', null, 'A JavaScript module (file path or package name) whose default export is a CreateTopicPolicy object or class; its validate() throws to refuse a topic (POLICY_VIOLATION).', HONOURED),
  d('alter.config.policy.class.name', 'string', null, 'A JavaScript module (file path or package name) whose default export is an AlterConfigPolicy object or class; its validate() throws to refuse a topic config change (POLICY_VIOLATION).', HONOURED),
  d('min.insync.replicas', 'int', '1', 'With acks=all, the fewest in-sync replicas that must have a write before it is acknowledged.', { validator: atLeast(1), honoured: true }),
  d('unclean.leader.election.enable', 'boolean', 'false', 'Allow an out-of-sync replica to become leader as a last resort (may lose data); the controller elects it with ISR = [it].', HONOURED),
  d('auto.leader.rebalance.enable', 'boolean', 'true', 'The active controller moves leadership back to preferred replicas in the background.', HONOURED),
  d('leader.imbalance.check.interval.seconds', 'long', '300', 'How often the active controller checks the leader balance (auto.leader.rebalance.enable).', { ...HONOURED, validator: atLeast(1) }),
  d('leader.imbalance.per.broker.percentage', 'int', '10', 'Share of the partitions a broker is the preferred replica of that others may lead before the controller moves them back.', { ...HONOURED, validator: atLeast(0) }),
  d('compression.type', 'string', 'producer', 'Compression of stored batches: producer keeps what the producer sent, uncompressed stores plain batches.', {
    ...HONOURED,
    validator: oneOf(COMPRESSION_TYPES),
  }),
  d('compression.gzip.level', 'int', '-1', 'gzip level when the broker compresses (1..9, or -1 for the codec default).', {
    validator: custom((v) => v === -1 || (typeof v === 'number' && v >= 1 && v <= 9), '-1 or a value between 1 and 9'),
  }),
  d('compression.lz4.level', 'int', '9', 'lz4 level when the broker compresses.', { validator: between(1, 17) }),
  d('compression.zstd.level', 'int', '3', 'zstd level when the broker compresses.', { validator: between(-131072, 22) }),

  // Log (storage)
  d('log.dirs', 'list', null, 'Directories holding partition data; wins over log.dir.', { ...HONOURED }),
  d('log.dir', 'string', './data', 'The data directory when log.dirs is unset.', { ...HONOURED, kafkaDefault: '/tmp/kafka-logs' }),
  d('message.max.bytes', 'int', '1048588', 'Largest record batch (after compression) the broker accepts.', { ...HONOURED, validator: atLeast(0) }),
  d('log.segment.bytes', 'int', '1073741824', 'Size at which a new log segment is started.', { ...HONOURED, validator: atLeast(14) }),
  d('log.roll.ms', 'long', null, 'Age at which a new segment is started even if not full; wins over log.roll.hours.', { ...HONOURED, validator: atLeast(1) }),
  d('log.roll.hours', 'int', '168', 'As log.roll.ms, in hours.', { ...HONOURED, validator: atLeast(1) }),
  d('log.roll.jitter.ms', 'long', null, 'Random jitter subtracted from the roll time; wins over log.roll.jitter.hours.', { validator: atLeast(0) }),
  d('log.roll.jitter.hours', 'int', '0', 'As log.roll.jitter.ms, in hours.', { validator: atLeast(0) }),
  d('log.index.interval.bytes', 'int', '4096', 'Bytes appended between two entries of the sparse offset index.', { ...HONOURED, validator: atLeast(0) }),
  d('log.index.size.max.bytes', 'int', '10485760', 'Largest offset index file; a full index rolls the segment.', { ...HONOURED, validator: atLeast(4) }),
  d('log.flush.interval.messages', 'long', LONG_MAX, 'Messages appended to a partition before it is fsynced (Long.MAX: leave it to the OS).', {
    ...HONOURED,
    validator: atLeast(1),
  }),
  d('log.flush.interval.ms', 'long', null, 'Longest a message stays unflushed; when unset the value of log.flush.scheduler.interval.ms is used.', {
    ...HONOURED,
  }),
  d('log.flush.scheduler.interval.ms', 'long', LONG_MAX, 'How often the flusher checks whether a log needs flushing; also the fallback for log.flush.interval.ms.', {
    ...HONOURED,
  }),
  d('log.flush.offset.checkpoint.interval.ms', 'int', '60000', 'How often the recovery point checkpoint is written.', { ...HONOURED, validator: atLeast(0) }),
  d('log.retention.ms', 'long', null, 'How long to keep a log segment; wins over minutes and hours; -1 = forever.', HONOURED),
  d('log.retention.minutes', 'int', null, 'As log.retention.ms, in minutes; wins over hours.', HONOURED),
  d('log.retention.hours', 'int', '168', 'As log.retention.ms, in hours.', HONOURED),
  d('log.retention.bytes', 'long', '-1', 'Largest size of a partition before old segments are deleted; -1 = no limit.', HONOURED),
  d('log.retention.check.interval.ms', 'long', '300000', 'How often segments are checked for deletion.', { ...HONOURED, validator: atLeast(1) }),
  d('log.local.retention.ms', 'long', '-2', 'Tiered storage: local retention time (-2 = use log.retention.ms).', { validator: atLeast(-2) }),
  d('log.local.retention.bytes', 'long', '-2', 'Tiered storage: local retention size (-2 = use log.retention.bytes).', { validator: atLeast(-2) }),
  d('log.cleanup.policy', 'list', 'delete', 'What happens to old segments: delete, compact, or both.', { ...HONOURED, validator: listOf(CLEANUP_POLICIES) }),
  d('log.segment.delete.delay.ms', 'long', '60000', 'Delay before a deleted segment file is removed from disk.', { ...HONOURED, validator: atLeast(0) }),
  d('log.preallocate', 'boolean', 'false', 'Preallocate segment files on creation.', HONOURED),
  d('log.message.timestamp.type', 'string', 'CreateTime', 'Whether stored timestamps are the producer create time or the broker append time.', {
    ...HONOURED,
    validator: oneOf(TIMESTAMP_TYPES),
  }),
  d('log.message.timestamp.difference.max.ms', 'long', LONG_MAX, 'Deprecated: largest allowed gap between a CreateTime timestamp and broker time.', {
    ...HONOURED,
    validator: atLeast(0),
  }),
  d('log.message.timestamp.before.max.ms', 'long', LONG_MAX, 'Most a CreateTime timestamp may lie in the past.', { ...HONOURED, validator: atLeast(0) }),
  d('log.message.timestamp.after.max.ms', 'long', LONG_MAX, 'Most a CreateTime timestamp may lie in the future.', { ...HONOURED, validator: atLeast(0) }),
  d('log.message.downconversion.enable', 'boolean', 'true', 'Allow converting batches to old message formats for old consumers.'),
  d('log.cleaner.enable', 'boolean', 'true', 'Run the log cleaner (needed by compacted topics, including internal ones).', HONOURED),
  d('log.cleaner.threads', 'int', '1', `Kafka's cleaner thread count; ${NODE_NOTE}`, { validator: atLeast(0) }),
  d('log.cleaner.backoff.ms', 'long', '15000', 'Pause of the cleaner when there is nothing to clean.', { ...HONOURED, validator: atLeast(0) }),
  d('log.cleaner.dedupe.buffer.size', 'long', '134217728', 'Memory the cleaner uses to deduplicate keys.', HONOURED),
  d('log.cleaner.delete.retention.ms', 'long', '86400000', 'How long tombstones are kept on compacted topics.', { ...HONOURED, validator: atLeast(0) }),
  d('log.cleaner.min.compaction.lag.ms', 'long', '0', 'Youngest a message can be and still be compacted.', { ...HONOURED, validator: atLeast(0) }),
  d('log.cleaner.max.compaction.lag.ms', 'long', LONG_MAX, 'Oldest an uncompacted message can get before compaction is forced.', { ...HONOURED, validator: atLeast(1) }),
  d('log.cleaner.min.cleanable.ratio', 'double', '0.5', 'Dirty/total ratio above which a log is compacted.', { ...HONOURED, validator: between(0, 1) }),

  // Replication
  d('replica.lag.time.max.ms', 'long', '30000', 'A follower that has not caught up for this long leaves the ISR.', HONOURED),
  d('replica.fetch.max.bytes', 'int', '1048576', 'Bytes a follower asks for per partition.', { validator: atLeast(0), honoured: true }),
  d('replica.fetch.min.bytes', 'int', '1', 'Bytes a follower fetch waits for.', HONOURED),
  d('replica.fetch.wait.max.ms', 'int', '500', 'Longest a follower fetch waits on the leader.', HONOURED),
  d('replica.fetch.backoff.ms', 'int', '1000', 'Backoff after a follower fetch error.', { validator: atLeast(0), honoured: true }),
  d('replica.fetch.response.max.bytes', 'int', '10485760', 'Bytes a follower asks for per fetch.', { validator: atLeast(0), honoured: true }),
  d('replica.socket.timeout.ms', 'int', '30000', 'Socket timeout of follower fetches.', HONOURED),
  d('num.replica.fetchers', 'int', '1', 'Fetch loops per source broker (each its own connection); partitions are spread over them by hash. All run on the one event loop.', { validator: atLeast(1), honoured: true }),
  d('replica.high.watermark.checkpoint.interval.ms', 'long', '5000', 'How often high watermarks are checkpointed to disk.', HONOURED),

  // Group coordinator
  d('group.initial.rebalance.delay.ms', 'int', '3000', 'How long a new group waits for more members before its first rebalance.', HONOURED),
  d('group.min.session.timeout.ms', 'int', '6000', 'Shortest session timeout a consumer may ask for.', HONOURED),
  d('group.max.session.timeout.ms', 'int', '1800000', 'Longest session timeout a consumer may ask for.', HONOURED),
  d('group.max.size', 'int', INT_MAX, 'Most members in one consumer group.', { validator: atLeast(1), honoured: true }),
  d('offsets.topic.num.partitions', 'int', '50', 'Partitions of __consumer_offsets (fixed once created).', { validator: atLeast(1), honoured: true }),
  d('offsets.topic.replication.factor', 'short', '3', 'Replication factor of __consumer_offsets, capped at the number of live brokers.', { validator: atLeast(1), honoured: true }),
  d('offsets.topic.segment.bytes', 'int', '104857600', 'Segment size of __consumer_offsets.', { validator: atLeast(1), honoured: true }),
  d('offsets.retention.minutes', 'int', '10080', 'Committed offsets of an empty group are dropped after this long.', { validator: atLeast(1), honoured: true }),
  d('offsets.retention.check.interval.ms', 'long', '600000', 'How often stale offsets are looked for.', { validator: atLeast(1), honoured: true }),
  d('offsets.commit.timeout.ms', 'int', '5000', 'How long an offset commit waits for replication.', { validator: atLeast(1), honoured: true }),
  d('offset.metadata.max.bytes', 'int', '4096', 'Largest metadata string of a committed offset.', HONOURED),

  // Transaction coordinator
  d('transaction.state.log.num.partitions', 'int', '50', 'Partitions of __transaction_state (fixed once created).', { validator: atLeast(1), honoured: true }),
  d('transaction.state.log.replication.factor', 'short', '3', 'Replication factor of __transaction_state; a single-node cluster needs 1.', { validator: atLeast(1), honoured: true }),
  d('transaction.state.log.min.isr', 'int', '2', 'min.insync.replicas of __transaction_state.', { validator: atLeast(1), honoured: true }),
  d('transaction.state.log.segment.bytes', 'int', '104857600', 'Segment size of __transaction_state.', { validator: atLeast(1), honoured: true }),
  d('transactional.id.expiration.ms', 'int', '604800000', 'A transactional id unused for this long is forgotten.', { validator: atLeast(1), honoured: true }),
  d('transaction.max.timeout.ms', 'int', '900000', 'Longest transaction timeout a producer may ask for.', { validator: atLeast(1), honoured: true }),
  d('transaction.abort.timed.out.transaction.cleanup.interval.ms', 'int', '10000', 'How often timed-out transactions are aborted.', { validator: atLeast(1), honoured: true }),
  d('transaction.partition.verification.enable', 'boolean', 'true', "Partition leaders ask a transaction's coordinator whether a partition is in the transaction before accepting its first transactional batch (KIP-890 part 1).", HONOURED),
  d('transaction.remove.expired.transaction.cleanup.interval.ms', 'int', '3600000', 'How often expired transactional ids are removed.', { validator: atLeast(1), honoured: true }),
  d('producer.id.expiration.ms', 'int', '86400000', 'Producer id state idle for this long is dropped.', { validator: atLeast(1), honoured: true }),
  d('producer.id.expiration.check.interval.ms', 'int', '600000', 'How often idle producer ids are looked for.', { validator: atLeast(1), honoured: true }),

  // Security (accepted so existing files load; Tributary listeners are PLAINTEXT only for now)
  d('ssl.keystore.location', 'string', null, 'Path of the key store file.'),
  d('ssl.keystore.password', 'password', null, 'Password of the key store file.'),
  d('ssl.key.password', 'password', null, 'Password of the private key in the key store.'),
  d('ssl.truststore.location', 'string', null, 'Path of the trust store file.'),
  d('ssl.truststore.password', 'password', null, 'Password of the trust store file.'),
  d('sasl.enabled.mechanisms', 'list', 'GSSAPI', 'SASL mechanisms the broker offers.'),
  d('sasl.mechanism.inter.broker.protocol', 'string', 'GSSAPI', 'SASL mechanism between brokers.'),

  // Share groups (Kafka 4.x sample configs set these; accepted so those files load)
  d('share.coordinator.state.topic.replication.factor', 'short', '3', 'Replication factor of __share_group_state.', { validator: atLeast(1) }),
  d('share.coordinator.state.topic.min.isr', 'short', '2', 'min.insync.replicas of __share_group_state.', { validator: atLeast(1) }),
];

const DEFINITIONS_BY_NAME: ReadonlyMap<string, BrokerConfigDefinition> = new Map(BROKER_CONFIG_DEFINITIONS.map((def) => [def.name, def]));

/** The definition of a broker property, if Tributary knows it. */
export function brokerConfigDefinition(name: string): BrokerConfigDefinition | undefined {
  return DEFINITIONS_BY_NAME.get(name);
}

// ---------------------------------------------------------------------------------------------
// Parsing

function unknownPropertyMessage(name: string): string {
  if (name === 'zookeeper.connect' || name.startsWith('zookeeper.')) {
    return (
      `'${name}' is not supported: Tributary has no ZooKeeper mode. It runs with a built-in ` +
      `KRaft-style controller (process.roles=broker,controller by default); remove the zookeeper.* settings.`
    );
  }
  const topicSynonyms = TOPIC_CONFIG_BROKER_SYNONYMS[name];
  if (topicSynonyms && !DEFINITIONS_BY_NAME.has(name)) {
    return (
      `Unknown broker config '${name}': that is a topic-level config. ` +
      `The broker-wide default is '${topicSynonyms[0]}'; set '${name}' per topic with CreateTopics or AlterConfigs.`
    );
  }
  const suggestion = closestName(name, DEFINITIONS_BY_NAME.keys());
  return `Unknown broker config '${name}'.` + (suggestion ? ` Did you mean '${suggestion}'?` : ' Check the spelling against the Kafka broker configs Tributary supports.');
}

/**
 * Parses and validates broker properties (as read from server.properties plus --override), filling
 * Kafka's defaults. Throws {@link ConfigError} on the first unknown property or invalid value, or
 * on properties that contradict each other.
 */
export function parseBrokerConfig(props: Map<string, string> | ReadonlyMap<string, string> | Record<string, string>): BrokerConfig {
  const entries: Array<[string, string]> = props instanceof Map ? [...props.entries()] : Object.entries(props);
  const explicit = new Map<string, string>();
  const values = new Map<string, ConfigValue>();
  for (const [rawName, raw] of entries) {
    const name = rawName.trim();
    const def = DEFINITIONS_BY_NAME.get(name);
    if (!def) throw new ConfigError(unknownPropertyMessage(name), name);
    values.set(name, parseConfigValue(def, raw, KIND));
    explicit.set(name, raw);
  }
  for (const def of BROKER_CONFIG_DEFINITIONS) {
    if (!values.has(def.name)) values.set(def.name, parseDefault(def, KIND));
  }
  return assemble(values, explicit);
}

function assemble(values: Map<string, ConfigValue>, explicit: Map<string, string>): BrokerConfig {
  const get = (name: string): ConfigValue => {
    if (!values.has(name)) throw new Error(`broker config table lacks ${name}`);
    return values.get(name)!;
  };
  const num = (name: string): number => get(name) as number;
  const optNum = (name: string): number | null => get(name) as number | null;
  const bool = (name: string): boolean => get(name) as boolean;
  const str = (name: string): string => get(name) as string;
  const optStr = (name: string): string | null => get(name) as string | null;
  const list = (name: string): readonly string[] => (get(name) as readonly string[] | null) ?? [];
  const invalid = (property: string, message: string): never => {
    throw new ConfigError(message, property);
  };

  // Identity: node.id or broker.id (Kafka's KRaft mode requires node.id; we default to 0).
  const nodeIdSet = explicit.has('node.id');
  const brokerIdSet = explicit.has('broker.id');
  const nodeId = nodeIdSet ? num('node.id') : brokerIdSet ? num('broker.id') : num('node.id');
  if (nodeIdSet && brokerIdSet && num('node.id') !== num('broker.id')) {
    invalid('broker.id', `broker.id (${num('broker.id')}) and node.id (${num('node.id')}) must be equal when both are set; set only node.id.`);
  }

  const quorum = resolveQuorumConfig({ explicit, nodeId, nodeIdGiven: nodeIdSet || brokerIdSet, list, str, optStr });

  // Retention: ms > minutes > hours; any negative = forever (-1). Kafka rejects 0.
  const retentionMsRaw =
    optNum('log.retention.ms') ??
    (optNum('log.retention.minutes') !== null ? optNum('log.retention.minutes')! * 60_000 : num('log.retention.hours') * 3_600_000);
  const logRetentionMs = retentionMsRaw < 0 ? -1 : retentionMsRaw;
  if (logRetentionMs === 0) {
    const property = explicit.has('log.retention.ms') ? 'log.retention.ms' : explicit.has('log.retention.minutes') ? 'log.retention.minutes' : 'log.retention.hours';
    invalid(property, `Invalid value '0' for broker config '${property}': expected -1 (keep forever) or a positive retention.`);
  }

  const logDirs = explicit.has('log.dirs') ? list('log.dirs') : [str('log.dir')];
  if (logDirs.length === 0 || logDirs.some((dir) => dir === '')) {
    const property = explicit.has('log.dirs') ? 'log.dirs' : 'log.dir';
    invalid(property, `Invalid value '' for broker config '${property}': expected a directory path.`);
  }

  const logFlushSchedulerIntervalMs = num('log.flush.scheduler.interval.ms');

  let logLevelComponents: ReadonlyMap<string, LogLevel> = new Map();
  try {
    logLevelComponents = parseComponentLevels(list('log.level.components'), (name) => closestName(name, LOG_COMPONENTS));
  } catch (err) {
    invalid('log.level.components', `Invalid value for broker config 'log.level.components': ${(err as Error).message}.`);
  }

  // Connection limits (Kafka's KafkaConfig checks).
  const maxConnectionsPerIp = num('max.connections.per.ip');
  const maxConnectionsPerIpOverrides = str('max.connections.per.ip.overrides')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (maxConnectionsPerIp === 0 && maxConnectionsPerIpOverrides.length === 0) {
    invalid('max.connections.per.ip', 'max.connections.per.ip is 0, which refuses every client: set max.connections.per.ip.overrides for the hosts that may connect, or raise it.');
  }
  const queuedMaxRequestBytes = num('queued.max.request.bytes');
  if (queuedMaxRequestBytes > 0 && queuedMaxRequestBytes < num('socket.request.max.bytes')) {
    invalid(
      'queued.max.request.bytes',
      `queued.max.request.bytes (${queuedMaxRequestBytes}) must be at least socket.request.max.bytes (${num('socket.request.max.bytes')}), or -1, so that the largest request fits.`,
    );
  }

  return {
    nodeId,
    processRoles: quorum.processRoles,
    implicitSingleNodeQuorum: quorum.implicitSingleNodeQuorum,
    clusterId: optStr('cluster.id'),
    brokerRack: optStr('broker.rack'),
    metricsListener: parseMetricsListener(optStr('metrics.listener')),
    logLevel: str('log.level').toLowerCase() as LogLevel,
    logLevelComponents,

    listeners: quorum.listeners,
    advertisedListeners: quorum.advertisedListeners,
    listenerSecurityProtocolMap: quorum.listenerSecurityProtocolMap,
    interBrokerListenerName: quorum.interBrokerListenerName,
    controllerListenerNames: quorum.controllerListenerNames,
    controllerListener: quorum.controllerListener,
    brokerListener: quorum.brokerListener,
    controllerQuorumVoters: quorum.controllerQuorumVoters,
    controllerQuorumBootstrapServers: quorum.controllerQuorumBootstrapServers,
    controllerQuorumElectionTimeoutMs: num('controller.quorum.election.timeout.ms'),
    controllerQuorumFetchTimeoutMs: num('controller.quorum.fetch.timeout.ms'),
    controllerQuorumElectionBackoffMaxMs: num('controller.quorum.election.backoff.max.ms'),
    controllerQuorumRequestTimeoutMs: num('controller.quorum.request.timeout.ms'),
    controllerQuorumRetryBackoffMs: num('controller.quorum.retry.backoff.ms'),
    controllerQuorumAppendLingerMs: num('controller.quorum.append.linger.ms'),
    brokerHeartbeatIntervalMs: num('broker.heartbeat.interval.ms'),
    brokerSessionTimeoutMs: num('broker.session.timeout.ms'),
    metadataLogDir: optStr('metadata.log.dir') ?? logDirs[0]!,
    metadataLogMaxRecordBytesBetweenSnapshots: num('metadata.log.max.record.bytes.between.snapshots'),
    metadataLogSegmentBytes: num('metadata.log.segment.bytes'),
    metadataMaxIdleIntervalMs: num('metadata.max.idle.interval.ms'),

    socketRequestMaxBytes: num('socket.request.max.bytes'),
    socketSendBufferBytes: num('socket.send.buffer.bytes'),
    socketReceiveBufferBytes: num('socket.receive.buffer.bytes'),
    connectionsMaxIdleMs: num('connections.max.idle.ms'),
    maxConnections: num('max.connections'),
    maxConnectionsPerIp,
    maxConnectionsPerIpOverrides,
    maxConnectionCreationRate: num('max.connection.creation.rate'),
    queuedMaxRequests: num('queued.max.requests'),
    queuedMaxRequestBytes,
    numNetworkThreads: num('num.network.threads'),
    numIoThreads: num('num.io.threads'),
    numRecoveryThreadsPerDataDir: num('num.recovery.threads.per.data.dir'),
    fetchMaxBytes: num('fetch.max.bytes'),

    numPartitions: num('num.partitions'),
    defaultReplicationFactor: num('default.replication.factor'),
    autoCreateTopicsEnable: bool('auto.create.topics.enable'),
    deleteTopicEnable: bool('delete.topic.enable'),
    maxPartitions: num('max.partitions'),
    maxBrokerPartitions: num('max.broker.partitions'),
    createTopicPolicyClassName: optStr('create.topic.policy.class.name') || null,
    alterConfigPolicyClassName: optStr('alter.config.policy.class.name') || null,
    minInsyncReplicas: num('min.insync.replicas'),
    uncleanLeaderElectionEnable: bool('unclean.leader.election.enable'),
    autoLeaderRebalanceEnable: bool('auto.leader.rebalance.enable'),
    leaderImbalanceCheckIntervalMs: num('leader.imbalance.check.interval.seconds') * 1000,
    leaderImbalancePerBrokerPercentage: num('leader.imbalance.per.broker.percentage'),
    compressionType: str('compression.type') as CompressionType,
    compressionGzipLevel: num('compression.gzip.level'),
    compressionLz4Level: num('compression.lz4.level'),
    compressionZstdLevel: num('compression.zstd.level'),

    logDirs,
    messageMaxBytes: num('message.max.bytes'),
    logSegmentBytes: num('log.segment.bytes'),
    logRollMs: optNum('log.roll.ms') ?? num('log.roll.hours') * 3_600_000,
    logRollJitterMs: optNum('log.roll.jitter.ms') ?? num('log.roll.jitter.hours') * 3_600_000,
    logIndexIntervalBytes: num('log.index.interval.bytes'),
    logIndexSizeMaxBytes: num('log.index.size.max.bytes'),
    logFlushIntervalMessages: num('log.flush.interval.messages'),
    logFlushIntervalMs: optNum('log.flush.interval.ms') ?? logFlushSchedulerIntervalMs,
    logFlushSchedulerIntervalMs,
    logFlushOffsetCheckpointIntervalMs: num('log.flush.offset.checkpoint.interval.ms'),
    logRetentionMs,
    logRetentionBytes: num('log.retention.bytes'),
    logRetentionCheckIntervalMs: num('log.retention.check.interval.ms'),
    logLocalRetentionMs: num('log.local.retention.ms'),
    logLocalRetentionBytes: num('log.local.retention.bytes'),
    logCleanupPolicy: list('log.cleanup.policy') as CleanupPolicy[],
    logSegmentDeleteDelayMs: num('log.segment.delete.delay.ms'),
    logPreallocate: bool('log.preallocate'),
    logMessageTimestampType: str('log.message.timestamp.type') as TimestampType,
    logMessageTimestampDifferenceMaxMs: num('log.message.timestamp.difference.max.ms'),
    logMessageTimestampBeforeMaxMs: num('log.message.timestamp.before.max.ms'),
    logMessageTimestampAfterMaxMs: num('log.message.timestamp.after.max.ms'),
    logMessageDownconversionEnable: bool('log.message.downconversion.enable'),
    logCleanerEnable: bool('log.cleaner.enable'),
    logCleanerThreads: num('log.cleaner.threads'),
    logCleanerBackoffMs: num('log.cleaner.backoff.ms'),
    logCleanerDedupeBufferSizeBytes: num('log.cleaner.dedupe.buffer.size'),
    logCleanerDeleteRetentionMs: num('log.cleaner.delete.retention.ms'),
    logCleanerMinCompactionLagMs: num('log.cleaner.min.compaction.lag.ms'),
    logCleanerMaxCompactionLagMs: num('log.cleaner.max.compaction.lag.ms'),
    logCleanerMinCleanableRatio: num('log.cleaner.min.cleanable.ratio'),

    replicaLagTimeMaxMs: num('replica.lag.time.max.ms'),
    replicaFetchMaxBytes: num('replica.fetch.max.bytes'),
    replicaFetchMinBytes: num('replica.fetch.min.bytes'),
    replicaFetchWaitMaxMs: num('replica.fetch.wait.max.ms'),
    replicaFetchBackoffMs: num('replica.fetch.backoff.ms'),
    replicaFetchResponseMaxBytes: num('replica.fetch.response.max.bytes'),
    replicaSocketTimeoutMs: num('replica.socket.timeout.ms'),
    numReplicaFetchers: num('num.replica.fetchers'),
    replicaHighWatermarkCheckpointIntervalMs: num('replica.high.watermark.checkpoint.interval.ms'),

    groupInitialRebalanceDelayMs: num('group.initial.rebalance.delay.ms'),
    groupMinSessionTimeoutMs: num('group.min.session.timeout.ms'),
    groupMaxSessionTimeoutMs: num('group.max.session.timeout.ms'),
    groupMaxSize: num('group.max.size'),
    offsetsTopicNumPartitions: num('offsets.topic.num.partitions'),
    offsetsTopicReplicationFactor: num('offsets.topic.replication.factor'),
    offsetsTopicSegmentBytes: num('offsets.topic.segment.bytes'),
    offsetsRetentionMs: num('offsets.retention.minutes') * 60_000,
    offsetsRetentionCheckIntervalMs: num('offsets.retention.check.interval.ms'),
    offsetsCommitTimeoutMs: num('offsets.commit.timeout.ms'),
    offsetMetadataMaxBytes: num('offset.metadata.max.bytes'),

    transactionStateLogNumPartitions: num('transaction.state.log.num.partitions'),
    transactionStateLogReplicationFactor: num('transaction.state.log.replication.factor'),
    transactionStateLogMinIsr: num('transaction.state.log.min.isr'),
    transactionStateLogSegmentBytes: num('transaction.state.log.segment.bytes'),
    transactionalIdExpirationMs: num('transactional.id.expiration.ms'),
    transactionMaxTimeoutMs: num('transaction.max.timeout.ms'),
    transactionAbortTimedOutTransactionCleanupIntervalMs: num('transaction.abort.timed.out.transaction.cleanup.interval.ms'),
    transactionRemoveExpiredTransactionCleanupIntervalMs: num('transaction.remove.expired.transaction.cleanup.interval.ms'),
    transactionPartitionVerificationEnable: bool('transaction.partition.verification.enable'),
    producerIdExpirationMs: num('producer.id.expiration.ms'),
    producerIdExpirationCheckIntervalMs: num('producer.id.expiration.check.interval.ms'),

    explicitProperties: explicit,
  };
}

// ---------------------------------------------------------------------------------------------
// DescribeConfigs

export type ConfigSource = 'DEFAULT_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DYNAMIC_TOPIC_CONFIG';

export interface ConfigEntryDescription {
  name: string;
  /** Kafka's rendering; null for unset properties and for passwords. */
  value: string | null;
  source: ConfigSource;
  readOnly: boolean;
  sensitive: boolean;
  type: ConfigType;
  documentation: string;
}

export interface BrokerConfigEntry extends ConfigEntryDescription {
  source: 'DEFAULT_CONFIG' | 'STATIC_BROKER_CONFIG';
}

/**
 * Every broker property with its value and source, for DescribeConfigs on a BROKER resource. All
 * are read-only: Tributary has no dynamic broker configs yet. Passwords are reported as null and
 * sensitive.
 */
export function describeBrokerConfig(config: BrokerConfig): BrokerConfigEntry[] {
  return BROKER_CONFIG_DEFINITIONS.map((def) => {
    const raw = config.explicitProperties.get(def.name);
    const sensitive = def.type === 'password';
    let value: string | null;
    if (sensitive) value = null;
    else if (def.describe) value = def.describe(config);
    else value = renderConfigValue(def.type, raw !== undefined ? parseConfigValue(def, raw, KIND) : parseDefault(def, KIND));
    return {
      name: def.name,
      value,
      source: raw !== undefined ? 'STATIC_BROKER_CONFIG' : 'DEFAULT_CONFIG',
      readOnly: true,
      sensitive,
      type: def.type,
      documentation: def.documentation,
    };
  });
}

/** Properties the person set explicitly that Tributary accepts but does not act on yet (for a startup warning). */
export function unhonouredProperties(config: BrokerConfig): string[] {
  return [...config.explicitProperties.keys()].filter((name) => DEFINITIONS_BY_NAME.get(name)?.honoured === false);
}

/** `NEVER` for "no limit", else the number: readable in logs. */
export function isNever(value: number): boolean {
  return value >= NEVER;
}

/**
 * The config once the implicit single-node quorum's controller listener is bound: the listener and
 * the self voter carry the port the OS gave. Anything else (an explicit quorum, a fixed port) is
 * returned as it is.
 */
export function withBoundControllerPort(config: BrokerConfig, port: number): BrokerConfig {
  if (!config.implicitSingleNodeQuorum || config.controllerListener === null || config.controllerListener.port !== 0) return config;
  return {
    ...config,
    controllerListener: { ...config.controllerListener, port },
    controllerQuorumVoters: config.controllerQuorumVoters.map((v) => (v.id === config.nodeId ? { ...v, port } : v)),
  };
}
