import { encodeRecord } from '../../../src/cluster/metadata/record-serde.js';
import {
  CONFIG_RECORD_TYPE,
  PARTITION_CHANGE_RECORD_TYPE,
  PARTITION_RECORD_TYPE,
  REGISTER_BROKER_RECORD_TYPE,
  TOPIC_RECORD_TYPE,
} from '../../../src/cluster/metadata/records/index.js';

export const T1 = 'AAAAAAAAAAAAAAAAAAAAAQ';
export const T2 = 'AAAAAAAAAAAAAAAAAAAAAg';
export const INC = 'q0mBbGXtTVuw7wI1ksnPvA';

export function registerBroker(brokerId: number, brokerEpoch: number, fenced = true): Buffer {
  return encodeRecord(REGISTER_BROKER_RECORD_TYPE, {
    brokerId,
    incarnationId: INC,
    brokerEpoch,
    endPoints: [{ name: 'PLAINTEXT', host: `b${brokerId}`, port: 9092, securityProtocol: 0 }],
    features: [],
    rack: null,
    fenced,
  });
}

export function topic(name: string, topicId: string): Buffer {
  return encodeRecord(TOPIC_RECORD_TYPE, { name, topicId });
}

export function partition(topicId: string, partitionId: number, replicas: number[], leader = replicas[0]!): Buffer {
  return encodeRecord(PARTITION_RECORD_TYPE, {
    partitionId, topicId, replicas, isr: replicas, removingReplicas: [], addingReplicas: [], leader, leaderEpoch: 0, partitionEpoch: 0, directories: [],
  });
}

export function partitionChange(fields: Record<string, unknown>): Buffer {
  return encodeRecord(PARTITION_CHANGE_RECORD_TYPE, fields);
}

export function config(resourceType: number, resourceName: string, name: string, value: string | null): Buffer {
  return encodeRecord(CONFIG_RECORD_TYPE, { resourceType, resourceName, name, value });
}
