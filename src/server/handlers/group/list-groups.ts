/** ListGroups v0-5 (v4+ filter by state, v5+ by type; both case-insensitive, as Kafka). */
import { ListGroupsApi } from '../../../protocol/messages/index.js';
import type { ListGroupsRequest, ListGroupsResponse } from '../../../protocol/messages/list-groups.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { register, type Reply } from '../../request-context.js';
import { coordinatorOf } from './context.js';

export const listGroupsHandler = register<ListGroupsRequest, Reply<ListGroupsResponse>>(ListGroupsApi, 0, 5, (req, ctx) => {
  const v = ctx.apiVersion;
  const groups = coordinatorOf(ctx).listGroups(v >= 4 ? req.statesFilter : [], v >= 5 ? req.typesFilter : []);
  return {
    throttleTimeMs: 0,
    errorCode: ErrorCode.NONE,
    groups: groups.map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.groupType })),
  };
});
