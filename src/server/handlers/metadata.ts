import { MetadataApi } from '../../protocol/messages/index.js';
import type { MetadataRequest, MetadataResponse, MetadataResponseTopic } from '../../protocol/messages/metadata.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/schema/uuid.js';
import type { TopicInfo } from '../../cluster/topic-store.js';
import { isInternalTopic } from '../../cluster/internal-topics.js';
import { errorOf, register, type Reply, type RequestContext } from '../request-context.js';

function describeTopic(info: TopicInfo, ctx: RequestContext): Reply<MetadataResponseTopic> {
  const { cluster } = ctx.services;
  const partitions = [];
  for (let p = 0; p < info.partitions; p++) {
    const view = cluster.partition(info.name, p);
    // A partition without a leader: LEADER_NOT_AVAILABLE, the error clients retry on (Kafka answers it too).
    const leaderless = !view || view.leaderId === -1;
    partitions.push({
      errorCode: leaderless ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
      partitionIndex: p,
      leaderId: view?.leaderId ?? -1,
      leaderEpoch: view?.leaderEpoch ?? -1,
      replicaNodes: [...(view?.replicas ?? [])],
      isrNodes: [...(view?.isr ?? [])],
      offlineReplicas: [...(view?.offlineReplicas ?? [])],
    });
  }
  return { errorCode: ErrorCode.NONE, name: info.name, topicId: info.topicId, isInternal: isInternalTopic(info.name), partitions, topicAuthorizedOperations: -2147483648 };
}

/**
 * v0: an empty topic list means all topics; v1+: null means all, empty means none (COMPAT.md T7).
 * Unknown topics are auto-created when both the client and the broker allow it.
 */
export const metadataHandler = register<MetadataRequest, Reply<MetadataResponse>>(MetadataApi, 0, 12, async (req, ctx) => {
  const { identity, topics, topicAdmin, cluster } = ctx.services;
  const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
  const results: Array<Reply<MetadataResponseTopic>> = [];
  // v10-11 carry a topic id and a nullable name, but lookups by id start at v12: Kafka refuses a null
  // name or a non-zero id there with InvalidRequestException, answered as the request's error
  // response (every topic INVALID_REQUEST, a null name sent back as "").
  const refused = !all && ctx.apiVersion < 12 && (req.topics ?? []).some((t) => t.name === null || (t.topicId !== undefined && t.topicId !== ZERO_UUID));
  if (refused) {
    for (const t of req.topics ?? []) {
      results.push({ errorCode: ErrorCode.INVALID_REQUEST, name: t.name ?? '', topicId: t.topicId ?? ZERO_UUID, isInternal: false, partitions: [] });
    }
  } else if (all) {
    for (const t of topics.list()) if (!topicAdmin.isCreating(t.name)) results.push(describeTopic(t, ctx));
  } else {
    for (const requested of req.topics ?? []) {
      // v12+: a null name means "by topic id"; the zero id names no topic (Kafka's UNKNOWN_TOPIC_ID).
      const byId = requested.name === null;
      try {
        const info = byId ? topics.getById(requested.topicId) : await topicAdmin.getOrAutoCreate(requested.name!, req.allowAutoTopicCreation);
        if (!info) {
          results.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: requested.topicId, partitions: [] });
          continue;
        }
        results.push(describeTopic(info, ctx));
      } catch (err) {
        results.push({ errorCode: errorOf(err).errorCode, name: requested.name, topicId: ZERO_UUID, partitions: [] });
      }
    }
  }
  return {
    throttleTimeMs: 0,
    brokers: cluster.brokers().map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
    clusterId: identity.clusterId,
    controllerId: cluster.controllerId(),
    topics: results,
    clusterAuthorizedOperations: -2147483648,
  };
});
