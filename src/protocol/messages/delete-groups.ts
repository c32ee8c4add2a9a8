// DeleteGroups (API key 42)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const DeleteGroupsRequestSchema = message('DeleteGroupsRequest', '0-2', '2+', [
  field('groupsNames', '[]string', '0+'),
]);

export const DeleteGroupsResponseSchema = message('DeleteGroupsResponse', '0-2', '2+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('results', '[]', '0+', { of: [
    field('groupId', 'string', '0+'),
    field('errorCode', 'int16', '0+'),
  ] }),
]);

export const DeleteGroupsApi = api(42, DeleteGroupsRequestSchema, DeleteGroupsResponseSchema);

export interface DeleteGroupsRequest {
  groupsNames: string[];
}

export interface DeleteGroupsResponse {
  throttleTimeMs: number;
  results: DeletableGroupResult[];
}
export interface DeletableGroupResult {
  groupId: string;
  errorCode: number;
}
