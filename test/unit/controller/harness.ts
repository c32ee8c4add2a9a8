import { QuorumController, type QuorumControllerOptions } from '../../../src/cluster/controller/quorum-controller.js';
import type { BrokerHeartbeatRequest } from '../../../src/protocol/messages/broker-heartbeat.js';
import type { BrokerRegistrationRequest } from '../../../src/protocol/messages/broker-registration.js';
import type { CreatableTopic } from '../../../src/protocol/messages/create-topics.js';
import { FakeQuorum } from './fake-metadata-log.js';
import { FakeRuntime } from './fake-runtime.js';

export function incarnation(brokerId: number, generation = 0): string {
  const b = Buffer.alloc(16, brokerId);
  b[15] = generation;
  return b.toString('base64url');
}

export function registration(brokerId: number, generation = 0, extra: Partial<BrokerRegistrationRequest> = {}): BrokerRegistrationRequest {
  return {
    brokerId,
    clusterId: 'test-cluster',
    incarnationId: incarnation(brokerId, generation),
    listeners: [{ name: 'PLAINTEXT', host: `broker${brokerId}`, port: 9092, securityProtocol: 0 }],
    features: [{ name: 'metadata.version', minSupportedVersion: 1, maxSupportedVersion: 27 }],
    rack: null,
    isMigratingZkBroker: false,
    logDirs: [],
    previousBrokerEpoch: -1,
    ...extra,
  };
}

export function heartbeat(brokerId: number, brokerEpoch: number, extra: Partial<BrokerHeartbeatRequest> = {}): BrokerHeartbeatRequest {
  return { brokerId, brokerEpoch, currentMetadataOffset: 1_000_000, wantFence: false, wantShutDown: false, offlineLogDirs: [], ...extra };
}

export function topicSpec(name: string, numPartitions: number, replicationFactor: number, extra: Partial<CreatableTopic> = {}): CreatableTopic {
  return { name, numPartitions, replicationFactor, assignments: [], configs: [], ...extra };
}

/** Lets every queued microtask and promise callback run. */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

export interface Harness {
  readonly quorum: FakeQuorum;
  readonly runtime: FakeRuntime;
  readonly controller: QuorumController;
  /** Registers and unfences brokers; returns their epochs. */
  addBrokers(...ids: number[]): Promise<Map<number, number>>;
}

export async function activeController(options: Partial<QuorumControllerOptions> = {}, quorum = new FakeQuorum()): Promise<Harness> {
  const runtime = new FakeRuntime(7);
  const controller = new QuorumController({ nodeId: 1, log: quorum.client(1), runtime, ...options });
  controller.start();
  quorum.elect(1);
  await settle();
  if (!quorum.autoCommit) {
    quorum.commit();
    await settle();
    quorum.commit();
    await settle();
  }
  if (!controller.isActive()) throw new Error('controller did not become active');
  return {
    quorum,
    runtime,
    controller,
    async addBrokers(...ids) {
      const epochs = new Map<number, number>();
      for (const id of ids) {
        const r = await controller.registerBroker(registration(id));
        if (r.errorCode !== 0) throw new Error(`registration of ${id} failed: ${r.errorCode}`);
        epochs.set(id, r.brokerEpoch);
      }
      for (const id of ids) {
        const h = await controller.brokerHeartbeat(heartbeat(id, epochs.get(id)!));
        if (h.errorCode !== 0 || h.isFenced) throw new Error(`broker ${id} not unfenced`);
      }
      return epochs;
    },
  };
}
