// ApiVersions (API key 18)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const ApiVersionsRequestSchema = message('ApiVersionsRequest', '0-4', '3+', [
  field('clientSoftwareName', 'string', '3+'),
  field('clientSoftwareVersion', 'string', '3+'),
]);

export const ApiVersionsResponseSchema = message('ApiVersionsResponse', '0-4', '3+', [
  field('errorCode', 'int16', '0+'),
  field('apiKeys', '[]', '0+', { of: [
    field('apiKey', 'int16', '0+'),
    field('minVersion', 'int16', '0+'),
    field('maxVersion', 'int16', '0+'),
  ] }),
  field('throttleTimeMs', 'int32', '1+'),
  field('supportedFeatures', '[]', '3+', { tag: 0, tagged: '3+', of: [
    field('name', 'string', '3+'),
    field('minVersion', 'int16', '3+'),
    field('maxVersion', 'int16', '3+'),
  ] }),
  field('finalizedFeaturesEpoch', 'int64', '3+', { tag: 1, tagged: '3+', default: -1 }),
  field('finalizedFeatures', '[]', '3+', { tag: 2, tagged: '3+', of: [
    field('name', 'string', '3+'),
    field('maxVersionLevel', 'int16', '3+'),
    field('minVersionLevel', 'int16', '3+'),
  ] }),
  field('zkMigrationReady', 'bool', '3+', { tag: 3, tagged: '3+', default: false }),
]);

export const ApiVersionsApi = api(18, ApiVersionsRequestSchema, ApiVersionsResponseSchema);

export interface ApiVersionsRequest {
  clientSoftwareName: string;
  clientSoftwareVersion: string;
}

export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: ApiVersion[];
  throttleTimeMs: number;
  supportedFeatures: SupportedFeatureKey[];
  finalizedFeaturesEpoch: number;
  finalizedFeatures: FinalizedFeatureKey[];
  zkMigrationReady: boolean;
}
export interface FinalizedFeatureKey {
  name: string;
  maxVersionLevel: number;
  minVersionLevel: number;
}
export interface SupportedFeatureKey {
  name: string;
  minVersion: number;
  maxVersion: number;
}
export interface ApiVersion {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}
