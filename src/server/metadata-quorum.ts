/**
 * The metadata side of a node: the Raft client of `__cluster_metadata-0` (a voter when the node has
 * the `controller` role, an observer otherwise), the metadata loader every node runs, and — on
 * controllers — the QuorumController and the controller listener that serves the quorum's requests
 * and the brokers' registrations, heartbeats and forwarded admin requests.
 *
 * A node without `process.roles` is a combined broker+controller whose quorum is itself: its
 * controller listener binds a free port on the client listener's host and that port becomes the one
 * voter's endpoint. It runs exactly this code, as a cluster of one.
 *
 * Start order: controller listener bound (so the self voter's port is known) → Raft log and quorum
 * state opened → controller and loader registered (Raft replays the committed log into them) → Raft
 * started (it elects, or finds the leader). Close runs the other way.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { BrokerConfig } from '../cluster/config/broker-config.js';
import type { LocalControllerCall } from '../cluster/controller-channel.js';
import { QuorumController } from '../cluster/controller/quorum-controller.js';
import { legacyBootstrapRecords, readLegacyTopics } from '../cluster/legacy-topic-registry.js';
import { MetadataLoader } from '../cluster/metadata/metadata-loader.js';
import { FileQuorumStateStore } from '../cluster/raft/quorum-state.js';
import { FileRaftLog } from '../cluster/raft/file-raft-log.js';
import { RaftClient } from '../cluster/raft/raft-client.js';
import { NetworkRaftTransport, type QuorumVoter } from '../cluster/raft/raft-transport.js';
import type { Runtime } from '../cluster/runtime.js';
import { controllerCall } from './controller/dispatch.js';
import { CONTROLLER_HANDLERS } from './controller/handlers.js';
import type { ControllerServices } from './controller/services.js';
import { RequestRouter } from './request-router.js';
import { SocketServer, socketServerOptions } from './socket-server.js';
import { Closers } from './closers.js';

export const METADATA_LOG_DIR_NAME = '__cluster_metadata-0';

export interface MetadataQuorum {
  readonly raft: RaftClient;
  readonly loader: MetadataLoader;
  /** Null on a broker-only node. */
  readonly controller: QuorumController | null;
  /** The voters with their controller endpoints as this node reaches them. */
  readonly voters: readonly QuorumVoter[];
  /** Where this node's controller listener is bound, or null. */
  readonly controllerEndpoint: { readonly host: string; readonly port: number } | null;
  /** Serves a controller API in this process while this node's controller is the active one. */
  readonly localCall: LocalControllerCall | undefined;
  /** True when the log was empty and legacy topics were handed to the controller to import. */
  readonly importedLegacyTopics: boolean;
  close(): Promise<void>;
}

