/** DeleteGroups v0-2: only groups without members (NON_EMPTY_GROUP otherwise), with their offsets. */
import { DeleteGroupsApi } from '../../../protocol/messages/index.js';
import type { DeleteGroupsRequest, DeleteGroupsResponse } from '../../../protocol/messages/delete-groups.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { register, type Reply } from '../../request-context.js';
import { coordinatorErrorFor, coordinatorOf } from './context.js';

export const deleteGroupsHandler = register<DeleteGroupsRequest, Reply<DeleteGroupsResponse>>(DeleteGroupsApi, 0, 2, (req, ctx) => {
  // Each group answers for itself: those coordinated elsewhere (or loading) get that error.
  const errors = new Map(req.groupsNames.map((groupId) => [groupId, coordinatorErrorFor(ctx, groupId)]));
  const deleted = new Map(coordinatorOf(ctx).deleteGroups(req.groupsNames.filter((groupId) => errors.get(groupId) === ErrorCode.NONE)).map((r) => [r.groupId, r.errorCode]));
  return { throttleTimeMs: 0, results: req.groupsNames.map((groupId) => ({ groupId, errorCode: deleted.get(groupId) ?? errors.get(groupId)! })) };
});
