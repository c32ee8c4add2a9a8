/**
 * GroupRecord ⇄ the (key, value) bytes Kafka stores in `__consumer_offsets`.
 *
 * Written versions are the ones Kafka 3.x writes: OffsetCommitKey v1; OffsetCommitValue v3, or v1
 * when the commit carried an explicit expire timestamp (OffsetCommit v2-4 retention); GroupMetadataKey
 * v2; GroupMetadataValue v3. Every version Kafka defines is read (values v0-4).
 */
import { encodeVersioned, type StoredKeyValue } from '../../internal-records.js';
import { ByteReader } from '../../../protocol/bytes.js';
import { decodeMessage } from '../../../protocol/schema/codec.js';
import type { MessageSpec } from '../../../protocol/schema/dsl.js';
import type { GroupRecord } from '../group-records.js';
import {
  GroupMetadataKeySchema,
  GroupMetadataValueSchema,
  OffsetCommitKeySchema,
  OffsetCommitValueSchema,
  type GroupMetadataKey,
  type GroupMetadataValue,
  type OffsetCommitKey,
  type OffsetCommitValue,
} from './schemas.js';

export const OFFSET_COMMIT_KEY_VERSION = 1;
export const GROUP_METADATA_KEY_VERSION = 2;
export const OFFSET_COMMIT_VALUE_VERSION = 3;
export const OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY = 1;
export const GROUP_METADATA_VALUE_VERSION = 3;

export type { StoredKeyValue } from '../../internal-records.js';

/** The bytes Kafka would write for this record. */
export function encodeGroupRecord(record: GroupRecord): StoredKeyValue {
  switch (record.type) {
    case 'offset-commit':
    case 'offset-tombstone': {
      const keyData: OffsetCommitKey = { group: record.groupId, topic: record.topic, partition: record.partition };
      const key = encodeVersioned(OffsetCommitKeySchema, OFFSET_COMMIT_KEY_VERSION, keyData);
      if (record.type === 'offset-tombstone') return { key, value: null };
      const v = record.value;
      const data: OffsetCommitValue = {
        offset: v.offset,
        leaderEpoch: v.leaderEpoch,
        metadata: v.metadata,
        commitTimestamp: v.commitTimestampMs,
        expireTimestamp: v.expireTimestampMs ?? -1,
      };
      const version = v.expireTimestampMs !== null ? OFFSET_COMMIT_VALUE_VERSION_WITH_EXPIRY : OFFSET_COMMIT_VALUE_VERSION;
      return { key, value: encodeVersioned(OffsetCommitValueSchema, version, data) };
    }
    case 'group-metadata':
    case 'group-tombstone': {
      const keyData: GroupMetadataKey = { group: record.groupId };
      const key = encodeVersioned(GroupMetadataKeySchema, GROUP_METADATA_KEY_VERSION, keyData);
      if (record.type === 'group-tombstone') return { key, value: null };
      const g = record.value;
      const data: GroupMetadataValue = {
        protocolType: g.protocolType ?? '',
        generation: g.generationId,
        protocol: g.protocolName,
        leader: g.leader,
        currentStateTimestamp: g.stateTimestampMs,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeout: m.rebalanceTimeoutMs,
          sessionTimeout: m.sessionTimeoutMs,
          subscription: m.subscription,
          assignment: m.assignment,
        })),
      };
      return { key, value: encodeVersioned(GroupMetadataValueSchema, GROUP_METADATA_VALUE_VERSION, data) };
    }
  }
}

function checkVersion(spec: MessageSpec, version: number): void {
  if (version < spec.validVersions.min || version > spec.validVersions.max) {
    throw new Error(`${spec.name} version ${version} is not supported`);
  }
}

/**
 * The record stored under these bytes, or null for keys this coordinator does not own (for
 * example the KIP-848 consumer-group records, key versions 3+, or transaction markers).
 * Throws on malformed bytes.
 */
export function decodeGroupRecord(key: Buffer, value: Buffer | null): GroupRecord | null {
  const kr = new ByteReader(key);
  const keyVersion = kr.int16();
  if (keyVersion === 0 || keyVersion === 1) {
    const k = decodeMessage<OffsetCommitKey>(OffsetCommitKeySchema, keyVersion, kr);
    if (value === null) return { type: 'offset-tombstone', groupId: k.group, topic: k.topic, partition: k.partition };
    const vr = new ByteReader(value);
    const version = vr.int16();
    checkVersion(OffsetCommitValueSchema, version);
    const v = decodeMessage<OffsetCommitValue>(OffsetCommitValueSchema, version, vr);
    return {
      type: 'offset-commit',
      groupId: k.group,
      topic: k.topic,
      partition: k.partition,
      value: {
        offset: v.offset,
        leaderEpoch: v.leaderEpoch,
        metadata: v.metadata,
        commitTimestampMs: v.commitTimestamp,
        expireTimestampMs: version === 1 && v.expireTimestamp >= 0 ? v.expireTimestamp : null,
      },
    };
  }
  if (keyVersion === GROUP_METADATA_KEY_VERSION) {
    const k = decodeMessage<GroupMetadataKey>(GroupMetadataKeySchema, keyVersion, kr);
    if (value === null) return { type: 'group-tombstone', groupId: k.group };
    const vr = new ByteReader(value);
    const version = vr.int16();
    checkVersion(GroupMetadataValueSchema, version);
    const g = decodeMessage<GroupMetadataValue>(GroupMetadataValueSchema, version, vr);
    return {
      type: 'group-metadata',
      groupId: k.group,
      value: {
        protocolType: g.protocolType.length > 0 ? g.protocolType : null,
        generationId: g.generation,
        protocolName: g.protocol,
        leader: g.leader,
        stateTimestampMs: g.currentStateTimestamp,
        members: g.members.map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          rebalanceTimeoutMs: m.rebalanceTimeout >= 0 ? m.rebalanceTimeout : m.sessionTimeout,
          sessionTimeoutMs: m.sessionTimeout,
          subscription: Buffer.from(m.subscription),
          assignment: Buffer.from(m.assignment),
        })),
      },
    };
  }
  return null;
}
