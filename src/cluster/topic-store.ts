/**
 * What the broker's admin paths (TopicAdmin, TopicConfigManager, the internal topics) need of the
 * place topics are kept. In a cluster that is the metadata log, through the controller
 * (`cluster-topics.ts`).
 */
import type { ApiSpec } from '../protocol/schema/dsl.js';

export interface TopicInfo {
  readonly name: string;
  readonly topicId: string;
  /** Partition count. */
  readonly partitions: number;
  /** Config overrides (replaced, never mutated). */
  readonly configs: Readonly<Record<string, string>>;
}

export interface CreateTopicOptions {
  readonly replicationFactor: number;
  /** Replicas by partition, when the request gave them. */
  readonly assignments?: ReadonlyMap<number, readonly number[]>;
}

/**
 * Sends a request, unchanged, to the active controller and resolves with its answer (the admin APIs
 * only the controller answers: ElectLeaders, partition reassignments). `notController` says when an
 * answer means "ask the new controller"; failures to reach one reject with REQUEST_TIMED_OUT.
 */
export type ControllerForward = <Res extends object>(api: ApiSpec, version: number, body: object, notController: (response: Res) => boolean) => Promise<Res>;

export interface TopicStore {
  get(name: string): TopicInfo | undefined;
  getById(topicId: string): TopicInfo | undefined;
  list(): TopicInfo[];
  create(name: string, partitions: number, configs: Record<string, string>, opts: CreateTopicOptions): Promise<TopicInfo>;
  /** Grows the topic to `partitions`; `assignments` gives the replicas of each new partition. */
  setPartitionCount(name: string, partitions: number, assignments?: ReadonlyArray<readonly number[]>): Promise<void>;
  /** Replaces the topic's config overrides as a whole. */
  setConfigs(name: string, configs: Readonly<Record<string, string>>): Promise<TopicInfo>;
  delete(name: string): Promise<TopicInfo>;
  /** Present where a controller keeps the metadata (the cluster's store). */
  readonly forwardToController?: ControllerForward;
}
