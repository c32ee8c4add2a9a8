import { AlterConfigsApi } from '../../protocol/messages/index.js';
import type { AlterConfigsRequest, AlterConfigsResponse } from '../../protocol/messages/alter-configs.js';
import { register, type Reply } from '../request-context.js';
import { alterEachResource } from './config-resources.js';

/**
 * AlterConfigs (KIP-133): each TOPIC resource's overrides become exactly the listed configs (those
 * not listed go back to the broker default). Validated as a whole per resource; `validateOnly`
 * changes nothing. BROKER resources are refused (no dynamic broker configs).
 */
export const alterConfigsHandler = register<AlterConfigsRequest, Reply<AlterConfigsResponse>>(AlterConfigsApi, 0, 2, async (req, ctx) => ({
  throttleTimeMs: 0,
  responses: await alterEachResource(req.resources, ctx, (r) => ctx.services.topicConfigs.replace(r.resourceName, r.configs, req.validateOnly)),
}));
