/**
 * Topics: CreateTopics, DeleteTopics, CreatePartitions as records computed from the controller's
 * image. A request's records form one batch, so a topic appears with all its partitions and configs
 * at once (and several topics of one request at once).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { CreatableTopicConfigs, CreatableTopicResult, CreateTopicsRequest, CreateTopicsResponse } from '../../protocol/messages/create-topics.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse, CreatePartitionsTopicResult } from '../../protocol/messages/create-partitions.js';
import type { DeletableTopicResult, DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/messages/delete-topics.js';
import { ZERO_UUID } from '../../protocol/schema/uuid.js';
import { ConfigError } from '../config/errors.js';
import { validateTopicConfigs } from '../config/topic-config.js';
import type { Random } from '../runtime.js';
import { validateTopicName } from '../../storage/log-dirs.js';
import { ConfigResourceType, type MetadataImage } from '../metadata/metadata-image.js';
import { NO_LEADER } from '../metadata/metadata-delta.js';
import {
  CONFIG_RECORD_TYPE,
  PARTITION_RECORD_TYPE,
  REMOVE_TOPIC_RECORD_TYPE,
  TOPIC_RECORD_TYPE,
  type PartitionRecord,
} from '../metadata/records/index.js';
import { result, rec, type ControlContext, type ControllerResult, type MetadataRecordValue } from './controller-result.js';
import { placeReplicas, usableBrokers, validateManualAssignment } from './replica-placement.js';

/** A limit on partitions per topic, so one request cannot make a batch nobody can replay. */
export const MAX_PARTITIONS_PER_TOPIC = 100_000;
/** Kafka's ReplicationControlManager.MAX_PARTITIONS_PER_BATCH: new partitions one request may create. */
export const MAX_PARTITIONS_PER_REQUEST = 10_000;

function requestedPartitions(t: { numPartitions: number; assignments: readonly unknown[] }, defaultNumPartitions: number): number {
  if (t.assignments.length > 0) return t.assignments.length;
  return t.numPartitions === -1 ? defaultNumPartitions : Math.max(0, t.numPartitions);
}
const METADATA_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
const CONFIG_SOURCE_TOPIC = 1; // DescribeConfigs' TOPIC_CONFIG

export interface TopicControlOptions {
  readonly defaultNumPartitions: number;
  readonly defaultReplicationFactor: number;
  readonly random: Random;
  /** The configs CreateTopics returns for a new topic (default: just its overrides). */
  readonly describeTopicConfigs?: (overrides: Readonly<Record<string, string>>) => CreatableTopicConfigs[];
}

/** A topic id drawn from `random` (deterministic under the simulator): version 4, not 0/1, no leading '-'. */
export function newTopicId(random: Random, image: MetadataImage): string {
  for (;;) {
    const b = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) b[i] = Math.floor(random.next() * 256);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const id = b.toString('base64url');
    if (id !== ZERO_UUID && id !== METADATA_TOPIC_ID && !id.startsWith('-') && !image.topicById(id)) return id;
  }
}

export function newPartitionRecord(image: MetadataImage, topicId: string, partitionId: number, replicas: readonly number[]): PartitionRecord {
  const isr = replicas.filter((id) => image.broker(id)?.fenced === false);
  return {
    partitionId,
    topicId,
    replicas: [...replicas],
    isr: isr.length > 0 ? isr : [...replicas],
    removingReplicas: [],
    addingReplicas: [],
    leader: isr[0] ?? NO_LEADER,
    leaderRecoveryState: 0,
    leaderEpoch: 0,
    partitionEpoch: 0,
    directories: [],
    eligibleLeaderReplicas: null,
    lastKnownElr: null,
  };
}

function topicError(name: string, err: unknown): CreatableTopicResult {
  const { code, message } = errorOf(err);
  return { name, topicId: ZERO_UUID, errorCode: code, errorMessage: message, topicConfigErrorCode: 0, numPartitions: -1, replicationFactor: -1, configs: null };
}

