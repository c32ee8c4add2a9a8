/** Shared steps of the election and reassignment tests: topics with fixed replicas, fencing, ISR changes. */
import type { Harness } from './harness.js';
import { heartbeat, topicSpec } from './harness.js';
import type { PartitionRegistration } from '../../../src/cluster/metadata/metadata-image.js';
import type { AlterPartitionResponse } from '../../../src/protocol/messages/alter-partition.js';

export interface Cluster {
  readonly h: Harness;
  readonly epochs: Map<number, number>;
  partition(topic: string, id?: number): PartitionRegistration;
  /** Creates `topic` with one partition per replica list (the first replica leads). */
  create(topic: string, assignments: number[][], configs?: Record<string, string>): Promise<void>;
  fence(id: number): Promise<void>;
  unfence(id: number): Promise<void>;
  /** The partition's leader sets its ISR. */
  setIsr(topic: string, id: number, isr: number[]): Promise<AlterPartitionResponse>;
}

export async function cluster(h: Harness, ...brokers: number[]): Promise<Cluster> {
  const epochs = await h.addBrokers(...brokers);
  const c: Cluster = {
    h,
    epochs,
    partition(topic, id = 0) {
      const p = h.controller.image().partition(topic, id);
      if (!p) throw new Error(`no partition ${topic}-${id}`);
      return p;
    },
    async create(topic, assignments, configs = {}) {
      const r = await h.controller.createTopics({
        topics: [
          topicSpec(topic, -1, -1, {
            assignments: assignments.map((brokerIds, partitionIndex) => ({ partitionIndex, brokerIds })),
            configs: Object.entries(configs).map(([name, value]) => ({ name, value })),
          }),
        ],
        timeoutMs: 1000,
        validateOnly: false,
      });
      if (r.topics[0]!.errorCode !== 0) throw new Error(`create ${topic}: ${r.topics[0]!.errorCode} ${r.topics[0]!.errorMessage}`);
    },
    async fence(id) {
      const r = await h.controller.brokerHeartbeat(heartbeat(id, epochs.get(id)!, { wantFence: true }));
      if (r.errorCode !== 0) throw new Error(`fence ${id}: ${r.errorCode}`);
    },
    async unfence(id) {
      const r = await h.controller.brokerHeartbeat(heartbeat(id, epochs.get(id)!));
      if (r.errorCode !== 0 || r.isFenced) throw new Error(`unfence ${id}: ${r.errorCode}`);
    },
    async setIsr(topic, id, isr) {
      const t = h.controller.image().topic(topic)!;
      const p = c.partition(topic, id);
      return h.controller.alterPartition({
        brokerId: p.leader,
        brokerEpoch: epochs.get(p.leader)!,
        topics: [
          {
            topicName: '',
            topicId: t.topicId,
            partitions: [
              {
                partitionIndex: id,
                leaderEpoch: p.leaderEpoch,
                newIsr: [],
                newIsrWithEpochs: isr.map((b) => ({ brokerId: b, brokerEpoch: epochs.get(b)! })),
                leaderRecoveryState: p.leaderRecoveryState,
                partitionEpoch: p.partitionEpoch,
              },
            ],
          },
        ],
      });
    },
  };
  return c;
}
