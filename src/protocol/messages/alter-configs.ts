// AlterConfigs (API key 33)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const AlterConfigsRequestSchema = message('AlterConfigsRequest', '0-2', '2+', [
  field('resources', '[]', '0+', { of: [
    field('resourceType', 'int8', '0+'),
    field('resourceName', 'string', '0+'),
    field('configs', '[]', '0+', { of: [
      field('name', 'string', '0+'),
      field('value', 'string', '0+', { nullable: '0+' }),
    ] }),
  ] }),
  field('validateOnly', 'bool', '0+'),
]);

export const AlterConfigsResponseSchema = message('AlterConfigsResponse', '0-2', '2+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('responses', '[]', '0+', { of: [
    field('errorCode', 'int16', '0+'),
    field('errorMessage', 'string', '0+', { nullable: '0+' }),
    field('resourceType', 'int8', '0+'),
    field('resourceName', 'string', '0+'),
  ] }),
]);

export const AlterConfigsApi = api(33, AlterConfigsRequestSchema, AlterConfigsResponseSchema);

export interface AlterConfigsRequest {
  resources: AlterConfigsResource[];
  validateOnly: boolean;
}
export interface AlterConfigsResource {
  resourceType: number;
  resourceName: string;
  configs: AlterableConfig[];
}
export interface AlterableConfig {
  name: string;
  value: string | null;
}

export interface AlterConfigsResponse {
  throttleTimeMs: number;
  responses: AlterConfigsResourceResponse[];
}
export interface AlterConfigsResourceResponse {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
}
