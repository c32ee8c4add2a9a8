/**
 * Elections (KIP-595 + KIP-996): pre-vote as prospective, vote as candidate, becoming leader (the
 * LeaderChangeMessage, BeginQuorumEpoch until every voter fetched, check-quorum), resigning. Functions of
 * the RaftClient, called inside its serial chain.
 */
import { ByteWriter } from '../../protocol/bytes.js';
import { ErrorCode } from '../../protocol/errors.js';
import { BeginQuorumEpochApi, type BeginQuorumEpochResponse } from '../../protocol/messages/begin-quorum-epoch.js';
import { EndQuorumEpochApi, type EndQuorumEpochResponse } from '../../protocol/messages/end-quorum-epoch.js';
import { LeaderChangeMessageSchema } from '../../protocol/messages/leader-change-message.js';
import type { VoteResponse } from '../../protocol/messages/vote.js';
import { ControlRecordType, encodeControlKey } from '../../protocol/records/control.js';
import { encodeMessage } from '../../protocol/schema/codec.js';
import { ZERO_UUID } from '../../protocol/schema/uuid.js';
import { LeaderState } from './leader-state.js';
import type { RaftClient } from './raft-client.js';
import { beginQuorumEpochRequest, endQuorumEpochRequest, QUORUM_RPC_VERSION, voteRequest } from './raft-messages.js';
import { VOTE_VERSION, VoteV2Api } from './vote-v2.js';

/** KIP-996: asks for pre-votes for epoch+1 without changing anyone's epoch. */
export async function becomeProspective(c: RaftClient): Promise<void> {
  if (!c.isVoter) return;
  c.transition('prospective');
  c.granted.add(c.nodeId);
  c.timers.set('election', c.randomElectionTimeoutMs(), () => c.onTimer(() => prospectiveFailed(c)));
  if (c.granted.size >= c.majority) {
    await c.becomeCandidate();
    return;
  }
  requestVotes(c, true);
}

/** The pre-vote failed or timed out: back off, then go back to following (or waiting) and retry later. */
export async function prospectiveFailed(c: RaftClient): Promise<void> {
  if (c.role !== 'prospective') return;
  const backoff = c.electionBackoffMs();
  if (c.leaderId !== null && c.leaderId !== c.nodeId) {
    await c.becomeFollower(c.epoch, c.leaderId);
  } else {
    await c.becomeUnattached(c.epoch, c.votedId, c.randomElectionTimeoutMs() + backoff);
  }
}

export async function becomeCandidate(c: RaftClient): Promise<void> {
  c.epoch += 1;
  c.votedId = c.nodeId;
  c.leaderId = null;
  await c.log.flush(); // our own vote counts our log: it must be durable
  await c.persist();
  c.transition('candidate');
  c.granted.add(c.nodeId);
  c.timers.set('election', c.randomElectionTimeoutMs(), () =>
    c.onTimer(async () => {
      if (c.role !== 'candidate') return;
      const gen = c.stateGeneration;
      c.timers.set('backoff', c.electionBackoffMs(), () => c.onTimer(() => (gen === c.stateGeneration ? c.becomeProspective() : undefined)));
    }),
  );
  if (c.granted.size >= c.majority) {
    await becomeLeader(c);
    return;
  }
  requestVotes(c, false);
}

export function requestVotes(c: RaftClient, preVote: boolean): void {
  const gen = c.stateGeneration;
  const body = voteRequest({
    clusterId: c.clusterId,
    voterId: -1,
    candidateEpoch: preVote ? c.epoch + 1 : c.epoch,
    candidateId: c.nodeId,
    lastOffsetEpoch: c.log.lastFetchedEpoch(),
    lastOffset: c.log.endOffset(),
    preVote,
  });
  for (const id of c.voterIds) {
    if (id === c.nodeId) continue;
    c.transport
      .send<VoteResponse>(id, VoteV2Api, VOTE_VERSION, { ...body, voterId: id }, c.requestTimeoutMs)
      .then(
        (res) => c.onTimer(() => onVoteResponse(c, gen, id, res)),
        () => undefined, // a lost vote is a missing vote: the election timer covers it
      );
  }
}

export async function onVoteResponse(c: RaftClient, gen: number, from: number, res: VoteResponse): Promise<void> {
  const p = res.topics[0]?.partitions[0];
  if (res.errorCode !== ErrorCode.NONE || p === undefined) return;
  if (p.leaderEpoch > c.epoch || (p.leaderEpoch === c.epoch && p.leaderId >= 0 && c.leaderId === null)) {
    if (await c.observeLeader(p.leaderEpoch, p.leaderId < 0 ? null : p.leaderId)) return;
  }
  if (gen !== c.stateGeneration || (c.role !== 'prospective' && c.role !== 'candidate')) return;
  if (p.errorCode === ErrorCode.NONE && p.voteGranted) c.granted.add(from);
  else c.rejected.add(from);
  if (c.granted.size >= c.majority) {
    if (c.role === 'prospective') await c.becomeCandidate();
    else await becomeLeader(c);
  } else if (c.rejected.size > c.voterIds.length - c.majority) {
    if (c.role === 'prospective') await prospectiveFailed(c);
    else {
      const g = c.stateGeneration;
      c.timers.set('election', c.electionBackoffMs(), () => c.onTimer(() => (g === c.stateGeneration ? c.becomeProspective() : undefined)));
    }
  }
}

