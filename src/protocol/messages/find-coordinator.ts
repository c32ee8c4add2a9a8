// FindCoordinator (API key 10)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const FindCoordinatorRequestSchema = message('FindCoordinatorRequest', '0-6', '3+', [
  field('key', 'string', '0-3'),
  field('keyType', 'int8', '1+', { default: 0 }),
  field('coordinatorKeys', '[]string', '4+'),
]);

export const FindCoordinatorResponseSchema = message('FindCoordinatorResponse', '0-6', '3+', [
  field('throttleTimeMs', 'int32', '1+'),
  field('errorCode', 'int16', '0-3'),
  field('errorMessage', 'string', '1-3', { nullable: '1-3' }),
  field('nodeId', 'int32', '0-3'),
  field('host', 'string', '0-3'),
  field('port', 'int32', '0-3'),
  field('coordinators', '[]', '4+', { of: [
    field('key', 'string', '4+'),
    field('nodeId', 'int32', '4+'),
    field('host', 'string', '4+'),
    field('port', 'int32', '4+'),
    field('errorCode', 'int16', '4+'),
    field('errorMessage', 'string', '4+', { nullable: '4+' }),
  ] }),
]);

export const FindCoordinatorApi = api(10, FindCoordinatorRequestSchema, FindCoordinatorResponseSchema);

export interface FindCoordinatorRequest {
  key: string;
  keyType: number;
  coordinatorKeys: string[];
}

export interface FindCoordinatorResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
  coordinators: Coordinator[];
}
export interface Coordinator {
  key: string;
  nodeId: number;
  host: string;
  port: number;
  errorCode: number;
  errorMessage: string | null;
}
