/**
 * Assembles a node from its configuration: the metadata quorum (Raft, loader, and the controller on
 * controller nodes, `metadata-quorum.ts`), then — on brokers — storage, the partitions the metadata
 * names this broker the leader of, the group coordinator, request handlers and the client listener.
 * The same function backs `tributary server`, the embeddable `startBroker()` and `startCluster()`.
 *
 * A broker's start: listener bound (connections held) → registered with the active controller →
 * caught up with the metadata log and unfenced → groups loaded → connections served.
 */
import { hostname } from 'node:os';
import { pino, type Logger } from 'pino';
import type { BrokerConfig } from '../cluster/config/broker-config.js';
import { topicCodec } from '../cluster/recompress.js';
import { TopicConfigManager } from '../cluster/topic-config-manager.js';
import { GroupCoordinator } from '../cluster/group/group-coordinator.js';
import { GroupLog } from '../cluster/group/group-log.js';
import { OFFSETS_TOPIC, TRANSACTION_STATE_TOPIC, InternalTopic } from '../cluster/internal-topics.js';
import { TransactionCoordinator } from '../cluster/transaction/transaction-coordinator.js';
import { TransactionVerifier } from '../cluster/transaction/transaction-verifier.js';
import { TransactionLog } from '../cluster/transaction/transaction-log.js';
import { TxnMarkerChannel } from '../cluster/transaction/txn-marker-channel.js';
import { DEFAULT_TRANSACTION_COORDINATOR_CONFIG } from '../cluster/transaction/types.js';
import { ReplicaManager, type ReplicaPeers, type ReplicationSettings } from '../cluster/replication/replica-manager.js';
import { AlterPartitionSender } from '../cluster/replication/alter-partition-sender.js';
import { TopicAdmin } from '../cluster/topic-admin.js';
import { loadPolicy, type AlterConfigPolicy, type AlterConfigRequestMetadata, type CreateTopicPolicy, type CreateTopicRequestMetadata } from '../cluster/policies.js';
import type { ClusterView } from '../cluster/cluster-view.js';
import { BrokerLifecycleManager } from '../cluster/broker-lifecycle.js';
import { BrokerMetadataPublisher } from '../cluster/broker-metadata-publisher.js';
import { ClusterTopics, type TopicsView } from '../cluster/cluster-topics.js';
import { ControllerChannel } from '../cluster/controller-channel.js';
import { ProducerIdManager } from '../cluster/transaction/producer-id-manager.js';
import { clusterViewOf, TopicInfoCache } from '../cluster/image-views.js';
import { retireLegacyTopics } from '../cluster/legacy-topic-registry.js';
import { MetadataImage } from '../cluster/metadata/metadata-image.js';
import { realRuntime, type Runtime, type TimerHandle } from '../cluster/runtime.js';
import { startMetadataQuorum, type MetadataQuorum } from './metadata-quorum.js';
import { LogManager } from '../storage/log-manager.js';
import type { LogConfig } from '../storage/partition-log.js';
import { ensureFormatted } from './broker-identity.js';
import type { BrokerServices } from './broker-services.js';
import { ALL_HANDLERS } from './handlers/index.js';
import { RequestRouter } from './request-router.js';
import { SocketServer, socketServerOptions } from './socket-server.js';
import { Closers } from './closers.js';
import { BrokerMetrics } from './observability/broker-metrics.js';
import { MetricsServer } from './observability/metrics-server.js';
import { applyLogLevels, chooseLogFormat, logDestination, prettyColours, rootLogLevel } from './observability/logging.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';


