import { IncrementalAlterConfigsApi } from '../../protocol/messages/index.js';
import type { AlterConfigsResourceResponse, IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../../protocol/messages/incremental-alter-configs.js';
import { ErrorCode } from '../../protocol/errors.js';
import { errorOf, register, type Reply } from '../request-context.js';
import { refuseNonTopicResource, ResourceType } from './config-resources.js';

/**
 * IncrementalAlterConfigs (KIP-339): SET / DELETE / APPEND / SUBTRACT on a TOPIC's overrides,
 * validated per resource (all of a resource's operations apply or none do); `validateOnly`
 * changes nothing. BROKER resources are refused (no dynamic broker configs).
 */
export const incrementalAlterConfigsHandler = register<IncrementalAlterConfigsRequest, Reply<IncrementalAlterConfigsResponse>>(
  IncrementalAlterConfigsApi,
  0,
  1,
  async (req, ctx) => {
    const responses: Array<Reply<AlterConfigsResourceResponse>> = [];
    for (const r of req.resources) {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      try {
        if (r.resourceType === ResourceType.TOPIC) {
          const changes = r.configs.map((c) => ({ name: c.name, operation: c.configOperation, value: c.value }));
          await ctx.services.topicConfigs.incremental(r.resourceName, changes, req.validateOnly);
        } else {
          refuseNonTopicResource(r.resourceType, r.resourceName, r.configs.map((c) => c.name), ctx);
        }
        responses.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null });
      } catch (err) {
        responses.push({ ...base, ...errorOf(err) });
      }
    }
    return { throttleTimeMs: 0, responses };
  },
);
