/**
 * Assembles a broker from its configuration: storage, topics, partitions, request handlers and the
 * listener. The same function backs `tributary server` and the embeddable `startBroker()`.
 */
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import type { BrokerConfig } from '../cluster/config/broker-config.js';
import { topicCodec } from '../cluster/recompress.js';
import { TopicConfigManager } from '../cluster/topic-config-manager.js';
import { GroupCoordinator } from '../cluster/group/group-coordinator.js';
import { GroupLog } from '../cluster/group/group-log.js';
import { OffsetsTopic } from '../cluster/internal-topics.js';
import { ReplicaManager } from '../cluster/replica-manager.js';
import { TopicAdmin } from '../cluster/topic-admin.js';
import { loadPolicy, type AlterConfigPolicy, type AlterConfigRequestMetadata, type CreateTopicPolicy, type CreateTopicRequestMetadata } from '../cluster/policies.js';
import { TopicRegistry } from '../cluster/topic-registry.js';
import type { BrokerEndpoint, ClusterView } from '../cluster/cluster-view.js';
import { LogManager } from '../storage/log-manager.js';
import type { LogConfig } from '../storage/partition-log.js';
import { ensureMetaProperties } from './broker-identity.js';
import type { BrokerServices } from './broker-services.js';
import { ALL_HANDLERS } from './handlers/index.js';
import { RequestRouter } from './request-router.js';
import { SocketServer } from './socket-server.js';
import { resolvePerIpOverrides } from './connection-limits.js';

/**
 * Response bytes one connection may have unsent (computed, or queued on the socket) before the
 * broker stops dispatching its requests: Kafka mutes a channel while its response is unsent; we
 * allow a little pipelining on top (one fetch response may still exceed it, by up to fetch.max.bytes).
 */
const MAX_UNSENT_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface BrokerHandle {
  readonly host: string;
  readonly port: number;
  /** `host:port`, ready for a client's bootstrap servers. */
  readonly bootstrap: string;
  readonly nodeId: number;
  readonly clusterId: string;
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** A CreateTopicPolicy object; wins over `create.topic.policy.class.name`. */
  createTopicPolicy?: CreateTopicPolicy;
  /** An AlterConfigPolicy object; wins over `alter.config.policy.class.name`. */
  alterConfigPolicy?: AlterConfigPolicy;
}

/** The policy objects given to startBroker, else the modules the properties name (loaded before anything opens). */
async function loadPolicies(config: BrokerConfig, options: StartOptions): Promise<{ createTopic?: CreateTopicPolicy; alterConfig?: AlterConfigPolicy }> {
  const props = Object.fromEntries(config.explicitProperties);
  const createTopic =
    options.createTopicPolicy ??
    (config.createTopicPolicyClassName !== null ? await loadPolicy<CreateTopicRequestMetadata>('create.topic.policy.class.name', config.createTopicPolicyClassName, props) : undefined);
  const alterConfig =
    options.alterConfigPolicy ??
    (config.alterConfigPolicyClassName !== null ? await loadPolicy<AlterConfigRequestMetadata>('alter.config.policy.class.name', config.alterConfigPolicyClassName, props) : undefined);
  return { ...(createTopic && { createTopic }), ...(alterConfig && { alterConfig }) };
}

function defaultLogger(): Logger {
  return pino({ level: process.env['TRIBUTARY_LOG_LEVEL'] ?? 'info', base: { component: 'broker' } }, pino.destination(2));
}