export interface BrokerHandle {
  readonly host: string;
  readonly port: number;
  /** `host:port`, ready for a client's bootstrap servers. */
  readonly bootstrap: string;
  readonly nodeId: number;
  readonly clusterId: string;
  /** Where `metrics.listener` is bound (the real port when 0 was asked for); absent when it is off. */
  readonly metricsUrl?: string;
  close(): Promise<void>;
  /**
   * Stops the node as a crash would, as far as the cluster can tell: no controlled shutdown (its
   * leaders are not moved, the controller fences it when its session times out); sockets, timers and
   * files are closed so that the process may start it again. `startCluster().kill()` uses it.
   */
  kill(): Promise<void>;
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

/** The broker's own logger when none is given: stderr, JSON unless it is a terminal (see observability/logging.ts). */
function defaultLogger(config: BrokerConfig): Logger {
  const tty = process.stderr.isTTY === true;
  const format = chooseLogFormat(tty, process.env);
  return pino({ level: rootLogLevel(config, process.env), base: { component: 'broker' } }, logDestination(format, { sync: false, colours: prettyColours(tty, process.env) }));
}

export async function startBrokerFromConfig(config: BrokerConfig, options: StartOptions = {}): Promise<BrokerHandle> {
  // log.level (unless TRIBUTARY_LOG_LEVEL is set) and log.level.components apply to a given logger too.
  const logger = applyLogLevels(options.logger ?? defaultLogger(config), config, process.env);
  const policies = await loadPolicies(config, options);
  const clusterId = await ensureFormatted(config);
  const runtime = realRuntime();
  const quorum = await startMetadataQuorum(config, clusterId, runtime, logger);
  try {
    if (!config.processRoles.includes('broker')) return controllerOnlyHandle(config, clusterId, quorum, logger);
    return await startBrokerRole(config, clusterId, runtime, quorum, policies, logger);
  } catch (err) {
    await quorum.close();
    throw err;
  }
}

/** A node with `process.roles=controller`: its handle is its controller listener. */
function controllerOnlyHandle(config: BrokerConfig, clusterId: string, quorum: MetadataQuorum, logger: Logger): BrokerHandle {
  const endpoint = quorum.controllerEndpoint!;
  let closing: Promise<void> | null = null;
  return {
    host: endpoint.host,
    port: endpoint.port,
    bootstrap: `${endpoint.host}:${endpoint.port}`,
    nodeId: config.nodeId,
    clusterId,
    close: () => {
      closing ??= quorum.close().then(() => logger.info('controller stopped'));
      return closing;
    },
    kill: () => {
      closing ??= quorum.close().then(() => logger.info('controller killed'));
      return closing;
    },
  };
}

/** How long a __transaction_state write or a WriteTxnMarkers waits (Kafka's request.timeout.ms default). */
const TRANSACTION_LOG_WRITE_TIMEOUT_MS = 30_000;
/** How long start-up waits for the controller to register and unfence this broker. */
const STARTUP_TIMEOUT_MS = 60_000;
/** How long a clean shutdown waits for the controller to move this broker's leaders. */
const CONTROLLED_SHUTDOWN_TIMEOUT_MS = 5_000;
/** Admin requests forwarded to the controller (and waits for the metadata to show them). */
const CONTROLLER_REQUEST_TIMEOUT_MS = 30_000;

async function startBrokerRole(
  config: BrokerConfig,
  clusterId: string,
  runtime: Runtime,
  quorum: MetadataQuorum,
  policies: { createTopic?: CreateTopicPolicy; alterConfig?: AlterConfigPolicy },
  logger: Logger,
): Promise<BrokerHandle> {
  const closers = new Closers(logger, 'the broker');
  const runClosers = (): Promise<void> => closers.closeAll();
  try {
    // What the request paths read is the image the broker has applied (its partitions hosted), not
    // merely the newest one loaded.
    let published = MetadataImage.EMPTY;
    // The image being applied: replica fetchers find their leaders' endpoints in it (a leader elected as it
    // registered again is only in the new image; `published` is the previous one until the apply is done).
    let applying = MetadataImage.EMPTY;
    const topicInfos = new TopicInfoCache();
    const topicsView = (): TopicsView => topicInfos.view(published);
    const imageWaiters = new Set<() => void>();
    /** Resolves once the applied image satisfies `done` (checked after each publication). */
    const waitForPublished = (done: (image: MetadataImage) => boolean, timeoutMs: number): Promise<void> =>
      new Promise((resolve, reject) => {
        if (done(published)) return resolve();
        const timer = runtime.timers.setTimeout(() => {
          imageWaiters.delete(check);
          reject(new KafkaError(ErrorCode.REQUEST_TIMED_OUT, `the metadata did not show the change within ${timeoutMs} ms (applied up to offset ${published.offset})`));
        }, timeoutMs);
        const check = (): void => {
          if (!done(published)) return;
          imageWaiters.delete(check);
          runtime.timers.clearTimeout(timer);
          resolve();
        };
        imageWaiters.add(check);
      });
    const waitForImage = (done: (view: TopicsView) => boolean, timeoutMs: number): Promise<void> => waitForPublished(() => done(topicsView()), timeoutMs);
    const voterEndpoints = new Map(quorum.voters.map((v) => [v.id, { host: v.host, port: v.port }]));
    const channel = new ControllerChannel({
      nodeId: config.nodeId,
      leader: () => quorum.raft.leaderAndEpoch(),
      endpoints: () => voterEndpoints,
      ...(quorum.localCall && { local: quorum.localCall }),
      runtime,
      logger: logger.child({ component: 'controller-channel' }),
    });
    closers.add(() => channel.close());
    const topics = new ClusterTopics({ channel, view: topicsView, waitForImage, requestTimeoutMs: CONTROLLER_REQUEST_TIMEOUT_MS });
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
      producerIdExpirationMs: config.producerIdExpirationMs,
      producerIdExpirationCheckIntervalMs: config.producerIdExpirationCheckIntervalMs,
      highWatermarkFor: (topic, partition) => replicas?.tryGetReplica(topic, partition)?.highWatermark,
    });
    await logs.open((topic) => logConfigFor(topic));
    closers.add(() => logs.close());
    // The broker epoch is known once the lifecycle manager has registered (before any partition is held).
    let brokerEpoch = (): number => -1;
    const alterPartition = new AlterPartitionSender({
      brokerId: config.nodeId,
      brokerEpoch: () => brokerEpoch(),
      channel,
      requestTimeoutMs: config.controllerQuorumRequestTimeoutMs,
      logger: logger.child({ component: 'alter-partition' }),
    });
    closers.add(() => alterPartition.close());
    const replicaManager = new ReplicaManager(logs, logConfigFor, logger.child({ component: 'replica-manager' }), {
      nodeId: config.nodeId,
      runtime,
      topicCodec: (topic) => topicCodec(topicConfigs.configFor(topic).compressionType),
      partitionExists: (topic, partition) => published.topics.byName.get(topic)?.partitions.has(partition) ?? false,
      minInsyncReplicas: (topic) => topicConfigs.configFor(topic).minInsyncReplicas,
      replication: replicationSettings(config),
      brokerEpoch: () => brokerEpoch(),
      peers: imagePeers(() => applying, config.interBrokerListenerName),
      alterPartition,
      checkpointedHighWatermark: (topic, partition) => logs.highWatermarkCheckpoint(topic, partition),
    });
    replicas = replicaManager;
    closers.add(() => replicaManager.close());
    // replication-offset-checkpoint: every replica.high.watermark.checkpoint.interval.ms and once more at close
    // (this closer runs before the replica manager's, while every replica is still held).
    // Writes are chained so the timer's and the closer's never overlap on the same file.
    let hwWrite: Promise<void> = Promise.resolve();
    const checkpointHighWatermarks = (): Promise<void> =>
      (hwWrite = hwWrite
        .then(() => logs.checkpointHighWatermarks((t, p) => replicaManager.tryGetReplica(t, p)?.highWatermark))
        .catch((err: unknown) => logger.warn({ err }, 'writing replication-offset-checkpoint failed')));
    let hwTimer: TimerHandle | null = null;
    const scheduleHwCheckpoint = (): void => {
      hwTimer = runtime.timers.setTimeout(() => {
        void checkpointHighWatermarks().then(() => {
          if (hwTimer !== null) scheduleHwCheckpoint();
        });
      }, Math.max(100, config.replicaHighWatermarkCheckpointIntervalMs));
    };
    scheduleHwCheckpoint();
    closers.add(async () => {
      if (hwTimer !== null) runtime.timers.clearTimeout(hwTimer);
      hwTimer = null;
      await checkpointHighWatermarks();
    });
    topicConfigs.attachReplicas(replicaManager);

