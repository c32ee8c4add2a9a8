/**
 * The broker's parts that handlers call, assembled once by `broker.ts`.
 */
import type { TopicStore } from '../cluster/topic-store.js';
import type { ClusterView } from '../cluster/cluster-view.js';
import type { ReplicaManager } from '../cluster/replication/replica-manager.js';
import type { TopicAdmin } from '../cluster/topic-admin.js';
import type { BrokerConfig } from '../cluster/config/broker-config.js';
import type { LogConfig } from '../storage/partition-log.js';
import type { GroupCoordinator } from '../cluster/group/group-coordinator.js';
import type { TopicConfigManager } from '../cluster/topic-config-manager.js';
import type { GroupLog } from '../cluster/group/group-log.js';
import type { ProducerIdManager } from '../cluster/transaction/producer-id-manager.js';
import type { TransactionCoordinator } from '../cluster/transaction/transaction-coordinator.js';
import type { TransactionVerifier } from '../cluster/transaction/transaction-verifier.js';
import type { TransactionLog } from '../cluster/transaction/transaction-log.js';

export interface BrokerIdentity {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly host: string;
  readonly port: number;
  readonly rack: string | null;
}

/**
 * Per-topic traffic counters (Kafka's BrokerTopicStats), told by the Produce and Fetch handlers; called
 * once per partition of a request, so implementations keep to a map lookup and additions.
 */
export interface TopicStatsRecorder {
  /** A client's batch appended to `topic` (not a replica's copy): its bytes and record count. */
  produced(topic: string, sizeBytes: number, records: number): void;
  /** Bytes returned to a consumer's Fetch (not a follower's) from `topic`. */
  fetched(topic: string, sizeBytes: number): void;
}

export interface BrokerServices {
  readonly config: BrokerConfig;
  readonly identity: BrokerIdentity;
  readonly topics: TopicStore;
  /** Brokers, the active controller and partition leaders, as the cluster metadata has them. */
  readonly cluster: ClusterView;
  readonly topicAdmin: TopicAdmin;
  readonly replicas: ReplicaManager;
  readonly groups: GroupCoordinator;
  /** Where groups live in `__consumer_offsets` (FindCoordinator) and how their records are written. */
  readonly groupLog: GroupLog;
  /** Producer ids for InitProducerId, in blocks from the controller. */
  readonly producerIds: ProducerIdManager;
  /** The transaction coordinator of the transactional ids whose `__transaction_state` partition is led here. */
  readonly transactions: TransactionCoordinator;
  /**
   * Asks transaction coordinators whether a partition is in a transaction before its first transactional
   * batch is accepted (KIP-890 part 1); null with `transaction.partition.verification.enable=false`.
   */
  readonly transactionVerifier: TransactionVerifier | null;
  /** `__transaction_state` (FindCoordinator creates it). */
  readonly transactionLog: TransactionLog;
  /** Effective topic configs (cached) and AlterConfigs / IncrementalAlterConfigs. */
  readonly topicConfigs: TopicConfigManager;
  /** The effective storage settings of a topic (its overrides over the broker defaults). */
  readonly logConfigFor: (topic: string) => LogConfig;
  /** The (key, min, max) table advertised by ApiVersions. */
  readonly advertisedApis: () => Array<{ apiKey: number; minVersion: number; maxVersion: number }>;
  /** Per-topic traffic for the metrics endpoint; absent when a test assembles services without it. */
  readonly topicStats?: TopicStatsRecorder;
}
