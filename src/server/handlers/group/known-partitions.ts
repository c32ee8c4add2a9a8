/** Whether a topic partition exists on this broker (group APIs answer UNKNOWN_TOPIC_OR_PARTITION otherwise). */
import type { RequestContext } from '../../request-context.js';

export function partitionExists(ctx: RequestContext, topic: string, partition: number): boolean {
  const info = ctx.services.topics.get(topic);
  return info !== undefined && Number.isInteger(partition) && partition >= 0 && partition < info.partitions;
}
