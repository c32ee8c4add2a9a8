/**
 * The admin client: topics, configs, cluster description, record deletion, consumer groups, leader
 * elections and partition reassignments. Each method is a thin wrapper over one module (topics.ts,
 * configs.ts, offsets.ts, groups.ts, leadership.ts).
 * See docs/client.md for examples.
 */
import { DescribeClusterApi } from '../../protocol/messages/index.js';
import type { DescribeClusterResponse } from '../../protocol/messages/describe-cluster.js';
import { Cluster } from '../cluster/cluster.js';
import { throwIfError } from '../errors.js';
import type { ClientOptions } from '../options.js';
import { describeConfigs, incrementalAlterConfigs } from './configs.js';
import { alterOffsets, deleteGroups, deleteOffsets, describeGroups, fetchOffsets, listGroups } from './groups.js';
import { alterPartitionReassignments, electLeaders, listPartitionReassignments } from './leadership.js';
import { deleteRecords, describeProducers, listOffsets } from './offsets.js';
import { abortTransaction, describeTransactions, findHangingTransactions, listTransactions } from './transactions.js';
import { createPartitions, createTopics, deleteTopics, describeTopics, listTopics, type CreateTopicsOptions } from './topics.js';
import type {
  AbortTransactionSpec,
  AlterConfigsResource,
  ClusterDescription,
  CommittedOffset,
  ConfigResource,
  CreatedTopic,
  DeletedRecords,
  ElectionResult,
  ElectionType,
  GroupDescription,
  GroupListing,
  HangingTransaction,
  NewTopic,
  OffsetSpec,
  PartitionProducers,
  PartitionReassignment,
  TransactionDescription,
  TransactionListing,
  ReassignmentResult,
  ResourceConfigs,
  TopicDescription,
  TopicPartitionOffset,
  TopicPartitionRef,
} from './types.js';

export type AdminOptions = ClientOptions;

export class Admin {
  readonly cluster: Cluster;

  constructor(options: AdminOptions) {
    this.cluster = new Cluster(options, 'admin');
  }

  /** Reads cluster metadata. Optional: every method connects on first use. */
  async connect(): Promise<void> {
    await this.cluster.connect();
  }

  close(): Promise<void> {
    this.cluster.close();
    return Promise.resolve();
  }

  // ---- topics ----
  async createTopics(topics: readonly NewTopic[], opts?: CreateTopicsOptions): Promise<CreatedTopic[]> {
    await this.cluster.connect();
    return createTopics(this.cluster, topics, opts);
  }

  async deleteTopics(names: readonly string[], opts?: { timeoutMs?: number }): Promise<void> {
    await this.cluster.connect();
    return deleteTopics(this.cluster, names, opts);
  }

  async listTopics(opts?: { includeInternal?: boolean }): Promise<string[]> {
    await this.cluster.connect();
    return listTopics(this.cluster, opts);
  }

  async describeTopics(names: readonly string[]): Promise<TopicDescription[]> {
    await this.cluster.connect();
    return describeTopics(this.cluster, names);
  }

  /** Raises each topic's partition count to `count`. */
  async createPartitions(topics: ReadonlyArray<{ topic: string; count: number; assignments?: number[][] }>, opts?: { validateOnly?: boolean; timeoutMs?: number }): Promise<void> {
    await this.cluster.connect();
    return createPartitions(this.cluster, topics, opts);
  }

  // ---- configs ----
  describeConfigs(resources: readonly ConfigResource[], opts?: { includeSynonyms?: boolean }): Promise<ResourceConfigs[]> {
    return describeConfigs(this.cluster, resources, opts);
  }

  /** Fails with KafkaError(UNSUPPORTED_VERSION) if the broker does not serve IncrementalAlterConfigs. */
  incrementalAlterConfigs(resources: readonly AlterConfigsResource[], opts?: { validateOnly?: boolean }): Promise<void> {
    return incrementalAlterConfigs(this.cluster, resources, opts);
  }