export function errorOf(err: unknown): { code: ErrorCode; message: string } {
  if (err instanceof KafkaError) return { code: err.code, message: err.message };
  if (err instanceof ConfigError) return { code: ErrorCode.INVALID_CONFIG, message: err.message };
  return { code: ErrorCode.UNKNOWN_SERVER_ERROR, message: err instanceof Error ? err.message : String(err) };
}

function fail(code: ErrorCode, message: string): never {
  throw new KafkaError(code, message);
}

export function createTopics(ctx: ControlContext, req: CreateTopicsRequest, options: TopicControlOptions): ControllerResult<CreateTopicsResponse> {
  const total = req.topics.reduce((n, t) => n + requestedPartitions(t, options.defaultNumPartitions), 0);
  if (total > MAX_PARTITIONS_PER_REQUEST) {
    const err = new KafkaError(ErrorCode.POLICY_VIOLATION, 'Excessively large number of partitions per request.');
    return result({ throttleTimeMs: 0, topics: req.topics.map((t) => topicError(t.name, err)) });
  }
  const results: CreatableTopicResult[] = [];
  const records: MetadataRecordValue[] = [];
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  for (const t of req.topics) {
    try {
      if (counts.get(t.name)! > 1) fail(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
      validateTopicName(t.name);
      if (ctx.image.topic(t.name)) fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
      let assignments: number[][];
      if (t.assignments.length > 0) {
        if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
          fail(ErrorCode.INVALID_REQUEST, 'A manual partition assignment was specified, but numPartitions or replicationFactor was not set to -1.');
        }
        const sorted = [...t.assignments].sort((a, b) => a.partitionIndex - b.partitionIndex);
        sorted.forEach((a, i) => {
          if (a.partitionIndex !== i) fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'Partitions should be a consecutive 0-based integer sequence.');
          validateManualAssignment(ctx.image, i, a.brokerIds);
        });
        assignments = sorted.map((a) => [...a.brokerIds]);
      } else {
        const numPartitions = t.numPartitions === -1 ? options.defaultNumPartitions : t.numPartitions;
        const rf = t.replicationFactor === -1 ? options.defaultReplicationFactor : t.replicationFactor;
        if (numPartitions <= 0) fail(ErrorCode.INVALID_PARTITIONS, 'Number of partitions was set to an invalid non-positive value.');
        if (numPartitions > MAX_PARTITIONS_PER_TOPIC) fail(ErrorCode.INVALID_PARTITIONS, `Number of partitions ${numPartitions} exceeds the limit of ${MAX_PARTITIONS_PER_TOPIC}.`);
        if (rf <= 0) fail(ErrorCode.INVALID_REPLICATION_FACTOR, 'Replication factor must be larger than 0, or -1 to use the default value.');
        assignments = placeReplicas(usableBrokers(ctx.image), numPartitions, rf, options.random);
      }
      const overrides: Record<string, string> = {};
      for (const c of t.configs) {
        if (c.value === null) fail(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${c.name}`);
        if (c.name in overrides) fail(ErrorCode.INVALID_REQUEST, `Duplicate config name ${c.name}.`);
        overrides[c.name] = c.value;
      }
      validateTopicConfigs(overrides);
      const topicId = req.validateOnly ? ZERO_UUID : newTopicId(options.random, ctx.image);
      if (!req.validateOnly) {
        records.push(rec(TOPIC_RECORD_TYPE, { name: t.name, topicId }));
        assignments.forEach((replicas, i) => records.push(rec(PARTITION_RECORD_TYPE, newPartitionRecord(ctx.image, topicId, i, replicas))));
        for (const [name, value] of Object.entries(overrides)) {
          records.push(rec(CONFIG_RECORD_TYPE, { resourceType: ConfigResourceType.TOPIC, resourceName: t.name, name, value }));
        }
      }
      results.push({
        name: t.name,
        topicId,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        topicConfigErrorCode: 0,
        numPartitions: assignments.length,
        replicationFactor: assignments[0]!.length,
        configs: options.describeTopicConfigs
          ? options.describeTopicConfigs(overrides)
          : Object.entries(overrides).map(([name, value]) => ({ name, value, readOnly: false, configSource: CONFIG_SOURCE_TOPIC, isSensitive: false })),
      });
    } catch (err) {
      results.push(topicError(t.name, err));
    }
  }
  return result({ throttleTimeMs: 0, topics: results }, records);
}

export function deleteTopics(ctx: ControlContext, req: DeleteTopicsRequest): ControllerResult<DeleteTopicsResponse> {
  // v0-5 name topics in topicNames, v6+ in topics (by name or by id).
  const wanted: { name: string | null; topicId: string }[] = [
    ...req.topicNames.map((name) => ({ name, topicId: ZERO_UUID })),
    ...req.topics.map((t) => ({ name: t.topicId === ZERO_UUID ? t.name : null, topicId: t.topicId })),
  ];
  const responses: DeletableTopicResult[] = [];
  const records: MetadataRecordValue[] = [];
  const removed = new Set<string>();
  for (const w of wanted) {
    const t = w.name !== null ? ctx.image.topic(w.name) : ctx.image.topicById(w.topicId);
    if (!t) {
      responses.push(
        w.name !== null
          ? { name: w.name, topicId: ZERO_UUID, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.' }
          : { name: null, topicId: w.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' },
      );
      continue;
    }
    if (removed.has(t.topicId)) {
      responses.push({ name: t.name, topicId: t.topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic in request.' });
      continue;
    }
    removed.add(t.topicId);
    records.push(rec(REMOVE_TOPIC_RECORD_TYPE, { topicId: t.topicId }));
    responses.push({ name: t.name, topicId: t.topicId, errorCode: ErrorCode.NONE, errorMessage: null });
  }
  return result({ throttleTimeMs: 0, responses }, records);
}

export function createPartitions(ctx: ControlContext, req: CreatePartitionsRequest, random: Random): ControllerResult<CreatePartitionsResponse> {
  const total = req.topics.reduce((n, t) => n + Math.max(0, t.count - (ctx.image.topic(t.name)?.partitions.size ?? t.count)), 0);
  if (total > MAX_PARTITIONS_PER_REQUEST) {
    const errorMessage = 'Excessively large number of partitions per request.';
    return result({ throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode: ErrorCode.POLICY_VIOLATION, errorMessage })) });
  }
  const results: CreatePartitionsTopicResult[] = [];
  const records: MetadataRecordValue[] = [];
  const counts = new Map<string, number>();
  for (const t of req.topics) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  for (const t of req.topics) {
    try {
      if (counts.get(t.name)! > 1) fail(ErrorCode.INVALID_REQUEST, 'Duplicate topic name.');
      const topic = ctx.image.topic(t.name);
      if (!topic) fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.');
      const current = topic.partitions.size;
      if (t.count < current) fail(ErrorCode.INVALID_PARTITIONS, `The topic ${t.name} currently has ${current} partition(s); ${t.count} would not be an increase.`);
      if (t.count === current) fail(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partition(s).`);
      if (t.count > MAX_PARTITIONS_PER_TOPIC) fail(ErrorCode.INVALID_PARTITIONS, `${t.count} partitions exceed the limit of ${MAX_PARTITIONS_PER_TOPIC}.`);
      const rf = topic.partitions.get(0)?.replicas.length ?? 1;
      const added = t.count - current;
      let assignments: number[][];
      if (t.assignments !== null) {
        if (t.assignments.length !== added) {
          fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${added} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`);
        }
        t.assignments.forEach((a, i) => validateManualAssignment(ctx.image, current + i, a.brokerIds, rf));
        assignments = t.assignments.map((a) => [...a.brokerIds]);
      } else {
        assignments = placeReplicas(usableBrokers(ctx.image), added, rf, random);
      }
      if (!req.validateOnly) {
        assignments.forEach((replicas, i) =>
          records.push(rec(PARTITION_RECORD_TYPE, newPartitionRecord(ctx.image, topic.topicId, current + i, replicas))),
        );
      }
      results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
    } catch (err) {
      const { code, message } = errorOf(err);
      results.push({ name: t.name, errorCode: code, errorMessage: message });
    }
  }
  return result({ throttleTimeMs: 0, results }, records);
}