export async function startBrokerFromConfig(config: BrokerConfig, options: StartOptions = {}): Promise<BrokerHandle> {
  const logger = options.logger ?? defaultLogger();
  const policies = await loadPolicies(config, options);
  const clusterId = await ensureMetaProperties(config.logDirs, config.nodeId, config.clusterId);
  const topics = await TopicRegistry.load(config.metadataLogDir, config.nodeId);
  const topicConfigs = new TopicConfigManager(topics, config, null, policies.alterConfig);
  const logConfigFor = (topic: string): LogConfig => topicConfigs.logConfigFor(topic);
  // Retention and the cleaner run in the log manager; they never go past a partition's high watermark.
  let replicas: ReplicaManager | null = null;
  const logs = new LogManager(config.logDirs, logger.child({ component: 'log-manager' }), {
    recoveryCheckpointIntervalMs: config.logFlushOffsetCheckpointIntervalMs,
    retentionCheckIntervalMs: config.logRetentionCheckIntervalMs,
    cleanerEnable: config.logCleanerEnable,
    cleanerBackoffMs: config.logCleanerBackoffMs,
    cleanerDedupeBufferBytes: config.logCleanerDedupeBufferSizeBytes,
    highWatermarkFor: (topic, partition) => replicas?.tryGet(topic, partition)?.highWatermark,
  });
  await logs.open((topic) => logConfigFor(topic));
  replicas = new ReplicaManager(logs, logConfigFor, logger.child({ component: 'replica-manager' }), {
    topicCodec: (topic) => topicCodec(topicConfigs.configFor(topic).compressionType),
  });
  topicConfigs.attachReplicas(replicas);
  for (const t of topics.list()) await replicas.hostPartitions(t.name, t.partitions, t.topicId);
  // New partitions' logs are created several at a time (file creations and fsyncs overlap); this broker
  // leads every partition until it keeps its topics in the cluster metadata log.
  const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
  topics.onChange = async (change) => {
    const t = change.topic;
    switch (change.kind) {
      case 'created':
      case 'grown':
        await logs.createLogs(t.name, range(change.kind === 'grown' ? change.previousPartitions : 0, t.partitions), logConfigFor(t.name), t.topicId);
        await replicas!.hostPartitions(t.name, t.partitions, t.topicId);
        break;
      case 'deleted':
        for (let p = 0; p < t.partitions; p++) await replicas!.unhostPartition(t.name, p, { deleteLog: true });
        break;
    }
  };

  const listener = config.listeners[0];
  if (!listener) throw new Error('listeners is empty');
  const topicAdmin = new TopicAdmin(topics, {
    liveBrokerCount: () => 1,
    numPartitions: config.numPartitions,
    defaultReplicationFactor: config.defaultReplicationFactor,
    autoCreateTopicsEnable: config.autoCreateTopicsEnable,
    deleteTopicEnable: config.deleteTopicEnable,
    validateConfigs: (configs) => void topicConfigs.validate(configs),
    partitionLimits: [
      { max: config.maxPartitions, property: 'max.partitions' },
      { max: config.maxBrokerPartitions, property: 'max.broker.partitions' },
    ],
    ...(policies.createTopic && { createTopicPolicy: policies.createTopic }),
  });
  const offsetsTopic = new OffsetsTopic(topics, topicAdmin, {
    numPartitions: config.offsetsTopicNumPartitions,
    replicationFactor: config.offsetsTopicReplicationFactor,
    segmentBytes: config.offsetsTopicSegmentBytes,
    liveBrokers: () => 1,
  });
  const groupLog = new GroupLog(replicas, offsetsTopic, { now: () => Date.now() }, logger.child({ component: 'group-log' }));
  const groups = new GroupCoordinator({
    initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
    minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
    maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
    maxSize: config.groupMaxSize,
    offsetsRetentionMs: config.offsetsRetentionMs,
    offsetMetadataMaxBytes: config.offsetMetadataMaxBytes,
    offsetsRetentionCheckIntervalMs: config.offsetsRetentionCheckIntervalMs,
    clock: { now: () => Date.now() },
    timers: { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) },
    logger: logger.child({ component: 'group-coordinator' }),
    journal: groupLog,
  });
  // Groups and committed offsets are back before the first request is served.
  await groupLog.load((record) => groups.replay(record));
  groups.completeLoad();
  const router = new RequestRouter(ALL_HANDLERS);
  // Identity is completed once the port is bound (port 0 picks one).
  const identity = { nodeId: config.nodeId, clusterId, host: '', port: 0, rack: config.brokerRack };
  // Until the broker follows the cluster metadata log, the cluster is this broker alone: it leads every
  // partition it hosts and is its own controller.
  const self = (): BrokerEndpoint => ({ nodeId: identity.nodeId, host: identity.host, port: identity.port, rack: identity.rack });
  const cluster: ClusterView = {
    brokers: () => [self()],
    broker: (id) => (id === identity.nodeId ? self() : undefined),
    controllerId: () => identity.nodeId,
    partition: (topic, p) => {
      const info = topics.get(topic);
      if (!info || p < 0 || p >= info.partitions) return undefined;
      const hosted = replicas!.tryGet(topic, p);
      return { leaderId: hosted ? identity.nodeId : -1, leaderEpoch: hosted?.leaderEpoch ?? -1, replicas: [identity.nodeId], isr: hosted ? [identity.nodeId] : [], offlineReplicas: [] };
    },
  };
  const services: BrokerServices = { config, identity, topics, cluster, topicAdmin, replicas, groups, groupLog, topicConfigs, logConfigFor, advertisedApis: () => router.advertised() };
  const server = new SocketServer(router, services, logger.child({ component: 'network' }), {
    connection: {
      maxFrameBytes: config.socketRequestMaxBytes,
      maxInFlightRequests: config.queuedMaxRequests,
      maxUnsentResponseBytes: MAX_UNSENT_RESPONSE_BYTES,
    },
    queuedMaxRequestBytes: config.queuedMaxRequestBytes,
    connectionsMaxIdleMs: config.connectionsMaxIdleMs,
    maxConnections: config.maxConnections,
    maxConnectionsPerIp: config.maxConnectionsPerIp,
    maxConnectionsPerIpOverrides: await resolvePerIpOverrides(config.maxConnectionsPerIpOverrides),
    maxConnectionCreationRate: config.maxConnectionCreationRate,
  });
  const bound = await server.listen(listener.host === '' ? '0.0.0.0' : listener.host, listener.port);

  const advertised = config.advertisedListeners.find((l) => l.name === listener.name) ?? listener;
  const wildcard = advertised.host === '' || advertised.host === '0.0.0.0' || advertised.host === '::';
  identity.host = wildcard ? hostname() : advertised.host;
  identity.port = advertised.port === 0 || advertised === listener ? bound.port : advertised.port;

  let closing: Promise<void> | null = null;
  return {
    host: identity.host,
    port: identity.port,
    bootstrap: `${identity.host}:${identity.port}`,
    nodeId: config.nodeId,
    clusterId,
    close: () => {
      closing ??= (async () => {
        await server.close();
        groups.close();
        await replicas.close();
        await logs.close();
        for (const policy of [policies.createTopic, policies.alterConfig]) {
          try {
            await policy?.close?.();
          } catch (err) {
            logger.warn({ err }, 'a policy close() failed');
          }
        }
        logger.info('broker stopped');
      })();
      return closing;
    },
  };
}
