/**
 * Builders for the Raft RPCs' bodies, all about the one partition `__cluster_metadata-0`. Pure: no state,
 * no I/O. The client fills them in; the transport encodes them.
 */
import type { BeginQuorumEpochRequest, BeginQuorumEpochResponse } from '../../protocol/messages/begin-quorum-epoch.js';
import type { EndQuorumEpochRequest, EndQuorumEpochResponse } from '../../protocol/messages/end-quorum-epoch.js';
import type { FetchRequest, FetchResponse, PartitionData as FetchPartitionData } from '../../protocol/messages/fetch.js';
import type { VoteResponse } from '../../protocol/messages/vote.js';
import { ZERO_UUID } from '../../protocol/schema/uuid.js';
import type { VoteV2Request } from './vote-v2.js';

export const METADATA_TOPIC = '__cluster_metadata';
export const METADATA_PARTITION = 0;
/** Kafka's fixed topic id of `__cluster_metadata` (Uuid.METADATA_TOPIC_ID, 0…01). */
export const METADATA_TOPIC_ID = 'AAAAAAAAAAAAAAAAAAAAAQ';
/** Fetch v15+ carries the replica id in ReplicaState; v16 adds node endpoints to the response. */
export const FETCH_VERSION = 16;
export const QUORUM_RPC_VERSION = 1;
export const FETCH_SNAPSHOT_VERSION = 1;

export interface VoteArgs {
  clusterId: string;
  voterId: number;
  candidateEpoch: number;
  candidateId: number;
  lastOffsetEpoch: number;
  lastOffset: number;
  preVote: boolean;
}

export function voteRequest(a: VoteArgs): VoteV2Request {
  return {
    clusterId: a.clusterId,
    voterId: a.voterId,
    topics: [{
      topicName: METADATA_TOPIC,
      partitions: [{
        partitionIndex: METADATA_PARTITION,
        candidateEpoch: a.candidateEpoch,
        candidateId: a.candidateId,
        candidateDirectoryId: ZERO_UUID,
        voterDirectoryId: ZERO_UUID,
        lastOffsetEpoch: a.lastOffsetEpoch,
        lastOffset: a.lastOffset,
        preVote: a.preVote,
      }],
    }],
  };
}

export function voteResponse(errorCode: number, partitionError: number, leaderId: number | null, epoch: number, granted: boolean): VoteResponse {
  return {
    errorCode,
    topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: METADATA_PARTITION, errorCode: partitionError, leaderId: leaderId ?? -1, leaderEpoch: epoch, voteGranted: granted }] }],
    nodeEndpoints: [],
  };
}

export function beginQuorumEpochRequest(clusterId: string, voterId: number, leaderId: number, epoch: number): BeginQuorumEpochRequest {
  return {
    clusterId,
    voterId,
    topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: METADATA_PARTITION, voterDirectoryId: ZERO_UUID, leaderId, leaderEpoch: epoch }] }],
    leaderEndpoints: [],
  };
}

export function quorumEpochResponse(errorCode: number, partitionError: number, leaderId: number | null, epoch: number): BeginQuorumEpochResponse & EndQuorumEpochResponse {
  return {
    errorCode,
    topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: METADATA_PARTITION, errorCode: partitionError, leaderId: leaderId ?? -1, leaderEpoch: epoch }] }],
    nodeEndpoints: [],
  };
}

export function endQuorumEpochRequest(clusterId: string, leaderId: number, epoch: number, successors: readonly number[]): EndQuorumEpochRequest {
  return {
    clusterId,
    topics: [{
      topicName: METADATA_TOPIC,
      partitions: [{
        partitionIndex: METADATA_PARTITION,
        leaderId,
        leaderEpoch: epoch,
        preferredSuccessors: [...successors],
        preferredCandidates: successors.map((candidateId) => ({ candidateId, candidateDirectoryId: ZERO_UUID })),
      }],
    }],
    leaderEndpoints: [],
  };
}

export interface FetchArgs {
  clusterId: string;
  replicaId: number;
  epoch: number;
  fetchOffset: number;
  lastFetchedEpoch: number;
  logStartOffset: number;
  maxWaitMs: number;
  maxBytes: number;
}

export function fetchRequest(a: FetchArgs): FetchRequest {
  return {
    clusterId: a.clusterId,
    replicaId: a.replicaId,
    replicaState: { replicaId: a.replicaId, replicaEpoch: -1 },
    maxWaitMs: a.maxWaitMs,
    minBytes: 1,
    maxBytes: a.maxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{
      topic: METADATA_TOPIC,
      topicId: METADATA_TOPIC_ID,
      partitions: [{
        partition: METADATA_PARTITION,
        currentLeaderEpoch: a.epoch,
        fetchOffset: a.fetchOffset,
        lastFetchedEpoch: a.lastFetchedEpoch,
        logStartOffset: a.logStartOffset,
        partitionMaxBytes: a.maxBytes,
        replicaDirectoryId: ZERO_UUID,
      }],
    }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

/** A fetch partition answer with every optional part at its "absent" value. */
export function fetchPartition(errorCode: number, leaderId: number | null, epoch: number, highWatermark: number | null, logStartOffset: number): FetchPartitionData {
  return {
    partitionIndex: METADATA_PARTITION,
    errorCode,
    highWatermark: highWatermark ?? -1,
    lastStableOffset: highWatermark ?? -1,
    logStartOffset,
    divergingEpoch: { epoch: -1, endOffset: -1 },
    currentLeader: { leaderId: leaderId ?? -1, leaderEpoch: epoch },
    snapshotId: { endOffset: -1, epoch: -1 },
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: null,
  };
}

export function fetchResponse(errorCode: number, partition: FetchPartitionData | null): FetchResponse {
  return {
    throttleTimeMs: 0,
    errorCode,
    sessionId: 0,
    responses: partition === null ? [] : [{ topic: METADATA_TOPIC, topicId: METADATA_TOPIC_ID, partitions: [partition] }],
    nodeEndpoints: [],
  };
}

/** The one partition of a request's topic list, if it names `__cluster_metadata-0` (by name or topic id). */
export function findMetadataPartition<P extends { partitionIndex?: number; partition?: number }>(
  topics: readonly { topicName?: string; topic?: string; topicId?: string; name?: string; partitions: readonly P[] }[],
): P | null {
  for (const t of topics) {
    const named = t.topicName ?? t.topic ?? t.name;
    if (named !== METADATA_TOPIC && t.topicId !== METADATA_TOPIC_ID) continue;
    for (const p of t.partitions) if ((p.partitionIndex ?? p.partition) === METADATA_PARTITION) return p;
  }
  return null;
}
