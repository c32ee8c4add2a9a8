/**
 * The topics as the cluster metadata has them, for the broker's admin paths: reads come from the
 * newest published metadata image; changes are sent to the active controller (CreateTopics,
 * CreatePartitions, DeleteTopics, AlterConfigs), which writes them to the metadata log, and each call
 * resolves once this broker's own image shows the change (so a Metadata request that follows on this
 * broker sees it, and the partitions this broker hosts exist). The broker still checks a request with
 * Kafka's rules first (TopicAdmin); the controller checks again against the authoritative state.
 *
 * Concurrency: every change is one controller round trip; callers on one topic name are serialised by
 * TopicAdmin. The wait for the image is bounded by the request timeout.
 */
import { AlterConfigsApi, CreatePartitionsApi, CreateTopicsApi, DeleteTopicsApi } from '../protocol/messages/index.js';
import type { AlterConfigsResponse } from '../protocol/messages/alter-configs.js';
import type { CreatePartitionsResponse } from '../protocol/messages/create-partitions.js';
import type { CreateTopicsResponse } from '../protocol/messages/create-topics.js';
import type { DeleteTopicsResponse } from '../protocol/messages/delete-topics.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { ControllerChannel } from './controller-channel.js';
import type { ControllerForward, TopicInfo, TopicStore } from './topic-store.js';

/** Topics as the current image has them (an adapter over MetadataImage, see broker-metadata.ts). */
export interface TopicsView {
  get(name: string): TopicInfo | undefined;
  getById(topicId: string): TopicInfo | undefined;
  list(): TopicInfo[];
}

export interface ClusterTopicsOptions {
  readonly channel: ControllerChannel;
  readonly view: () => TopicsView;
  /** Resolves when a published image satisfies `done` (checked on each publication), rejects after `timeoutMs`. */
  readonly waitForImage: (done: (view: TopicsView) => boolean, timeoutMs: number) => Promise<void>;
  readonly requestTimeoutMs: number;
}

const TOPIC_RESOURCE = 2;

function failIfError(errorCode: number, errorMessage: string | null, what: string): void {
  if (errorCode !== ErrorCode.NONE) throw new KafkaError(errorCode, errorMessage ?? `${what} failed`);
}

export class ClusterTopics implements TopicStore {
  constructor(private readonly options: ClusterTopicsOptions) {}

  /** Requests the broker only relays (ElectLeaders, partition reassignments): answered by the controller once committed. */
  readonly forwardToController: ControllerForward = (api, version, body, notController) =>
    this.options.channel.send(api, version, body, { timeoutMs: this.options.requestTimeoutMs, notController });

  get(name: string): TopicInfo | undefined {
    return this.options.view().get(name);
  }

  getById(topicId: string): TopicInfo | undefined {
    return this.options.view().getById(topicId);
  }

  list(): TopicInfo[] {
    return this.options.view().list();
  }

  async create(name: string, partitions: number, configs: Record<string, string>, opts: { replicationFactor: number; assignments?: ReadonlyMap<number, readonly number[]> }): Promise<TopicInfo> {
    const assignments = opts.assignments ? [...opts.assignments].sort((a, b) => a[0] - b[0]).map(([partitionIndex, brokerIds]) => ({ partitionIndex, brokerIds: [...brokerIds] })) : [];
    const res = await this.options.channel.send<CreateTopicsResponse>(
      CreateTopicsApi,
      7,
      {
        topics: [
          {
            name,
            numPartitions: assignments.length > 0 ? -1 : partitions,
            replicationFactor: assignments.length > 0 ? -1 : opts.replicationFactor,
            assignments,
            configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })),
          },
        ],
        timeoutMs: this.options.requestTimeoutMs,
        validateOnly: false,
      },
      { timeoutMs: this.options.requestTimeoutMs, notController: (r) => r.topics.some((t) => t.errorCode === ErrorCode.NOT_CONTROLLER) },
    );
    const result = res.topics.find((t) => t.name === name);
    if (!result) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `the controller did not answer for topic '${name}'`);
    failIfError(result.errorCode, result.errorMessage, `creating topic '${name}'`);
    await this.options.waitForImage((view) => view.get(name)?.topicId === result.topicId, this.options.requestTimeoutMs);
    return this.get(name)!;
  }

  async setPartitionCount(name: string, partitions: number, assignments?: ReadonlyArray<readonly number[]>): Promise<void> {
    const res = await this.options.channel.send<CreatePartitionsResponse>(
      CreatePartitionsApi,
      3,
      { topics: [{ name, count: partitions, assignments: assignments ? assignments.map((brokerIds) => ({ brokerIds: [...brokerIds] })) : null }], timeoutMs: this.options.requestTimeoutMs, validateOnly: false },
      { timeoutMs: this.options.requestTimeoutMs, notController: (r) => r.results.some((t) => t.errorCode === ErrorCode.NOT_CONTROLLER) },
    );
    const result = res.results.find((t) => t.name === name);
    if (!result) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `the controller did not answer for topic '${name}'`);
    failIfError(result.errorCode, result.errorMessage, `adding partitions to '${name}'`);
    await this.options.waitForImage((view) => (view.get(name)?.partitions ?? 0) >= partitions, this.options.requestTimeoutMs);
  }

  async setConfigs(name: string, configs: Readonly<Record<string, string>>): Promise<TopicInfo> {
    const res = await this.options.channel.send<AlterConfigsResponse>(
      AlterConfigsApi,
      2,
      { resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configs: Object.entries(configs).map(([k, v]) => ({ name: k, value: v })) }], validateOnly: false },
      { timeoutMs: this.options.requestTimeoutMs, notController: (r) => r.responses.some((t) => t.errorCode === ErrorCode.NOT_CONTROLLER) },
    );
    const result = res.responses[0];
    if (!result) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `the controller did not answer for topic '${name}'`);
    failIfError(result.errorCode, result.errorMessage, `altering the configs of '${name}'`);
    const wanted = JSON.stringify(Object.entries(configs).sort());
    await this.options.waitForImage((view) => {
      const t = view.get(name);
      return t === undefined || JSON.stringify(Object.entries(t.configs).sort()) === wanted;
    }, this.options.requestTimeoutMs);
    const info = this.get(name);
    if (!info) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    return info;
  }

  async delete(name: string): Promise<TopicInfo> {
    const info = this.get(name);
    if (!info) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${name}' does not exist.`);
    const res = await this.options.channel.send<DeleteTopicsResponse>(
      DeleteTopicsApi,
      6,
      { topics: [{ name, topicId: info.topicId }], topicNames: [], timeoutMs: this.options.requestTimeoutMs },
      { timeoutMs: this.options.requestTimeoutMs, notController: (r) => r.responses.some((t) => t.errorCode === ErrorCode.NOT_CONTROLLER) },
    );
    const result = res.responses[0];
    if (!result) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `the controller did not answer for topic '${name}'`);
    failIfError(result.errorCode, result.errorMessage, `deleting topic '${name}'`);
    await this.options.waitForImage((view) => view.getById(info.topicId) === undefined, this.options.requestTimeoutMs);
    return info;
  }
}
