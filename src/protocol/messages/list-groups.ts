// ListGroups (API key 16)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const ListGroupsRequestSchema = message('ListGroupsRequest', '0-5', '3+', [
  field('statesFilter', '[]string', '4+'),
  field('typesFilter', '[]string', '5+'),
]);

export const ListGroupsResponseSchema = message('ListGroupsResponse', '0-5', '3+', [
  field('throttleTimeMs', 'int32', '1+'),
  field('errorCode', 'int16', '0+'),
  field('groups', '[]', '0+', { of: [
    field('groupId', 'string', '0+'),
    field('protocolType', 'string', '0+'),
    field('groupState', 'string', '4+'),
    field('groupType', 'string', '5+'),
  ] }),
]);

export const ListGroupsApi = api(16, ListGroupsRequestSchema, ListGroupsResponseSchema);

export interface ListGroupsRequest {
  statesFilter: string[];
  typesFilter: string[];
}

export interface ListGroupsResponse {
  throttleTimeMs: number;
  errorCode: number;
  groups: ListedGroup[];
}
export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}
