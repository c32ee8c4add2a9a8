/**
 * What the client knows about the cluster: brokers, controller, and per topic its partitions with
 * leader, leader epoch, replicas and ISR. Updated only from Metadata responses; a partition whose
 * incoming leader epoch is older than the cached one keeps the cached entry (a lagging broker must
 * not move a leader backwards, KIP-320).
 */
import type { MetadataResponse } from '../../protocol/messages/metadata.js';
import { ErrorCode } from '../../protocol/errors.js';

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionInfo {
  partition: number;
  /** -1 while no leader is known. */
  leader: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  offlineReplicas: number[];
  /** The partition-level error of the last Metadata response (LEADER_NOT_AVAILABLE, ...). */
  errorCode: number;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  isInternal: boolean;
  /** Indexed by partition number. */
  partitions: PartitionInfo[];
}

export interface MetadataUpdate {
  /** Topics whose metadata response carried a topic-level error (UNKNOWN_TOPIC_OR_PARTITION, ...). */
  topicErrors: Map<string, number>;
  /** Partitions whose leader or leader epoch changed. */
  leaderChanges: number;
}

export class MetadataCache {
  private readonly brokerMap = new Map<number, BrokerInfo>();
  private readonly topicMap = new Map<string, TopicInfo>();
  private clusterIdValue: string | null = null;
  private controllerIdValue = -1;
  /** Date.now() of the last successful update; 0 before the first. */
  lastUpdateMs = 0;

  get clusterId(): string | null {
    return this.clusterIdValue;
  }

  get controllerId(): number {
    return this.controllerIdValue;
  }

  brokers(): BrokerInfo[] {
    return [...this.brokerMap.values()];
  }

  broker(nodeId: number): BrokerInfo | undefined {
    return this.brokerMap.get(nodeId);
  }

  topic(name: string): TopicInfo | undefined {
    return this.topicMap.get(name);
  }

  topics(): string[] {
    return [...this.topicMap.keys()];
  }

  partitionCount(topic: string): number | undefined {
    return this.topicMap.get(topic)?.partitions.length;
  }

  leaderOf(topic: string, partition: number): number {
    return this.topicMap.get(topic)?.partitions[partition]?.leader ?? -1;
  }

  /** Forget a topic (deleted, or the broker says it is unknown). */
  removeTopic(name: string): void {
    this.topicMap.delete(name);
  }

  /**
   * Applies a Metadata response. `requested` is the topic list that was asked for (null = all
   * topics: topics absent from the answer are then forgotten).
   */
  update(res: MetadataResponse, requested: readonly string[] | null, nowMs = Date.now()): MetadataUpdate {
    this.brokerMap.clear();
    for (const b of res.brokers) this.brokerMap.set(b.nodeId, { nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack });
    if (res.clusterId !== null) this.clusterIdValue = res.clusterId;
    this.controllerIdValue = res.controllerId;
    const topicErrors = new Map<string, number>();
    let leaderChanges = 0;
    const seen = new Set<string>();
    for (const t of res.topics) {
      if (t.name === null) continue;
      seen.add(t.name);
      if (t.errorCode !== ErrorCode.NONE) {
        topicErrors.set(t.name, t.errorCode);
        if (t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION || t.errorCode === ErrorCode.INVALID_TOPIC_EXCEPTION) this.topicMap.delete(t.name);
        continue;
      }
      const old = this.topicMap.get(t.name);
      const partitions: PartitionInfo[] = [];
      for (const p of t.partitions) {
        const prev = old?.partitions[p.partitionIndex];
        const incoming: PartitionInfo = {
          partition: p.partitionIndex,
          leader: p.errorCode === ErrorCode.LEADER_NOT_AVAILABLE ? -1 : p.leaderId,
          leaderEpoch: p.leaderEpoch,
          replicas: p.replicaNodes,
          isr: p.isrNodes,
          offlineReplicas: p.offlineReplicas,
          errorCode: p.errorCode,
        };
        const stale = prev !== undefined && prev.leaderEpoch >= 0 && incoming.leaderEpoch >= 0 && incoming.leaderEpoch < prev.leaderEpoch;
        const chosen = stale ? prev : incoming;
        if (prev && (prev.leader !== chosen.leader || prev.leaderEpoch !== chosen.leaderEpoch)) leaderChanges++;
        partitions[p.partitionIndex] = chosen;
      }
      // A response may list partitions in any order; fill holes so indexes stay dense.
      for (let i = 0; i < partitions.length; i++) {
        partitions[i] ??= { partition: i, leader: -1, leaderEpoch: -1, replicas: [], isr: [], offlineReplicas: [], errorCode: ErrorCode.LEADER_NOT_AVAILABLE };
      }
      this.topicMap.set(t.name, { name: t.name, topicId: t.topicId, isInternal: t.isInternal, partitions });
    }
    if (requested === null) {
      for (const name of [...this.topicMap.keys()]) if (!seen.has(name)) this.topicMap.delete(name);
    }
    this.lastUpdateMs = nowMs;
    return { topicErrors, leaderChanges };
  }
}
