/**
 * ListGroups v0-5 (v4+ filter by state, v5+ by type; both case-insensitive, as Kafka): the groups
 * this broker coordinates. While a partition led here is still loading, the answer carries
 * COORDINATOR_LOAD_IN_PROGRESS with the groups listed so far (Kafka's handleListGroups).
 */
import { ListGroupsApi } from '../../../protocol/messages/index.js';
import type { ListGroupsRequest, ListGroupsResponse } from '../../../protocol/messages/list-groups.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { register, type Reply } from '../../request-context.js';
import { coordinatorOf } from './context.js';

export const listGroupsHandler = register<ListGroupsRequest, Reply<ListGroupsResponse>>(ListGroupsApi, 0, 5, (req, ctx) => {
  const v = ctx.apiVersion;
  const { groupLog } = ctx.services;
  // Groups of a partition that just stopped being led here are gone from the list before they are unloaded.
  const groups = coordinatorOf(ctx)
    .listGroups(v >= 4 ? req.statesFilter : [], v >= 5 ? req.typesFilter : [])
    .filter((g) => groupLog.isLocalCoordinator(g.groupId));
  return {
    throttleTimeMs: 0,
    errorCode: groupLog.isAnyLoading() ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE,
    groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.groupType })),
  };
});
