/**
 * What the group handlers take from the request context: the coordinator, and the client's
 * identity as Kafka reports it in DescribeGroups.
 */
import type { GroupCoordinator } from '../../../cluster/group/group-coordinator.js';
import type { RequestContext } from '../../request-context.js';

export function coordinatorOf(ctx: RequestContext): GroupCoordinator {
  return ctx.services.groups;
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
