import { CreatePartitionsApi } from '../../protocol/messages/index.js';
import type { CreatePartitionsRequest, CreatePartitionsResponse, CreatePartitionsTopicResult } from '../../protocol/messages/create-partitions.js';
import { ErrorCode } from '../../protocol/errors.js';
import { errorOf, register, type Reply } from '../request-context.js';
import { MAX_PARTITIONS_PER_REQUEST, TOO_MANY_PARTITIONS } from './create-topics.js';

export const createPartitionsHandler = register<CreatePartitionsRequest, Reply<CreatePartitionsResponse>>(CreatePartitionsApi, 0, 3, async (req, ctx) => {
  const { topicAdmin } = ctx.services;
  const results: Array<Reply<CreatePartitionsTopicResult>> = [];
  const added = req.topics.reduce((sum, t) => sum + Math.max(0, t.count - (ctx.services.topics.get(t.name)?.partitions ?? 0)), 0);
  if (added > MAX_PARTITIONS_PER_REQUEST) {
    return { throttleTimeMs: 0, results: req.topics.map((t) => ({ name: t.name, errorCode: ErrorCode.POLICY_VIOLATION, errorMessage: TOO_MANY_PARTITIONS })) };
  }
  for (const t of req.topics) {
    try {
      // Replicas of the new partitions, when given, are honoured as given (the controller checks the brokers).
      const assignments = t.assignments?.map((a) => a.brokerIds);
      if (req.validateOnly) topicAdmin.validateAddPartitions(t.name, t.count, assignments);
      else await topicAdmin.addPartitions(t.name, t.count, assignments);
      results.push({ name: t.name, errorCode: ErrorCode.NONE, errorMessage: null });
    } catch (err) {
      results.push({ name: t.name, ...errorOf(err) });
    }
  }
  return { throttleTimeMs: 0, results };
});
