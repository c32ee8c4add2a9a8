/**
 * What a control module computes for one request: the records to append (in one atomic batch) and
 * the response to send once they are committed. Computing is synchronous and pure with respect to
 * the image it is given; the QuorumController does the appending and the waiting.
 */
import type { MetadataImage } from '../metadata/metadata-image.js';
import type {
  BrokerRegistrationChangeRecord,
  ConfigRecord,
  FeatureLevelRecord,
  FenceBrokerRecord,
  NoOpRecord,
  PartitionChangeRecord,
  PartitionRecord,
  ProducerIdsRecord,
  RegisterBrokerRecord,
  RegisterControllerRecord,
  RemoveTopicRecord,
  TopicRecord,
  UnfenceBrokerRecord,
  UnregisterBrokerRecord,
} from '../metadata/records/index.js';

/** Each metadata record type's value: lets `rec()` check the fields of what the controller writes. */
export interface MetadataRecordValues {
  0: RegisterBrokerRecord;
  1: UnregisterBrokerRecord;
  2: TopicRecord;
  3: PartitionRecord;
  4: ConfigRecord;
  5: PartitionChangeRecord;
  7: FenceBrokerRecord;
  8: UnfenceBrokerRecord;
  9: RemoveTopicRecord;
  12: FeatureLevelRecord;
  15: ProducerIdsRecord;
  17: BrokerRegistrationChangeRecord;
  20: NoOpRecord;
  27: RegisterControllerRecord;
}

export interface MetadataRecordValue {
  readonly type: number;
  readonly value: object;
}

export interface ControllerResult<T> {
  readonly records: readonly MetadataRecordValue[];
  readonly response: T;
}

/** What a control module may read while computing: the image including every record appended so far. */
export interface ControlContext {
  readonly image: MetadataImage;
  /** The offset the first record of the next batch will get (broker epochs are record offsets). */
  readonly nextOffset: number;
  readonly nowMs: number;
  /** The broker default of unclean.leader.election.enable (topics may override it). */
  readonly uncleanElectionDefault: boolean;
}

/** A record to write, its value checked against the record's declared fields. */
export function rec<T extends keyof MetadataRecordValues>(type: T, value: MetadataRecordValues[T]): MetadataRecordValue {
  return { type, value };
}

export function result<T>(response: T, records: readonly MetadataRecordValue[] = []): ControllerResult<T> {
  return { records, response };
}
