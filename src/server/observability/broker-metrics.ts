/**
 * One broker's metrics: a prom-client Registry of its own (several brokers may share a process in
 * tests, so nothing goes to prom-client's global registry), the request and topic counters the hot
 * paths update, and gauges read from the broker's state when Prometheus scrapes.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ReplicaManager } from '../../cluster/replication/replica-manager.js';
import type { GroupCoordinator } from '../../cluster/group/group-coordinator.js';
import type { MetadataImage } from '../../cluster/metadata/metadata-image.js';
import { registerScraped, type Sample } from './exposition.js';
import { RequestMetrics } from './request-metrics.js';
import { TopicStats } from './topic-stats.js';

/** What the scrape-time gauges read; given once the broker's parts exist. */
export interface BrokerMetricsSources {
  readonly nodeId: number;
  /** Open client connections. */
  readonly connections: () => number;
  readonly replicas: ReplicaManager;
  /** The metadata image the broker has applied. */
  readonly image: () => MetadataImage;
  /** The high watermark of the metadata log, null while unknown. */
  readonly metadataHighWatermark: () => number | null;
  readonly minInsyncReplicas: (topic: string) => number;
  /** Whether this node's controller is the active one (false on a broker-only node). */
  readonly activeController: () => boolean;
  readonly groups: GroupCoordinator;
}

/**
 * Bound on the group-lag series one scrape returns: lag is per (group, topic, partition), and a broker
 * coordinating many groups over many partitions would otherwise make every scrape huge.
 */
export const MAX_GROUP_LAG_SERIES = 10_000;

export class BrokerMetrics {
  readonly registry = new Registry();
  readonly requests: RequestMetrics;
  readonly topics = new TopicStats();

  constructor(apiNames: ReadonlyMap<number, string>) {
    this.requests = new RequestMetrics(apiNames);
    // process_* and nodejs_* (CPU, memory, heap spaces, GC, event-loop lag), under their usual names so
    // that the Node.js dashboards people already have work unchanged.
    collectDefaultMetrics({ register: this.registry });
    this.requests.register(this.registry);
  }

  attach(s: BrokerMetricsSources): void {
    const r = this.registry;
    this.topics.register(r, (topic) => s.image().topics.byName.has(topic));
    const gauge = (name: string, help: string, collect: () => readonly Sample[]): void => registerScraped(r, { name, help, type: 'gauge', collect });
    const single = (value: () => number) => (): Sample[] => [{ labels: {}, value: value() }];

    gauge('tributary_connections', 'Open client connections (Kafka: kafka.server:type=socket-server-metrics,name=connection-count).', single(s.connections));

    const perPartition = (pick: (p: { log: { sizeBytes: number; segmentCount: number; logEndOffset: number; logStartOffset: number } }) => number) => (): Sample[] => {
      const out: Sample[] = [];
      for (const p of s.replicas.replicas()) out.push({ labels: { topic: p.topic, partition: p.partition }, value: pick(p) });
      return out;
    };
    gauge('tributary_log_size_bytes', 'Bytes of a partition replica\'s log on disk (Kafka: kafka.log:type=Log,name=Size).', perPartition((p) => p.log.sizeBytes));
    gauge('tributary_log_segments', 'Segments of a partition replica\'s log (Kafka: kafka.log:type=Log,name=NumLogSegments).', perPartition((p) => p.log.segmentCount));
    gauge('tributary_log_end_offset', 'Log end offset of a partition replica (Kafka: kafka.log:type=Log,name=LogEndOffset).', perPartition((p) => p.log.logEndOffset));
    gauge('tributary_log_start_offset', 'Log start offset of a partition replica (Kafka: kafka.log:type=Log,name=LogStartOffset).', perPartition((p) => p.log.logStartOffset));

    // Kafka counts these over the partitions this broker leads; so do we (a follower does not know its ISR's health first-hand).
    const ledWhere = (test: (isr: number, replicas: number, minIsr: number) => boolean) => (): number => {
      let n = 0;
      for (const p of s.replicas.replicas()) if (p.isLeader && test(p.isr.length, p.replicas.length, s.minInsyncReplicas(p.topic))) n += 1;
      return n;
    };
    gauge('tributary_partitions', 'Partition replicas hosted here, led or followed (Kafka: kafka.server:type=ReplicaManager,name=PartitionCount).', single(() => {
      let n = 0;
      for (const _ of s.replicas.replicas()) n += 1;
      return n;
    }));
    gauge('tributary_leader_partitions', 'Partitions led here (Kafka: kafka.server:type=ReplicaManager,name=LeaderCount).', single(ledWhere(() => true)));
    gauge('tributary_under_replicated_partitions', 'Partitions led here whose ISR is smaller than their replica set (Kafka: kafka.server:type=ReplicaManager,name=UnderReplicatedPartitions).', single(ledWhere((isr, replicas) => isr < replicas)));
    gauge('tributary_under_min_isr_partitions', 'Partitions led here whose ISR is smaller than min.insync.replicas (Kafka: kafka.server:type=ReplicaManager,name=UnderMinIsrPartitionCount).', single(ledWhere((isr, _r, minIsr) => isr < minIsr)));
    // As Kafka: only the active controller reports it, so a sum over the cluster counts each partition once.
    gauge('tributary_offline_partitions', 'Partitions without a leader, reported by the active controller, 0 elsewhere (Kafka: kafka.controller:type=KafkaController,name=OfflinePartitionsCount).', single(() => {
      if (!s.activeController()) return 0;
      let n = 0;
      for (const t of s.image().topics.byName.values()) for (const p of t.partitions.values()) if (p.leader < 0) n += 1;
      return n;
    }));
    gauge('tributary_active_controller_count', '1 on the node whose controller is active, else 0 (Kafka: kafka.controller:type=KafkaController,name=ActiveControllerCount).', single(() => (s.activeController() ? 1 : 0)));
    gauge('tributary_metadata_applied_offset', 'Offset of the last __cluster_metadata record this broker applied (Kafka: kafka.server:type=broker-metadata-metrics,name=last-applied-record-offset).', single(() => s.image().offset));
    gauge('tributary_metadata_lag_offsets', 'Committed __cluster_metadata offsets not yet applied here; -1 while the high watermark is unknown.', single(() => {
      const hw = s.metadataHighWatermark();
      return hw === null ? -1 : Math.max(0, hw - 1 - s.image().offset);
    }));

    // A follower's high watermark is the leader's as of its last fetch (at most a fetch behind): with it, a
    // group is reported wherever its coordinator hosts a replica of the partition, not only where it leads.
    gauge('tributary_consumer_group_lag', `High watermark minus committed offset, per group and partition of the groups coordinated here whose partition has a replica here (at most ${MAX_GROUP_LAG_SERIES} series; kafka_exporter: kafka_consumergroup_lag).`, () => {
      const out: Sample[] = [];
      for (const g of s.groups.listGroups()) {
        const fetched = s.groups.fetchOffsets(g.groupId, null);
        for (const t of fetched.topics) {
          for (const p of t.partitions) {
            if (p.offset < 0) continue;
            const hw = s.replicas.tryGetReplica(t.name, p.partition)?.highWatermark;
            if (hw === undefined) continue;
            if (out.length >= MAX_GROUP_LAG_SERIES) return out;
            out.push({ labels: { group: g.groupId, topic: t.name, partition: p.partition }, value: Math.max(0, hw - p.offset) });
          }
        }
      }
      return out;
    });
  }

  /** Removes every metric (the default collectors' timers are unreferenced and stop with the registry's metrics). */
  close(): void {
    this.registry.clear();
  }
}
