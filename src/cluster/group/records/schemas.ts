/**
 * The key and value formats of `__consumer_offsets`, declared from Kafka's specs
 * (OffsetCommitKey/Value.json, GroupMetadataKey/Value.json). Every key and value is stored as an
 * int16 version followed by the struct of that version; a null value is a tombstone.
 */
import { field, message } from '../../../protocol/schema/dsl.js';

/** Key versions 0 and 1 are offset commits (Kafka writes 1); 2 is group metadata. */
export const OffsetCommitKeySchema = message('OffsetCommitKey', '0-1', 'none', [
  field('group', 'string', '0-1'),
  field('topic', 'string', '0-1'),
  field('partition', 'int32', '0-1'),
]);

export interface OffsetCommitKey {
  group: string;
  topic: string;
  partition: number;
}

export const OffsetCommitValueSchema = message('OffsetCommitValue', '0-4', '4+', [
  field('offset', 'int64', '0+'),
  field('leaderEpoch', 'int32', '3+', { default: -1 }),
  field('metadata', 'string', '0+'),
  field('commitTimestamp', 'int64', '0+'),
  field('expireTimestamp', 'int64', '1', { default: -1 }),
]);

export interface OffsetCommitValue {
  offset: number;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: number;
  expireTimestamp: number;
}

export const GroupMetadataKeySchema = message('GroupMetadataKey', '2', 'none', [field('group', 'string', '2')]);

export interface GroupMetadataKey {
  group: string;
}

export const GroupMetadataValueSchema = message('GroupMetadataValue', '0-4', '4+', [
  field('protocolType', 'string', '0+'),
  field('generation', 'int32', '0+'),
  field('protocol', 'string', '0+', { nullable: '0+' }),
  field('leader', 'string', '0+', { nullable: '0+' }),
  field('currentStateTimestamp', 'int64', '2+', { default: -1 }),
  field('members', '[]', '0+', {
    of: [
      field('memberId', 'string', '0+'),
      field('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
      field('clientId', 'string', '0+'),
      field('clientHost', 'string', '0+'),
      field('rebalanceTimeout', 'int32', '1+', { default: -1 }),
      field('sessionTimeout', 'int32', '0+'),
      field('subscription', 'bytes', '0+'),
      field('assignment', 'bytes', '0+'),
    ],
  }),
]);

export interface GroupMetadataMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeout: number;
  sessionTimeout: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface GroupMetadataValue {
  protocolType: string;
  generation: number;
  protocol: string | null;
  leader: string | null;
  currentStateTimestamp: number;
  members: GroupMetadataMember[];
}
