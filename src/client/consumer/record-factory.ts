/**
 * Builds ConsumerRecords straight from the record decoder (no intermediate record object). One
 * factory per partition and timestamp type, so every record of a partition gets the same object
 * shape; with the default Buffer deserializers the deserializer calls are skipped altogether.
 */
import type { RecordFactory } from '../../protocol/records/record-decoder.js';
import type { TimestampType } from '../../protocol/records/types.js';
import { bufferDeserializer, type Deserializer } from '../serializers.js';
import type { ConsumerRecord } from './types.js';

export interface Deserializers<K, V> {
  key: Deserializer<K>;
  value: Deserializer<V>;
}

/** A deserializer threw for the record at `offset`; `cause` is what it threw. */
export class DeserializeFailure {
  constructor(
    readonly offset: number,
    readonly cause: unknown,
  ) {}
}

export function consumerRecordFactory<K, V>(topic: string, partition: number, timestampType: TimestampType, d: Deserializers<K, V>): RecordFactory<ConsumerRecord<K, V>> {
  if ((d.key as unknown) === bufferDeserializer && (d.value as unknown) === bufferDeserializer) {
    // K and V are Buffer | null here: the deserializers are the identity.
    return ((offset, timestamp, key, value, headers) => ({ topic, partition, offset, timestamp, timestampType, key, value, headers })) as RecordFactory<ConsumerRecord<K, V>>;
  }
  const kd = d.key;
  const vd = d.value;
  return (offset, timestamp, key, value, headers) => {
    let k: K;
    let v: V;
    try {
      k = kd.deserialize(key, topic);
      v = vd.deserialize(value, topic);
    } catch (err) {
      throw new DeserializeFailure(offset, err);
    }
    return { topic, partition, offset, timestamp, timestampType, key: k, value: v, headers };
  };
}
