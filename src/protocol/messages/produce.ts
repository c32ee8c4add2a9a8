// Produce (API key 0)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';
import type { Records } from '../schema/records.js';

export const ProduceRequestSchema = message('ProduceRequest', '0-11', '9+', [
  field('transactionalId', 'string', '3+', { nullable: '3+', default: null }),
  field('acks', 'int16', '0+'),
  field('timeoutMs', 'int32', '0+'),
  field('topicData', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitionData', '[]', '0+', { of: [
      field('index', 'int32', '0+'),
      field('records', 'records', '0+', { nullable: '0+' }),
    ] }),
  ] }),
]);

export const ProduceResponseSchema = message('ProduceResponse', '0-11', '9+', [
  field('responses', '[]', '0+', { of: [
    field('name', 'string', '0+'),
    field('partitionResponses', '[]', '0+', { of: [
      field('index', 'int32', '0+'),
      field('errorCode', 'int16', '0+'),
      field('baseOffset', 'int64', '0+'),
      field('logAppendTimeMs', 'int64', '2+', { default: -1 }),
      field('logStartOffset', 'int64', '5+', { default: -1 }),
      field('recordErrors', '[]', '8+', { of: [
        field('batchIndex', 'int32', '8+'),
        field('batchIndexErrorMessage', 'string', '8+', { nullable: '8+', default: null }),
      ] }),
      field('errorMessage', 'string', '8+', { nullable: '8+', default: null }),
      field('currentLeader', '{}', '10+', { tag: 0, tagged: '10+', of: [
        field('leaderId', 'int32', '10+', { default: -1 }),
        field('leaderEpoch', 'int32', '10+', { default: -1 }),
      ] }),
    ] }),
  ] }),
  field('throttleTimeMs', 'int32', '1+', { default: 0 }),
  field('nodeEndpoints', '[]', '10+', { tag: 0, tagged: '10+', of: [
    field('nodeId', 'int32', '10+'),
    field('host', 'string', '10+'),
    field('port', 'int32', '10+'),
    field('rack', 'string', '10+', { nullable: '10+', default: null }),
  ] }),
]);

export const ProduceApi = api(0, ProduceRequestSchema, ProduceResponseSchema);

export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: TopicProduceData[];
}
export interface TopicProduceData {
  name: string;
  partitionData: PartitionProduceData[];
}
export interface PartitionProduceData {
  index: number;
  records: Records | null;
}

export interface ProduceResponse {
  responses: TopicProduceResponse[];
  throttleTimeMs: number;
  nodeEndpoints: NodeEndpoint[];
}
export interface NodeEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}
export interface TopicProduceResponse {
  name: string;
  partitionResponses: PartitionProduceResponse[];
}
export interface PartitionProduceResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: BatchIndexAndErrorMessage[];
  errorMessage: string | null;
  currentLeader: LeaderIdAndEpoch;
}
export interface LeaderIdAndEpoch {
  leaderId: number;
  leaderEpoch: number;
}
export interface BatchIndexAndErrorMessage {
  batchIndex: number;
  batchIndexErrorMessage: string | null;
}
