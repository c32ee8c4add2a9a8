import { DeleteTopicsApi } from '../../protocol/messages/index.js';
import type { DeletableTopicResult, DeleteTopicsRequest, DeleteTopicsResponse } from '../../protocol/messages/delete-topics.js';
import { ErrorCode } from '../../protocol/errors.js';
import { ZERO_UUID } from '../../protocol/schema/uuid.js';
import { errorOf, register, type Reply } from '../request-context.js';

/** v0-5 name topics in `topicNames`; v6 names them or gives their ids in `topics`. */
export const deleteTopicsHandler = register<DeleteTopicsRequest, Reply<DeleteTopicsResponse>>(DeleteTopicsApi, 0, 6, async (req, ctx) => {
  const { topics, topicAdmin } = ctx.services;
  const targets = ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
  const responses: Array<Reply<DeletableTopicResult>> = [];
  for (const target of targets) {
    const byId = target.name === null;
    const name = byId ? topics.getById(target.topicId)?.name : target.name;
    if (name === undefined || name === null) {
      responses.push({ name: null, topicId: target.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: 'This server does not host this topic ID.' });
      continue;
    }
    try {
      const info = await topicAdmin.delete(name);
      responses.push({ name, topicId: info.topicId, errorCode: ErrorCode.NONE, errorMessage: null });
    } catch (err) {
      responses.push({ name, topicId: target.topicId, ...errorOf(err) });
    }
  }
  return { throttleTimeMs: 0, responses };
});
