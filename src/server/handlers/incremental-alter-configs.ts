import { IncrementalAlterConfigsApi } from '../../protocol/messages/index.js';
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../../protocol/messages/incremental-alter-configs.js';
import { register, type Reply } from '../request-context.js';
import { alterEachResource } from './config-resources.js';

/**
 * IncrementalAlterConfigs (KIP-339): SET / DELETE / APPEND / SUBTRACT on a TOPIC's overrides,
 * validated per resource (all of a resource's operations apply or none do); `validateOnly`
 * changes nothing. BROKER resources are refused (no dynamic broker configs).
 */
export const incrementalAlterConfigsHandler = register<IncrementalAlterConfigsRequest, Reply<IncrementalAlterConfigsResponse>>(
  IncrementalAlterConfigsApi,
  0,
  1,
  async (req, ctx) => ({
    throttleTimeMs: 0,
    responses: await alterEachResource(req.resources, ctx, (r) =>
      ctx.services.topicConfigs.incremental(
        r.resourceName,
        r.configs.map((c) => ({ name: c.name, operation: c.configOperation, value: c.value })),
        req.validateOnly,
      ),
    ),
  }),
);
