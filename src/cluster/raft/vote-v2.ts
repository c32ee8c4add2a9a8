/**
 * Vote v2 (KIP-996, Kafka 4.0): v1 plus a `preVote` flag on each partition. The shared message specs
 * stop at v1, so the Raft client declares v2 here, with the same field names as `vote.ts`; the server's
 * request decoder must use this spec for API key 52 to accept pre-votes (see README). A pre-vote asks
 * "would you vote for me in `candidateEpoch`?" and changes no state on the receiver.
 */
import { api, field, message } from '../../protocol/schema/dsl.js';
import { VoteResponseSchema, type PartitionData, type VoteRequest } from '../../protocol/messages/vote.js';

export const VoteV2RequestSchema = message('VoteRequest', '0-2', '0+', [
  field('clusterId', 'string', '0+', { nullable: '0+', default: null }),
  field('voterId', 'int32', '1+', { default: -1 }),
  field('topics', '[]', '0+', { of: [
    field('topicName', 'string', '0+'),
    field('partitions', '[]', '0+', { of: [
      field('partitionIndex', 'int32', '0+'),
      field('candidateEpoch', 'int32', '0+'),
      field('candidateId', 'int32', '0+'),
      field('candidateDirectoryId', 'uuid', '1+'),
      field('voterDirectoryId', 'uuid', '1+'),
      field('lastOffsetEpoch', 'int32', '0+'),
      field('lastOffset', 'int64', '0+'),
      field('preVote', 'bool', '2+', { default: false }),
    ] }),
  ] }),
]);

const VoteV2ResponseSchema = message('VoteResponse', '0-2', '0+', VoteResponseSchema.fields);

export const VoteV2Api = api(52, VoteV2RequestSchema, VoteV2ResponseSchema);

export const VOTE_VERSION = 2;

export interface PartitionDataV2 extends PartitionData {
  preVote: boolean;
}

export interface VoteV2Request extends Omit<VoteRequest, 'topics'> {
  topics: { topicName: string; partitions: PartitionDataV2[] }[];
}
