/**
 * The Raft RPCs this node answers: Vote (with KIP-996 pre-vote), BeginQuorumEpoch, EndQuorumEpoch,
 * Fetch (from followers and observers), FetchSnapshot and DescribeQuorum. Each decision runs in the
 * client's serial chain; a Fetch long-poll waits outside it.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { BeginQuorumEpochRequest } from '../../protocol/messages/begin-quorum-epoch.js';
import type { DescribeQuorumResponse, ReplicaState } from '../../protocol/messages/describe-quorum.js';
import type { EndQuorumEpochRequest } from '../../protocol/messages/end-quorum-epoch.js';
import type { FetchPartition, FetchRequest, FetchResponse } from '../../protocol/messages/fetch.js';
import type { FetchSnapshotRequest, FetchSnapshotResponse, PartitionSnapshot } from '../../protocol/messages/fetch-snapshot.js';
import { randomInt } from '../runtime.js';
import type { ReplicaProgress } from './leader-state.js';
import { batchHeaders } from './raft-log.js';
import type { RaftClient } from './raft-client.js';
import { fetchPartition, fetchResponse, findMetadataPartition, METADATA_PARTITION, METADATA_TOPIC, quorumEpochResponse, voteResponse } from './raft-messages.js';
import type { PartitionDataV2, VoteV2Request } from './vote-v2.js';

export type InboundContext = RaftClient;

export const RAFT_API_KEYS = { fetch: 1, vote: 52, beginQuorumEpoch: 53, endQuorumEpoch: 54, describeQuorum: 55, fetchSnapshot: 59 } as const;

export function handleInbound(c: RaftClient, apiKey: number, version: number, body: unknown): Promise<unknown> {
  if (c.closed) return Promise.reject(new Error('raft client closed'));
  switch (apiKey) {
    case RAFT_API_KEYS.vote:
      return c.serial(() => handleVote(c, body as VoteV2Request));
    case RAFT_API_KEYS.beginQuorumEpoch:
      return c.serial(() => handleBeginQuorumEpoch(c, body as BeginQuorumEpochRequest));
    case RAFT_API_KEYS.endQuorumEpoch:
      return c.serial(() => handleEndQuorumEpoch(c, body as EndQuorumEpochRequest));
    case RAFT_API_KEYS.fetch:
      return handleFetch(c, body as FetchRequest);
    case RAFT_API_KEYS.fetchSnapshot:
      return c.serial(() => handleFetchSnapshot(c, body as FetchSnapshotRequest));
    case RAFT_API_KEYS.describeQuorum:
      return c.serial(() => handleDescribeQuorum(c, version));
    default:
      return Promise.reject(new Error(`api key ${apiKey} is not a Raft RPC`));
  }
}

function clusterIdMatches(c: RaftClient, clusterId: string | null): boolean {
  // A request without a cluster id (older clients) is accepted, as Kafka does.
  return clusterId === null || clusterId === '' || clusterId === c.clusterId;
}

/** Raft §5.4.1: the candidate's log is at least as up to date as ours (last epoch, then length). */
export function isLogUpToDate(c: RaftClient, lastOffsetEpoch: number, lastOffset: number): boolean {
  const ourEpoch = c.log.lastFetchedEpoch();
  return lastOffsetEpoch > ourEpoch || (lastOffsetEpoch === ourEpoch && lastOffset >= c.log.endOffset());
}

/** KIP-996: would this node vote for that candidate? Asked without changing any state. */
function canGrantPreVote(c: RaftClient, p: PartitionDataV2): boolean {
  if (c.role === 'leader') return false;
  if (c.role === 'follower' && c.lastLeaderContactMs >= 0 && c.runtime.clock.now() - c.lastLeaderContactMs < c.fetchTimeoutMs) {
    return false; // the leader is alive as far as we know: no disruption (the point of pre-vote)
  }
  return isLogUpToDate(c, p.lastOffsetEpoch, p.lastOffset);
}

