import { CreateTopicsApi } from '../../protocol/messages/index.js';
import type { CreatableTopicResult, CreateTopicsRequest, CreateTopicsResponse } from '../../protocol/messages/create-topics.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { DESCRIBE_CONFIG_SOURCE_CODES } from '../../cluster/config/config-def.js';
import { describeTopicConfig } from '../../cluster/config/topic-config.js';
import type { CreateTopicSpec } from '../../cluster/topic-admin.js';
import { errorOf, register, type Reply } from '../request-context.js';

/** Kafka's controller refuses requests that would create more partitions than this at once (KAFKA-17870). */
export const MAX_PARTITIONS_PER_REQUEST = 10_000;
export const TOO_MANY_PARTITIONS = 'Excessively large number of partitions per request.';

export const createTopicsHandler = register<CreateTopicsRequest, Reply<CreateTopicsResponse>>(CreateTopicsApi, 0, 7, async (req, ctx) => {
  const { topicAdmin } = ctx.services;
  const results: Array<Reply<CreatableTopicResult>> = [];
  const defaultPartitions = ctx.services.config.numPartitions;
  const total = req.topics.reduce((sum, t) => sum + (t.assignments.length > 0 ? t.assignments.length : t.numPartitions === -1 ? defaultPartitions : Math.max(0, t.numPartitions)), 0);
  if (total > MAX_PARTITIONS_PER_REQUEST) {
    return { throttleTimeMs: 0, topics: req.topics.map((t) => ({ name: t.name, errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: TOO_MANY_PARTITIONS, numPartitions: -1, replicationFactor: -1, configs: [] })) };
  }
  const seen = new Set<string>();
  for (const t of req.topics) {
    if (seen.has(t.name)) {
      results.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Create topics request from client contains multiple entries for topic ${t.name}`, numPartitions: -1, replicationFactor: -1, configs: [] });
      continue;
    }
    seen.add(t.name);
    const configs: Record<string, string> = {};
    for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value;
    const spec: CreateTopicSpec = { name: t.name, numPartitions: t.numPartitions, replicationFactor: t.replicationFactor, configs };
    try {
      if (t.assignments.length > 0) {
        // Manual assignments are honoured as given; the controller refuses unknown brokers, duplicates and
        // uneven replica counts (INVALID_REPLICA_ASSIGNMENT).
        if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
          throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Both numPartitions or replicationFactor and replicasAssignments were set. Both cannot be used at the same time.');
        }
        spec.numPartitions = t.assignments.length;
        spec.replicationFactor = t.assignments[0]!.brokerIds.length;
        spec.assignments = new Map(t.assignments.map((a) => [a.partitionIndex, a.brokerIds]));
      }
      // create() validates too (limits, policy): validate separately only when nothing is created.
      const info = req.validateOnly ? null : await topicAdmin.create(spec);
      const resolved = info
        ? { partitions: info.partitions, replicationFactor: spec.replicationFactor === -1 ? ctx.services.config.defaultReplicationFactor : spec.replicationFactor }
        : topicAdmin.validateCreate(spec);
      // v5+ (KIP-525): the configs the topic ends up with, each with its source, as DescribeConfigs shows them.
      const resulting = describeTopicConfig(configs, ctx.services.config).map((e) => ({
        name: e.name,
        value: e.value,
        readOnly: e.readOnly,
        configSource: DESCRIBE_CONFIG_SOURCE_CODES[e.source],
        isSensitive: e.sensitive,
      }));
      results.push({ name: t.name, topicId: info?.topicId, errorCode: ErrorCode.NONE, errorMessage: null, numPartitions: resolved.partitions, replicationFactor: resolved.replicationFactor, configs: resulting });
    } catch (err) {
      const e = errorOf(err);
      results.push({ name: t.name, errorCode: e.errorCode === ErrorCode.UNKNOWN_SERVER_ERROR ? ErrorCode.INVALID_REPLICA_ASSIGNMENT : e.errorCode, errorMessage: e.errorMessage, numPartitions: -1, replicationFactor: -1, configs: [] });
    }
  }
  return { throttleTimeMs: 0, topics: results };
});