  // ---- cluster ----
  /** DescribeCluster when the broker serves it, else the broker list from Metadata. */
  async describeCluster(): Promise<ClusterDescription> {
    await this.cluster.connect();
    const link = this.cluster.anyLink();
    if (await link.supports(DescribeClusterApi)) {
      const res = await this.cluster.withRetries('DescribeCluster', {}, () =>
        this.cluster.anyLink().request<DescribeClusterResponse>(DescribeClusterApi, { includeClusterAuthorizedOperations: false, endpointType: 1 }),
      );
      throwIfError(res.errorCode, 'DescribeCluster', res.errorMessage);
      return {
        clusterId: res.clusterId,
        controllerId: res.controllerId,
        brokers: res.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.nodeId - b.nodeId),
      };
    }
    const { response } = await this.cluster.fetchMetadata([]);
    return {
      clusterId: response.clusterId,
      controllerId: response.controllerId,
      brokers: response.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })).sort((a, b) => a.nodeId - b.nodeId),
    };
  }

  // ---- leadership and replica placement ----
  /** ElectLeaders: `partitions` null means every partition (the result then lists only those that needed one). */
  async electLeaders(type: ElectionType, partitions: readonly TopicPartitionRef[] | null, opts?: { timeoutMs?: number }): Promise<ElectionResult[]> {
    await this.cluster.connect();
    return electLeaders(this.cluster, type, partitions, opts);
  }

  /** Starts reassignments (`replicas` = the target) or cancels them (`replicas` null); per-partition results. */
  async alterPartitionReassignments(reassignments: ReadonlyArray<TopicPartitionRef & { replicas: readonly number[] | null }>, opts?: { timeoutMs?: number }): Promise<ReassignmentResult[]> {
    await this.cluster.connect();
    return alterPartitionReassignments(this.cluster, reassignments, opts);
  }

  /** Reassignments in progress (of `partitions`, or all). */
  async listPartitionReassignments(partitions?: readonly TopicPartitionRef[], opts?: { timeoutMs?: number }): Promise<PartitionReassignment[]> {
    await this.cluster.connect();
    return listPartitionReassignments(this.cluster, partitions, opts);
  }

  // ---- records and offsets ----
  /** Offsets at the log start ('earliest'), the end ('latest') or the first at/after a timestamp. */
  listOffsets(topic: string, spec: OffsetSpec = 'latest', partitions?: number[]): Promise<TopicPartitionOffset[]> {
    return listOffsets(this.cluster, topic, spec, partitions);
  }

  /** Deletes records before each offset (-1: everything up to the high watermark). */
  deleteRecords(targets: readonly TopicPartitionOffset[], opts?: { timeoutMs?: number }): Promise<DeletedRecords[]> {
    return deleteRecords(this.cluster, targets, opts);
  }

  /** The idempotent and transactional producers of each partition, as its leader knows them. */
  describeProducers(partitions: readonly TopicPartitionRef[]): Promise<PartitionProducers[]> {
    return describeProducers(this.cluster, partitions);
  }

  // ---- transactions ----
  /** The transactional ids every broker coordinates (`states` filters: e.g. ['Ongoing']). */
  listTransactions(opts?: { states?: string[]; producerIds?: number[] }): Promise<TransactionListing[]> {
    return listTransactions(this.cluster, opts);
  }

  /** Each id's state, producer, timeout and open partitions, from its coordinator. */
  describeTransactions(transactionalIds: readonly string[]): Promise<TransactionDescription[]> {
    return describeTransactions(this.cluster, transactionalIds);
  }

  /** Aborts a producer's open transaction on one partition (an ABORT marker at its leader): for hanging transactions. */
  abortTransaction(spec: AbortTransactionSpec): Promise<void> {
    return abortTransaction(this.cluster, spec);
  }

  /** Open transactions on these partitions silent for `maxTransactionTimeoutMs` that their coordinator does not know. */
  findHangingTransactions(partitions: readonly TopicPartitionRef[], opts: { maxTransactionTimeoutMs: number }): Promise<HangingTransaction[]> {
    return findHangingTransactions(this.cluster, partitions, opts);
  }

  // ---- consumer groups ----
  listGroups(opts?: { states?: string[] }): Promise<GroupListing[]> {
    return listGroups(this.cluster, opts);
  }

  describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    return describeGroups(this.cluster, groupIds);
  }

  deleteGroups(groupIds: readonly string[]): Promise<void> {
    return deleteGroups(this.cluster, groupIds);
  }

  fetchOffsets(groupId: string, topics?: readonly string[]): Promise<CommittedOffset[]> {
    return fetchOffsets(this.cluster, groupId, topics);
  }

  /** Sets committed offsets; the group must have no active members. */
  alterOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    return alterOffsets(this.cluster, groupId, offsets);
  }

  /** Moves a group's committed offsets for every partition of `topic` to `to`. */
  async resetOffsets(groupId: string, topic: string, to: OffsetSpec): Promise<TopicPartitionOffset[]> {
    const offsets = await listOffsets(this.cluster, topic, to);
    const targets = offsets.map((o) => (o.offset < 0 ? { ...o, offset: 0 } : o));
    if (to !== 'earliest' && to !== 'latest') {
      // No record at/after the timestamp: go to the end, as kafka-consumer-groups does.
      const ends = await listOffsets(this.cluster, topic, 'latest');
      for (const t of targets) if (offsets.find((o) => o.partition === t.partition)!.offset < 0) t.offset = ends.find((e) => e.partition === t.partition)!.offset;
    }
    await alterOffsets(this.cluster, groupId, targets);
    return targets;
  }

  deleteOffsets(groupId: string, partitions: ReadonlyArray<{ topic: string; partition: number }>): Promise<void> {
    return deleteOffsets(this.cluster, groupId, partitions);
  }
}