    const listener = config.brokerListener ?? config.listeners[0];
    if (!listener) throw new Error('listeners is empty');
    const liveBrokerCount = (): number => {
      let n = 0;
      for (const b of published.cluster.brokers.values()) if (!b.fenced) n += 1;
      return n;
    };
    const topicAdmin = new TopicAdmin(topics, {
      liveBrokerCount,
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
    const offsetsTopic = new InternalTopic(topics, topicAdmin, {
      numPartitions: config.offsetsTopicNumPartitions,
      replicationFactor: config.offsetsTopicReplicationFactor,
      segmentBytes: config.offsetsTopicSegmentBytes,
      liveBrokers: liveBrokerCount,
    });
    const groupLog = new GroupLog(replicaManager, offsetsTopic, runtime.clock, logger.child({ component: 'group-log' }), config.offsetsCommitTimeoutMs);
    const groups = new GroupCoordinator({
      initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs,
      minSessionTimeoutMs: config.groupMinSessionTimeoutMs,
      maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
      maxSize: config.groupMaxSize,
      offsetsRetentionMs: config.offsetsRetentionMs,
      offsetMetadataMaxBytes: config.offsetMetadataMaxBytes,
      offsetsRetentionCheckIntervalMs: config.offsetsRetentionCheckIntervalMs,
      clock: runtime.clock,
      timers: { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) },
      logger: logger.child({ component: 'group-coordinator' }),
      journal: groupLog,
    });
    closers.add(() => groups.close());

    // The transaction coordinator: the ids whose __transaction_state partition is led here.
    const producerIds = new ProducerIdManager({
      brokerId: config.nodeId,
      brokerEpoch: () => brokerEpoch(),
      channel,
      requestTimeoutMs: config.controllerQuorumRequestTimeoutMs,
      logger: logger.child({ component: 'producer-ids' }),
    });
    const transactionTopic = new InternalTopic(topics, topicAdmin, {
      name: TRANSACTION_STATE_TOPIC,
      numPartitions: config.transactionStateLogNumPartitions,
      replicationFactor: config.transactionStateLogReplicationFactor,
      segmentBytes: config.transactionStateLogSegmentBytes,
      liveBrokers: liveBrokerCount,
      configs: { 'min.insync.replicas': String(config.transactionStateLogMinIsr), 'unclean.leader.election.enable': 'false' },
    });
    const transactionLog = new TransactionLog(replicaManager, transactionTopic, runtime.clock, logger.child({ component: 'transaction-log' }), TRANSACTION_LOG_WRITE_TIMEOUT_MS);
    const peersNow = imagePeers(() => published, config.interBrokerListenerName);
    const markers = new TxnMarkerChannel({
      leaderOf: (topic, partition) => {
        const p = published.topics.byName.get(topic)?.partitions.get(partition);
        return p === undefined ? undefined : p.leader;
      },
      endpointOf: (id) => peersNow.endpoint(id),
      requestTimeoutMs: TRANSACTION_LOG_WRITE_TIMEOUT_MS,
      logger: logger.child({ component: 'txn-markers' }),
    });
    closers.add(() => markers.close());
    const transactions = new TransactionCoordinator({
      config: {
        ...DEFAULT_TRANSACTION_COORDINATOR_CONFIG,
        transactionMaxTimeoutMs: config.transactionMaxTimeoutMs,
        transactionalIdExpirationMs: config.transactionalIdExpirationMs,
        abortTimedOutTransactionCleanupIntervalMs: config.transactionAbortTimedOutTransactionCleanupIntervalMs,
        removeExpiredTransactionalIdsIntervalMs: config.transactionRemoveExpiredTransactionCleanupIntervalMs,
        // A topic created before keeps its partition count; the id → partition map must follow it.
        transactionStatePartitionCount: transactionTopic.partitionCount(),
      },
      writer: transactionLog,
      markers,
      producerIds,
      offsetsPartitionFor: (groupId) => groupLog.partitionFor(groupId),
      clock: runtime.clock,
      timers: { setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout) },
      logger: logger.child({ component: 'transaction-coordinator' }),
    });
    closers.add(() => transactions.close());
    const transactionVerifier = config.transactionPartitionVerificationEnable
      ? new TransactionVerifier({
          coordinatorOf: (transactionalId) => published.topics.byName.get(TRANSACTION_STATE_TOPIC)?.partitions.get(transactions.partitionFor(transactionalId))?.leader ?? -1,
          endpointOf: (id) => peersNow.endpoint(id),
          requestTimeoutMs: TRANSACTION_LOG_WRITE_TIMEOUT_MS,
          logger: logger.child({ component: 'transaction-verifier' }),
        })
      : null;
    if (transactionVerifier) closers.add(() => transactionVerifier.close());

