// WriteTxnMarkers (API key 27)
// Declared from Apache Kafka's message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.
import { api, field, message } from '../schema/dsl.js';

export const WriteTxnMarkersRequestSchema = message('WriteTxnMarkersRequest', '0-1', '1+', [
  field('markers', '[]', '0+', { of: [
    field('producerId', 'int64', '0+'),
    field('producerEpoch', 'int16', '0+'),
    field('transactionResult', 'bool', '0+'),
    field('topics', '[]', '0+', { of: [
      field('name', 'string', '0+'),
      field('partitionIndexes', '[]int32', '0+'),
    ] }),
    field('coordinatorEpoch', 'int32', '0+'),
  ] }),
]);

export const WriteTxnMarkersResponseSchema = message('WriteTxnMarkersResponse', '0-1', '1+', [
  field('markers', '[]', '0+', { of: [
    field('producerId', 'int64', '0+'),
    field('topics', '[]', '0+', { of: [
      field('name', 'string', '0+'),
      field('partitions', '[]', '0+', { of: [
        field('partitionIndex', 'int32', '0+'),
        field('errorCode', 'int16', '0+'),
      ] }),
    ] }),
  ] }),
]);

export const WriteTxnMarkersApi = api(27, WriteTxnMarkersRequestSchema, WriteTxnMarkersResponseSchema);

export interface WriteTxnMarkersRequest {
  markers: WritableTxnMarker[];
}
export interface WritableTxnMarker {
  producerId: number;
  producerEpoch: number;
  transactionResult: boolean;
  topics: WritableTxnMarkerTopic[];
  coordinatorEpoch: number;
}
export interface WritableTxnMarkerTopic {
  name: string;
  partitionIndexes: number[];
}

export interface WriteTxnMarkersResponse {
  markers: WritableTxnMarkerResult[];
}
export interface WritableTxnMarkerResult {
  producerId: number;
  topics: WritableTxnMarkerTopicResult[];
}
export interface WritableTxnMarkerTopicResult {
  name: string;
  partitions: WritableTxnMarkerPartitionResult[];
}
export interface WritableTxnMarkerPartitionResult {
  partitionIndex: number;
  errorCode: number;
}
