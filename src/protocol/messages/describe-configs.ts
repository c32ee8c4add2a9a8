// DescribeConfigs (API key 32)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const DescribeConfigsRequestSchema = message('DescribeConfigsRequest', '0-4', '4+', [
  field('resources', '[]', '0+', { of: [
    field('resourceType', 'int8', '0+'),
    field('resourceName', 'string', '0+'),
    field('configurationKeys', '[]string', '0+', { nullable: '0+' }),
  ] }),
  field('includeSynonyms', 'bool', '1+', { default: false }),
  field('includeDocumentation', 'bool', '3+', { default: false }),
]);

export const DescribeConfigsResponseSchema = message('DescribeConfigsResponse', '0-4', '4+', [
  field('throttleTimeMs', 'int32', '0+'),
  field('results', '[]', '0+', { of: [
    field('errorCode', 'int16', '0+'),
    field('errorMessage', 'string', '0+', { nullable: '0+' }),
    field('resourceType', 'int8', '0+'),
    field('resourceName', 'string', '0+'),
    field('configs', '[]', '0+', { of: [
      field('name', 'string', '0+'),
      field('value', 'string', '0+', { nullable: '0+' }),
      field('readOnly', 'bool', '0+'),
      field('isDefault', 'bool', '0'),
      field('configSource', 'int8', '1+', { default: -1 }),
      field('isSensitive', 'bool', '0+'),
      field('synonyms', '[]', '1+', { of: [
        field('name', 'string', '1+'),
        field('value', 'string', '1+', { nullable: '0+' }),
        field('source', 'int8', '1+'),
      ] }),
      field('configType', 'int8', '3+', { default: 0 }),
      field('documentation', 'string', '3+', { nullable: '0+' }),
    ] }),
  ] }),
]);

export const DescribeConfigsApi = api(32, DescribeConfigsRequestSchema, DescribeConfigsResponseSchema);

export interface DescribeConfigsRequest {
  resources: DescribeConfigsResource[];
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}
export interface DescribeConfigsResource {
  resourceType: number;
  resourceName: string;
  configurationKeys: string[] | null;
}

export interface DescribeConfigsResponse {
  throttleTimeMs: number;
  results: DescribeConfigsResult[];
}
export interface DescribeConfigsResult {
  errorCode: number;
  errorMessage: string | null;
  resourceType: number;
  resourceName: string;
  configs: DescribeConfigsResourceResult[];
}
export interface DescribeConfigsResourceResult {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: DescribeConfigsSynonym[];
  configType: number;
  documentation: string | null;
}
export interface DescribeConfigsSynonym {
  name: string;
  value: string | null;
  source: number;
}