export async function becomeLeader(c: RaftClient): Promise<void> {
  c.leaderId = c.nodeId;
  await c.persist();
  const epochStartOffset = c.log.endOffset();
  const now = c.runtime.clock.now();
  c.leader = new LeaderState(c.nodeId, c.epoch, epochStartOffset, c.voterIds, now);
  c.transition('leader');
  // The LeaderChangeMessage opens the epoch: committing it commits everything before it (Raft §5.4.2).
  const w = new ByteWriter(64);
  encodeMessage(LeaderChangeMessageSchema, 0, {
    version: 0,
    leaderId: c.nodeId,
    voters: c.voterIds.map((voterId) => ({ voterId, voterDirectoryId: ZERO_UUID })),
    grantingVoters: [...c.granted].map((voterId) => ({ voterId, voterDirectoryId: ZERO_UUID })),
  }, w);
  await c.log.appendAsLeader([{ control: true, records: [{ key: encodeControlKey(ControlRecordType.LeaderChange), value: w.toBuffer() }] }], c.epoch, now);
  c.logger.info({ nodeId: c.nodeId, epoch: c.epoch, epochStartOffset }, 'became raft leader');
  sendBeginQuorumEpoch(c);
  scheduleCheckQuorum(c);
  await c.flushAsLeader();
}

/**
 * Sent to every voter that has not fetched in this epoch, or not within the fetch timeout, and resent
 * until it does: it finds the leader, or answers with a newer epoch this leader must adopt.
 */
export function sendBeginQuorumEpoch(c: RaftClient): void {
  const leader = c.leader;
  if (leader === null || c.role !== 'leader') return;
  const now = c.runtime.clock.now();
  for (const [id, p] of leader.voters) {
    if (id === c.nodeId || (p.hasFetched && now - p.lastFetchTimestampMs < c.fetchTimeoutMs)) continue;
    c.transport
      .send<BeginQuorumEpochResponse>(id, BeginQuorumEpochApi, QUORUM_RPC_VERSION, beginQuorumEpochRequest(c.clusterId, id, c.nodeId, c.epoch), c.requestTimeoutMs)
      .then((res) => c.onTimer(() => onQuorumEpochResponse(c, res)), () => undefined);
  }
  c.timers.set('begin-epoch', Math.max(1, Math.floor(c.electionTimeoutMs / 2)), () => c.onTimer(() => sendBeginQuorumEpoch(c)));
}

/**
 * A voter that answers with a newer epoch (it stood as candidate there and lost the vote, e.g. across a
 * partition) is never fetched back by this leader, and its pre-votes are refused while this leader is
 * healthy: Raft's rule applies, the leader adopts the newer epoch and an election brings everyone back.
 */
async function onQuorumEpochResponse(c: RaftClient, res: BeginQuorumEpochResponse | EndQuorumEpochResponse): Promise<void> {
  const p = res.topics[0]?.partitions[0];
  if (p !== undefined && p.leaderEpoch > c.epoch) await c.observeLeader(p.leaderEpoch, p.leaderId < 0 ? null : p.leaderId);
}

/** KIP-996 check-quorum: a leader a majority stopped fetching from steps down. */
export function scheduleCheckQuorum(c: RaftClient): void {
  c.timers.set('check-quorum', Math.max(1, Math.floor(c.fetchTimeoutMs / 2)), () =>
    c.onTimer(async () => {
      if (c.role !== 'leader' || c.leader === null) return;
      if (c.leader.hasQuorum(c.runtime.clock.now(), c.fetchTimeoutMs)) scheduleCheckQuorum(c);
      else await c.resign();
    }),
  );
}

/** The leader stops leading its epoch (lost its quorum); the others elect a successor. */
export async function resign(c: RaftClient): Promise<void> {
  const successors = c.leader?.preferredSuccessors() ?? [];
  c.logger.warn({ nodeId: c.nodeId, epoch: c.epoch }, 'raft leader resigns');
  c.transition('resigned');
  sendEndQuorumEpoch(c, successors);
  c.timers.set('election', c.randomElectionTimeoutMs(), () => c.onTimer(() => c.becomeProspective()));
}

export function sendEndQuorumEpoch(c: RaftClient, successors: readonly number[]): void {
  const body = endQuorumEpochRequest(c.clusterId, c.nodeId, c.epoch, successors);
  for (const id of c.voterIds) {
    if (id !== c.nodeId) c.transport.send(id, EndQuorumEpochApi, QUORUM_RPC_VERSION, body, c.requestTimeoutMs).catch(() => undefined);
  }
}

