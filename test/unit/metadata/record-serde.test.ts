import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMetadataRecord, encodeMetadataRecord, encodeRecord, latestRecordVersion } from '../../../src/cluster/metadata/record-serde.js';
import { METADATA_RECORD_SCHEMAS, PARTITION_CHANGE_RECORD_TYPE, type PartitionChangeRecord } from '../../../src/cluster/metadata/records/index.js';

const ID = 'q0mBbGXtTVuw7wI1ksnPvA';

/** A value for every declared record type, with every field set to something other than its default. */
const SAMPLES: Record<number, object> = {
  0: {
    brokerId: 3, isMigratingZkBroker: false, incarnationId: ID, brokerEpoch: 1234567890123,
    endPoints: [{ name: 'PLAINTEXT', host: 'h1', port: 9092, securityProtocol: 0 }],
    features: [{ name: 'metadata.version', minSupportedVersion: 7, maxSupportedVersion: 25 }],
    rack: 'r1', fenced: false, inControlledShutdown: true, logDirs: [ID],
  },
  1: { brokerId: 3, brokerEpoch: 77 },
  2: { name: 'orders', topicId: ID },
  3: {
    partitionId: 2, topicId: ID, replicas: [1, 2, 3], isr: [1, 2], removingReplicas: [3], addingReplicas: [4], leader: 1,
    leaderRecoveryState: 1, leaderEpoch: 5, partitionEpoch: 9, directories: [ID, ID, ID], eligibleLeaderReplicas: [3], lastKnownElr: [2],
  },
  4: { resourceType: 2, resourceName: 'orders', name: 'retention.ms', value: '1000' },
  5: {
    partitionId: 1, topicId: ID, isr: [1], leader: -1, replicas: [1, 2], removingReplicas: [2], addingReplicas: [], leaderRecoveryState: 0,
    directories: [ID, ID], eligibleLeaderReplicas: [2], lastKnownElr: [1],
  },
  7: { id: 3, epoch: 99 },
  8: { id: 3, epoch: 99 },
  9: { topicId: ID },
  12: { name: 'metadata.version', featureLevel: 25 },
  15: { brokerId: 1, brokerEpoch: 10, nextProducerId: 5000 },
  17: { brokerId: 3, brokerEpoch: 10, fenced: -1, inControlledShutdown: 1, logDirs: [ID] },
  20: {},
  27: {
    controllerId: 1, incarnationId: ID, zkMigrationReady: false,
    endPoints: [{ name: 'CONTROLLER', host: 'c', port: 9093, securityProtocol: 0 }],
    features: [{ name: 'kraft.version', minSupportedVersion: 0, maxSupportedVersion: 1 }],
  },
};

test('every declared record type has a sample', () => {
  assert.deepEqual([...METADATA_RECORD_SCHEMAS.keys()].sort((a, b) => a - b), Object.keys(SAMPLES).map(Number).sort((a, b) => a - b));
});

for (const [type, { name, schema }] of METADATA_RECORD_SCHEMAS) {
  test(`${name} round-trips at every version`, () => {
    const sample = SAMPLES[type]!;
    for (let v = schema.validVersions.min; v <= schema.validVersions.max; v++) {
      const buf = encodeMetadataRecord(type, v, sample);
      assert.equal(buf[0], 1, 'frame version 1');
      const decoded = decodeMetadataRecord(buf);
      assert.equal(decoded.type, type);
      assert.equal(decoded.version, v);
      // Re-encoding what was decoded gives the same bytes (fields absent at v come back as defaults).
      assert.deepEqual(encodeMetadataRecord(type, v, decoded.value), buf);
      if (v === schema.validVersions.max) assert.deepEqual(decoded.value, sample);
    }
    assert.equal(latestRecordVersion(type), schema.validVersions.max);
  });
}

test('framing: frame version, type and version are unsigned varints ahead of the body', () => {
  const buf = encodeMetadataRecord(12, 0, { name: 'a', featureLevel: 1 });
  // 01 | 0c | 00 | compact string "a" (02 61) | int16 0001 | no tagged fields (00)
  assert.deepEqual([...buf], [1, 12, 0, 2, 0x61, 0, 1, 0]);
});

test('PartitionChangeRecord: absent nullable fields decode as null ("no change"), leader as -2', () => {
  const buf = encodeRecord(PARTITION_CHANGE_RECORD_TYPE, { partitionId: 0, topicId: ID });
  const r = decodeMetadataRecord(buf).value as PartitionChangeRecord;
  assert.equal(r.isr, null);
  assert.equal(r.replicas, null);
  assert.equal(r.removingReplicas, null);
  assert.equal(r.addingReplicas, null);
  assert.equal(r.leader, -2);
  assert.equal(r.leaderRecoveryState, -1);
  // Only the fixed fields were written: no tagged fields.
  assert.equal(buf.length, 3 + 4 + 16 + 1);
  const empty = decodeMetadataRecord(encodeRecord(PARTITION_CHANGE_RECORD_TYPE, { partitionId: 0, topicId: ID, isr: [] })).value as PartitionChangeRecord;
  assert.deepEqual(empty.isr, []);
});

test('bad frames are refused', () => {
  assert.throws(() => decodeMetadataRecord(Buffer.from([2, 12, 0])), /frame version/);
  assert.throws(() => decodeMetadataRecord(Buffer.from([1, 99, 0])), /unknown metadata record type 99/);
  assert.throws(() => encodeMetadataRecord(12, 5, {}), /no version 5/);
  const ok = encodeMetadataRecord(12, 0, { name: 'a', featureLevel: 1 });
  assert.throws(() => decodeMetadataRecord(Buffer.concat([ok, Buffer.from([0])])), /trailing/);
});
