/**
 * What the group handlers take from the request context: the coordinator, whether this broker
 * coordinates a group, and the client's identity as Kafka reports it in DescribeGroups.
 */
import type { GroupCoordinator } from '../../../cluster/group/group-coordinator.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { RequestContext } from '../../request-context.js';

export function coordinatorOf(ctx: RequestContext): GroupCoordinator {
  return ctx.services.groups;
}

/**
 * Kafka's validateGroupStatus, for every group API but FindCoordinator and ListGroups:
 * INVALID_GROUP_ID for an empty id where the API needs one (`emptyIdInvalid`: the membership APIs
 * and OffsetDelete; the offset and admin APIs accept ""), COORDINATOR_LOAD_IN_PROGRESS while the
 * group's `__consumer_offsets` partition is led here but its groups are still being read back,
 * NOT_COORDINATOR when this broker does not lead it, else NONE.
 */
export function coordinatorErrorFor(ctx: RequestContext, groupId: string, opts: { emptyIdInvalid?: boolean } = {}): ErrorCode {
  if (opts.emptyIdInvalid && groupId.length === 0) return ErrorCode.INVALID_GROUP_ID;
  const { groupLog } = ctx.services;
  if (groupLog.isLoading(groupId)) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
  if (!groupLog.isLocalCoordinator(groupId)) return ErrorCode.NOT_COORDINATOR;
  return ErrorCode.NONE;
}

/** Kafka prints the client address as Java's InetAddress does: "/127.0.0.1" (no port). */
export function clientHostOf(ctx: RequestContext): string {
  let host = ctx.remoteAddress;
  const colon = host.lastIndexOf(':');
  if (colon > 0) host = host.slice(0, colon);
  if (host.startsWith('::ffff:') && host.includes('.')) host = host.slice('::ffff:'.length);
  return `/${host}`;
}

export function clientIdOf(ctx: RequestContext): string {
  return ctx.header.clientId ?? '';
}
