// LeaveGroup (API key 13)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const LeaveGroupRequestSchema = message('LeaveGroupRequest', '0-5', '4+', [
  field('groupId', 'string', '0+'),
  field('memberId', 'string', '0-2'),
  field('members', '[]', '3+', { of: [
    field('memberId', 'string', '3+'),
    field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    field('reason', 'string', '5+', { nullable: '5+', default: null }),
  ] }),
]);

export const LeaveGroupResponseSchema = message('LeaveGroupResponse', '0-5', '4+', [
  field('throttleTimeMs', 'int32', '1+'),
  field('errorCode', 'int16', '0+'),
  field('members', '[]', '3+', { of: [
    field('memberId', 'string', '3+'),
    field('groupInstanceId', 'string', '3+', { nullable: '3+' }),
    field('errorCode', 'int16', '3+'),
  ] }),
]);

export const LeaveGroupApi = api(13, LeaveGroupRequestSchema, LeaveGroupResponseSchema);

export interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
  members: MemberIdentity[];
}
export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  members: MemberResponse[];
}
export interface MemberResponse {
  memberId: string;
  groupInstanceId: string | null;
  errorCode: number;
}
