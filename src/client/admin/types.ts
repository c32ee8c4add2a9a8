/** Public shapes of the admin client's arguments and results. */
import type { PartitionInfo } from '../cluster/metadata-cache.js';

export interface NewTopic {
  name: string;
  /** Default: the broker's num.partitions (-1). */
  numPartitions?: number;
  /** Default: the broker's default.replication.factor (-1). */
  replicationFactor?: number;
  /** Explicit replica assignment: partition → broker ids (then leave numPartitions/replicationFactor unset). */
  assignments?: Record<number, number[]>;
  /** Topic configs by Kafka name, e.g. `{ 'cleanup.policy': 'compact' }`. */
  configs?: Record<string, string>;
}

export interface CreatedTopic {
  name: string;
  topicId: string;
  numPartitions: number;
  replicationFactor: number;
}

/** A partition as Metadata describes it (the cluster cache's PartitionInfo without its error code). */
export type PartitionDescription = Omit<PartitionInfo, 'errorCode'>;

export interface TopicDescription {
  name: string;
  topicId: string;
  isInternal: boolean;
  partitions: PartitionDescription[];
}

export interface ClusterDescription {
  clusterId: string | null;
  controllerId: number;
  brokers: Array<{ nodeId: number; host: string; port: number; rack: string | null }>;
}

export type ConfigResourceType = 'topic' | 'broker' | 'broker-logger';

export interface ConfigResource {
  type: ConfigResourceType;
  /** Topic name, or broker id as a string ('' for the cluster-wide broker default). */
  name: string;
  /** Only these keys (default: all). */
  keys?: string[];
}

export type ConfigSource =
  | 'unknown'
  | 'topic'
  | 'dynamic-broker'
  | 'dynamic-default-broker'
  | 'static-broker'
  | 'default'
  | 'dynamic-broker-logger'
  | 'client-metrics'
  | 'group';

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  isSensitive: boolean;
  source: ConfigSource;
  synonyms: Array<{ name: string; value: string | null; source: ConfigSource }>;
}

export interface ResourceConfigs {
  type: ConfigResourceType;
  name: string;
  configs: ConfigEntry[];
}

export type AlterConfigOp =
  | { op: 'set'; name: string; value: string }
  | { op: 'delete'; name: string }
  | { op: 'append'; name: string; value: string }
  | { op: 'subtract'; name: string; value: string };

export interface AlterConfigsResource {
  type: ConfigResourceType;
  name: string;
  ops: AlterConfigOp[];
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

export interface TransactionListing {
  transactionalId: string;
  producerId: number;
  /** Kafka's state name: Empty, Ongoing, PrepareCommit, PrepareAbort, CompleteCommit, CompleteAbort… */
  state: string;
  coordinatorId: number;
}

export interface TransactionDescription {
  transactionalId: string;
  coordinatorId: number;
  state: string;
  producerId: number;
  producerEpoch: number;
  transactionTimeoutMs: number;
  /** -1 when no transaction is open. */
  transactionStartTimeMs: number;
  /** The partitions of the open transaction. */
  partitions: Array<{ topic: string; partition: number }>;
}

/** A transaction to abort on one partition (kafka-transactions.sh abort): its producer as DescribeProducers reports it. */
export interface AbortTransactionSpec {
  topic: string;
  partition: number;
  producerId: number;
  producerEpoch: number;
  /** The epoch of the coordinator that wrote the partition's last marker for this producer (0 if none). */
  coordinatorEpoch: number;
}

/** An open transaction on a partition that its coordinator no longer completes (kafka-transactions.sh find-hanging). */
export interface HangingTransaction {
  topic: string;
  partition: number;
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** The first offset of the open transaction: the partition's last stable offset cannot pass it. */
  startOffset: number;
  lastTimestampMs: number;
  /** How long the producer has been silent on this partition. */
  durationMs: number;
  /** Why the coordinator will not finish it. */
  reason: string;
}

/** One producer a partition's leader knows (DescribeProducers). */
export interface ProducerState {
  producerId: number;
  producerEpoch: number;
  /** The sequence of its last record in the partition, -1 when none is known. */
  lastSequence: number;
  lastTimestampMs: number;
  /** The epoch of the coordinator of its last transaction marker, -1 when none. */
  coordinatorEpoch: number;
  /** The first offset of its open transaction, -1 when none is open. */
  currentTransactionStartOffset: number;
}

export interface PartitionProducers {
  topic: string;
  partition: number;
  producers: ProducerState[];
}

export interface DeletedRecords {
  topic: string;
  partition: number;
  /** The partition's new log start offset. */
  lowWatermark: number;
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: string;
  type: string;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Raw protocol bytes (for consumers: ConsumerProtocolSubscription / Assignment). */
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMemberDescription[];
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** -1 when the group has no committed offset for the partition. */
  offset: number;
  leaderEpoch: number;
  metadata: string | null;
}

/** Where `listOffsets` / `resetOffsets` look: the log start, the end, or the first offset at/after a timestamp. */
export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number };

export interface TopicPartitionRef {
  topic: string;
  partition: number;
}

/** ElectLeaders' election type: the preferred (first) replica, or any live replica of a leaderless partition. */
export type ElectionType = 'preferred' | 'unclean';

export interface ElectionResult extends TopicPartitionRef {
  /** 0, or why this partition got no new leader (ELECTION_NOT_NEEDED = 84 when it had the right one). */
  errorCode: number;
  errorMessage: string | null;
}

export interface ReassignmentResult extends TopicPartitionRef {
  errorCode: number;
  errorMessage: string | null;
}

export interface PartitionReassignment extends TopicPartitionRef {
  /** Target replicas first, then the ones being removed. */
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}