    // The image → local state: partitions led here are hosted, the request paths see the image.
    const logConfigIn = (topic: string, image: MetadataImage): LogConfig => {
      const t = image.topics.byName.get(topic);
      return topicConfigs.logConfigForOverrides(t ? topicInfos.infoOf(image, t).configs : {});
    };
    const publisher = new BrokerMetadataPublisher({ nodeId: config.nodeId, replicas: replicaManager, logConfigFor: logConfigIn, logger: logger.child({ component: 'metadata-publisher' }) });
    // Groups live where their __consumer_offsets partition is led: a partition led here from now on is
    // loaded (once groups are being served; the first load covers the ones led at start-up).
    const loadedOffsetsPartitions = new Set<number>();
    let groupsServed = false;
    // A partition no longer led here has its groups unloaded (the next lead reads them back afresh).
    const loadNewOffsetsPartitions = async (): Promise<void> => {
      for (const p of [...loadedOffsetsPartitions]) {
        if (replicaManager.tryGet(OFFSETS_TOPIC, p)) continue;
        loadedOffsetsPartitions.delete(p);
        groupLog.unloadPartition(p, groups);
      }
      for (const hosted of [...replicaManager.hosted()]) {
        if (hosted.topic !== OFFSETS_TOPIC || loadedOffsetsPartitions.has(hosted.partition)) continue;
        loadedOffsetsPartitions.add(hosted.partition);
        try {
          await groupLog.loadPartitionInto(hosted.partition, groups);
        } catch (err) {
          // Its groups keep answering COORDINATOR_LOAD_IN_PROGRESS; the next metadata update retries.
          loadedOffsetsPartitions.delete(hosted.partition);
          logger.error({ err, partition: hosted.partition }, 'loading the groups of a __consumer_offsets partition failed');
        }
      }
    };
    // Transactional ids likewise: a __transaction_state partition led here (at a new leader epoch) is loaded
    // at that epoch, the coordinator epoch; one no longer led here is unloaded.
    const loadedTxnPartitions = new Map<number, number>();
    const loadNewTransactionPartitions = async (): Promise<void> => {
      for (const [p, epoch] of [...loadedTxnPartitions]) {
        if (replicaManager.tryGet(TRANSACTION_STATE_TOPIC, p)?.leaderEpoch === epoch) continue;
        loadedTxnPartitions.delete(p);
        transactions.unload(p, epoch);
      }
      for (const hosted of [...replicaManager.hosted()]) {
        if (hosted.topic !== TRANSACTION_STATE_TOPIC || loadedTxnPartitions.has(hosted.partition)) continue;
        loadedTxnPartitions.set(hosted.partition, hosted.leaderEpoch);
        try {
          await transactionLog.load(hosted.partition, transactions);
        } catch (err) {
          loadedTxnPartitions.delete(hosted.partition);
          logger.error({ err, partition: hosted.partition }, 'loading the transactions of a __transaction_state partition failed');
        }
      }
    };
    quorum.loader.addPublisher({
      name: 'broker',
      onMetadataUpdate: async (_update, image) => {
        applying = image;
        await publisher.publish(image);
        published = image;
        if (groupsServed) await loadNewOffsetsPartitions();
        if (groupsServed) await loadNewTransactionPartitions();
        for (const check of [...imageWaiters]) check();
      },
    });
    closers.add(() => quorum.loader.removePublisher('broker'));