export async function startMetadataQuorum(config: BrokerConfig, clusterId: string, runtime: Runtime, logger: Logger): Promise<MetadataQuorum> {
  const isController = config.processRoles.includes('controller');
  const nodeId = config.nodeId;
  const closers = new Closers(logger, 'the metadata quorum');
  const close = (): Promise<void> => closers.closeAll();
  try {
    // The controller listener first: the implicit single voter learns its port from the bind.
    let voters = config.controllerQuorumVoters;
    let controllerEndpoint: { host: string; port: number } | null = null;
    const services: { raft: RaftClient | null; controller: QuorumController | null } = { raft: null, controller: null };
    let controllerServer: SocketServer<ControllerServices> | null = null;
    let closeControllerServer: (() => Promise<void>) | null = null;
    if (isController) {
      const listener = config.controllerListener;
      if (!listener) throw new Error('a controller needs a controller listener (controller.listener.names)');
      const router = new RequestRouter<ControllerServices>(CONTROLLER_HANDLERS);
      const controllerServices: ControllerServices = {
        get raft() {
          return services.raft!;
        },
        get controller() {
          return services.controller!;
        },
        advertisedApis: () => router.advertised(),
      };
      controllerServer = new SocketServer<ControllerServices>(router, controllerServices, logger.child({ component: 'controller-network' }), await socketServerOptions(config));
      const host = listener.host === '' ? '0.0.0.0' : listener.host;
      const bound = await controllerServer.listen(host, listener.port);
      const server = controllerServer;
      // Closed first on shutdown (the closer added last, below) so no request reaches a closed Raft
      // client; this one covers a start that fails before then.
      let serverClosed = false;
      closeControllerServer = (): Promise<void> => {
        if (serverClosed) return Promise.resolve();
        serverClosed = true;
        return server.close();
      };
      closers.add(closeControllerServer);
      controllerEndpoint = { host: listener.host === '' ? '127.0.0.1' : listener.host, port: bound.port };
      if (config.implicitSingleNodeQuorum) voters = [{ id: nodeId, host: controllerEndpoint.host, port: bound.port }];
    }
    if (voters.length === 0) throw new Error('controller.quorum.voters is empty (controller.quorum.bootstrap.servers alone is not supported yet)');

    const dir = join(config.metadataLogDir, METADATA_LOG_DIR_NAME);
    const raftLogger = logger.child({ component: 'raft' });
    const log = await FileRaftLog.open(config.metadataLogDir, { logger: raftLogger });
    closers.add(() => log.close());
    const transport = new NetworkRaftTransport(
      voters.filter((v) => v.id !== nodeId),
      { clientId: `raft-${nodeId}`, connectTimeoutMs: config.controllerQuorumRequestTimeoutMs },
    );
    const raft = new RaftClient({
      nodeId,
      clusterId,
      voters,
      log,
      quorumState: new FileQuorumStateStore(dir, voters.map((v) => v.id), clusterId),
      transport,
      runtime,
      logger: raftLogger,
      electionTimeoutMs: config.controllerQuorumElectionTimeoutMs,
      fetchTimeoutMs: config.controllerQuorumFetchTimeoutMs,
      electionBackoffMaxMs: config.controllerQuorumElectionBackoffMaxMs,
      appendLingerMs: config.controllerQuorumAppendLingerMs,
      requestTimeoutMs: config.controllerQuorumRequestTimeoutMs,
    });
    services.raft = raft;

    // A data dir of the single-node releases: its topics go into the first batch of an empty log.
    let importedLegacyTopics = false;
    let controller: QuorumController | null = null;
    if (isController) {
      const legacy = log.endOffset() === 0 && log.latestSnapshotId() === null ? await readLegacyTopics(config.metadataLogDir) : null;
      importedLegacyTopics = legacy !== null;
      controller = new QuorumController({
        nodeId,
        log: raft,
        runtime,
        logger: logger.child({ component: 'controller' }),
        sessionTimeoutMs: config.brokerSessionTimeoutMs,
        defaultNumPartitions: config.numPartitions,
        defaultReplicationFactor: config.defaultReplicationFactor,
        uncleanLeaderElectionEnable: config.uncleanLeaderElectionEnable,
        autoLeaderRebalanceEnable: config.autoLeaderRebalanceEnable,
        leaderImbalanceCheckIntervalMs: config.leaderImbalanceCheckIntervalMs,
        leaderImbalancePerBrokerPercentage: config.leaderImbalancePerBrokerPercentage,
        clusterId,
        ...(legacy && { bootstrapRecords: legacyBootstrapRecords(legacy, nodeId) }),
      });
      services.controller = controller;
      controller.start();
      const c = controller;
      closers.add(() => c.close());
    }
    const loader = new MetadataLoader({
      log: raft,
      runtime,
      logger: logger.child({ component: 'metadata-loader' }),
      maxBytesBetweenSnapshots: config.metadataLogMaxRecordBytesBetweenSnapshots,
    });
    loader.start();
    closers.add(() => loader.close());
    await raft.start();
    closers.add(async () => {
      await raft.close();
      transport.close();
    });
    if (closeControllerServer) closers.add(closeControllerServer);
    const active = controller;
    return {
      raft,
      loader,
      controller,
      voters,
      controllerEndpoint,
      localCall: active ? (api, version, body) => (active.isActive() ? controllerCall(active, api, version, body) : null) : undefined,
      importedLegacyTopics,
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
