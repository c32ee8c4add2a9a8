// DescribeGroups (API key 15)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const DescribeGroupsRequestSchema = message('DescribeGroupsRequest', '0-5', '5+', [
  field('groups', '[]string', '0+'),
  field('includeAuthorizedOperations', 'bool', '3+'),
]);

export const DescribeGroupsResponseSchema = message('DescribeGroupsResponse', '0-5', '5+', [
  field('throttleTimeMs', 'int32', '1+'),
  field('groups', '[]', '0+', { of: [
    field('errorCode', 'int16', '0+'),
    field('groupId', 'string', '0+'),
    field('groupState', 'string', '0+'),
    field('protocolType', 'string', '0+'),
    field('protocolData', 'string', '0+'),
    field('members', '[]', '0+', { of: [
      field('memberId', 'string', '0+'),
      field('groupInstanceId', 'string', '4+', { nullable: '4+', default: null }),
      field('clientId', 'string', '0+'),
      field('clientHost', 'string', '0+'),
      field('memberMetadata', 'bytes', '0+'),
      field('memberAssignment', 'bytes', '0+'),
    ] }),
    field('authorizedOperations', 'int32', '3+', { default: -2147483648 }),
  ] }),
]);

export const DescribeGroupsApi = api(15, DescribeGroupsRequestSchema, DescribeGroupsResponseSchema);

export interface DescribeGroupsRequest {
  groups: string[];
  includeAuthorizedOperations: boolean;
}

export interface DescribeGroupsResponse {
  throttleTimeMs: number;
  groups: DescribedGroup[];
}
export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: DescribedGroupMember[];
  authorizedOperations: number;
}
export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  memberMetadata: Buffer;
  memberAssignment: Buffer;
}
