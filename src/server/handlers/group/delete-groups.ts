/** DeleteGroups v0-2: only groups without members (NON_EMPTY_GROUP otherwise), with their offsets. */
import { DeleteGroupsApi } from '../../../protocol/messages/index.js';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../../../protocol/messages/delete-groups.js';
import { register, type Reply } from '../../request-context.js';
import { coordinatorOf } from './context.js';

export const deleteGroupsHandler = register<DeleteGroupsRequest, Reply<DeleteGroupsResponse>>(DeleteGroupsApi, 0, 2, (req, ctx) => {
  return { throttleTimeMs: 0, results: coordinatorOf(ctx).deleteGroups(req.groupsNames) };
});