    // Only with a metrics listener: otherwise the request path has no observer to call at all.
    const metrics = config.metricsListener !== null ? new BrokerMetrics(new Map(ALL_HANDLERS.map((h) => [h.api.apiKey, h.api.name]))) : null;
    if (metrics) closers.add(() => metrics.close());
    const router = new RequestRouter(ALL_HANDLERS, metrics?.requests ?? null);
    // Identity is completed once the port is bound (port 0 picks one).
    const identity = { nodeId: config.nodeId, clusterId, host: '', port: 0, rack: config.brokerRack };
    const controllerId = (): number => quorum.raft.leaderAndEpoch().leaderId ?? -1;
    // One view per applied image (Metadata asks it once per partition; it is rebuilt only when the image changes).
    let viewOf: MetadataImage | null = null;
    let view: ClusterView | null = null;
    const currentView = (): ClusterView => {
      if (viewOf !== published || view === null) {
        viewOf = published;
        view = clusterViewOf(published, listener.name, controllerId);
      }
      return view;
    };
    const cluster: ClusterView = {
      brokers: () => currentView().brokers(),
      broker: (id) => currentView().broker(id),
      controllerId,
      partition: (topic, p) => currentView().partition(topic, p),
    };
    const services: BrokerServices = { config, identity, topics, cluster, topicAdmin, replicas: replicaManager, groups, groupLog, producerIds, transactions, transactionVerifier, transactionLog, topicConfigs, logConfigFor, advertisedApis: () => router.advertised(), ...(metrics && { topicStats: metrics.topics }) };
    const server = new SocketServer(router, services, logger.child({ component: 'network' }), await socketServerOptions(config));
    let markReady!: () => void;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    server.holdConnectionsUntil(ready);
    const bound = await server.listen(listener.host === '' ? '0.0.0.0' : listener.host, listener.port);
    closers.add(() => server.close());

