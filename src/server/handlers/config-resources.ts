/**
 * What AlterConfigs and IncrementalAlterConfigs share: resource types, and the answer for the
 * resources Tributary does not alter (dynamic broker configs, broker loggers, client metrics, groups).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { errorOf, type RequestContext } from '../request-context.js';

/** ConfigResource.Type ids. */
export const ResourceType = { TOPIC: 2, GROUP: 32, BROKER: 4, BROKER_LOGGER: 8, CLIENT_METRICS: 16 } as const;

/**
 * Checks a non-topic resource. Dynamic broker configs (KIP-226) are not supported: broker properties
 * come from server.properties / overrides at start-up, so a change to one is refused with
 * INVALID_REQUEST (Kafka's answer for a broker config it cannot update dynamically). An empty
 * change list alters nothing and succeeds, as in Kafka.
 */
export function refuseNonTopicResource(resourceType: number, resourceName: string, configNames: readonly string[], ctx: RequestContext): void {
  if (resourceType === ResourceType.BROKER || resourceType === ResourceType.BROKER_LOGGER) {
    const nodeId = String(ctx.services.identity.nodeId);
    if (resourceName !== '' && resourceName !== nodeId) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unexpected broker id, expected ${nodeId} or empty string, but received ${resourceName}`);
    }
    if (configNames.length === 0) return;
    if (resourceType === ResourceType.BROKER_LOGGER) {
      throw new KafkaError(ErrorCode.INVALID_REQUEST, 'Tributary does not support changing broker log levels at run time; set log.level or log.level.components (or TRIBUTARY_LOG_LEVEL) and restart the broker.');
    }
    throw new KafkaError(
      ErrorCode.INVALID_REQUEST,
      `Cannot update these configs dynamically: ${configNames.join(',')}. Tributary does not support dynamic broker configs: set them in server.properties (or --override) and restart the broker. Topic configs (resource type TOPIC) can be altered.`,
    );
  }
  throw new KafkaError(ErrorCode.INVALID_REQUEST, `Altering configs of resource type ${resourceType} is not supported: Tributary alters TOPIC (2) configs; BROKER (4) configs are static.`);
}

interface ConfigResource {
  resourceType: number;
  resourceName: string;
  configs: ReadonlyArray<{ name: string }>;
}

/** One answer per resource: `alterTopic` for TOPIC resources, refuseNonTopicResource for the rest. */
export async function alterEachResource<R extends ConfigResource>(
  resources: readonly R[],
  ctx: RequestContext,
  alterTopic: (r: R) => Promise<unknown>,
): Promise<Array<{ resourceType: number; resourceName: string; errorCode: number; errorMessage: string | null }>> {
  const responses = [];
  for (const r of resources) {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    try {
      if (r.resourceType === ResourceType.TOPIC) await alterTopic(r);
      else refuseNonTopicResource(r.resourceType, r.resourceName, r.configs.map((c) => c.name), ctx);
      responses.push({ ...base, errorCode: ErrorCode.NONE as number, errorMessage: null });
    } catch (err) {
      responses.push({ ...base, ...errorOf(err) });
    }
  }
  return responses;
}