async function handleVote(c: RaftClient, req: VoteV2Request): Promise<unknown> {
  if (!clusterIdMatches(c, req.clusterId)) return voteResponse(ErrorCode.INCONSISTENT_CLUSTER_ID, ErrorCode.NONE, null, c.epoch, false);
  const p = findMetadataPartition<PartitionDataV2>(req.topics);
  if (p === null) return voteResponse(ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, c.leaderId, c.epoch, false);
  if (!c.isVoter || !c.voterIds.includes(p.candidateId)) {
    return voteResponse(ErrorCode.NONE, ErrorCode.INCONSISTENT_VOTER_SET, c.leaderId, c.epoch, false);
  }
  if (p.candidateEpoch < c.epoch) return voteResponse(ErrorCode.NONE, ErrorCode.FENCED_LEADER_EPOCH, c.leaderAndEpoch().leaderId, c.epoch, false);
  if (p.preVote === true) {
    return voteResponse(ErrorCode.NONE, ErrorCode.NONE, c.leaderAndEpoch().leaderId, c.epoch, canGrantPreVote(c, p));
  }
  if (p.candidateEpoch > c.epoch) await c.becomeUnattached(p.candidateEpoch, null);
  let grant: boolean;
  if (c.votedId !== null) grant = c.votedId === p.candidateId;
  else grant = c.leaderId === null && (c.role === 'unattached' || c.role === 'prospective') && isLogUpToDate(c, p.lastOffsetEpoch, p.lastOffset);
  if (grant && c.votedId === null) await c.castVote(p.candidateId);
  return voteResponse(ErrorCode.NONE, ErrorCode.NONE, c.leaderAndEpoch().leaderId, c.epoch, grant);
}

async function handleBeginQuorumEpoch(c: RaftClient, req: BeginQuorumEpochRequest): Promise<unknown> {
  if (!clusterIdMatches(c, req.clusterId)) return quorumEpochResponse(ErrorCode.INCONSISTENT_CLUSTER_ID, ErrorCode.NONE, null, c.epoch);
  const p = findMetadataPartition(req.topics);
  if (p === null) return quorumEpochResponse(ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, c.leaderId, c.epoch);
  if (!c.voterIds.includes(p.leaderId)) return quorumEpochResponse(ErrorCode.NONE, ErrorCode.INCONSISTENT_VOTER_SET, c.leaderId, c.epoch);
  if (p.leaderEpoch < c.epoch) return quorumEpochResponse(ErrorCode.NONE, ErrorCode.FENCED_LEADER_EPOCH, c.leaderAndEpoch().leaderId, c.epoch);
  await c.observeLeader(p.leaderEpoch, p.leaderId);
  // The leader itself just spoke: until its fetch timeout, pre-votes against it are refused (otherwise a
  // node that timed out a moment later deposes a leader whose followers have not fetched yet).
  if (c.role === 'follower' && c.leaderId === p.leaderId) c.lastLeaderContactMs = c.runtime.clock.now();
  return quorumEpochResponse(ErrorCode.NONE, ErrorCode.NONE, c.leaderAndEpoch().leaderId, c.epoch);
}

async function handleEndQuorumEpoch(c: RaftClient, req: EndQuorumEpochRequest): Promise<unknown> {
  if (!clusterIdMatches(c, req.clusterId)) return quorumEpochResponse(ErrorCode.INCONSISTENT_CLUSTER_ID, ErrorCode.NONE, null, c.epoch);
  const p = findMetadataPartition(req.topics);
  if (p === null) return quorumEpochResponse(ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, c.leaderId, c.epoch);
  if (p.leaderEpoch < c.epoch) return quorumEpochResponse(ErrorCode.NONE, ErrorCode.FENCED_LEADER_EPOCH, c.leaderAndEpoch().leaderId, c.epoch);
  if (p.leaderEpoch > c.epoch) {
    await c.becomeUnattached(p.leaderEpoch, null);
  } else if (c.role === 'follower' && c.leaderId === p.leaderId) {
    // The first preferred successor stands at once; the others give it a head start.
    const successors = p.preferredSuccessors.length > 0 ? p.preferredSuccessors : p.preferredCandidates.map((x) => x.candidateId);
    const position = successors.indexOf(c.nodeId);
    const backoffMs = position === 0 ? 0 : randomInt(c.runtime.random, Math.floor(c.electionBackoffMaxMs / 2), c.electionBackoffMaxMs);
    await c.leaderGone(c.epoch, backoffMs);
  }
  return quorumEpochResponse(ErrorCode.NONE, ErrorCode.NONE, c.leaderAndEpoch().leaderId, c.epoch);
}

/** The leading whole batches of `records` that end below `hw`. */
function belowHighWatermark(records: Buffer, hw: number): Buffer {
  let end = 0;
  for (const h of batchHeaders(records)) {
    if (h.lastOffset >= hw) break;
    end = h.position + h.size;
  }
  return records.subarray(0, end);
}

function replicaIdOf(req: FetchRequest): number {
  return req.replicaState?.replicaId !== undefined && req.replicaState.replicaId >= 0 ? req.replicaState.replicaId : req.replicaId;
}