    // Served from here on, so that a readiness probe sees the start-up (503) and not a refused connection.
    let serving = false;
    let stopping = false;
    let metricsServer: MetricsServer | null = null;
    if (metrics && config.metricsListener) {
      metrics.attach({
        nodeId: config.nodeId,
        connections: () => server.connectionCount,
        replicas: replicaManager,
        image: () => published,
        metadataHighWatermark: () => quorum.raft.highWatermark(),
        minInsyncReplicas: (topic) => topicConfigs.configFor(topic).minInsyncReplicas,
        activeController: () => quorum.controller?.isActive() ?? false,
        groups,
      });
      const notReadyReason = (): string | null => {
        if (stopping) return 'shutting down';
        if (!serving) return 'starting: not yet registered, caught up with the metadata log and unfenced, with its groups loaded';
        const self = published.cluster.brokers.get(config.nodeId);
        if (self === undefined || self.fenced) return `fenced by the controller (metadata applied up to offset ${published.offset})`;
        if (self.inControlledShutdown) return 'in controlled shutdown';
        return null;
      };
      const { host, port } = config.metricsListener;
      const started = await MetricsServer.start(host, port, metrics.registry, { notReadyReason }, logger.child({ component: 'metrics' }));
      metricsServer = started;
      closers.add(() => started.close());
    }

    const advertised = config.advertisedListeners.find((l) => l.name === listener.name) ?? listener;
    const wildcard = advertised.host === '' || advertised.host === '0.0.0.0' || advertised.host === '::';
    identity.host = wildcard ? hostname() : advertised.host;
    identity.port = advertised.port === 0 || advertised === listener ? bound.port : advertised.port;

