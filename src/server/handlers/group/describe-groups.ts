/**
 * DescribeGroups v0-5. An unknown group is described as Dead with no error, as Kafka 4.1 answers
 * v0-5 once its coordinator has loaded (test/interop/kafka-error-answers.test.ts).
 * Without an authorizer every operation is allowed, so v3+ report READ, DELETE and DESCRIBE
 * when asked for the authorized operations.
 */
import { DescribeGroupsApi } from '../../../protocol/messages/index.js';
import type { DescribeGroupsRequest, DescribeGroupsResponse } from '../../../protocol/messages/describe-groups.js';
import { ErrorCode } from '../../../protocol/errors.js';
import { register, type Reply } from '../../request-context.js';
import { coordinatorErrorFor, coordinatorOf } from './context.js';

// AclOperation codes: READ = 3, DELETE = 6, DESCRIBE = 8.
const GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);
const OPERATIONS_NOT_REQUESTED = -2147483648;

export const describeGroupsHandler = register<DescribeGroupsRequest, Reply<DescribeGroupsResponse>>(DescribeGroupsApi, 0, 5, (req, ctx) => {
  const coordinator = coordinatorOf(ctx);
  const authorizedOperations = ctx.apiVersion >= 3 && req.includeAuthorizedOperations ? GROUP_OPERATIONS : OPERATIONS_NOT_REQUESTED;
  return {
    throttleTimeMs: 0,
    groups: req.groups.map((groupId) => {
      const notHere = coordinatorErrorFor(ctx, groupId);
      if (notHere !== ErrorCode.NONE) {
        // Kafka's DescribeGroupsResponse.groupError: no state, no members, operations omitted.
        return { errorCode: notHere, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
      }
      const d = coordinator.describeGroup(groupId);
      return {
        errorCode: ErrorCode.NONE,
        groupId: d.groupId,
        groupState: d.state,
        protocolType: d.protocolType,
        protocolData: d.protocolData,
        members: d.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          memberMetadata: m.metadata,
          memberAssignment: m.assignment,
        })),
        authorizedOperations,
      };
    }),
  };
});
