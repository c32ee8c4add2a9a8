import { AlterConfigsApi } from '../../protocol/messages/index.js';
import type { AlterConfigsRequest, AlterConfigsResourceResponse, AlterConfigsResponse } from '../../protocol/messages/alter-configs.js';
import { ErrorCode } from '../../protocol/errors.js';
import { errorOf, register, type Reply } from '../request-context.js';
import { refuseNonTopicResource, ResourceType } from './config-resources.js';

/**
 * AlterConfigs (KIP-133): each TOPIC resource's overrides become exactly the listed configs (those
 * not listed go back to the broker default). Validated as a whole per resource; `validateOnly`
 * changes nothing. BROKER resources are refused (no dynamic broker configs).
 */
export const alterConfigsHandler = register<AlterConfigsRequest, Reply<AlterConfigsResponse>>(AlterConfigsApi, 0, 2, async (req, ctx) => {
  const responses: Array<Reply<AlterConfigsResourceResponse>> = [];
  for (const r of req.resources) {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    try {
      if (r.resourceType === ResourceType.TOPIC) {
        await ctx.services.topicConfigs.replace(r.resourceName, r.configs, req.validateOnly);
      } else {
        refuseNonTopicResource(r.resourceType, r.resourceName, r.configs.map((c) => c.name), ctx);
      }
      responses.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null });
    } catch (err) {
      responses.push({ ...base, ...errorOf(err) });
    }
  }
  return { throttleTimeMs: 0, responses };
});