    const lifecycle = new BrokerLifecycleManager({
      nodeId: config.nodeId,
      clusterId,
      rack: config.brokerRack,
      listeners: () => [{ name: listener.name, host: identity.host, port: identity.port, securityProtocol: PLAINTEXT_PROTOCOL_ID }],
      metadataVersion: SUPPORTED_METADATA_VERSIONS,
      logDirIds: [],
      appliedMetadataOffset: () => published.offset,
      channel,
      runtime,
      logger: logger.child({ component: 'broker-lifecycle' }),
      heartbeatIntervalMs: config.brokerHeartbeatIntervalMs,
      requestTimeoutMs: config.controllerQuorumRequestTimeoutMs,
    });
    brokerEpoch = () => lifecycle.epoch;
    lifecycle.start();
    closers.add(() => lifecycle.stop());
    await lifecycle.waitUntilUnfenced(STARTUP_TIMEOUT_MS);
    // The unfencing made this broker the leader of its leaderless partitions in the same batch: serve
    // once the image applied here shows it unfenced.
    await waitForPublished((image) => image.cluster.brokers.get(config.nodeId)?.fenced === false, STARTUP_TIMEOUT_MS);
    if (quorum.importedLegacyTopics) {
      await retireLegacyTopics(config.metadataLogDir);
      logger.info('imported the topics of the single-node topic registry into the metadata log');
    }
    // Groups and committed offsets are back before the first request is served.
    await loadNewOffsetsPartitions();
    groups.completeLoad();
    await loadNewTransactionPartitions();
    transactions.start();
    groupsServed = true;
    markReady();
    serving = true;

    let closing: Promise<void> | null = null;
    /** `clean`: a controlled shutdown first (close); without it, as a crash (kill). */
    const stop = (clean: boolean): Promise<void> => {
      closing ??= (async () => {
        stopping = true;
        if (clean) await lifecycle.controlledShutdown(CONTROLLED_SHUTDOWN_TIMEOUT_MS);
        await runClosers();
        await quorum.close();
        for (const policy of [policies.createTopic, policies.alterConfig]) {
          try {
            await policy?.close?.();
          } catch (err) {
            logger.warn({ err }, 'a policy close() failed');
          }
        }
        logger.info(clean ? 'broker stopped' : 'broker killed');
      })();
      return closing;
    };
    return {
      host: identity.host,
      port: identity.port,
      bootstrap: `${identity.host}:${identity.port}`,
      nodeId: config.nodeId,
      clusterId,
      ...(metricsServer && { metricsUrl: metricsServer.url }),
      close: () => stop(true),
      kill: () => stop(false),
    };
  } catch (err) {
    await runClosers();
    throw err;
  }
}

/** SecurityProtocol.PLAINTEXT's id in BrokerRegistration's listeners (the only protocol served). */
const PLAINTEXT_PROTOCOL_ID = 0;
/** metadata.version levels this broker can run (3.9-IV0 = 21 … 4.0-IV3 = 25). */
const SUPPORTED_METADATA_VERSIONS = { min: 21, max: 25 } as const;

function replicationSettings(config: BrokerConfig): ReplicationSettings {
  return {
    replicaLagTimeMaxMs: config.replicaLagTimeMaxMs,
    fetchMaxBytes: config.replicaFetchMaxBytes,
    fetchResponseMaxBytes: config.replicaFetchResponseMaxBytes,
    fetchMinBytes: config.replicaFetchMinBytes,
    fetchWaitMaxMs: config.replicaFetchWaitMaxMs,
    fetchBackoffMs: config.replicaFetchBackoffMs,
    socketTimeoutMs: config.replicaSocketTimeoutMs,
    numFetchers: config.numReplicaFetchers,
  };
}

/** Other brokers as the applied image has them: their inter-broker endpoint, and whether they may join an ISR. */
function imagePeers(image: () => MetadataImage, listenerName: string): ReplicaPeers {
  return {
    endpoint: (brokerId) => {
      const b = image().cluster.brokers.get(brokerId);
      if (!b || b.fenced) return undefined;
      const ep = b.endpoints.find((e) => e.name === listenerName) ?? b.endpoints[0];
      return ep && { host: ep.host, port: ep.port };
    },
    eligibleEpoch: (brokerId) => {
      const b = image().cluster.brokers.get(brokerId);
      return b && !b.fenced && !b.inControlledShutdown ? b.brokerEpoch : undefined;
    },
  };
}