async function handleFetch(c: RaftClient, req: FetchRequest): Promise<FetchResponse> {
  const first = await c.serial(() => fetchOnce(c, req, true));
  if (first !== 'wait') return first;
  await c.waitForChange(Math.max(0, Math.min(req.maxWaitMs, c.fetchMaxWaitMs * 2)));
  const second = await c.serial(() => fetchOnce(c, req, false));
  if (second === 'wait') throw new Error('unreachable: second fetch pass waits');
  return second;
}

/** One pass over a Fetch: 'wait' when a long-poll should wait for data (first pass only). */
async function fetchOnce(c: RaftClient, req: FetchRequest, firstPass: boolean): Promise<FetchResponse | 'wait'> {
  if (!clusterIdMatches(c, req.clusterId)) return fetchResponse(ErrorCode.INCONSISTENT_CLUSTER_ID, null);
  const p = findMetadataPartition<FetchPartition & { partitionIndex?: number }>(req.topics);
  if (p === null) return fetchResponse(ErrorCode.NONE, fetchPartition(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, c.leaderId, c.epoch, null, c.log.startOffset()));
  const leader = c.leader;
  const answer = (errorCode: number): FetchResponse =>
    fetchResponse(ErrorCode.NONE, fetchPartition(errorCode, c.leaderAndEpoch().leaderId, c.epoch, c.highWatermark(), c.log.startOffset()));
  if (p.currentLeaderEpoch > c.epoch) return answer(ErrorCode.UNKNOWN_LEADER_EPOCH);
  if (p.currentLeaderEpoch < c.epoch && p.currentLeaderEpoch >= 0) return answer(ErrorCode.FENCED_LEADER_EPOCH);
  if (c.role !== 'leader' || leader === null) return answer(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  const replicaId = replicaIdOf(req);
  const now = c.runtime.clock.now();
  const snapshot = c.log.latestSnapshotId();
  if (p.fetchOffset < c.log.startOffset()) {
    const part = fetchPartition(ErrorCode.NONE, c.nodeId, c.epoch, c.highWatermark(), c.log.startOffset());
    if (snapshot !== null) part.snapshotId = { endOffset: snapshot.endOffset, epoch: snapshot.epoch };
    else part.errorCode = ErrorCode.OFFSET_OUT_OF_RANGE;
    return fetchResponse(ErrorCode.NONE, part);
  }
  // Divergence: does our log hold lastFetchedEpoch up to the fetch offset? (KIP-595 §Fetch)
  if (p.fetchOffset > 0 && p.lastFetchedEpoch >= 0) {
    const end = c.log.endOffsetForEpoch(p.lastFetchedEpoch);
    if ((end.epoch < 0 || end.offset < c.log.startOffset()) && snapshot !== null) {
      // That epoch is older than anything our log still holds: only the snapshot can bring the replica back.
      const part = fetchPartition(ErrorCode.NONE, c.nodeId, c.epoch, c.highWatermark(), c.log.startOffset());
      part.snapshotId = { endOffset: snapshot.endOffset, epoch: snapshot.epoch };
      return fetchResponse(ErrorCode.NONE, part);
    }
    if (end.epoch !== p.lastFetchedEpoch || end.offset < p.fetchOffset) {
      const part = fetchPartition(ErrorCode.NONE, c.nodeId, c.epoch, c.highWatermark(), c.log.startOffset());
      part.divergingEpoch = { epoch: end.epoch, endOffset: end.epoch < 0 ? c.log.startOffset() : end.offset };
      return fetchResponse(ErrorCode.NONE, part);
    }
  }
  if (p.fetchOffset > c.log.endOffset()) return answer(ErrorCode.OFFSET_OUT_OF_RANGE);
  let hwMoved = false;
  if (firstPass && replicaId >= 0) hwMoved = leader.updateReplica(replicaId, p.fetchOffset, c.log.endOffset(), now);
  if (hwMoved) c.onHighWatermarkAdvanced();
  const maxBytes = Math.max(1, Math.min(p.partitionMaxBytes, req.maxBytes, c.fetchMaxBytes));
  let records = p.fetchOffset < c.log.endOffset() ? await c.log.read(p.fetchOffset, maxBytes) : Buffer.alloc(0);
  if (replicaId < 0) records = belowHighWatermark(records, c.highWatermark() ?? 0); // a plain reader sees commits only
  // A replica that has not been told the current high watermark is answered at once: parking its
  // fetch would delay its commits (and every broker's metadata) by a whole long-poll.
  const hw = c.highWatermark();
  const hwUnknownThere = replicaId >= 0 && hw !== null && (c.highWatermarkSentTo.get(replicaId) ?? -1) < hw;
  if (records.length === 0 && firstPass && !hwMoved && !hwUnknownThere && req.maxWaitMs > 0) return 'wait';
  const part = fetchPartition(ErrorCode.NONE, c.nodeId, c.epoch, hw, c.log.startOffset());
  if (replicaId >= 0 && hw !== null) c.highWatermarkSentTo.set(replicaId, hw);
  part.records = records;
  return fetchResponse(ErrorCode.NONE, part);
}

async function handleFetchSnapshot(c: RaftClient, req: FetchSnapshotRequest): Promise<FetchSnapshotResponse> {
  const respond = (topLevel: number, errorCode: number, p: PartitionSnapshot | null, size = 0, position = 0, bytes: Buffer = Buffer.alloc(0)): FetchSnapshotResponse => ({
    throttleTimeMs: 0,
    errorCode: topLevel,
    topics: [{
      name: METADATA_TOPIC,
      partitions: [{
        index: METADATA_PARTITION,
        errorCode,
        snapshotId: p?.snapshotId ?? { endOffset: -1, epoch: -1 },
        currentLeader: { leaderId: c.leaderAndEpoch().leaderId ?? -1, leaderEpoch: c.epoch },
        size,
        position,
        unalignedRecords: bytes,
      }],
    }],
    nodeEndpoints: [],
  });
  if (!clusterIdMatches(c, req.clusterId)) return respond(ErrorCode.INCONSISTENT_CLUSTER_ID, ErrorCode.NONE, null);
  const p = findMetadataPartition<PartitionSnapshot>(req.topics.map((t) => ({ name: t.name, partitions: t.partitions })));
  if (p === null) return respond(ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
  if (p.currentLeaderEpoch > c.epoch) return respond(ErrorCode.NONE, ErrorCode.UNKNOWN_LEADER_EPOCH, p);
  if (p.currentLeaderEpoch < c.epoch) return respond(ErrorCode.NONE, ErrorCode.FENCED_LEADER_EPOCH, p);
  if (c.role !== 'leader') return respond(ErrorCode.NONE, ErrorCode.NOT_LEADER_OR_FOLLOWER, p);
  const bytes = await c.log.readSnapshotBytes(p.snapshotId);
  if (bytes === null) return respond(ErrorCode.NONE, ErrorCode.SNAPSHOT_NOT_FOUND, p);
  if (p.position < 0 || p.position > bytes.length) return respond(ErrorCode.NONE, ErrorCode.POSITION_OUT_OF_RANGE, p);
  const maxBytes = Math.max(1, Math.min(req.maxBytes, c.fetchMaxBytes));
  const chunk = bytes.subarray(p.position, Math.min(bytes.length, p.position + maxBytes));
  return respond(ErrorCode.NONE, ErrorCode.NONE, p, bytes.length, p.position, chunk);
}

function replicaState(p: ReplicaProgress, localId: number, localEnd: number, nowMs: number): ReplicaState {
  const isLocal = p.replicaId === localId;
  return {
    replicaId: p.replicaId,
    replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA',
    logEndOffset: isLocal ? localEnd : p.endOffset,
    lastFetchTimestamp: isLocal ? nowMs : p.hasFetched ? p.lastFetchTimestampMs : -1,
    lastCaughtUpTimestamp: isLocal ? nowMs : p.lastCaughtUpTimestampMs,
  };
}

function handleDescribeQuorum(c: RaftClient, _version: number): DescribeQuorumResponse {
  const leader = c.leader;
  const now = c.runtime.clock.now();
  const base = {
    partitionIndex: METADATA_PARTITION,
    errorMessage: null,
    leaderId: c.leaderAndEpoch().leaderId ?? -1,
    leaderEpoch: c.epoch,
    highWatermark: c.highWatermark() ?? -1,
  };
  if (c.role !== 'leader' || leader === null) {
    return { errorCode: ErrorCode.NONE, errorMessage: null, topics: [{ topicName: METADATA_TOPIC, partitions: [{ ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, currentVoters: [], observers: [] }] }], nodes: [] };
  }
  return {
    errorCode: ErrorCode.NONE,
    errorMessage: null,
    topics: [{
      topicName: METADATA_TOPIC,
      partitions: [{
        ...base,
        errorCode: ErrorCode.NONE,
        currentVoters: [...leader.voters.values()].map((p) => replicaState(p, c.nodeId, c.log.endOffset(), now)),
        observers: [...leader.observers.values()].map((p) => replicaState(p, c.nodeId, c.log.endOffset(), now)),
      }],
    }],
    nodes: [],
  };
}
